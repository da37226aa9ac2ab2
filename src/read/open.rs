//! Opening the files a scan reads: read-only, without touching their access time where the
//! platform allows it, without locks, and never blocking on something that stopped being a
//! regular file after the walk listed it.
//!
//! The walk never opens FIFOs, sockets or devices (see [`crate::walk`]), but a file can be
//! replaced by one between the listing and the read: `open(2)` on a FIFO then waits for a writer
//! forever. So the file is opened with `O_NONBLOCK`, checked with `fstat` on the open descriptor
//! (not the path, which could change again) and only then read, in blocking mode. `O_NOATIME`
//! keeps a scan from rewriting the access time of every file on a share (an auditor's sweep
//! should leave no trace); the kernel permits it only to the file's owner (or with
//! `CAP_FOWNER`), so on `EPERM` the file is opened without it. std has no portable way to ask
//! for either flag, which is why this goes through `libc` constants.

use std::fs::File;
use std::io;
use std::path::Path;

/// Opens `path` for reading as described above. An `Err` says what went wrong; a file that is
/// no longer regular gets an error of kind [`io::ErrorKind::InvalidInput`] naming what it is.
pub fn open(path: &Path) -> io::Result<File> {
    let file = open_regular(path)?;
    blocking(&file)?;
    Ok(file)
}

/// [`open`] for a file read whole at once and closed: `O_NONBLOCK` is left on the descriptor
/// (it does nothing to a regular file), which spares the two `fcntl` calls of every small
/// file of a share (a fifth of the system calls it costs).
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = open_flags(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "no longer a regular file: replaced by {} after it was listed; not read",
                kind_of(&meta.file_type())
            ),
        ));
    }
    Ok(file)
}

#[cfg(unix)]
fn open_flags(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let with = |flags: i32| {
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags)
            .open(path)
    };
    #[cfg(target_os = "linux")]
    {
        match with(libc::O_NONBLOCK | libc::O_NOATIME) {
            // Not the owner: the kernel refuses O_NOATIME; the access time may then be updated
            // (mounts with `relatime`, the default, update it at most once a day).
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => with(libc::O_NONBLOCK),
            r => r,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        with(libc::O_NONBLOCK)
    }
}

#[cfg(not(unix))]
fn open_flags(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// Clears `O_NONBLOCK` on a regular file (it has no effect on one, but a reader should not
/// inherit it).
#[cfg(unix)]
fn blocking(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this function's caller owns, with integer arguments only.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(unix))]
fn blocking(_: &File) -> io::Result<()> {
    Ok(())
}

/// What a file type is, in words.
pub fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_dir() {
        "a folder"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "something that is not a regular file"
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_in_place_of_a_file_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("was-a-file.csv");
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(open(&p).map(|_| ()).map_err(|e| e.to_string())));
        let r = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("open returned instead of blocking");
        let e = r.unwrap_err();
        assert!(e.contains("replaced by a FIFO"), "{e}");
    }

    #[test]
    fn a_folder_is_refused_and_a_file_reads() {
        let dir = tempfile::tempdir().unwrap();
        let e = open(dir.path()).unwrap_err();
        assert!(e.to_string().contains("a folder"), "{e}");
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "x").unwrap();
        let mut s = String::new();
        io::Read::read_to_string(&mut open(&p).unwrap(), &mut s).unwrap();
        assert_eq!(s, "x");
    }
}
