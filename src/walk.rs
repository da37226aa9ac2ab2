//! Finding the files under the scan roots.
//!
//! This module owns the answer to "which paths does a scan look at, and what happens to the ones
//! it must not read". It turns the roots and the `--include` / `--exclude` / `--follow-links` /
//! `--max-file-size` flags into a lazy stream of [`Entry`] values; everything downstream (the
//! readers, the inventory's `files_skipped` and `errors[]`) trusts that stream. The policy:
//!
//! * **Nothing is opened here.** The walk only reads directories and file metadata, so a file's
//!   fate is decided before a reader touches it.
//! * **FIFOs, sockets and devices are never opened**, not even by a reader later: opening a FIFO
//!   with no writer blocks forever, a character device may never end (`/dev/zero`) or wait for a
//!   terminal, a block device is a whole disk rather than a file. They are reported as
//!   [`Entry::Skipped`] so the inventory still says they were seen and why they were not read.
//! * **Symbolic links are not followed by default**: following them can leave the roots the user
//!   named, count the same data twice, or loop. A link is recorded as skipped; with
//!   `--follow-links` it is followed, and loops or dangling links become [`Entry::Error`]s.
//! * **A problem with one path never stops the walk.** A missing root, an unreadable directory or
//!   a link loop is an [`Entry::Error`] (it goes to `scan.errors`) and the walk goes on, because a
//!   nightly inventory with one error is far more useful than no inventory.
//! * **Globs decide scope, not skipping.** A path excluded by `--exclude` or not matched by
//!   `--include` produces no entry at all: the user said it is not part of the data set.
//! * **The order is deterministic** (entries sorted by file name), so two runs over the same tree
//!   list the same files in the same order, and reports diff cleanly.
//! * **The stream is lazy**: a tree with millions of files is never held in memory; the caller
//!   feeds the iterator to rayon with `par_bridge`.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

/// What to walk and how; filled from the command line.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Files or directories to scan. A root named explicitly is always walked, even if its own
    /// name would match a glob, and a root that is a symbolic link is followed: the user asked for
    /// that path by name.
    pub roots: Vec<PathBuf>,
    /// Globs; when non-empty only files matching one are scanned. Directories are always
    /// descended (unless excluded), since a matching file may be anywhere below them.
    pub include: Vec<String>,
    /// Globs; matching files are not scanned, matching directories are pruned (not descended).
    pub exclude: Vec<String>,
    /// Follow symbolic links below the roots. Off by default: see the module documentation.
    pub follow_links: bool,
    /// Regular files larger than this many bytes are skipped, not read.
    pub max_file_size: Option<u64>,
    /// Only the entries of this shard (`--shard K/N`): a partition of the paths by a stable
    /// hash, the same on every machine (see [`Shard`]).
    pub shard: Option<Shard>,
    /// Walk the paths of this list (`--files-from`) instead of `roots`.
    pub files_from: Option<FileList>,
    /// Folders never descended, as canonical paths: the scan's own output folder.
    pub skip_dirs: Vec<PathBuf>,
}

/// `--shard K/N`: the entries whose [`shard_key`] hashes to `index` of `count` shards.
///
/// The hash is the first 8 bytes of the SHA-256 of the key, as a big-endian integer, modulo
/// `count`: a standard function any script reproduces (`int.from_bytes(hashlib.sha256(key)
/// .digest()[:8], "big") % n` in Python), so every machine of a job and any tool that lists
/// the files itself partition them alike. Shards count from 0, as Kubernetes'
/// `JOB_COMPLETION_INDEX` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Whether the entry with this [`shard_key`] belongs to the shard.
    pub fn holds(&self, key: &[u8]) -> bool {
        shard_of(key, self.count) == self.index
    }
}

/// The shard of `count` that a path with this [`shard_key`] falls in.
pub fn shard_of(key: &[u8], count: u64) -> u64 {
    use sha2::Digest as _;
    let d = sha2::Sha256::digest(key);
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    u64::from_be_bytes(first) % count.max(1)
}

/// The bytes a path is sharded by: its path relative to its root (the file name for a root
/// that is a file; for `--files-from`, the path as listed), components joined by `/` so that
/// the same tree gives the same keys on every system.
pub fn shard_key(root: &Path, path: &Path) -> Vec<u8> {
    let mut rel = path.strip_prefix(root).unwrap_or(path);
    if rel.as_os_str().is_empty() {
        rel = path.file_name().map_or(path, Path::new);
    }
    let mut out = Vec::new();
    for c in rel.components() {
        if !out.is_empty() && out.last() != Some(&b'/') {
            out.push(b'/');
        }
        match c {
            std::path::Component::RootDir => out.push(b'/'),
            c => out.extend_from_slice(c.as_os_str().as_encoded_bytes()),
        }
    }
    out
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad =
            |why: &str| format!("`{s}` is not a shard: {why} (example: 0/4, the first of four)");
        let (k, n) = s.split_once('/').ok_or_else(|| bad("write it K/N"))?;
        let k: u64 = k
            .trim()
            .parse()
            .map_err(|_| bad("K is not a whole number"))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| bad("N is not a whole number"))?;
        if n == 0 {
            return Err(bad("N, the number of shards, must be at least 1"));
        }
        if k >= n {
            return Err(bad(&format!(
                "K must be below N: the shards of {n} are numbered 0 to {}",
                n - 1
            )));
        }
        Ok(Shard { index: k, count: n })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `--files-from`: where the list of paths comes from and how it is separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileList {
    /// The list file; `None` for standard input (`-`).
    pub file: Option<PathBuf>,
    /// Paths separated by NUL bytes (`--null`, as `find -print0` writes) rather than lines.
    pub null: bool,
}

