//! Keyed HyperLogLog sketches that count distinct subjects and merge.
//!
//! This module owns two things:
//!
//! * [`SketchKey`], the per-inventory secret and the keyed hash that turns a normalised subject
//!   key (or any other value to be counted) into sketch input;
//! * [`Sketch`], a distinct-count sketch with a point [`Estimate`] and 95 % bounds, an in-place
//!   union, and a serialized form (bytes, base64, serde).
//!
//! # Why Apache DataSketches
//!
//! [`Sketch`] wraps the HLL sketch of Apache DataSketches' Rust port. Its binary format is the
//! one the Java and C++ libraries read and write, so a Spark, Druid or Hive job using the
//! DataSketches HLL functions can deserialize and union the sketches from many inventories
//! without this tool; its error bounds are published and well studied. The sketch is also exact
//! while it is small: up to 1 536 distinct inputs (at the default precision) it stores one
//! 32-bit "coupon" per input (a 26-bit address and a 6-bit register value) instead of HLL
//! registers, so a file with 37 people reports 37, with bounds of 37.
//!
//! # Why the inputs are keyed
//!
//! A small sketch holds its coupons verbatim, and even HLL registers leak a little about their
//! inputs. If the inputs were plain hashes of ID numbers, anyone holding an inventory could hash
//! an ID number and test whether that person is in it. Every input is therefore a SipHash-1-3 of
//! the value under a random 128-bit [`SketchKey`] that is kept in a key file outside the
//! inventory. The inventory carries only [`SketchKey::id`], a public fingerprint that lets tools
//! check that two sketches were made with the same key before merging them: sketches made under
//! different keys count the same person twice.
//!
//! The keyed 64-bit hash is fed to DataSketches as its eight little-endian bytes, the same bytes
//! that Java's `HllSketch.update(long)` and C++'s `update(uint64_t)` hash, so a JVM job that holds
//! the key could add to a sketch as well.
//!
//! # Determinism
//!
//! A figure that decides whether a filing threshold is crossed must not change between two scans
//! of the same data, whatever the order in which threads saw the records. The estimate is
//! therefore always the one DataSketches' unions use, computed from the registers alone (its
//! "composite" estimator), never the insertion-order-dependent HIP estimator, which is about 20 %
//! tighter for a sketch fed from a single stream. For the same reason [`Sketch::to_bytes`] writes
//! a canonical image: merging the sketches of two parts gives the same bytes as sketching the
//! whole.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use datasketches::common::NumStdDev;
use datasketches::hash::value::raw_bytes;
use datasketches::hll::{HllSketch, HllType, HllUnion};
use siphasher::sip::SipHasher13;

/// Default precision: `2^14` registers, a relative standard error of about 0.8 % (1.6 % at the
/// 95 % bounds) for a 16 KiB sketch.
pub const DEFAULT_LG_K: u8 = 14;

/// Smallest accepted precision: with fewer registers the standard error exceeds 1.1 %, too coarse
/// for a figure that a threshold decision rests on.
pub const MIN_LG_K: u8 = 14;

/// Largest precision DataSketches supports (a 2 MiB sketch, about 0.07 % error).
pub const MAX_LG_K: u8 = 21;

/// The precision [`Sketch::new`] uses: [`DEFAULT_LG_K`] unless a scan asked for more with
/// `--precision` ([`set_default_lg_k`]). Process-wide because sketches are made deep inside every
/// reader, and a scan uses one precision throughout.
static SCAN_LG_K: AtomicU8 = AtomicU8::new(DEFAULT_LG_K);

/// Sets the precision of the sketches [`Sketch::new`] makes from now on; `lg_k` must be in
/// [`MIN_LG_K`]`..=`[`MAX_LG_K`]. At 21 a sketch counts exactly (coupon mode) up to 196 608
/// distinct inputs and to ±0.14 % (95 %) above, at up to 2 MiB per sketch instead of 16 KiB.
pub fn set_default_lg_k(lg_k: u8) -> Result<(), SketchError> {
    check_lg_k(lg_k)?;
    SCAN_LG_K.store(lg_k, Ordering::Relaxed);
    Ok(())
}

/// The precision [`Sketch::new`] uses.
pub fn default_lg_k() -> u8 {
    SCAN_LG_K.load(Ordering::Relaxed)
}

/// Length of a key in hex digits.
const KEY_HEX_LEN: usize = 32;

/// Input of the keyed hash behind [`SketchKey::id`]. The leading NUL keeps it apart from every
/// normalised subject key, which starts with a detector id.
const KEY_ID_LABEL: &[u8] = b"\0pipl-scan/sketch-key-id/v1";

/// Key files larger than this cannot be a key; reading stops here.
const MAX_KEY_FILE_LEN: u64 = 4096;

/// Bytes of an HLL image's header that say how the rest is laid out (DataSketches HLL format).
const PREAMBLE_MODE_BYTE: usize = 7;
const PREAMBLE_STATE_BYTE: usize = 6;
const LIST_PREAMBLE_LEN: usize = 8;
const SET_PREAMBLE_LEN: usize = 12;
const HLL_PREAMBLE_LEN: usize = 40;
const CUR_MODE_LIST: u8 = 0;
const CUR_MODE_SET: u8 = 1;
const CUR_MODE_HLL: u8 = 2;
const TGT_HLL4: u8 = 0;
const TGT_HLL8: u8 = 2;
/// Registers hold a leading-zero count plus one, at most 63; larger values cannot come from a
/// real sketch and DataSketches' arithmetic assumes they do not occur.
const MAX_REGISTER_VALUE: u8 = 63;

