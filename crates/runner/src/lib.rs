//! starlab's experiment runner: a TOML config becomes a sweep of runs, each run a JSON record,
//! the records a summary and plots.
//!
//! How a config becomes results, file by file:
//! 1. [`config`]: parse and validate the TOML (errors carry file:line:col), fill defaults.
//! 2. [`sweep`]: expand `[sweep]` into the grid of runs; [`run_id`] names each by a hash.
//! 3. [`execute`]: skip finished runs, run the rest (`--jobs`), with [`progress`] bars or logs.
//! 4. [`kinds`]: what one run does (`train`, `moons`, `implicit_dim`, `latency`).
//! 5. [`results`]: the run records (atomic writes) and the summary statistics;
//!    [`summary`] writes `summary.json` (with [`stats`]' paired differences) and `summary.md`
//!    ([`tables`]); [`figures`] turns them into the `plots` crate's inputs.
//!
//! Beside that: [`check`] (compare fresh results with committed ones), [`slurm`] (array jobs),
//! [`describe`], [`predict`] and [`export`] (model sizes, ImageNet inference on tch or ONNX
//! Runtime, ONNX files), [`defaults`], [`provenance`], [`migrate`] (upgrades results folders of
//! an older record schema).

pub mod check;
pub mod config;
pub mod defaults;
pub mod describe;
pub mod execute;
pub mod export;
pub mod figures;
pub mod interrupt;
pub mod kernels;
pub mod kinds;
pub mod migrate;
pub mod nonfinite;
pub mod predict;
pub mod progress;
pub mod provenance;
pub mod results;
pub mod run_id;
pub mod slurm;
pub mod stats;
pub mod summary;
pub mod sweep;
pub mod tables;
pub mod validate;