impl FileList {
    /// How the list is named in messages and in the inventory's roots.
    pub fn name(&self) -> String {
        match &self.file {
            Some(p) => p.display().to_string(),
            None => "-".to_string(),
        }
    }

    /// The listed paths, read lazily (a list of millions of paths is never held in memory);
    /// empty lines are ignored. A list that cannot be read yields one error and ends.
    fn paths(&self) -> Box<dyn Iterator<Item = Result<PathBuf, Entry>> + Send> {
        let name = self.name();
        let reader: Box<dyn io::BufRead + Send> = match &self.file {
            None => Box::new(io::BufReader::new(io::stdin())),
            Some(p) => match fs::File::open(p) {
                Ok(f) => Box::new(io::BufReader::new(f)),
                Err(e) => {
                    return Box::new(std::iter::once(Err(Entry::Error {
                        path: p.clone(),
                        message: format!("cannot read the --files-from list `{name}`: {e}"),
                    })));
                }
            },
        };
        let sep = if self.null { 0 } else { b'\n' };
        let mut reader = Some(reader);
        Box::new(std::iter::from_fn(move || {
            loop {
                let r = reader.as_mut()?;
                let mut line = Vec::new();
                match r.read_until(sep, &mut line) {
                    Ok(0) => return None,
                    Ok(_) => {
                        if line.last() == Some(&sep) {
                            line.pop();
                        }
                        if sep == b'\n' && line.last() == Some(&b'\r') {
                            line.pop();
                        }
                        if line.is_empty() {
                            continue;
                        }
                        return Some(Ok(path_from_bytes(line)));
                    }
                    Err(e) => {
                        reader = None;
                        return Some(Err(Entry::Error {
                            path: PathBuf::from(&name),
                            message: format!("reading the --files-from list `{name}`: {e}"),
                        }));
                    }
                }
            }
        }))
    }
}

#[cfg(unix)]
fn path_from_bytes(b: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(OsString::from_vec(b))
}

#[cfg(not(unix))]
fn path_from_bytes(b: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&b).into_owned())
}

/// One path found by the walk.
#[derive(Debug)]
pub enum Entry {
    /// A regular file to read. `size` is from the walk's metadata and may be stale by the time
    /// the file is read; readers must not rely on it for bounds.
    File { path: PathBuf, size: u64 },
    /// Seen but deliberately not read; recorded in the inventory with the reason.
    Skipped { path: PathBuf, reason: SkipReason },
    /// Could not be examined; recorded in `scan.errors`. The walk goes on after it.
    Error { path: PathBuf, message: String },
}

impl Entry {
    /// The path this entry is about, whatever its kind.
    pub fn path(&self) -> &Path {
        match self {
            Entry::File { path, .. } | Entry::Skipped { path, .. } | Entry::Error { path, .. } => {
                path
            }
        }
    }
}

/// Why a path was seen but not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A regular file above `--max-file-size`.
    TooLarge { size: u64, limit: u64 },
    /// A symbolic link, not followed because `--follow-links` was not given.
    Symlink,
    /// A FIFO (named pipe): opening it can block forever.
    Fifo,
    /// A Unix domain socket: it cannot be opened as a file and has no content to scan.
    Socket,
    /// A block device: a whole disk or partition, not a file.
    BlockDevice,
    /// A character device: may never end (`/dev/zero`) or block (a terminal).
    CharDevice,
}

impl SkipReason {
    /// A stable, machine-readable name for the reason (for JSON / CSV reports), unlike the
    /// [`Display`](fmt::Display) text which is meant for people and may be reworded.
    pub fn kind(&self) -> &'static str {
        match self {
            SkipReason::TooLarge { .. } => "too-large",
            SkipReason::Symlink => "symlink",
            SkipReason::Fifo => "fifo",
            SkipReason::Socket => "socket",
            SkipReason::BlockDevice => "block-device",
            SkipReason::CharDevice => "char-device",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::TooLarge { size, limit } => {
                write!(f, "larger than --max-file-size ({size} > {limit} bytes)")
            }
            SkipReason::Symlink => f.write_str("symbolic link not followed (use --follow-links)"),
            SkipReason::Fifo => {
                f.write_str("FIFO (named pipe): never opened, reading it could block forever")
            }
            SkipReason::Socket => {
                f.write_str("socket: never opened, it is a communication endpoint, not a file")
            }
            SkipReason::BlockDevice => {
                f.write_str("block device: never opened, it is a whole disk or partition")
            }
            SkipReason::CharDevice => f.write_str(
                "character device: never opened, reading it could never end or block forever",
            ),
        }
    }
}

/// Errors that stop a walk before it starts. Problems met while walking are [`Entry::Error`]s
/// instead, so that one bad path does not cost the whole inventory.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// A glob given to `--include` or `--exclude` does not parse.
    #[error("invalid {flag} glob `{glob}`: {message}")]
    BadGlob {
        flag: &'static str,
        glob: String,
        message: String,
    },
}

/// The compiled walk: options plus the glob sets, built once and shared by every root.
#[derive(Debug)]
pub struct Walker {
    opts: WalkOptions,
    include: GlobSet,
    exclude: GlobSet,
    /// Inode numbers of [`WalkOptions::skip_dirs`] (0 where unknown).
    skip_inodes: Vec<u64>,
}