/// What went wrong with a key, a key file or a serialized sketch.
///
/// Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum SketchError {
    /// A key given as hex is malformed.
    #[error("invalid sketch key: {0}")]
    InvalidKey(String),
    /// A key file exists but does not hold a key.
    #[error("{}: invalid sketch key file: {message}", path.display())]
    InvalidKeyFile { path: PathBuf, message: String },
    /// A key file could not be read or created.
    #[error("{}: cannot {action} sketch key file: {message}", path.display())]
    KeyFileIo {
        path: PathBuf,
        action: &'static str,
        message: String,
    },
    /// The operating system's random number generator failed.
    #[error("cannot generate a sketch key: the system random number generator failed: {0}")]
    Random(String),
    /// A precision outside [`MIN_LG_K`]`..=`[`MAX_LG_K`].
    #[error("sketch precision lg_k must be between {MIN_LG_K} and {MAX_LG_K}, got {0}")]
    InvalidLgK(u8),
    /// Bytes that are not a DataSketches HLL sketch.
    #[error("not a valid DataSketches HLL sketch: {0}")]
    InvalidSketch(String),
    /// A sketch string that is not base64.
    #[error("sketch is not valid base64: {0}")]
    InvalidBase64(String),
}

/// 128-bit secret key for hashing sketch inputs, so an inventory never lets anyone test whether a
/// given ID number is in it.
///
/// `Debug` shows only the public [`id`](Self::id); the key itself leaves this type only through
/// [`to_hex`](Self::to_hex).
#[derive(Clone, PartialEq, Eq)]
pub struct SketchKey([u8; 16]);

/// What [`SketchKey::link_key`] hashes.
const LINK_KEY_LABEL: &[u8] = b"pipl-scan link key v1";

impl SketchKey {
    /// A fresh key from the operating system's random number generator.
    ///
    /// # Panics
    ///
    /// If the system generator fails, which on supported platforms means the system is broken;
    /// [`try_random`](Self::try_random) reports it instead.
    pub fn random() -> Self {
        match Self::try_random() {
            Ok(key) => key,
            Err(error) => panic!("{error}"),
        }
    }

    /// A fresh key from the operating system's random number generator, or why there is none.
    pub fn try_random() -> Result<Self, SketchError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|error| SketchError::Random(error.to_string()))?;
        Ok(Self(bytes))
    }

    /// Parses a key written by [`to_hex`](Self::to_hex): exactly 32 hex digits, either case.
    pub fn from_hex(s: &str) -> Result<Self, SketchError> {
        // The messages describe the input without quoting it: it may be a real key.
        if s.len() != KEY_HEX_LEN {
            return Err(SketchError::InvalidKey(format!(
                "expected {KEY_HEX_LEN} hex digits, got {} characters",
                s.chars().count()
            )));
        }
        let mut bytes = [0u8; 16];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| {
            SketchError::InvalidKey(format!(
                "expected {KEY_HEX_LEN} hex digits, found a character that is not one"
            ))
        })?;
        Ok(Self(bytes))
    }

    /// The key as 32 lower-case hex digits. This is the secret: it belongs in the key file only.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A public fingerprint (first 16 hex chars of a keyed hash of a fixed string, NOT the key)
    /// stored in inventories so tools can check two sketches were made with the same key before
    /// merging.
    ///
    /// SipHash is a pseudo-random function, so the fingerprint says nothing about the key or
    /// about the hash of any other input.
    pub fn id(&self) -> String {
        format!("{:016x}", self.hash(KEY_ID_LABEL))
    }

    /// Reads a key file (hex, trailing whitespace ok) or, if it does not exist, creates it with a
    /// random key, permissions 0600 on unix. Errors name the path.
    ///
    /// The file is created only if absent (never overwritten), so two scans starting at once
    /// agree on one key: the one that loses the race reads the winner's file. A missing parent
    /// directory is an error, not created here.
    pub fn load_or_create(path: &Path) -> Result<Self, SketchError> {
        Self::load_or_create_new(path).map(|(key, _)| key)
    }

    /// [`load_or_create`](Self::load_or_create), and whether this call created the file (a
    /// scan stopped before it wrote anything removes a key it created).
    pub fn load_or_create_new(path: &Path) -> Result<(Self, bool), SketchError> {
        match read_key_file(path) {
            Ok(key) => Ok((key, false)),
            Err(ReadKeyError::NotFound) => match create_key_file(path) {
                Ok(key) => Ok((key, true)),
                // Another process created the file since we looked: use its key.
                Err(CreateKeyError::Exists) => {
                    read_key_file(path)
                        .map(|k| (k, false))
                        .map_err(|error| match error {
                            ReadKeyError::NotFound => SketchError::KeyFileIo {
                                path: path.to_path_buf(),
                                action: "read",
                                message: "it disappeared while being created".to_string(),
                            },
                            ReadKeyError::Other(error) => error,
                        })
                }
                Err(CreateKeyError::Other(error)) => Err(error),
            },
            Err(ReadKeyError::Other(error)) => Err(error),
        }
    }

    /// Keyed 64-bit hash (SipHash-1-3 via siphasher with the key) of a normalised subject key.
    ///
    /// Feed the result to [`Sketch::insert_hash`]; hash once and insert into every sketch the
    /// value counts towards.
    #[inline]
    pub fn hash(&self, value: &[u8]) -> u64 {
        SipHasher13::new_with_key(&self.0).hash(value)
    }

    /// A hasher that has already taken in `prefix`: hashing `rest` with a clone of it gives
    /// [`hash`](Self::hash) of `prefix` followed by `rest`. For many values behind one prefix
    /// (`cn-mobile:` before every mobile number) the prefix is hashed once.
    pub fn prefixed(&self, prefix: &[u8]) -> SipHasher13 {
        use std::hash::Hasher as _;
        let mut h = SipHasher13::new_with_key(&self.0);
        h.write(prefix);
        h
    }

    /// The key of the second word of an identifier's 128-bit link hash ([`crate::link::Id`]):
    /// derived from this one (SipHash-1-3-128 of a fixed label), so one key file serves both.
    /// The first word is the sketch hash itself ([`hash`](Self::hash)), already computed for
    /// every finding; the second, under this independent key, makes two different
    /// identifiers share an id with probability about n²/2¹²⁹.
    pub fn link_key(&self) -> SketchKey {
        use siphasher::sip128::Hasher128 as _;
        use std::hash::Hasher as _;
        let mut h = siphasher::sip128::SipHasher13::new_with_key(&self.0);
        h.write(LINK_KEY_LABEL);
        SketchKey(h.finish128().as_bytes())
    }

    /// [`hash`](Self::hash) of the concatenation of `parts`, without building it: SipHash is a
    /// streaming hash, so the result is the same as hashing the joined bytes.
    pub fn hash_parts(&self, parts: &[&[u8]]) -> u64 {
        use std::hash::Hasher as _;
        let mut h = SipHasher13::new_with_key(&self.0);
        for p in parts {
            h.write(p);
        }
        h.finish()
    }
}

