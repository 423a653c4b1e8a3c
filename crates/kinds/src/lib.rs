//! What one run computes, per `[experiment] kind`: the runner's lowest layer, and the only one of
//! its crates in the code fingerprint (`runner/build.rs`).
//!
//! Read it in this order:
//! - [`name`]: [`KindName`], the kinds by name;
//! - [`kind`]: [`RunKind`], the one trait every kind implements (its typed sections, their
//!   defaults, their one validation, and what executing a run does);
//! - [`context`]: [`RunContext`], what a run gets besides its config (device, threads, progress,
//!   where its files go, Ctrl-C, and the test builds' [`Tamper`] hooks);
//! - [`run_config`]: [`RunConfig`], one run's resolved, typed config: the enum of the kinds'
//!   sections, and the one place that dispatches on the kind;
//! - [`field_error`]: [`FieldError`], a value out of range, naming its section and field;
//! - [`outcome`]: [`RunOutcome`], what a run measured; [`nonfinite`]: how NaN metrics are stored;
//! - [`metrics`]: what metrics are called (per evaluated split) and what record schema 1 called them;
//! - [`shared`]: the helpers every kind uses (seeded model building, cached data, checkpoints,
//!   the training loop's record as an outcome, its progress);
//! - the kinds: [`train`], [`moons`] (with its SVM and logistic baselines), [`implicit_dim`],
//!   [`latency`].

pub mod context;
pub mod field_error;
pub mod implicit_dim;
pub mod kind;
pub mod latency;
pub mod metrics;
pub mod moons;
pub mod name;
pub mod nonfinite;
pub mod outcome;
pub mod run_config;
pub mod shared;
pub mod train;

pub use context::{NoTamper, RunContext, ShowProgress, Tamper};
pub use field_error::FieldError;
pub use kind::RunKind;
pub use name::KindName;
pub use outcome::{RunOutcome, best_of};
pub use run_config::RunConfig;