impl Walker {
    /// Compiles the globs; a bad glob is an error naming the glob and the flag
    /// (`--include` / `--exclude`), so the user knows exactly which argument to fix.
    pub fn new(opts: WalkOptions) -> Result<Walker, WalkError> {
        let include = compile_globs("--include", &opts.include)?;
        let exclude = compile_globs("--exclude", &opts.exclude)?;
        #[cfg(unix)]
        let skip_inodes = opts
            .skip_dirs
            .iter()
            .map(|d| {
                use std::os::unix::fs::MetadataExt;
                fs::metadata(d).map_or(0, |m| m.ino())
            })
            .collect();
        #[cfg(not(unix))]
        let skip_inodes = Vec::new();
        Ok(Walker {
            opts,
            include,
            exclude,
            skip_inodes,
        })
    }

    /// The options this walker was built from.
    pub fn options(&self) -> &WalkOptions {
        &self.opts
    }

    /// Streams entries lazily, root after root, in a deterministic order (walkdir under the hood;
    /// the caller feeds them to rayon with `par_bridge`), so a tree with millions of files is
    /// never held in memory. Directories themselves produce no entry; they are descended.
    ///
    /// With [`WalkOptions::files_from`], the listed paths are walked instead of the roots: a
    /// listed file is scanned if the globs and `--max-file-size` allow it, a listed folder is
    /// walked as a root, a listed path that does not exist is an [`Entry::Error`]. With
    /// [`WalkOptions::shard`], only the entries of that shard come out (errors included, so
    /// the shards of one tree never report one error twice).
    pub fn entries(&self) -> impl Iterator<Item = Entry> + Send + '_ {
        type Entries<'a> = Box<dyn Iterator<Item = Entry> + Send + 'a>;
        match &self.opts.files_from {
            None => Box::new(
                self.opts
                    .roots
                    .iter()
                    .flat_map(move |root| self.walk_root(root.clone(), false)),
            ) as Entries<'_>,
            Some(list) => Box::new(list.paths().flat_map(move |item| match item {
                Ok(path) => self.walk_root(path, true),
                Err(e) => Box::new(std::iter::once(e)),
            })),
        }
    }

    /// The entries of one root (`listed`: a path of `--files-from`). Boxed because a root that
    /// cannot be walked yields one error instead of a walkdir iterator; one allocation per root
    /// is negligible.
    fn walk_root(
        &self,
        root: PathBuf,
        listed: bool,
    ) -> Box<dyn Iterator<Item = Entry> + Send + '_> {
        // The shard key of a listed path is the path as listed; of a walked one, the path
        // relative to its root.
        let key_root = if listed { PathBuf::new() } else { root.clone() };
        let shard = self.opts.shard;
        let in_shard =
            move |e: &Entry| shard.is_none_or(|s| s.holds(&shard_key(&key_root, e.path())));
        if let Some(error) = check_root(&root, if listed { "listed path" } else { "root" }) {
            return Box::new(std::iter::once(error).filter(in_shard));
        }
        if listed
            && !fs::metadata(&root).is_ok_and(|m| m.is_dir())
            && !self.in_scope(Path::new(""), &root, false)
        {
            return Box::new(std::iter::empty());
        }
        let prune_root = root.clone();
        let walk = WalkDir::new(&root)
            .follow_links(self.opts.follow_links)
            // An explicitly named root is always followed (see `WalkOptions::roots`).
            .follow_root_links(true)
            .sort_by_file_name()
            .into_iter()
            // Pruning must happen here: `filter_entry` is what stops walkdir descending.
            .filter_entry(move |e| {
                e.depth() == 0
                    || !e.file_type().is_dir()
                    || !(self.excluded(&prune_root, e.path(), true) || self.skipped_dir(e))
            });
        Box::new(
            walk.filter_map(move |item| match item {
                Ok(entry) => self.classify(&root, entry),
                Err(err) => self.error_entry(&root, &err),
            })
            .filter(in_shard),
        )
    }

    /// Is this folder one of [`WalkOptions::skip_dirs`]? Its inode number (known without a
    /// call) is compared first, its canonical path only when that matches.
    fn skipped_dir(&self, e: &walkdir::DirEntry) -> bool {
        if self.opts.skip_dirs.is_empty() {
            return false;
        }
        #[cfg(unix)]
        {
            use walkdir::DirEntryExt;
            if !self.skip_inodes.contains(&e.ino()) {
                return false;
            }
        }
        fs::canonicalize(e.path()).is_ok_and(|c| self.opts.skip_dirs.contains(&c))
    }

    /// Turns one walkdir entry into at most one [`Entry`]: `None` for directories (descended,
    /// not reported) and for paths out of scope.
    fn classify(&self, root: &Path, entry: walkdir::DirEntry) -> Option<Entry> {
        let path = entry.path();
        let mut file_type = entry.file_type();
        let mut root_metadata = None;
        if entry.depth() == 0 && file_type.is_symlink() {
            // walkdir follows a root link but still reports it as a link when `follow_links`
            // is off; look at the target, as for any explicitly named root.
            match fs::metadata(path) {
                Ok(md) => {
                    file_type = md.file_type();
                    root_metadata = Some(md);
                }
                Err(err) => return Some(io_error_entry(path, &err)),
            }
        }
        if file_type.is_dir() {
            return None;
        }
        if entry.depth() > 0 {
            // An unfollowed link to a directory is judged as a directory: `--include '*.csv'`
            // must not hide the fact that a linked directory was not walked. `fs::metadata`
            // only stats the target, it never opens it.
            let dir_like = file_type.is_symlink() && fs::metadata(path).is_ok_and(|m| m.is_dir());
            if !self.in_scope(root, path, dir_like) {
                return None;
            }
        }
        if file_type.is_symlink() {
            return Some(Entry::Skipped {
                path: entry.into_path(),
                reason: SkipReason::Symlink,
            });
        }
        if file_type.is_file() {
            let size = match root_metadata {
                Some(md) => md.len(),
                None => match entry.metadata() {
                    Ok(md) => md.len(),
                    Err(err) => return self.error_entry(root, &err),
                },
            };
            if let Some(limit) = self.opts.max_file_size
                && size > limit
            {
                return Some(Entry::Skipped {
                    path: entry.into_path(),
                    reason: SkipReason::TooLarge { size, limit },
                });
            }
            return Some(Entry::File {
                path: entry.into_path(),
                size,
            });
        }
        Some(match special_file_reason(&file_type) {
            Some(reason) => Entry::Skipped {
                path: entry.into_path(),
                reason,
            },
            None => Entry::Error {
                message: format!(
                    "`{}` is not a regular file, directory or symbolic link; not read",
                    path.display()
                ),
                path: entry.into_path(),
            },
        })
    }

    /// Maps a walkdir error to an [`Entry::Error`] with a message a person can act on, or to
    /// nothing when the path is out of scope (e.g. a broken link the user excluded).
    fn error_entry(&self, root: &Path, err: &walkdir::Error) -> Option<Entry> {
        let path = err.path().unwrap_or(root);
        let is_dir = err.loop_ancestor().is_some() || fs::metadata(path).is_ok_and(|m| m.is_dir());
        if err.depth() > 0 && path != root && !self.in_scope(root, path, is_dir) {
            return None;
        }
        if let Some(ancestor) = err.loop_ancestor() {
            return Some(Entry::Error {
                message: format!(
                    "symbolic link loop: `{}` points back to its ancestor `{}`",
                    path.display(),
                    ancestor.display()
                ),
                path: path.to_path_buf(),
            });
        }
        Some(match err.io_error() {
            Some(io_err) => io_error_entry(path, io_err),
            None => Entry::Error {
                path: path.to_path_buf(),
                message: err.to_string(),
            },
        })
    }

    /// Whether a path below `root` is part of the scan: not excluded, and (for files) included
    /// when include globs were given.
    fn in_scope(&self, root: &Path, path: &Path, is_dir: bool) -> bool {
        if self.excluded(root, path, is_dir) {
            return false;
        }
        is_dir || self.include.is_empty() || matches(&self.include, root, path, false)
    }

    /// Whether a path below `root` matches an exclude glob.
    fn excluded(&self, root: &Path, path: &Path, is_dir: bool) -> bool {
        !self.exclude.is_empty() && matches(&self.exclude, root, path, is_dir)
    }
}

