//! Memory-mapped files that survive being truncated while mapped.
//!
//! Reading a page of a mapping past the end of a file that shrank since it was mapped raises
//! SIGBUS, which kills the process: one log file rotated mid-scan would abort a whole nightly
//! inventory. memmap2 (like ripgrep) leaves this to the caller, and no crate handles it, so this
//! module does, by hand: while a file is mapped its address range is registered in a fixed table,
//! and a SIGBUS handler that finds the faulting address in a registered range maps a page of
//! zeros over it, marks the range as damaged and returns, so the read resumes and sees zeros.
//! The scan then reports the file as partial. A SIGBUS outside every registered range restores
//! the default action, so a genuine fault still terminates the process as it would have.

use std::fs::File;
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use memmap2::{Advice, Mmap, UncheckedAdvice};

/// Maps open at once; more than the scan's threads ever hold.
const SLOTS: usize = 256;
/// A slot being filled in; the handler ignores it.
const RESERVED: usize = usize::MAX;

static STARTS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static ENDS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static DAMAGED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
static PAGE: AtomicUsize = AtomicUsize::new(4096);
static INSTALL: Once = Once::new();

extern "C" fn on_sigbus(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // Only async-signal-safe work here: atomics and the mmap system call.
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::Relaxed);
    for i in 0..SLOTS {
        let start = STARTS[i].load(Ordering::Acquire);
        if start == 0 || start == RESERVED {
            continue;
        }
        if addr >= start && addr < ENDS[i].load(Ordering::Acquire) {
            let base = addr & !(page - 1);
            // SAFETY: the page lies inside a mapping this module registered and that is still
            // alive (it is unregistered before being unmapped); replacing it with an anonymous
            // read-only page keeps the address range valid for the reader.
            let r = unsafe {
                libc::mmap(
                    base as *mut libc::c_void,
                    page,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if r != libc::MAP_FAILED {
                DAMAGED[i].store(true, Ordering::Release);
                return;
            }
        }
    }
    // Not one of ours: let the repeated fault take the default action.
    // SAFETY: resetting a signal disposition is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGBUS, libc::SIG_DFL);
    }
}

fn install_handler() {
    INSTALL.call_once(|| {
        // SAFETY: sysconf and sigaction are called with valid arguments; the handler only
        // performs async-signal-safe operations.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE);
            if page > 0 {
                PAGE.store(page as usize, Ordering::Relaxed);
            }
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigbus as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
        }
    });
}

/// A read-only map of a whole file, guarded against truncation.
pub struct Mapped {
    map: Mmap,
    slot: Option<usize>,
}

impl Mapped {
    pub fn new(file: &File, _path: &Path) -> std::io::Result<Mapped> {
        install_handler();
        // SAFETY: the map is read-only; a concurrent truncation is survived by the SIGBUS guard
        // above, and concurrent writes can only change what we read, which a scan of a live file
        // share accepts.
        let map = unsafe { Mmap::map(file)? };
        if map.is_empty() {
            return Ok(Mapped { map, slot: None });
        }
        // Read-ahead helps a front-to-back scan; failure to advise is harmless.
        let _ = map.advise(Advice::Sequential);
        let start = map.as_ptr() as usize;
        let slot = loop {
            let free = (0..SLOTS).find(|&i| {
                STARTS[i]
                    .compare_exchange(0, RESERVED, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            });
            match free {
                Some(i) => break i,
                // Every slot is held by a map being scanned: wait for one to be released.
                None => std::thread::yield_now(),
            }
        };
        DAMAGED[slot].store(false, Ordering::Release);
        ENDS[slot].store(start + map.len(), Ordering::Release);
        STARTS[slot].store(start, Ordering::Release);
        Ok(Mapped {
            map,
            slot: Some(slot),
        })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Drops the pages of `start..end` from this process's resident set once they are scanned,
    /// so scanning a file larger than memory keeps a bounded footprint (the data stays in the
    /// page cache for other readers).
    pub fn release(&self, start: usize, end: usize) {
        let page = PAGE.load(Ordering::Relaxed);
        let lo = start.div_ceil(page) * page;
        let hi = (end / page) * page;
        if hi > lo {
            // SAFETY: no reference into `lo..hi` outlives the scan of its chunk, which has
            // returned; MADV_DONTNEED on a shared file mapping only makes later reads fault the
            // pages in again from the file.
            let _ = unsafe {
                self.map
                    .unchecked_advise_range(UncheckedAdvice::DontNeed, lo, hi - lo)
            };
        }
    }

    /// Unregisters the map; `Err` says how the file shrank if pages were read as zeros.
    pub fn finish(mut self, path: &Path) -> Result<(), String> {
        let damaged = self.unregister();
        if damaged {
            let now = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            return Err(format!(
                "{}: file shrank while being scanned ({} bytes when opened, {now} now); \
                 only the part before the cut was scanned",
                path.display(),
                self.map.len()
            ));
        }
        Ok(())
    }

    fn unregister(&mut self) -> bool {
        match self.slot.take() {
            Some(i) => {
                let damaged = DAMAGED[i].load(Ordering::Acquire);
                STARTS[i].store(RESERVED, Ordering::Release);
                ENDS[i].store(0, Ordering::Release);
                STARTS[i].store(0, Ordering::Release);
                damaged
            }
            None => false,
        }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // Unregister before memmap2 unmaps, so the handler never touches a dead range.
        self.unregister();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_truncated_under_the_map_reads_as_zeros_and_is_reported() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&vec![b'a'; 1 << 20]).unwrap();
        f.flush().unwrap();
        let file = File::open(f.path()).unwrap();
        let m = Mapped::new(&file, f.path()).unwrap();
        f.as_file().set_len(4096).unwrap();
        let bytes = m.bytes();
        assert_eq!(bytes[0], b'a');
        // Past the cut: without the guard this read would kill the test process with SIGBUS.
        assert_eq!(bytes[bytes.len() - 1], 0);
        let err = m.finish(f.path()).unwrap_err();
        assert!(err.contains("shrank"), "{err}");
    }

    #[test]
    fn an_unchanged_file_finishes_cleanly() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"hello\n").unwrap();
        let file = File::open(f.path()).unwrap();
        let m = Mapped::new(&file, f.path()).unwrap();
        assert_eq!(m.bytes(), b"hello\n");
        assert!(m.finish(f.path()).is_ok());
    }
}