impl fmt::Debug for SketchKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SketchKey").field("id", &self.id()).finish()
    }
}

enum ReadKeyError {
    NotFound,
    Other(SketchError),
}

fn read_key_file(path: &Path) -> Result<SketchKey, ReadKeyError> {
    let io_error = |error: io::Error| {
        if error.kind() == io::ErrorKind::NotFound {
            ReadKeyError::NotFound
        } else {
            ReadKeyError::Other(SketchError::KeyFileIo {
                path: path.to_path_buf(),
                action: "read",
                message: error.to_string(),
            })
        }
    };
    let invalid = |message: String| {
        ReadKeyError::Other(SketchError::InvalidKeyFile {
            path: path.to_path_buf(),
            message,
        })
    };

    let file = fs::File::open(path).map_err(io_error)?;
    let mut contents = Vec::new();
    io::Read::read_to_end(
        &mut io::Read::take(file, MAX_KEY_FILE_LEN + 1),
        &mut contents,
    )
    .map_err(io_error)?;
    if contents.len() as u64 > MAX_KEY_FILE_LEN {
        return Err(invalid(format!(
            "larger than {MAX_KEY_FILE_LEN} bytes, expected {KEY_HEX_LEN} hex digits"
        )));
    }
    let text = std::str::from_utf8(&contents).map_err(|_| {
        invalid(format!(
            "expected {KEY_HEX_LEN} hex digits, found binary data"
        ))
    })?;
    let text = text.trim_end();
    if text.is_empty() {
        return Err(invalid(format!(
            "the file is empty, expected {KEY_HEX_LEN} hex digits"
        )));
    }
    SketchKey::from_hex(text).map_err(|error| match error {
        SketchError::InvalidKey(message) => invalid(message),
        other => ReadKeyError::Other(other),
    })
}

enum CreateKeyError {
    Exists,
    Other(SketchError),
}

fn create_key_file(path: &Path) -> Result<SketchKey, CreateKeyError> {
    let io_error = |error: io::Error| {
        CreateKeyError::Other(SketchError::KeyFileIo {
            path: path.to_path_buf(),
            action: "create",
            message: error.to_string(),
        })
    };

    let key = SketchKey::try_random().map_err(CreateKeyError::Other)?;

    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        // Created private, so the key is never readable by others, not even for a moment.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            return Err(CreateKeyError::Exists);
        }
        Err(error) => return Err(io_error(error)),
    };

    let written = (|| {
        #[cfg(unix)]
        {
            // The umask may have taken bits away from the mode above; 0600 is what is promised.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(format!("{}\n", key.to_hex()).as_bytes())?;
        file.sync_all()
    })();
    if let Err(error) = written {
        // Leave no half-written key behind: the next run would refuse it.
        drop(file);
        let _ = fs::remove_file(path);
        return Err(io_error(error));
    }
    Ok(key)
}

/// A distinct-count estimate with bounds at two standard deviations.
///
/// For sketches in HLL mode the bounds are the normal approximation at ±2 standard errors,
/// ≈ 95.4 % confidence. While the sketch still stores coupons (up to 1 536 distinct inputs at the
/// default precision) the count is exact unless two inputs share a coupon (under a 1 % chance
/// even at 1 536 inputs; DataSketches adds the expected number of such collisions back), and
/// DataSketches' bounds there are within ±0.01 %, so below 5 000 inputs they round onto the
/// estimate (larger precisions stay in coupon mode longer, up to 196 608 inputs at lg_k 21).
///
/// The bounds are the whole numbers inside DataSketches' real-valued interval (rounded inwards,
/// which loses no integer), widened if needed so that `low <= estimate <= high` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    /// The point estimate, rounded to the nearest whole number.
    pub estimate: u64,
    /// Lower bound, ≈ 95 % confidence.
    pub low: u64,
    /// Upper bound, ≈ 95 % confidence.
    pub high: u64,
}

/// A HyperLogLog sketch (DataSketches HLL, 8-bit registers) of keyed hashes.
///
/// Serializes (serde) as the base64 of [`to_bytes`](Self::to_bytes).
#[derive(Clone)]
pub struct Sketch {
    /// Kept as a union rather than a bare sketch so that merging a small sketch into a large one
    /// costs the small one's size: a scan merges one sketch per file into its totals. Its
    /// internal sketch ("gadget") always has 8-bit registers and is updated like a plain sketch.
    /// `None` until the first value: a scan keeps several sketches per file, most of files
    /// without personal data, and an empty one then costs a pointer instead of a union.
    union: Option<Box<HllUnion>>,
    lg_k: u8,
}