/// Matches a path against a glob set in the forms a user may mean: the path relative to its
/// root (`logs/2024/*.gz`), the bare file name (`*.tmp`, `node_modules`), and for a directory
/// the relative path with a trailing slash, so `logs/**` prunes the `logs` directory itself
/// instead of descending it only to exclude every file inside.
fn matches(set: &GlobSet, root: &Path, path: &Path, is_dir: bool) -> bool {
    let relative = path.strip_prefix(root).unwrap_or(path);
    if set.is_match(relative) {
        return true;
    }
    if let Some(name) = path.file_name()
        && set.is_match(Path::new(name))
    {
        return true;
    }
    if is_dir {
        let mut with_slash = OsString::from(relative.as_os_str());
        with_slash.push("/");
        return set.is_match(Path::new(&with_slash));
    }
    false
}

fn compile_globs(flag: &'static str, globs: &[String]) -> Result<GlobSet, WalkError> {
    let bad = |glob: &str, err: globset::Error| WalkError::BadGlob {
        flag,
        glob: glob.to_owned(),
        message: err.kind().to_string(),
    };
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        builder.add(Glob::new(glob).map_err(|e| bad(glob, e))?);
    }
    // Building can only fail on a glob too large for the regex engine; name them all then,
    // since the set cannot tell which one it was.
    builder.build().map_err(|e| bad(&globs.join(", "), e))
}

/// Checks a root before walking it, for precise messages: walkdir would report a missing root
/// as a bare I/O error.
fn check_root(root: &Path, what: &str) -> Option<Entry> {
    match fs::metadata(root) {
        Ok(_) => None,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            if fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink()) {
                Some(broken_link_entry(root))
            } else {
                Some(Entry::Error {
                    path: root.to_path_buf(),
                    message: format!("{what} `{}` does not exist", root.display()),
                })
            }
        }
        Err(err) => Some(Entry::Error {
            path: root.to_path_buf(),
            message: format!("cannot read {what} `{}`: {err}", root.display()),
        }),
    }
}

