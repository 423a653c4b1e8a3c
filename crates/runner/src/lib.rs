//! starlab's experiment runner: a TOML config becomes a sweep of runs, each run a JSON record,
//! the records a summary and plots.
//!
//! The runner is layered; each layer uses only the ones below it (cargo enforces it between
//! crates, `crates/architecture`'s test within this one). From the bottom:
//!
//! 1. `kinds` (crate): what one run computes, per `[experiment] kind`, behind one trait;
//! 2. `config` (crate): the TOML file, typed and checked, errors at their file:line:col;
//! 3. `sweep` (crate): the plan, each run with its resolved, validated, typed config and its id;
//! 4. [`results`]: the results store (run records, their provenance, the folder);
//! 5. [`report`]: statistics, `summary.json`, `summary.md` and figures from the records;
//! 6. [`commands`]: what each subcommand does (`run`, `plan`, `check`, `migrate`, `slurm`, ...).
//!
//! The binary (`main.rs`, `cli.rs`) parses the command line and calls the commands.

pub mod commands;
pub mod report;
pub mod results;
