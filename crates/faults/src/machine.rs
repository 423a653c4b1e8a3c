//! Faults of the machine: a run that panics, a write that fails or is slow.

use std::path::Path;

use crate::env::{ENV, value};

/// `panic_index=I`: run I panics (called before each run starts).
pub fn panic_if_chosen(index: usize) {
    if value("panic_index").is_some_and(|i| i == index.to_string()) {
        panic!("injected panic in run {index} ({ENV})");
    }
}

/// `write_error` and `pause_before_rename`, for the files they name.
pub(crate) fn write_faults(stage: durable::hooks::Stage, path: &Path) -> std::io::Result<()> {
    let named = |fault: &str| value(fault).is_some_and(|s| path.to_string_lossy().ends_with(&s));
    match stage {
        durable::hooks::Stage::Create if named("write_error") => {
            Err(std::io::Error::from_raw_os_error(libc::ENOSPC))
        }
        durable::hooks::Stage::Rename if named("pause_before_rename") => {
            std::thread::sleep(std::time::Duration::from_secs(2));
            Ok(())
        }
        _ => Ok(()),
    }
}