impl Sketch {
    /// An empty sketch with [`default_lg_k`] ([`DEFAULT_LG_K`] unless changed).
    pub fn new() -> Self {
        Self {
            union: None,
            lg_k: default_lg_k(),
        }
    }

    /// An empty sketch with `2^lg_k` registers; `lg_k` must be in
    /// [`MIN_LG_K`]`..=`[`MAX_LG_K`].
    pub fn with_lg_k(lg_k: u8) -> Result<Self, SketchError> {
        check_lg_k(lg_k)?;
        Ok(Self { union: None, lg_k })
    }

    /// The precision: the sketch has `2^lg_k` registers once it leaves coupon mode.
    pub fn lg_k(&self) -> u8 {
        self.lg_k
    }

    fn union_mut(&mut self) -> &mut HllUnion {
        let lg_k = self.lg_k;
        self.union.get_or_insert_with(|| Box::new(new_union(lg_k)))
    }

    /// Counts an already keyed hash (from [`SketchKey::hash`]).
    #[inline]
    pub fn insert_hash(&mut self, h: u64) {
        self.union_mut()
            .update_value(raw_bytes::from_slice(&h.to_le_bytes()));
    }

    /// Counts `value` hashed with `key`; [`insert_hash`](Self::insert_hash) avoids hashing twice
    /// when one value goes into several sketches.
    #[inline]
    pub fn insert(&mut self, key: &SketchKey, value: &[u8]) {
        self.insert_hash(key.hash(value));
    }

    /// Makes this sketch the sketch of the union of both inputs.
    ///
    /// Merging sketches of different precision gives the smaller precision, as every union of
    /// HLL sketches must. The caller checks that both were made with the same [`SketchKey`].
    pub fn merge(&mut self, other: &Sketch) {
        if other.is_empty() && other.lg_k() >= self.lg_k() {
            return;
        }
        let other_sketch = other.to_sketch();
        if other.lg_k() >= self.lg_k() {
            // A larger other is downsampled by the union; its coupons, if it has no registers
            // yet, fit any precision.
            self.union_mut().update(&other_sketch);
        } else {
            // Adding coupons to this union would keep its larger precision: start from the
            // smaller one instead.
            let mut union = new_union(other.lg_k());
            union.update(&self.to_sketch());
            union.update(&other_sketch);
            self.union = Some(Box::new(union));
            self.lg_k = other.lg_k();
        }
    }

    /// Whether nothing has been counted.
    pub fn is_empty(&self) -> bool {
        self.union.as_ref().is_none_or(|u| u.is_empty())
    }

    /// The current contents as a plain sketch.
    fn to_sketch(&self) -> HllSketch {
        match &self.union {
            Some(u) => u.to_sketch(HllType::Hll8),
            None => new_union(self.lg_k).to_sketch(HllType::Hll8),
        }
    }

    /// The distinct count, with 95 % bounds; see [`Estimate`].
    pub fn estimate(&self) -> Estimate {
        let sketch = self.canonical();
        to_estimate(
            sketch.estimate(),
            sketch.lower_bound(NumStdDev::Two),
            sketch.upper_bound(NumStdDev::Two),
        )
    }

    /// The DataSketches HLL image (8-bit registers), readable by the Java and C++ libraries.
    ///
    /// The image depends only on what was counted and the precision, not on insertion or merge
    /// order: coupons are written sorted, and a register image is written as a union result
    /// (out-of-order flag set, no HIP accumulator).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.canonical().serialize();
        sort_coupons(&mut bytes);
        bytes
    }

    /// Reads a DataSketches HLL image of any register width (Java's default is 4-bit), as long
    /// as its precision is in [`MIN_LG_K`]`..=`[`MAX_LG_K`].
    pub fn from_bytes(b: &[u8]) -> Result<Self, SketchError> {
        let sketch = HllSketch::deserialize(b)
            .map_err(|error| SketchError::InvalidSketch(error.to_string()))?;
        let lg_k = sketch.lg_config_k();
        check_lg_k(lg_k)?;
        check_register_values(b, lg_k)?;
        let mut union = new_union(lg_k);
        // Copies the registers and recomputes the summaries the header claims.
        union.update(&sketch);
        Ok(Self {
            union: Some(Box::new(union)),
            lg_k,
        })
    }

    /// [`to_bytes`](Self::to_bytes) as standard base64 with padding.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.to_bytes())
    }

    /// Reads what [`to_base64`](Self::to_base64) wrote.
    pub fn from_base64(s: &str) -> Result<Self, SketchError> {
        let bytes = BASE64
            .decode(s)
            .map_err(|error| SketchError::InvalidBase64(error.to_string()))?;
        Self::from_bytes(&bytes)
    }

    /// The sketch in a form that depends only on its contents: in HLL mode, a union result,
    /// whose estimate comes from the registers alone.
    fn canonical(&self) -> HllSketch {
        let Some(union) = &self.union else {
            return self.to_sketch();
        };
        let sketch = union.to_sketch(HllType::Hll8);
        let mut union = union.as_ref().clone();
        // Merging a sketch into itself changes no register or coupon, but in HLL mode it marks
        // the history as out of order, which switches DataSketches to the composite estimator.
        union.update(&sketch);
        union.to_sketch(HllType::Hll8)
    }
}

impl Default for Sketch {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Sketch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sketch")
            .field("lg_k", &self.lg_k())
            .field("estimate", &self.estimate())
            .finish()
    }
}

