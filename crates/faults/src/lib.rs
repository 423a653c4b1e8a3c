//! Fault injection for starlab's tests: sabotage of the code paths that compute results (so that
//! `runner check` can be shown to fail) and faults of the machine (a full disk, a panicking run, a
//! slow write to kill during).
//!
//! Faults are named in `STARLAB_FAULTS`, comma-separated, a value after `=` where one is needed:
//! `STARLAB_FAULTS=star_to_sum,panic_index=2`. Only the runner's test builds contain this crate:
//! its `faults` feature (which the runner's own dev-dependency on itself turns on) makes it a
//! dependency and has the binary call [`install`]. A `cargo build`, `cargo run` or release binary
//! compiles none of it, whatever the environment says.
//!
//! | fault | where | effect |
//! |---|---|---|
//! | `star_to_sum` | the kinds' [`kinds::Tamper`] hooks | models are built with the sum where the config says star |
//! | `init_scale` | the kinds' hooks | initial weights are scaled by 1.5 |
//! | `drop_image` | the kinds' hooks | the last training sample is left out |
//! | `no_warmup` | the kinds' hooks | the learning-rate warm-up is switched off |
//! | `panic_index=I` | [`panic_if_chosen`], before each run | run I panics |
//! | `write_error=SUFFIX` | durable's write hook | writes of files whose name ends with SUFFIX fail with ENOSPC |
//! | `pause_before_rename=SUFFIX` | durable's write hook | such writes sleep 2 s between temp file and rename |

mod env;
mod machine;
mod sabotage;

pub use env::{ENV, active, value};
pub use machine::panic_if_chosen;
pub use sabotage::Sabotage;

/// Installs the machine faults (durable's write hook) for this process and returns the active
/// faults as written, for a warning at start-up (empty when none).
pub fn install() -> String {
    durable::hooks::install(machine::write_faults);
    std::env::var(ENV).unwrap_or_default()
}
