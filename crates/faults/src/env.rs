//! `STARLAB_FAULTS`: which faults are active.

/// The environment variable that names the active faults.
pub const ENV: &str = "STARLAB_FAULTS";

/// Whether fault `name` is active (given bare or with a value).
pub fn active(name: &str) -> bool {
    value(name).is_some()
}

/// The value of fault `name` (`""` when given bare), `None` when it is not active.
pub fn value(name: &str) -> Option<String> {
    let all = std::env::var(ENV).ok()?;
    all.split(',').find_map(|f| {
        let (k, v) = f.trim().split_once('=').unwrap_or((f.trim(), ""));
        (k == name).then(|| v.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_read_from_the_environment() {
        // SAFETY: this crate's only test that touches the environment.
        unsafe { std::env::set_var(ENV, "star_to_sum, panic_index=3") };
        assert!(active("star_to_sum"));
        assert_eq!(value("panic_index"), Some("3".to_string()));
        assert!(!active("panic"));
        assert!(!active("init_scale"));
    }
}
