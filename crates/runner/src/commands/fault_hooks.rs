//! The test builds' fault injection, in one place: with the `faults` feature (which only the
//! runner's own tests turn on, through its dev-dependency on itself), the `faults` crate's
//! sabotage hooks and machine faults; in every other build, nothing (these compile to no-ops and
//! the `faults` crate is not built).

use kinds::Tamper;

/// The hooks a run's kind gets: the `faults` crate's sabotage (test builds).
#[cfg(feature = "faults")]
pub fn tamper() -> &'static dyn Tamper {
    &faults::Sabotage
}

/// The hooks a run's kind gets: none ([`kinds::NoTamper`]).
#[cfg(not(feature = "faults"))]
pub fn tamper() -> &'static dyn Tamper {
    &kinds::NoTamper
}

/// Called before each run starts (`panic_index=I` makes run I panic).
pub fn before_run(_index: usize) {
    #[cfg(feature = "faults")]
    faults::panic_if_chosen(_index);
}

/// At start-up: installs the write faults and warns when any fault is active.
pub fn install() {
    #[cfg(feature = "faults")]
    {
        let active = faults::install();
        if !active.is_empty() {
            tracing::warn!("fault injection is on (test build): {active}");
        }
    }
}
