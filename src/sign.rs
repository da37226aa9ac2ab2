//! Signed inventories: an Ed25519 key pair (`pipl-scan keygen`), a detached signature of
//! `inventory.json` written beside it by `scan --sign` (`inventory.json.sig`), and its check by
//! `verify` and `assess`.
//!
//! The signature covers the exact bytes of `inventory.json`, which record the SHA-256 of the
//! links file beside it, so the people graph is covered too. Signing uses `ed25519-dalek`
//! (RustCrypto); only the file formats below are this project's:
//!
//! ```text
//! pipl-scan.key   pipl-scan ed25519 secret key\n<64 hex digits: the 32-byte seed>\n   (mode 0600)
//! pipl-scan.pub   pipl-scan ed25519 public key <fingerprint>\n<base64 of the 32-byte key>\n
//! *.sig           JSON: {schema, algorithm, key_fingerprint, public_key, sha256, signature}
//! ```
//!
//! The fingerprint is the first 8 bytes of the SHA-256 of the public key, in hex. A `.sig`
//! carries its public key, so an inventory whose signature file is present is checked against
//! it even when no trusted key is given (edits are caught); only `--public-key` says *who*
//! signed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

pub const SIG_SCHEMA: &str = "pipl-scan/signature/v1";
const SECRET_HEADER: &str = "pipl-scan ed25519 secret key";
const PUBLIC_HEADER: &str = "pipl-scan ed25519 public key";

/// The detached signature file of `inventory`: `inventory.json.sig`.
pub fn sig_path(inventory: &Path) -> PathBuf {
    let mut p = inventory.as_os_str().to_owned();
    p.push(".sig");
    PathBuf::from(p)
}

/// The fingerprint of a public key: 16 hex digits.
pub fn fingerprint(key: &VerifyingKey) -> String {
    let d = sha2::Sha256::digest(key.as_bytes());
    hex::encode(&d[..8])
}

/// Makes a key pair: `DIR/pipl-scan.key` (secret, readable by its owner only) and
/// `DIR/pipl-scan.pub`. Refuses to overwrite a secret key.
pub fn keygen(dir: &Path) -> Result<(PathBuf, PathBuf, String)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let secret_path = dir.join("pipl-scan.key");
    let public_path = dir.join("pipl-scan.pub");
    if secret_path.exists() {
        bail!(
            "{} exists: refusing to overwrite a signing key",
            secret_path.display()
        );
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    let vk = key.verifying_key();
    let fp = fingerprint(&vk);
    write_private(
        &secret_path,
        format!("{SECRET_HEADER}\n{}\n", hex::encode(seed)).as_bytes(),
    )?;
    std::fs::write(
        &public_path,
        format!("{PUBLIC_HEADER} {fp}\n{}\n", BASE64.encode(vk.as_bytes())),
    )
    .with_context(|| format!("writing {}", public_path.display()))?;
    Ok((secret_path, public_path, fp))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Reads a secret key written by [`keygen`].
pub fn read_secret(path: &Path) -> Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading signing key {}", path.display()))?;
    let mut lines = text.lines();
    if lines.next() != Some(SECRET_HEADER) {
        bail!(
            "{} is not a pipl-scan secret key (first line `{SECRET_HEADER}`)",
            path.display()
        );
    }
    let seed: [u8; 32] = lines
        .next()
        .and_then(|l| hex::decode(l.trim()).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow::anyhow!("{}: the key is not 64 hex digits", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Reads a public key written by [`keygen`].
pub fn read_public(path: &Path) -> Result<VerifyingKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading public key {}", path.display()))?;
    let mut lines = text.lines();
    if !lines.next().is_some_and(|l| l.starts_with(PUBLIC_HEADER)) {
        bail!(
            "{} is not a pipl-scan public key (first line `{PUBLIC_HEADER} …`)",
            path.display()
        );
    }
    let bytes: [u8; 32] = lines
        .next()
        .and_then(|l| BASE64.decode(l.trim()).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow::anyhow!("{}: the key is not 32 bytes of base64", path.display()))?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not an Ed25519 public key: {e}", path.display()))
}

/// The detached signature file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    pub schema: String,
    pub algorithm: String,
    pub key_fingerprint: String,
    /// Base64 of the 32-byte public key.
    pub public_key: String,
    /// SHA-256 of the signed file, hex (for humans and `sha256sum`; the signature is over the
    /// file's bytes).
    pub sha256: String,
    /// Base64 of the 64-byte Ed25519 signature over the file's bytes.
    pub signature: String,
}

/// Signs `file` with `key`; writes `file.sig`. Returns the signature file's path.
pub fn sign_file(file: &Path, key: &SigningKey) -> Result<PathBuf> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let vk = key.verifying_key();
    let sig = SignatureFile {
        schema: SIG_SCHEMA.to_string(),
        algorithm: "ed25519".to_string(),
        key_fingerprint: fingerprint(&vk),
        public_key: BASE64.encode(vk.as_bytes()),
        sha256: hex::encode(sha2::Sha256::digest(&bytes)),
        signature: BASE64.encode(key.sign(&bytes).to_bytes()),
    };
    let path = sig_path(file);
    let mut text = serde_json::to_string_pretty(&sig)?;
    text.push('\n');
    crate::report::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// What checking a signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// No signature file.
    Unsigned,
    /// The signature verifies under the key it carries; `trusted`: that key is the one given.
    Good { fingerprint: String, trusted: bool },
    /// The signature file or the signature is bad, or was made with another key than the
    /// trusted one: the message says which.
    Bad(String),
}

