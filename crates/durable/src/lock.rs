//! Advisory locks: `std::fs::File::lock` / `try_lock` (`flock(2)` on Linux) on a file that holds
//! the owner's pid (for messages only).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A held lock; dropping it (or the process dying) releases it.
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
}

impl Lock {
    /// Takes the lock if it is free; `Ok(None)` when another process (or another `Lock` of this
    /// process) holds it.
    pub fn try_acquire(path: &Path) -> Result<Option<Lock>> {
        Self::take(path, false)
    }

    /// Waits for the lock.
    pub fn acquire(path: &Path) -> Result<Lock> {
        Self::take(path, true).map(|l| l.expect("a blocking lock returns only when held"))
    }

    fn take(path: &Path, wait: bool) -> Result<Option<Lock>> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("opening lock file {}", path.display()))?;
        loop {
            let taken = if wait {
                file.lock()
            } else {
                match file.try_lock() {
                    Ok(()) => Ok(()),
                    Err(TryLockError::WouldBlock) => return Ok(None),
                    Err(TryLockError::Error(e)) => Err(e),
                }
            };
            match taken {
                Ok(()) => break,
                // A signal (Ctrl-C's handler) interrupted the wait: keep waiting.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).with_context(|| format!("locking {}", path.display())),
            }
        }
        // The owner's pid, for "held by process N" messages; the lock itself is the file lock.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        Ok(Some(Lock {
            file,
            path: path.to_path_buf(),
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Releases the lock and deletes its file. Only safe when every other taker re-checks, after
    /// acquiring, whether there is still work to do (a waiter may hold the deleted inode).
    pub fn release_and_remove(self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.sync_all();
    }
}

/// The pid written into a lock file by its last holder, if any.
pub fn holder(path: &Path) -> Option<u32> {
    let mut s = String::new();
    File::open(path).ok()?.read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_busy_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let held = Lock::try_acquire(&path).unwrap().expect("free at first");
        // flock locks belong to the open file description: a second open is a second taker.
        assert!(Lock::try_acquire(&path).unwrap().is_none());
        assert_eq!(holder(&path), Some(std::process::id()));
        drop(held);
        assert!(Lock::try_acquire(&path).unwrap().is_some());
    }
}
