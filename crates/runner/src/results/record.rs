//! `runs/<id>.json`: [`RunRecord`], one run's result and where it came from.

use std::collections::BTreeMap;

use kinds::{KindName, RunOutcome};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::provenance::Provenance;

/// Bumped when the record layout changes. A folder with records of another schema is refused
/// (never silently redone); `runner migrate` upgrades older ones (`migrate.rs`).
/// 1 -> 2: metric names say what they are computed on (`top1` became `test_top1`, or `eval_top1`
/// for moons; see the README's "Metrics").
pub const SCHEMA: u32 = 2;

/// How a run ended. `complete` and `stopped` are results (a diverged run is a result, not a
/// crash); `failed` runs are redone by the next `runner run`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Complete,
    Stopped,
    Failed,
}

/// `runs/<id>.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    pub schema: u32,
    pub id: String,
    pub experiment: String,
    pub kind: KindName,
    pub index: usize,
    pub point: BTreeMap<String, Value>,
    pub status: RunStatus,
    /// Why a failed run failed (an error or a panic message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// RFC 3339 UTC.
    pub started_at: String,
    pub finished_at: String,
    pub wall_s: f64,
    pub device: String,
    /// libtorch's intra-op threads when the run ended (after `train.threads` applied).
    pub threads: usize,
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The resolved config of this run (what its id hashes).
    pub config: Value,
    /// `epochs`, `final`, `best`, `other`, `samples_per_s`, `timings`, `extra`.
    pub outcome: RunOutcome,
}

impl RunRecord {
    pub fn is_result(&self) -> bool {
        self.status != RunStatus::Failed
    }
}
