//! Files that are either whole or absent, and advisory locks.
//!
//! - [`write_atomic`] / [`write_with`]: write to a temporary file in the target's folder (a name
//!   unique to the process and the call: `.tmp-<pid>-<n>-<name>`), fsync it, rename it over the
//!   target and fsync the folder. A reader, a concurrent writer or a crash (kill -9, power loss
//!   after the call returned) sees the old file or the new one, never a mix.
//! - [`clean_stale_temps`]: removes temporary files left by processes that no longer exist.
//! - [`Lock`]: `std`'s file lock (`flock(2)`) on a lock file; the kernel releases it when its
//!   process dies, so a killed process never leaves a lock behind.
//!
//! Used by the runner for records, summaries, configs and plots, and by `training` for checkpoints.
//! With the `test-hooks` feature (test builds of the runner only, through its `faults` crate), a
//! hook can fail or slow down writes: see [`hooks`].

#[cfg(feature = "test-hooks")]
pub mod hooks;
mod lock;
pub use lock::holder;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};

pub use lock::Lock;

/// The prefix of every temporary file this crate creates.
pub const TEMP_PREFIX: &str = ".tmp-";

/// `<dir>/.tmp-<pid>-<n>-<name>`: unique per process and call, and it keeps the extension (image
/// and plot writers pick their format from it).
pub fn temp_path(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    parent(path).join(format!("{TEMP_PREFIX}{}-{n}-{name}", std::process::id()))
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` to `path` atomically (see the crate doc).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(path, |tmp| {
        let mut f = std::fs::File::create(tmp)?;
        f.write_all(bytes)?;
        Ok(())
    })
}

/// Lets `write` create the file at a temporary path, then makes it durable and renames it over
/// `path`. For writers that want a path (plotters, `image`). The temporary file is removed when
/// anything fails.
pub fn write_with(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let dir = parent(path);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = temp_path(path);
    let result = (|| -> Result<()> {
        #[cfg(feature = "test-hooks")]
        hooks::call(hooks::Stage::Create, path)?;
        write(&tmp)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        #[cfg(feature = "test-hooks")]
        hooks::call(hooks::Stage::Rename, path)?;
        std::fs::rename(&tmp, path)?;
        sync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// Makes a rename in `dir` durable. Best effort: some file systems refuse fsync on folders.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes `.tmp-<pid>-...` files in `dir` whose process is gone (a kill -9 between create and
/// rename). Files of live processes are kept: they may be mid-write. Returns how many went.
pub fn clean_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix(TEMP_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if !process_alive(pid) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether a process with this id exists (signal 0 checks without sending anything).
pub fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks for existence and permission.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(names(&dir.path().join("a")), vec!["b.json"]);
    }

    #[test]
    fn temp_names_are_unique_and_keep_the_extension() {
        let a = temp_path(Path::new("x/plot.png"));
        let b = temp_path(Path::new("x/plot.png"));
        assert_ne!(a, b);
        assert!(a.to_string_lossy().ends_with("-plot.png"), "{}", a.display());
        assert!(
            a.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        );
    }

    #[test]
    fn a_failed_writer_leaves_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.txt");
        write_atomic(&path, b"old").unwrap();
        let err = write_with(&path, |tmp| {
            std::fs::write(tmp, b"half")?;
            anyhow::bail!("the plot library failed")
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("the plot library failed"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names(dir.path()), vec!["p.txt"]);
    }

    #[test]
    fn only_temps_of_dead_processes_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        // A pid far above Linux's pid_max (4194304) cannot be alive.
        let dead = format!("{TEMP_PREFIX}999999999-0-r.json");
        let mine = format!("{TEMP_PREFIX}{}-0-r.json", std::process::id());
        for n in [&dead, &mine, &"r.json".to_string()] {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        assert_eq!(clean_stale_temps(dir.path()), 1);
        let mut want = vec![mine, "r.json".to_string()];
        want.sort();
        assert_eq!(names(dir.path()), want);
    }

    // Moved from training's checkpoints, whose own atomic write this crate replaced.
    #[test]
    fn racing_writers_leave_one_whole_file_with_the_usual_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/sub/last.safetensors");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second, longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
        // writers racing on one path each use their own temporary: one whole file wins
        std::thread::scope(|s| {
            for i in 0..8u8 {
                let path = &path;
                s.spawn(move || write_atomic(path, &[i; 4096]).unwrap());
            }
        });
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() == 4096 && bytes.iter().all(|&b| b == bytes[0]));
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("last.safetensors")]);
        // the same mode as any file the user creates there (not tempfile's owner-only one)
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions();
        assert_eq!(mode(&path), mode(&plain));
    }

    #[test]
    fn an_unwritable_folder_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        let err = write_atomic(&blocker.join("c.safetensors"), b"x").unwrap_err();
        assert!(
            format!("{err:#}").contains(&blocker.display().to_string()),
            "{err:#}"
        );
    }
}
