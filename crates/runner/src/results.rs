//! The results folder: `runs/<id>.json` (one per run, written atomically), `summary.json`
//! (means over seeds per point) and `config.toml` (the config that produced them).
//!
//! ```text
//! results/<experiment>/
//!   config.toml        copy of the config (what `summarize` re-reads)
//!   overrides.json     the --override list, when one was given
//!   runs/<id>.json     one RunRecord per run (status complete, stopped or failed)
//!   runs/<id>.ckpt/    checkpoints of a run in progress (removed when it finishes)
//!   runs/.<id>.lock    held while a process runs <id>; .summary.lock while one writes the summary
//!   summary.json       [{point, metrics: {name: {mean, std, n}}}]
//!   *.svg, *.png       plots
//! ```
//!
//! What the store promises: a file is whole or absent (temp + fsync + rename); a record always
//! parses (non-finite metrics are strings, see `nonfinite.rs`); a record made by other code (its
//! fingerprint differs), one that failed, or one that does not parse is never reused or
//! replaced silently; two processes never run the same run at once (a lock per run).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kinds::{KindName, RunOutcome};
use crate::provenance::Provenance;
use crate::sweep::RunSpec;

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

pub fn runs_dir(results: &Path) -> PathBuf {
    results.join("runs")
}

pub fn run_path(results: &Path, id: &str) -> PathBuf {
    runs_dir(results).join(format!("{id}.json"))
}

/// Held by the process running `id`.
pub fn run_lock_path(results: &Path, id: &str) -> PathBuf {
    runs_dir(results).join(format!(".{id}.lock"))
}

/// Held while `summary.json` and the plots are written.
pub fn summary_lock_path(results: &Path) -> PathBuf {
    results.join(".summary.lock")
}

/// Checkpoints of a run in progress.
pub fn checkpoint_dir(results: &Path, id: &str) -> PathBuf {
    runs_dir(results).join(format!("{id}.ckpt"))
}

pub use durable::write_atomic;

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Errors when a record under `runs/` has another schema than this runner's, saying how to
/// upgrade it: such a record must neither be read with the wrong metric names nor be redone
/// without being asked.
pub fn ensure_schema(results: &Path) -> Result<()> {
    let dir = runs_dir(results);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.extension().is_none_or(|e| e != "json") || name.starts_with('.') {
            continue;
        }
        let Some(schema) = schema_of(&path) else {
            continue; // unreadable or torn: redone like a missing record
        };
        if schema < SCHEMA {
            anyhow::bail!(
                "{} is a run record of schema {schema}; this runner reads schema {SCHEMA} (metric names \
                 changed, see the README's \"Metrics\"). Upgrade the folder in place with \
                 `runner migrate {}`, or redo its runs with --force",
                path.display(),
                results.display()
            );
        }
        if schema > SCHEMA {
            anyhow::bail!(
                "{} is a run record of schema {schema}, written by a newer runner (this one reads \
                 schema {SCHEMA}); use that runner, or redo the runs with --force",
                path.display()
            );
        }
    }
    Ok(())
}

/// The `schema` field of a record file, if it is one.
pub fn schema_of(path: &Path) -> Option<u32> {
    #[derive(Deserialize)]
    struct Head {
        schema: u32,
    }
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str::<Head>(&text).ok().map(|h| h.schema)
}

/// What the folder holds for one run of the plan.
#[derive(Debug)]
pub enum Found {
    /// No record.
    Missing,
    /// A result of this binary's code.
    Done(Box<RunRecord>),
    /// A result of other code (another code fingerprint).
    Stale(Box<RunRecord>),
    /// The run failed; it is redone.
    Failed(Box<RunRecord>),
    /// A record that does not parse: never trusted, never silently replaced.
    Unreadable(String),
    /// A record for another config or schema under this id (a hash collision, or a hand edit).
    Mismatch(String),
}

impl Found {
    /// The record when it is a result (current or stale).
    pub fn result(&self) -> Option<&RunRecord> {
        match self {
            Found::Done(r) | Found::Stale(r) => Some(r),
            _ => None,
        }
    }
}

/// Reads and classifies the record of `spec`.
pub fn find(results: &Path, spec: &RunSpec) -> Found {
    let path = run_path(results, &spec.id);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Found::Missing,
        Err(e) => return Found::Unreadable(format!("{}: {e}", path.display())),
    };
    let record: RunRecord = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => return Found::Unreadable(format!("{}: {e}", path.display())),
    };
    if record.schema != SCHEMA {
        return Found::Mismatch(format!(
            "{}: schema {} (this runner writes {SCHEMA})",
            path.display(),
            record.schema
        ));
    }
    if record.id != spec.id || record.config != spec.config {
        return Found::Mismatch(format!(
            "{}: recorded for another config than run {}",
            path.display(),
            spec.index
        ));
    }
    let record = Box::new(record);
    if !record.is_result() {
        Found::Failed(record)
    } else if record.provenance.is_current_code() {
        Found::Done(record)
    } else {
        Found::Stale(record)
    }
}

