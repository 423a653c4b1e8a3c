//! The report (the runner's middle layer, above the results store): what a results folder's
//! records say, as `summary.json`, `summary.md` and figures.
//!
//! - `stats.rs`: the statistics, in one home (mean, std and n; 95% t-intervals; paired
//!   differences; OLS trends);
//! - `summary.rs`: [`Summary`], `summary.json`'s points and paired comparisons;
//! - `labels.rs`: how fields, values and points are named, shared by tables and figures;
//! - `tables.rs`: `summary.md`'s markdown tables;
//! - `figures.rs`: which figures an experiment gets, as the `plots` crate's inputs;
//! - `write.rs`: [`write()`], all of it written into the folder.

pub mod figures;
pub mod labels;
pub mod stats;
pub mod summary;
pub mod tables;
pub mod write;

pub use summary::{Summary, SummaryEntry, build, read_summary};
pub use write::{SummaryReport, write};