/// Checks the signature of `file` (its `.sig` beside it), against `trusted` when given.
pub fn check_file(file: &Path, trusted: Option<&VerifyingKey>) -> Result<Check> {
    let sp = sig_path(file);
    if !sp.exists() {
        return Ok(Check::Unsigned);
    }
    let text = std::fs::read_to_string(&sp).with_context(|| format!("reading {}", sp.display()))?;
    let sig: SignatureFile = match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(e) => return Ok(Check::Bad(format!("{}: unreadable: {e}", sp.display()))),
    };
    if sig.schema != SIG_SCHEMA || sig.algorithm != "ed25519" {
        return Ok(Check::Bad(format!(
            "{}: `{}` / `{}` is not {SIG_SCHEMA} / ed25519",
            sp.display(),
            sig.schema,
            sig.algorithm
        )));
    }
    let key = match BASE64
        .decode(&sig.public_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
    {
        Some(k) => k,
        None => {
            return Ok(Check::Bad(format!(
                "{}: public_key is not an Ed25519 key",
                sp.display()
            )));
        }
    };
    let fp = fingerprint(&key);
    if fp != sig.key_fingerprint {
        return Ok(Check::Bad(format!(
            "{}: key_fingerprint {} is not the fingerprint of its public_key ({fp})",
            sp.display(),
            sig.key_fingerprint
        )));
    }
    if let Some(t) = trusted
        && t != &key
    {
        return Ok(Check::Bad(format!(
            "{} was signed with key {fp}, not with the trusted key {}",
            file.display(),
            fingerprint(t)
        )));
    }
    let Some(signature) = BASE64
        .decode(&sig.signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
    else {
        return Ok(Check::Bad(format!(
            "{}: signature is not 64 bytes of base64",
            sp.display()
        )));
    };
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    if key.verify_strict(&bytes, &signature).is_err() {
        let actual = hex::encode(sha2::Sha256::digest(&bytes));
        return Ok(Check::Bad(format!(
            "{} does not match its signature (key {fp}): the file was changed after signing (SHA-256 {actual}, signed {})",
            file.display(),
            sig.sha256
        )));
    }
    Ok(Check::Good {
        fingerprint: fp,
        trusted: trusted.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_file_verifies_and_any_change_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let (sk, pk, fp) = keygen(dir.path()).unwrap();
        assert!(keygen(dir.path()).is_err(), "never overwrites a key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&sk).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let key = read_secret(&sk).unwrap();
        let public = read_public(&pk).unwrap();
        assert_eq!(fingerprint(&public), fp);
        let f = dir.path().join("inventory.json");
        assert_eq!(check_file(&f, None).unwrap(), Check::Unsigned);
        std::fs::write(&f, b"{\"figure\": 49}\n").unwrap();
        assert_eq!(check_file(&f, None).unwrap(), Check::Unsigned);
        sign_file(&f, &key).unwrap();
        assert_eq!(
            check_file(&f, Some(&public)).unwrap(),
            Check::Good {
                fingerprint: fp.clone(),
                trusted: true
            }
        );
        // One byte changed.
        std::fs::write(&f, b"{\"figure\": 48}\n").unwrap();
        match check_file(&f, None).unwrap() {
            Check::Bad(m) => assert!(m.contains("does not match its signature"), "{m}"),
            other => panic!("{other:?}"),
        }
        // Re-signed by someone else: good on its own key, refused against the trusted one.
        let other = dir.path().join("other");
        let (osk, _, _) = keygen(&other).unwrap();
        sign_file(&f, &read_secret(&osk).unwrap()).unwrap();
        assert!(matches!(
            check_file(&f, None).unwrap(),
            Check::Good { trusted: false, .. }
        ));
        match check_file(&f, Some(&public)).unwrap() {
            Check::Bad(m) => assert!(m.contains("not with the trusted key"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