impl serde::Serialize for Sketch {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> serde::Deserialize<'de> for Sketch {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Sketch::from_base64(&s).map_err(serde::de::Error::custom)
    }
}

fn check_lg_k(lg_k: u8) -> Result<(), SketchError> {
    if (MIN_LG_K..=MAX_LG_K).contains(&lg_k) {
        Ok(())
    } else {
        Err(SketchError::InvalidLgK(lg_k))
    }
}

/// A union for a precision already checked by [`check_lg_k`].
fn new_union(lg_k: u8) -> HllUnion {
    match HllUnion::new(lg_k) {
        Ok(union) => union,
        Err(error) => unreachable!("lg_k {lg_k} was checked against 14..=21: {error}"),
    }
}

/// Rejects register images whose values no sketch can produce: DataSketches shifts by them.
fn check_register_values(b: &[u8], lg_k: u8) -> Result<(), SketchError> {
    let Some(&mode) = b.get(PREAMBLE_MODE_BYTE) else {
        return Ok(());
    };
    if mode & 0x3 != CUR_MODE_HLL {
        // Coupons carry six-bit values.
        return Ok(());
    }
    let out_of_range = |what: &str| {
        SketchError::InvalidSketch(format!(
            "{what} exceeds the largest register value {MAX_REGISTER_VALUE}"
        ))
    };
    let target = (mode >> 2) & 0x3;
    if target == TGT_HLL8 {
        let registers = b
            .get(HLL_PREAMBLE_LEN..HLL_PREAMBLE_LEN + (1usize << lg_k))
            .unwrap_or(&[]);
        if registers.iter().any(|&v| v > MAX_REGISTER_VALUE) {
            return Err(out_of_range("a register"));
        }
    } else if target == TGT_HLL4
        // Four-bit registers are offsets from this minimum; six-bit ones cannot exceed 63.
        && b.get(PREAMBLE_STATE_BYTE)
            .is_some_and(|&cur_min| cur_min > MAX_REGISTER_VALUE)
    {
        return Err(out_of_range("the register minimum"));
    }
    Ok(())
}

/// Sorts the coupons of a LIST or SET image, whose order is the insertion order or hash-table
/// layout and says nothing; readers accept any order. Register images are left alone.
fn sort_coupons(bytes: &mut [u8]) {
    let Some(&mode) = bytes.get(PREAMBLE_MODE_BYTE) else {
        return;
    };
    let start = match mode & 0x3 {
        CUR_MODE_LIST => LIST_PREAMBLE_LEN,
        CUR_MODE_SET => SET_PREAMBLE_LEN,
        _ => return,
    };
    let Some(payload) = bytes.get_mut(start..) else {
        return;
    };
    if payload.len() % 4 != 0 {
        return;
    }
    let mut coupons: Vec<u32> = payload
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    coupons.sort_unstable();
    for (chunk, coupon) in payload.chunks_exact_mut(4).zip(coupons) {
        chunk.copy_from_slice(&coupon.to_le_bytes());
    }
}

