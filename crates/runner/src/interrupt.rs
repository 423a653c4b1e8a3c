//! Ctrl-C. The first one lets the runs in progress finish (each keeps its checkpoints when
//! `train.checkpoint_every` is set) and starts no new run; the summary is still written. The
//! second one ends the process at once; a rerun resumes the unfinished runs from their last
//! checkpoint (`runs/<id>.ckpt/`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static HITS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only async-signal-safe calls here: an atomic add and _exit.
    if HITS.fetch_add(1, Ordering::SeqCst) >= 1 {
        // SAFETY: _exit is async-signal-safe and ends the process without running destructors.
        unsafe { libc::_exit(130) };
    }
}

/// Installs the handler and a thread that says what the first Ctrl-C does.
pub fn install() {
    // SAFETY: installs a handler that only touches an atomic and calls _exit.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
    std::thread::spawn(|| {
        while HITS.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(100));
        }
        tracing::warn!(
            "Ctrl-C: no new run starts; the runs in progress finish and the summary is written. \
             Ctrl-C again stops now (unfinished runs resume from their last checkpoint on the next `runner run`)"
        );
    });
}

/// Whether Ctrl-C was pressed.
pub fn requested() -> bool {
    HITS.load(Ordering::SeqCst) > 0
}
