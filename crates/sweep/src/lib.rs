//! The plan (the runner's third layer, above `config` and `kinds`): an experiment's sweep
//! expanded into its runs.
//!
//! - [`spec`]: [`RunSpec`], one run: its index, id, point and resolved, typed config;
//! - [`plan`]: [`plan()`], the grid in order then the extra points, each run resolved (base, then
//!   its point, then `--override`), decoded once and validated once, an error at the line that
//!   caused it;
//! - [`run_id`]: a run's id, the hash of its kind and config.

pub mod plan;
pub mod run_id;
pub mod spec;

pub use plan::plan;
pub use spec::{EXTRA, RunSpec, seed_axes};