/// An [`Entry::Error`] for an I/O failure on `path`, saying what kind of path it was when that
/// can be told, because "Permission denied" alone does not tell the user what to fix.
fn io_error_entry(path: &Path, err: &io::Error) -> Entry {
    let lstat = fs::symlink_metadata(path);
    let is_link = lstat.as_ref().is_ok_and(|m| m.file_type().is_symlink());
    if is_link && err.kind() == io::ErrorKind::NotFound {
        return broken_link_entry(path);
    }
    let what = if is_link {
        "cannot follow symbolic link"
    } else if lstat.is_ok_and(|m| m.is_dir()) {
        "cannot read directory"
    } else {
        "cannot read"
    };
    Entry::Error {
        path: path.to_path_buf(),
        message: format!("{what} `{}`: {err}", path.display()),
    }
}

fn broken_link_entry(path: &Path) -> Entry {
    let message = match fs::read_link(path) {
        Ok(target) => format!(
            "broken symbolic link: `{}` points to `{}`, which does not exist",
            path.display(),
            target.display()
        ),
        Err(_) => format!(
            "broken symbolic link: the target of `{}` does not exist",
            path.display()
        ),
    };
    Entry::Error {
        path: path.to_path_buf(),
        message,
    }
}

/// The skip reason for a special file, from the file type alone (no `open`, no `stat` beyond
/// what the walk already did).
#[cfg(unix)]
fn special_file_reason(file_type: &fs::FileType) -> Option<SkipReason> {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        Some(SkipReason::Fifo)
    } else if file_type.is_socket() {
        Some(SkipReason::Socket)
    } else if file_type.is_block_device() {
        Some(SkipReason::BlockDevice)
    } else if file_type.is_char_device() {
        Some(SkipReason::CharDevice)
    } else {
        None
    }
}

