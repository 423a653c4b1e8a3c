//! Test builds only (feature `test-hooks`): one function, installed once per process, that
//! [`crate::write_with`] calls before it creates a temporary file and before it renames it over the
//! target. An error it returns fails the write (and removes the temporary file), a sleep in it
//! widens the window a test kills the process in. The runner's `faults` crate installs it.

use std::path::Path;
use std::sync::OnceLock;

/// Where in a write the hook is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Before the temporary file is created.
    Create,
    /// After the temporary file is written and synced, before the rename.
    Rename,
}

/// The hook: the stage and the target path.
pub type Hook = fn(Stage, &Path) -> std::io::Result<()>;

static HOOK: OnceLock<Hook> = OnceLock::new();

/// Installs `hook` for the rest of the process; false when one was installed already.
pub fn install(hook: Hook) -> bool {
    HOOK.set(hook).is_ok()
}

pub(crate) fn call(stage: Stage, path: &Path) -> std::io::Result<()> {
    match HOOK.get() {
        Some(hook) => hook(stage, path),
        None => Ok(()),
    }
}
