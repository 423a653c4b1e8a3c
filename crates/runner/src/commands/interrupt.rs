//! Ctrl-C. The first one stops each training run in progress after its current step, with its
//! state in `runs/<id>.ckpt/interrupted.safetensors` (whatever `train.checkpoint_every` says),
//! lets the other runs in progress finish, starts no new run, still writes the summary, and the
//! runner exits with 130. The second one ends the process at once. Either way, running the same
//! command again resumes the unfinished runs from their last checkpoint (`runs/<id>.ckpt/`); one
//! stopped by the first Ctrl-C ends bit-identical to a run that was never interrupted.

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
            "Ctrl-C: each training run in progress stops after its current step and saves its state; no new run \
             starts; the summary is written. Ctrl-C again stops now. Run the same command again to resume."
        );
    });
}

/// Whether Ctrl-C was pressed (the stop predicate of every training run).
pub fn requested() -> bool {
    HITS.load(Ordering::SeqCst) > 0
}