#[cfg(not(unix))]
fn special_file_reason(_file_type: &fs::FileType) -> Option<SkipReason> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::sync::mpsc;
    use std::time::Duration;

    fn walker(roots: &[&Path]) -> WalkOptions {
        WalkOptions {
            roots: roots.iter().map(|p| p.to_path_buf()).collect(),
            ..WalkOptions::default()
        }
    }

    fn walk(opts: WalkOptions) -> Vec<Entry> {
        Walker::new(opts)
            .expect("globs compile")
            .entries()
            .collect()
    }

    fn rel(root: &Path, path: &Path) -> String {
        path.strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    /// The files to read, relative to `root`, in walk order.
    fn files(root: &Path, entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .filter_map(|e| match e {
                Entry::File { path, .. } => Some(rel(root, path)),
                _ => None,
            })
            .collect()
    }

    fn skipped(root: &Path, entries: &[Entry]) -> Vec<(String, SkipReason)> {
        entries
            .iter()
            .filter_map(|e| match e {
                Entry::Skipped { path, reason } => Some((rel(root, path), reason.clone())),
                _ => None,
            })
            .collect()
    }

    fn errors(root: &Path, entries: &[Entry]) -> Vec<(String, String)> {
        entries
            .iter()
            .filter_map(|e| match e {
                Entry::Error { path, message } => Some((rel(root, path), message.clone())),
                _ => None,
            })
            .collect()
    }

    fn write(root: &Path, relative: &str, contents: &[u8]) {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    fn mkfifo(path: &Path) {
        let c = CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
        let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
        assert_eq!(rc, 0, "mkfifo failed: {}", io::Error::last_os_error());
    }

    #[test]
    fn nested_dirs_and_hidden_files_are_found_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "top.txt", b"1");
        write(root, "a/b/c.txt", b"123");
        write(root, ".hidden", b"12");
        write(root, ".hdir/x.txt", b"");
        let entries = walk(walker(&[root]));
        assert_eq!(
            files(root, &entries),
            [".hdir/x.txt", ".hidden", "a/b/c.txt", "top.txt"]
        );
        let sizes: Vec<u64> = entries
            .iter()
            .filter_map(|e| match e {
                Entry::File { size, .. } => Some(*size),
                _ => None,
            })
            .collect();
        assert_eq!(sizes, [0, 2, 3, 1]);
        assert_eq!(entries.len(), 4, "directories produce no entries");
    }

    #[test]
    fn file_root_is_the_one_entry() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "only.csv", b"a,b\n");
        let file = dir.path().join("only.csv");
        // Explicit roots are walked even when a glob would leave them out.
        let mut opts = walker(&[&file]);
        opts.include = vec!["*.json".into()];
        opts.exclude = vec!["only.csv".into()];
        let entries = walk(opts);
        assert_eq!(entries.len(), 1);
        assert!(matches!(&entries[0], Entry::File { path, size: 4 } if *path == file));
    }

    #[test]
    fn exclude_by_file_name_and_relative_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a/b/c.tmp", b"x");
        write(root, "a/b/c.txt", b"x");
        write(root, "logs/app.log", b"x");
        write(root, "logs/2024/old.log", b"x");
        write(root, "x/logs/kept.log", b"x");
        write(root, "data/keep.csv", b"x");
        write(root, "data/secret.csv", b"x");
        let mut opts = walker(&[root]);
        opts.exclude = vec!["*.tmp".into(), "logs/**".into(), "data/secret.csv".into()];
        let entries = walk(opts);
        assert_eq!(
            files(root, &entries),
            ["a/b/c.txt", "data/keep.csv", "x/logs/kept.log"]
        );
        assert_eq!(entries.len(), 3, "excluded files produce no entry at all");
    }

    #[test]
    fn excluded_directories_are_pruned_not_descended() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "src/main.js", b"x");
        write(root, "node_modules/pkg/index.js", b"x");
        write(root, "web/node_modules/pkg/index.js", b"x");
        // A link loop inside the excluded directories: if they were descended, the loop would
        // surface as an error entry (its path matches no exclude glob itself).
        symlink("..", root.join("node_modules/pkg/loop")).unwrap();
        symlink("..", root.join("web/node_modules/pkg/loop")).unwrap();
        let mut opts = walker(&[root]);
        opts.exclude = vec!["node_modules".into()];
        opts.follow_links = true;
        let entries = walk(opts);
        assert_eq!(files(root, &entries), ["src/main.js"]);
        assert_eq!(entries.len(), 1, "{entries:?}");

        // `dir/**` prunes the directory itself, not just the files inside it.
        let walker = Walker::new(WalkOptions {
            exclude: vec!["logs/**".into()],
            ..WalkOptions::default()
        })
        .unwrap();
        assert!(walker.excluded(root, &root.join("logs"), true));
        assert!(!walker.excluded(root, &root.join("logs"), false));
        assert!(!walker.excluded(root, &root.join("x/logs"), true));
    }

    #[test]
    fn include_globs_select_files_at_any_depth() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a.csv", b"x");
        write(root, "a.txt", b"x");
        write(root, "deep/er/b.csv", b"x");
        write(root, "data/c.json", b"x");
        write(root, "data/sub/d.txt", b"x");
        let mut opts = walker(&[root]);
        opts.include = vec!["*.csv".into()];
        assert_eq!(files(root, &walk(opts)), ["a.csv", "deep/er/b.csv"]);

        let mut opts = walker(&[root]);
        opts.include = vec!["data/**".into(), "a.txt".into()];
        assert_eq!(
            files(root, &walk(opts)),
            ["a.txt", "data/c.json", "data/sub/d.txt"]
        );

        // Exclude wins over include.
        let mut opts = walker(&[root]);
        opts.include = vec!["*.csv".into()];
        opts.exclude = vec!["deep".into()];
        assert_eq!(files(root, &walk(opts)), ["a.csv"]);
    }

    #[test]
    fn symlinks_are_skipped_by_default_and_followed_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "real.txt", b"x");
        write(outside.path(), "linked/inner.txt", b"xy");
        symlink(root.join("real.txt"), root.join("file-link")).unwrap();
        symlink(outside.path().join("linked"), root.join("dir-link")).unwrap();

        let entries = walk(walker(&[root]));
        assert_eq!(files(root, &entries), ["real.txt"]);
        assert_eq!(
            skipped(root, &entries),
            [
                ("dir-link".to_string(), SkipReason::Symlink),
                ("file-link".to_string(), SkipReason::Symlink)
            ]
        );

        // An unfollowed link to a directory is still reported under an include glob.
        let mut opts = walker(&[root]);
        opts.include = vec!["*.txt".into()];
        let entries = walk(opts);
        assert_eq!(
            skipped(root, &entries),
            [("dir-link".to_string(), SkipReason::Symlink)]
        );

        let mut opts = walker(&[root]);
        opts.follow_links = true;
        let entries = walk(opts);
        assert_eq!(
            files(root, &entries),
            ["dir-link/inner.txt", "file-link", "real.txt"]
        );
        assert!(skipped(root, &entries).is_empty());
        assert!(errors(root, &entries).is_empty());
    }

    #[test]
    fn symlinked_root_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "target/f.txt", b"x");
        let link = dir.path().join("root-link");
        symlink(dir.path().join("target"), &link).unwrap();
        let entries = walk(walker(&[&link]));
        assert_eq!(files(&link, &entries), ["f.txt"]);
        assert_eq!(entries.len(), 1, "{entries:?}");
    }

    #[test]
    fn symlink_loop_is_an_error_and_the_walk_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a/file.txt", b"x");
        write(root, "z.txt", b"x");
        symlink(root.join("a"), root.join("a/loop")).unwrap();
        let mut opts = walker(&[root]);
        opts.follow_links = true;
        let entries = walk(opts);
        assert_eq!(files(root, &entries), ["a/file.txt", "z.txt"]);
        let errs = errors(root, &entries);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].0, "a/loop");
        let expected = format!(
            "symbolic link loop: `{}` points back to its ancestor `{}`",
            root.join("a/loop").display(),
            root.join("a").display()
        );
        assert_eq!(errs[0].1, expected);
    }

    #[test]
    fn broken_symlink_is_skipped_or_an_error_when_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "ok.txt", b"x");
        symlink("nowhere", root.join("dangling")).unwrap();
        let entries = walk(walker(&[root]));
        assert_eq!(
            skipped(root, &entries),
            [("dangling".to_string(), SkipReason::Symlink)]
        );

        let mut opts = walker(&[root]);
        opts.follow_links = true;
        let entries = walk(opts);
        assert_eq!(files(root, &entries), ["ok.txt"]);
        let errs = errors(root, &entries);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].0, "dangling");
        assert!(errs[0].1.starts_with("broken symbolic link"), "{errs:?}");
        assert!(errs[0].1.contains("`nowhere`"), "{errs:?}");

        // Out of scope means no entry, even for an error.
        let mut opts = walker(&[root]);
        opts.follow_links = true;
        opts.exclude = vec!["dangling".into()];
        assert_eq!(walk(opts).len(), 1);
    }

    /// Runs the walk on another thread so that a walk that blocks (e.g. by opening a FIFO)
    /// fails the test instead of hanging it.
    fn walk_with_timeout(opts: WalkOptions) -> Vec<Entry> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(walk(opts));
        });
        rx.recv_timeout(Duration::from_secs(20))
            .expect("the walk blocked: a special file was opened")
    }

    #[test]
    fn fifo_is_skipped_and_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        write(&root, "a.txt", b"x");
        mkfifo(&root.join("pipe"));
        symlink(root.join("pipe"), root.join("pipe-link")).unwrap();
        let entries = walk_with_timeout(walker(&[&root]));
        assert_eq!(files(&root, &entries), ["a.txt"]);
        assert_eq!(
            skipped(&root, &entries),
            [
                ("pipe".to_string(), SkipReason::Fifo),
                ("pipe-link".to_string(), SkipReason::Symlink)
            ]
        );

        // Following a link to a FIFO does not open it either.
        let mut opts = walker(&[&root]);
        opts.follow_links = true;
        let entries = walk_with_timeout(opts);
        assert_eq!(
            skipped(&root, &entries),
            [
                ("pipe".to_string(), SkipReason::Fifo),
                ("pipe-link".to_string(), SkipReason::Fifo)
            ]
        );

        // A FIFO named as a root is skipped the same way.
        let entries = walk_with_timeout(walker(&[&root.join("pipe")]));
        assert!(
            matches!(
                &entries[..],
                [Entry::Skipped {
                    reason: SkipReason::Fifo,
                    ..
                }]
            ),
            "{entries:?}"
        );
    }

    #[test]
    fn unix_socket_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let _listener = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
        write(root, "b.txt", b"x");
        let entries = walk_with_timeout(walker(&[root]));
        assert_eq!(files(root, &entries), ["b.txt"]);
        assert_eq!(
            skipped(root, &entries),
            [("sock".to_string(), SkipReason::Socket)]
        );
    }

    #[test]
    fn char_device_root_is_skipped() {
        let entries = walk_with_timeout(walker(&[Path::new("/dev/null")]));
        assert_eq!(entries.len(), 1);
        assert!(
            matches!(
                &entries[0],
                Entry::Skipped { path, reason: SkipReason::CharDevice } if path == Path::new("/dev/null")
            ),
            "{entries:?}"
        );
    }

    #[test]
    fn files_above_max_file_size_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "big.bin", &[0u8; 2048]);
        write(root, "edge.bin", &[0u8; 1024]);
        let mut opts = walker(&[root]);
        opts.max_file_size = Some(1024);
        let entries = walk(opts);
        assert_eq!(files(root, &entries), ["edge.bin"]);
        let reason = SkipReason::TooLarge {
            size: 2048,
            limit: 1024,
        };
        assert_eq!(
            skipped(root, &entries),
            [("big.bin".to_string(), reason.clone())]
        );
        assert_eq!(
            reason.to_string(),
            "larger than --max-file-size (2048 > 1024 bytes)"
        );
        assert_eq!(reason.kind(), "too-large");
    }

    #[test]
    fn missing_root_is_an_error_and_other_roots_are_walked() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "one/a.txt", b"x");
        write(root, "two/b.txt", b"x");
        let missing = root.join("missing");
        let entries = walk(walker(&[&root.join("one"), &missing, &root.join("two")]));
        assert_eq!(entries.len(), 3, "{entries:?}");
        assert!(matches!(&entries[0], Entry::File { path, .. } if path.ends_with("one/a.txt")));
        match &entries[1] {
            Entry::Error { path, message } => {
                assert_eq!(path, &missing);
                assert_eq!(
                    message,
                    &format!("root `{}` does not exist", missing.display())
                );
            }
            other => panic!("expected an error, got {other:?}"),
        }
        assert!(matches!(&entries[2], Entry::File { path, .. } if path.ends_with("two/b.txt")));
    }

    #[test]
    fn bad_glob_names_the_glob_and_the_flag() {
        let err = Walker::new(WalkOptions {
            include: vec!["*.csv".into(), "data/[".into()],
            ..WalkOptions::default()
        })
        .unwrap_err();
        let WalkError::BadGlob { flag, glob, .. } = &err;
        assert_eq!((*flag, glob.as_str()), ("--include", "data/["));
        let text = err.to_string();
        assert!(
            text.starts_with("invalid --include glob `data/[`: "),
            "{text}"
        );

        let err = Walker::new(WalkOptions {
            exclude: vec!["{a,b".into()],
            ..WalkOptions::default()
        })
        .unwrap_err();
        assert!(
            err.to_string().starts_with("invalid --exclude glob `{a,b`"),
            "{err}"
        );
    }

    #[test]
    fn unreadable_directory_is_an_error_and_the_walk_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a.txt", b"x");
        write(root, "locked/secret.txt", b"x");
        write(root, "z.txt", b"x");
        let locked = root.join("locked");
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
        let entries = walk(walker(&[root]));
        // Restore before asserting so that the temporary directory can always be removed.
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();

        // SAFETY: geteuid has no preconditions and cannot fail.
        let is_root = unsafe { libc::geteuid() } == 0;
        if is_root {
            // Running as root (e.g. in a container): permissions are not enforced, so the
            // directory is readable and there is no error to check. Only check the walk is whole.
            assert_eq!(
                files(root, &entries),
                ["a.txt", "locked/secret.txt", "z.txt"]
            );
            return;
        }
        assert_eq!(files(root, &entries), ["a.txt", "z.txt"]);
        let errs = errors(root, &entries);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].0, "locked");
        let expected = format!(
            "cannot read directory `{}`: {}",
            locked.display(),
            io::Error::from_raw_os_error(libc::EACCES)
        );
        assert_eq!(errs[0].1, expected);
    }

    #[test]
    fn skip_reasons_read_well() {
        assert_eq!(
            SkipReason::Symlink.to_string(),
            "symbolic link not followed (use --follow-links)"
        );
        assert_eq!(
            SkipReason::Fifo.to_string(),
            "FIFO (named pipe): never opened, reading it could block forever"
        );
        for reason in [
            SkipReason::Socket,
            SkipReason::BlockDevice,
            SkipReason::CharDevice,
        ] {
            assert!(reason.to_string().contains("never opened"), "{reason}");
        }
    }

    #[test]
    fn entries_can_be_sent_across_threads() {
        fn assert_send<T: Send>(_: T) {}
        let walker = Walker::new(WalkOptions::default()).unwrap();
        assert_send(walker.entries());
        assert_eq!(walker.entries().count(), 0);
    }

    #[test]
    fn shards_parse_from_zero_and_name_what_is_wrong() {
        assert_eq!("0/3".parse(), Ok(Shard { index: 0, count: 3 }));
        assert_eq!(" 2 / 3 ".parse(), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(Shard { index: 1, count: 4 }.to_string(), "1/4");
        let err = |s: &str| s.parse::<Shard>().unwrap_err();
        assert!(err("3/3").contains("numbered 0 to 2"), "{}", err("3/3"));
        assert!(err("0/0").contains("at least 1"), "{}", err("0/0"));
        assert!(err("1").contains("K/N"), "{}", err("1"));
        assert!(err("a/2").contains("K is not"), "{}", err("a/2"));
    }

    #[test]
    fn the_shard_of_a_path_is_sha256_of_its_relative_path() {
        // Python: int.from_bytes(hashlib.sha256(b"a/b.csv").digest()[:8], "big") % 1000
        assert_eq!(shard_of(b"a/b.csv", 1000), 427);
        assert_eq!(shard_of(b"people/ids_00.csv", 1000), 140);
        let root = Path::new("/mnt/share");
        assert_eq!(shard_key(root, &root.join("a/b.csv")), b"a/b.csv");
        // The same file under another mount point is in the same shard.
        assert_eq!(
            shard_key(
                Path::new("/srv/x/share/"),
                Path::new("/srv/x/share/a/b.csv")
            ),
            b"a/b.csv"
        );
        // A root that is a file: its name.
        let f = Path::new("/data/export.csv");
        assert_eq!(shard_key(f, f), b"export.csv");
        // A listed path: as listed.
        assert_eq!(
            shard_key(Path::new(""), Path::new("./a//b.csv")),
            b"./a/b.csv"
        );
        let s = Shard { index: 1, count: 7 };
        assert!(s.holds(b"a/b.csv"));
        assert!(!Shard { index: 0, count: 7 }.holds(b"a/b.csv"));
    }

    #[test]
    fn every_entry_of_a_tree_is_in_exactly_one_shard() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for i in 0..60 {
            let sub = root.join(format!("d{}", i % 4));
            fs::create_dir_all(&sub).unwrap();
            fs::write(sub.join(format!("f{i}.txt")), "x").unwrap();
        }
        symlink(root.join("d0/f0.txt"), root.join("link")).unwrap();
        let names = |shard: Option<Shard>| -> Vec<String> {
            walk(WalkOptions {
                roots: vec![root.to_path_buf()],
                shard,
                ..WalkOptions::default()
            })
            .iter()
            .map(|e| rel(root, e.path()))
            .collect()
        };
        let all = names(None);
        assert_eq!(all.len(), 61);
        let mut seen: Vec<String> = (0..3)
            .flat_map(|k| names(Some(Shard { index: k, count: 3 })))
            .collect();
        assert!(
            (0..3).all(|k| !names(Some(Shard { index: k, count: 3 })).is_empty()),
            "60 files spread over 3 shards"
        );
        seen.sort();
        let mut all = all;
        all.sort();
        assert_eq!(seen, all);
    }

    #[test]
    fn a_file_list_is_walked_with_the_globs_and_missing_paths_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("sub")).unwrap();
        for f in ["a.csv", "b.txt", "sub/c.csv", "sub/d.txt"] {
            fs::write(root.join(f), "x").unwrap();
        }
        let list = root.join("list");
        let mut text = Vec::new();
        for f in ["a.csv", "b.txt", "sub", "missing.csv"] {
            text.extend_from_slice(root.join(f).as_os_str().as_bytes());
            text.push(0);
        }
        fs::write(&list, &text).unwrap();
        let entries = walk(WalkOptions {
            include: vec!["*.csv".into()],
            files_from: Some(FileList {
                file: Some(list.clone()),
                null: true,
            }),
            ..WalkOptions::default()
        });
        let files: Vec<String> = entries
            .iter()
            .filter(|e| matches!(e, Entry::File { .. }))
            .map(|e| rel(root, e.path()))
            .collect();
        assert_eq!(files, ["a.csv", "sub/c.csv"]);
        let errors: Vec<&Entry> = entries
            .iter()
            .filter(|e| matches!(e, Entry::Error { .. }))
            .collect();
        assert_eq!(errors.len(), 1, "{entries:?}");
        let Entry::Error { path, message } = errors[0] else {
            unreachable!()
        };
        assert_eq!(path, &root.join("missing.csv"));
        assert!(message.starts_with("listed path `"), "{message}");
        assert!(message.ends_with("does not exist"), "{message}");
    }
}