/// The finished record of `spec` made by this code, or `None`.
pub fn load_complete(results: &Path, spec: &RunSpec) -> Option<RunRecord> {
    match find(results, spec) {
        Found::Done(r) => Some(*r),
        _ => None,
    }
}

/// Keeps an unreadable record beside the others as `<id>.json.unreadable-<time>` (nothing is
/// deleted) so that the run can be redone; returns the new name.
pub fn set_aside(results: &Path, id: &str) -> Result<PathBuf> {
    let from = run_path(results, id);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f");
    let to = runs_dir(results).join(format!("{id}.json.unreadable-{stamp}"));
    std::fs::rename(&from, &to).with_context(|| format!("moving {} aside", from.display()))?;
    Ok(to)
}

/// Mean, sample standard deviation and count of one metric over the runs of a point.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Stat {
    #[serde(with = "crate::nonfinite::value")]
    pub mean: f64,
    #[serde(with = "crate::nonfinite::value")]
    pub std: f64,
    pub n: usize,
}

impl Stat {
    pub fn of(values: &[f64]) -> Stat {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n.max(1) as f64;
        let std = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Stat { mean, std, n }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One entry of `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SummaryEntry {
    /// The swept fields and their values, seeds left out.
    pub point: BTreeMap<String, Value>,
    pub metrics: BTreeMap<String, Stat>,
    /// Runs of this point kept from other code (`--reuse-stale`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stale_runs: usize,
    /// Runs of this point made from a source tree with uncommitted changes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dirty_runs: usize,
}

/// A point of the grid without seeds: swept field -> value.
pub type Point = BTreeMap<String, Value>;

/// Groups records by their point without seeds (in plan order) and averages each metric.
pub fn summarize(points: &[(BTreeMap<String, Value>, &RunRecord)]) -> Vec<SummaryEntry> {
    // (point, values per metric, stale runs, dirty runs)
    type Group = (Point, BTreeMap<String, Vec<f64>>, usize, usize);
    let mut groups: Vec<Group> = Vec::new();
    for (point, record) in points {
        let pos = match groups.iter().position(|(p, ..)| p == point) {
            Some(i) => i,
            None => {
                groups.push((point.clone(), BTreeMap::new(), 0, 0));
                groups.len() - 1
            }
        };
        let group = &mut groups[pos];
        for (name, value) in record.outcome.summary_metrics() {
            group.1.entry(name).or_default().push(value);
        }
        group
            .1
            .entry("wall_s".to_string())
            .or_default()
            .push(record.wall_s);
        group.2 += usize::from(!record.provenance.is_current_code());
        group.3 += usize::from(record.provenance.git.dirty);
    }
    groups
        .into_iter()
        .map(|(point, metrics, stale_runs, dirty_runs)| SummaryEntry {
            point,
            metrics: metrics.into_iter().map(|(k, v)| (k, Stat::of(&v))).collect(),
            stale_runs,
            dirty_runs,
        })
        .collect()
}

/// The points of a `summary.json`: `{"points": [...], ...}`, or a bare array (older summaries).
pub fn read_summary(path: &Path) -> Result<Vec<SummaryEntry>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Shape {
        Object { points: Vec<SummaryEntry> },
        Array(Vec<SummaryEntry>),
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let shape: Shape = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a summary ({{\"points\": [{{point, metrics}}]}})",
            path.display()
        )
    })?;
    Ok(match shape {
        Shape::Object { points } | Shape::Array(points) => points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_uses_the_sample_std() {
        let s = Stat::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.n, 4);
        assert!((s.mean - 2.5).abs() < 1e-12);
        // sum of squared deviations 5, over n-1 = 3
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(
            Stat::of(&[7.0]),
            Stat {
                mean: 7.0,
                std: 0.0,
                n: 1
            }
        );
    }

    #[test]
    fn a_nan_mean_survives_the_summary_file() {
        let dir = tempfile::tempdir().unwrap();
        let entry = SummaryEntry {
            point: BTreeMap::new(),
            metrics: BTreeMap::from([("loss".to_string(), Stat::of(&[1.0, f64::NAN]))]),
            stale_runs: 1,
            dirty_runs: 0,
        };
        let path = dir.path().join("summary.json");
        write_json(&path, &vec![entry]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"NaN\"") && text.contains("stale_runs") && !text.contains("dirty_runs"));
        let back = read_summary(&path).unwrap();
        assert!(back[0].metrics["loss"].mean.is_nan());
        assert_eq!(back[0].stale_runs, 1);
    }
}