fn to_estimate(estimate: f64, low: f64, high: f64) -> Estimate {
    // `as` saturates, and a NaN (which a valid sketch never yields) becomes 0.
    let estimate = estimate.max(0.0).round() as u64;
    let low = (low.max(0.0).ceil() as u64).min(estimate);
    let high = (high.max(0.0).floor() as u64).max(estimate);
    Estimate {
        estimate,
        low,
        high,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_key() -> SketchKey {
        SketchKey::from_hex("000102030405060708090a0b0c0d0e0f").expect("valid test key")
    }

    /// The sketch of subject keys `prefix:i` for `i` in `range`.
    fn sketch_of(key: &SketchKey, range: std::ops::Range<u64>) -> Sketch {
        let mut sketch = Sketch::new();
        insert_range(&mut sketch, key, range);
        sketch
    }

    fn insert_range(sketch: &mut Sketch, key: &SketchKey, range: std::ops::Range<u64>) {
        let mut buf = String::new();
        for i in range {
            buf.clear();
            fmt::Write::write_fmt(&mut buf, format_args!("cn-mobile:{i}")).expect("write");
            sketch.insert(key, buf.as_bytes());
        }
    }

    fn exact(n: u64) -> Estimate {
        Estimate {
            estimate: n,
            low: n,
            high: n,
        }
    }

    #[test]
    fn hash_parts_equals_hash_of_the_joined_bytes() {
        let key = SketchKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        assert_eq!(
            key.hash_parts(&[b"cn-mobile", b":", b"13812345678"]),
            key.hash(b"cn-mobile:13812345678")
        );
        assert_eq!(key.hash_parts(&[]), key.hash(b""));
        for prefix in [
            &b""[..],
            b"email:",
            b"cn-resident-id:",
            b"a-prefix-longer-than-16-bytes:",
        ] {
            let mut h = key.prefixed(prefix);
            std::hash::Hasher::write(&mut h, b"13812345678");
            let joined = [prefix, &b"13812345678"[..]].concat();
            assert_eq!(std::hash::Hasher::finish(&h), key.hash(&joined));
        }
    }

    #[test]
    fn small_counts_are_exact() {
        let key = test_key();
        assert_eq!(Sketch::new().estimate(), exact(0));
        for n in [1, 2, 37, 1000, 1536] {
            assert_eq!(sketch_of(&key, 0..n).estimate(), exact(n), "n = {n}");
        }
    }

    #[test]
    fn duplicates_count_once() {
        let key = test_key();
        let mut sketch = sketch_of(&key, 0..37);
        insert_range(&mut sketch, &key, 0..37);
        assert_eq!(sketch.estimate(), exact(37));
    }

    #[test]
    fn large_counts_are_within_two_percent() {
        // The standard error is about 0.8 %, so 2 % is a 2.5-sigma margin.
        let key = test_key();
        for n in [1_000u64, 100_000, 1_000_000] {
            let e = sketch_of(&key, 0..n).estimate();
            let error = (e.estimate as f64 - n as f64).abs() / n as f64;
            assert!(error < 0.02, "n = {n}: {e:?}, error {error}");
            assert!(e.low <= e.estimate && e.estimate <= e.high, "{e:?}");
        }
    }

    #[test]
    fn bounds_contain_the_truth_about_95_percent_of_the_time() {
        // One key is one draw: with this test's key the 10^5 estimate is 1.7 % high, just
        // outside its bounds, as one sketch in twenty or so will be. So count over many keys.
        let keys = (0u8..20).map(|i| SketchKey([i; 16]));
        let mut covered = 0;
        for key in keys {
            let e = sketch_of(&key, 0..100_000).estimate();
            if e.low <= 100_000 && 100_000 <= e.high {
                covered += 1;
            }
        }
        assert!(covered >= 17, "{covered} of 20");
        for n in [1_000u64, 1_000_000] {
            let e = sketch_of(&test_key(), 0..n).estimate();
            assert!(e.low <= n && n <= e.high, "n = {n}: {e:?}");
        }
    }

    #[test]
    fn bounds_are_about_two_standard_errors() {
        let e = sketch_of(&test_key(), 0..100_000).estimate();
        // Composite estimator: RSE 1.039 / sqrt(2^14) ≈ 0.81 %; two of them ≈ 1.6 %.
        let width = (e.high - e.low) as f64 / e.estimate as f64;
        assert!((0.030..0.036).contains(&width), "{e:?}, width {width}");
    }

    #[test]
    fn estimate_does_not_depend_on_insertion_order() {
        let key = test_key();
        for n in [37u64, 1000, 50_000] {
            let forward = sketch_of(&key, 0..n);
            let mut backward = Sketch::new();
            let mut buf = String::new();
            for i in (0..n).rev() {
                buf.clear();
                fmt::Write::write_fmt(&mut buf, format_args!("cn-mobile:{i}")).expect("write");
                backward.insert(&key, buf.as_bytes());
            }
            assert_eq!(forward.estimate(), backward.estimate(), "n = {n}");
            assert_eq!(forward.to_bytes(), backward.to_bytes(), "n = {n}");
        }
    }

    /// Merging the sketches of `a` and `b` gives exactly the sketch of `a ∪ b`.
    fn check_merge(a: std::ops::Range<u64>, b: std::ops::Range<u64>) {
        let key = test_key();
        let whole = sketch_of(&key, a.start.min(b.start)..a.end.max(b.end));
        let sa = sketch_of(&key, a.clone());
        let sb = sketch_of(&key, b.clone());

        let mut ab = sa.clone();
        ab.merge(&sb);
        let mut ba = sb.clone();
        ba.merge(&sa);
        for merged in [&ab, &ba] {
            assert_eq!(merged.estimate(), whole.estimate(), "{a:?} ∪ {b:?}");
            assert_eq!(merged.to_bytes(), whole.to_bytes(), "{a:?} ∪ {b:?}");
            assert_eq!(merged.lg_k(), DEFAULT_LG_K);
        }
    }

    #[test]
    fn merge_equals_the_sketch_of_the_union() {
        // Ranges whose union is contiguous: overlapping, disjoint and nested, across coupon
        // mode (< 1536), the switch to registers, and register mode.
        check_merge(0..20, 10..37);
        check_merge(0..20, 20..37);
        check_merge(0..1000, 500..1400);
        check_merge(0..1000, 1000..2000);
        check_merge(0..10, 10..100_000);
        check_merge(0..60_000, 40_000..100_000);
        check_merge(0..50_000, 50_000..100_000);
        check_merge(0..100_000, 1000..2000);
    }

    #[test]
    fn merge_with_empty_changes_nothing() {
        let key = test_key();
        for n in [0u64, 37, 100_000] {
            let sketch = sketch_of(&key, 0..n);
            let mut merged = sketch.clone();
            merged.merge(&Sketch::new());
            assert_eq!(merged.to_bytes(), sketch.to_bytes());
            let mut merged = Sketch::new();
            merged.merge(&sketch);
            assert_eq!(merged.to_bytes(), sketch.to_bytes());
            assert_eq!(merged.is_empty(), n == 0);
        }
    }

    #[test]
    fn merging_different_precisions_gives_the_smaller() {
        let key = test_key();
        for (na, nb) in [
            (37u64, 37u64),
            (37, 100_000),
            (100_000, 37),
            (100_000, 100_000),
        ] {
            let mut fine = Sketch::with_lg_k(16).expect("lg_k 16");
            insert_range(&mut fine, &key, 0..na);
            let coarse = sketch_of(&key, 50..50 + nb);
            // |[0, na) ∪ [50, 50 + nb)|
            let truth = (na + nb - na.saturating_sub(50).min(nb)) as f64;

            let mut a = fine.clone();
            a.merge(&coarse);
            let mut b = coarse.clone();
            b.merge(&fine);
            for merged in [&a, &b] {
                assert_eq!(merged.lg_k(), DEFAULT_LG_K, "{na}, {nb}");
                let e = merged.estimate();
                assert!(
                    (e.estimate as f64 - truth).abs() / truth < 0.02,
                    "{e:?} vs {truth}"
                );
            }
            assert_eq!(a.to_bytes(), b.to_bytes());
        }
        let mut empty_fine = Sketch::with_lg_k(21).expect("lg_k 21");
        empty_fine.merge(&Sketch::new());
        assert_eq!(empty_fine.lg_k(), DEFAULT_LG_K);
    }

    #[test]
    fn bytes_and_base64_round_trip() {
        let key = test_key();
        for n in [0u64, 1, 37, 1000, 100_000] {
            let sketch = sketch_of(&key, 0..n);
            let bytes = sketch.to_bytes();
            let back = Sketch::from_bytes(&bytes).expect("own bytes");
            assert_eq!(back.to_bytes(), bytes, "n = {n}");
            assert_eq!(back.estimate(), sketch.estimate());
            assert_eq!(back.lg_k(), sketch.lg_k());

            let text = sketch.to_base64();
            let back = Sketch::from_base64(&text).expect("own base64");
            assert_eq!(back.to_base64(), text);

            let json = serde_json::to_string(&sketch).expect("serialize");
            assert_eq!(json, format!("\"{text}\""));
            let back: Sketch = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back.to_bytes(), bytes);
        }
        let e = sketch_of(&key, 0..37).estimate();
        let json = serde_json::to_string(&e).expect("serialize");
        assert_eq!(json, r#"{"estimate":37,"low":37,"high":37}"#);
    }

    #[test]
    fn a_round_tripped_sketch_keeps_counting() {
        let key = test_key();
        for (n, more) in [(5u64, 30u64), (1000, 1000), (60_000, 40_000)] {
            let mut back = Sketch::from_bytes(&sketch_of(&key, 0..n).to_bytes()).expect("bytes");
            insert_range(&mut back, &key, n..n + more);
            assert_eq!(back.to_bytes(), sketch_of(&key, 0..n + more).to_bytes());
        }
    }

    #[test]
    fn reads_other_register_widths() {
        // Java writes 4-bit registers by default; the estimate must not depend on the width.
        let key = test_key();
        for n in [37u64, 100_000] {
            let ours = sketch_of(&key, 0..n);
            for hll_type in [HllType::Hll4, HllType::Hll6] {
                let mut theirs = HllSketch::new(DEFAULT_LG_K, hll_type).expect("lg_k");
                let mut buf = String::new();
                for i in 0..n {
                    buf.clear();
                    fmt::Write::write_fmt(&mut buf, format_args!("cn-mobile:{i}")).expect("write");
                    theirs.update(raw_bytes::from_slice(
                        &key.hash(buf.as_bytes()).to_le_bytes(),
                    ));
                }
                let read = Sketch::from_bytes(&theirs.serialize()).expect("foreign sketch");
                assert_eq!(read.to_bytes(), ours.to_bytes(), "n = {n}, {hll_type:?}");
            }
        }
    }

    #[test]
    fn rejects_what_is_not_a_sketch() {
        assert!(matches!(
            Sketch::from_bytes(b""),
            Err(SketchError::InvalidSketch(_))
        ));
        assert!(matches!(
            Sketch::from_bytes(b"pipl-scan"),
            Err(SketchError::InvalidSketch(_))
        ));
        assert!(matches!(
            Sketch::from_base64("not base64!"),
            Err(SketchError::InvalidBase64(_))
        ));
        assert!(serde_json::from_str::<Sketch>("\"AAAA\"").is_err());
        assert!(serde_json::from_str::<Sketch>("42").is_err());

        let mut coarse = HllSketch::new(12, HllType::Hll8).expect("lg_k 12");
        coarse.update(1u64);
        let error = Sketch::from_bytes(&coarse.serialize()).expect_err("lg_k 12");
        assert!(matches!(error, SketchError::InvalidLgK(12)), "{error}");
        assert!(error.to_string().contains("between 14 and 21"), "{error}");

        let mut bytes = sketch_of(&test_key(), 0..100_000).to_bytes();
        bytes[HLL_PREAMBLE_LEN + 5] = 64;
        assert!(matches!(
            Sketch::from_bytes(&bytes),
            Err(SketchError::InvalidSketch(_))
        ));

        // DataSketches itself accepts this 4-bit image, then overflows adding to its minimum.
        let mut hll4 = HllSketch::new(DEFAULT_LG_K, HllType::Hll4).expect("lg_k");
        for i in 0..100_000u64 {
            hll4.update(i);
        }
        let mut bytes = hll4.serialize();
        bytes[PREAMBLE_STATE_BYTE] = 250;
        assert!(matches!(
            Sketch::from_bytes(&bytes),
            Err(SketchError::InvalidSketch(_))
        ));
    }

    #[test]
    fn corrupted_images_never_panic() {
        // A simple xorshift stream; the point is coverage, not randomness quality.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let key = test_key();
        let mut images = Vec::new();
        for n in [1u64, 8, 37, 1000, 100_000] {
            images.push(sketch_of(&key, 0..n).to_bytes());
        }
        let mut hll4 = HllSketch::new(DEFAULT_LG_K, HllType::Hll4).expect("lg_k");
        for i in 0..100_000u64 {
            hll4.update(i);
        }
        images.push(hll4.serialize());

        for image in &images {
            for round in 0..300 {
                let mut bytes = image.clone();
                match round % 3 {
                    0 => {
                        // Header bytes are where the layout is decided.
                        let i = (next() % 48) as usize % bytes.len();
                        bytes[i] = next() as u8;
                    }
                    1 => {
                        let i = (next() as usize) % bytes.len();
                        bytes[i] = next() as u8;
                    }
                    _ => bytes.truncate((next() as usize) % bytes.len()),
                }
                if let Ok(sketch) = Sketch::from_bytes(&bytes) {
                    let mut sketch = sketch;
                    let e = sketch.estimate();
                    assert!(e.low <= e.estimate && e.estimate <= e.high);
                    sketch.insert_hash(next());
                    sketch.merge(&Sketch::from_bytes(image).expect("valid image"));
                    let _ = Sketch::from_bytes(&sketch.to_bytes()).expect("own bytes");
                }
            }
        }
    }

    #[test]
    fn precision_is_checked() {
        assert!(matches!(
            Sketch::with_lg_k(13),
            Err(SketchError::InvalidLgK(13))
        ));
        assert!(matches!(
            Sketch::with_lg_k(22),
            Err(SketchError::InvalidLgK(22))
        ));
        assert_eq!(Sketch::with_lg_k(14).expect("14").lg_k(), 14);
        assert_eq!(Sketch::with_lg_k(21).expect("21").lg_k(), 21);
        assert_eq!(Sketch::new().lg_k(), DEFAULT_LG_K);
        assert_eq!(Sketch::default().lg_k(), DEFAULT_LG_K);
    }

    #[test]
    fn integer_bounds_keep_every_integer_and_the_estimate() {
        assert_eq!(to_estimate(37.000_01, 37.0, 37.003), exact(37));
        assert_eq!(
            to_estimate(100.4, 98.2, 102.7),
            Estimate {
                estimate: 100,
                low: 99,
                high: 102
            }
        );
        // Never inverted, even for a narrow interval between two integers.
        assert_eq!(to_estimate(37.3, 37.2, 37.4), exact(37));
        assert_eq!(to_estimate(f64::NAN, f64::NAN, f64::NAN), exact(0));
    }

    #[test]
    fn keys_hash_differently() {
        let a = test_key();
        let b = SketchKey::from_hex("0f0e0d0c0b0a09080706050403020100").expect("valid");
        let value = b"cn-resident-id:11010519491231002X";
        assert_eq!(a.hash(value), a.hash(value));
        assert_ne!(a.hash(value), b.hash(value));
        assert_ne!(a.hash(value), a.hash(b"cn-resident-id:110105194912310021"));
        assert_ne!(
            SketchKey::random().hash(value),
            SketchKey::random().hash(value)
        );
        // Pinned: existing inventories are only mergeable if these never change.
        assert_eq!(a.hash(value), PINNED_HASH, "{:#x}", a.hash(value));
        assert_eq!(a.id(), PINNED_ID, "{}", a.id());
    }

    const PINNED_HASH: u64 = 0x51bd_83da_9e03_a339;
    const PINNED_ID: &str = "515d6a8e5dffb137";

    #[test]
    fn key_hex_round_trip_and_errors() {
        let key = SketchKey::random();
        let hex = key.to_hex();
        assert_eq!(hex.len(), 32);
        assert_eq!(SketchKey::from_hex(&hex).expect("own hex"), key);
        assert_eq!(
            SketchKey::from_hex(&hex.to_uppercase()).expect("upper case"),
            key
        );
        for bad in [
            "",
            "00",
            &hex[..31],
            &format!("{hex}0"),
            &format!("{}g", &hex[..31]),
        ] {
            let error = SketchKey::from_hex(bad).expect_err(bad);
            assert!(matches!(error, SketchError::InvalidKey(_)), "{error}");
        }
        let error = SketchKey::from_hex(&format!("{}g", &hex[..31])).expect_err("g");
        assert!(!error.to_string().contains(&hex[..31]), "{error}");
    }

    #[test]
    fn id_is_a_fingerprint_not_the_key() {
        let key = SketchKey::random();
        let id = key.id();
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(id, key.clone().id());
        assert!(!key.to_hex().contains(&id));
        assert_ne!(id, SketchKey::random().id());
    }

    #[test]
    fn debug_does_not_reveal_the_key() {
        let key = test_key();
        let debug = format!("{key:?} {:#?}", key);
        assert!(!debug.contains(&key.to_hex()), "{debug}");
        assert!(!debug.contains("0001020304"), "{debug}");
        assert!(debug.contains(&key.id()), "{debug}");
    }

    #[test]
    fn load_or_create_creates_then_rereads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sketch.key");
        let created = SketchKey::load_or_create(&path).expect("create");
        let contents = fs::read_to_string(&path).expect("key file");
        assert_eq!(contents, format!("{}\n", created.to_hex()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let reread = SketchKey::load_or_create(&path).expect("reread");
        assert_eq!(reread, created);

        // Hand-written files: upper case, trailing whitespace.
        let key = test_key();
        fs::write(&path, format!("{}  \r\n\n", key.to_hex().to_uppercase())).expect("write");
        assert_eq!(SketchKey::load_or_create(&path).expect("read"), key);
    }

    #[test]
    fn key_file_errors_name_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sketch.key");
        for contents in [&b""[..], b"\n", b"0123", b"\xff\xfe", &[b'a'; 5000]] {
            fs::write(&path, contents).expect("write");
            let error = SketchKey::load_or_create(&path).expect_err("invalid");
            assert!(
                matches!(error, SketchError::InvalidKeyFile { .. }),
                "{error}"
            );
            assert!(
                error.to_string().contains(&path.display().to_string()),
                "{error}"
            );
        }
        // The invalid file is left alone, not replaced by a new key.
        assert_eq!(fs::read(&path).expect("read").len(), 5000);

        let missing_dir = dir.path().join("no-such-dir").join("sketch.key");
        let error = SketchKey::load_or_create(&missing_dir).expect_err("no parent");
        assert!(matches!(error, SketchError::KeyFileIo { .. }), "{error}");
        assert!(
            error
                .to_string()
                .contains(&missing_dir.display().to_string()),
            "{error}"
        );
    }
}
