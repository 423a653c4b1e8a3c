//! The results store (the runner's lowest layer, above the `sweep` crate): what a results folder
//! holds and how it is read and written.
//!
//! - `record.rs`: [`RunRecord`], one run's `runs/<id>.json`, and the record [`SCHEMA`];
//! - `provenance.rs`: where a record came from (code fingerprint, git, versions, CPU);
//! - `store.rs`: the folder's paths, atomic writes, and how a plan's record is found and
//!   classified ([`Found`]: done, stale, failed, unreadable, missing);
//! - `collect.rs`: a plan's records, with warnings about the rest;
//! - `saved.rs`: the config a folder was made from (`config.toml`, `overrides.json`).

pub mod collect;
pub mod provenance;
pub mod record;
pub mod saved;
pub mod store;

pub use collect::{Collected, collect};
pub use provenance::{CODE_FINGERPRINT, Provenance};
pub use record::{RunRecord, RunStatus, SCHEMA};
pub use saved::{load_saved, save_config};
pub use store::{
    Found, checkpoint_dir, ensure_schema, find, load_complete, run_lock_path, run_path, runs_dir, schema_of,
    set_aside, summary_lock_path, write_atomic, write_json,
};
