//! Fault injection for starlab's tests: sabotage of the code paths that compute results (so that
//! `runner check` can be shown to fail) and faults of the machine (a full disk, a panicking run, a
//! slow write to kill during).
//!
//! Faults are named in `STARLAB_FAULTS`, comma-separated, a value after `=` where one is needed:
//! `STARLAB_FAULTS=star_to_sum,panic_index=2`. They take effect only in builds with the `inject`
//! feature, which only the runner's dev-dependency turns on: a `cargo build`, `cargo run` or
//! release binary compiles every hook to `false` / `None`, whatever the environment says.
//!
//! | fault | where | effect |
//! |---|---|---|
//! | `star_to_sum` | runner kinds | models are built with the sum where the config says star |
//! | `init_scale` | runner kinds | initial weights are scaled by 1.5 |
//! | `drop_image` | runner kinds | the last training sample is left out |
//! | `no_warmup` | runner kinds | the learning-rate warm-up is switched off |
//! | `panic_index=I` | runner execute | run I panics |
//! | `write_error=SUFFIX` | durable | writes of files whose name ends with SUFFIX fail with ENOSPC |
//! | `pause_before_rename=SUFFIX` | durable | such writes sleep 2 s between temp file and rename |

/// The environment variable that names the active faults.
pub const ENV: &str = "STARLAB_FAULTS";

/// Whether this build can inject faults at all.
pub const ENABLED: bool = cfg!(feature = "inject");

/// Whether fault `name` is active (given bare or with a value).
pub fn active(name: &str) -> bool {
    value(name).is_some()
}

/// The value of fault `name` (`""` when given bare), `None` when it is not active.
pub fn value(name: &str) -> Option<String> {
    if !ENABLED {
        return None;
    }
    let all = std::env::var(ENV).ok()?;
    all.split(',').find_map(|f| {
        let (k, v) = f.trim().split_once('=').unwrap_or((f.trim(), ""));
        (k == name).then(|| v.to_string())
    })
}

/// The active faults as written, for a warning at start-up; empty when none or not `ENABLED`.
pub fn describe() -> String {
    if !ENABLED {
        return String::new();
    }
    std::env::var(ENV).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_follow_the_feature() {
        // SAFETY: this crate's only test that touches the environment.
        unsafe { std::env::set_var(ENV, "star_to_sum, panic_index=3") };
        assert_eq!(active("star_to_sum"), ENABLED);
        assert_eq!(value("panic_index"), ENABLED.then(|| "3".to_string()));
        assert!(!active("panic"));
        assert!(!active("init_scale"));
    }
}
