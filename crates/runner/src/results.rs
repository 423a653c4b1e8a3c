//! The results folder: `runs/<id>.json` (one per run, written atomically), `summary.json`
//! (means over seeds per point) and `config.toml` (the config that produced them).
//!
//! ```text
//! results/<experiment>/
//!   config.toml        copy of the config (what `runner check` and `summarize` re-read)
//!   overrides.json     the --override list, when one was given
//!   runs/<id>.json     one RunRecord per run
//!   summary.json       [{point, metrics: {name: {mean, std, n}}}]
//!   *.svg, *.png       plots
//! ```

use std::collections::BTreeMap;
use std::io::Write;
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

/// How a run ended. Both count as complete: a diverged run is a result, not a crash.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Complete,
    Stopped,
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
    /// RFC 3339 UTC.
    pub started_at: String,
    pub finished_at: String,
    pub wall_s: f64,
    pub device: String,
    pub threads: usize,
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The resolved config of this run (what its id hashes).
    pub config: Value,
    /// `epochs`, `final`, `best`, `other`, `samples_per_s`, `timings`, `extra`.
    pub outcome: RunOutcome,
}

pub fn runs_dir(results: &Path) -> PathBuf {
    results.join("runs")
}

pub fn run_path(results: &Path, id: &str) -> PathBuf {
    runs_dir(results).join(format!("{id}.json"))
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a reader
/// (or a killed process) never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// The finished record of `spec`, or `None` when it must be (re)done: missing, unreadable, or
/// for another config. (Records of another schema are refused earlier, by [`ensure_schema`].)
pub fn load_complete(results: &Path, spec: &RunSpec) -> Option<RunRecord> {
    let text = std::fs::read_to_string(run_path(results, &spec.id)).ok()?;
    let record: RunRecord = serde_json::from_str(&text).ok()?;
    (record.schema == SCHEMA && record.id == spec.id && record.config == spec.config).then_some(record)
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

/// Every readable record under `runs/`, by id.
pub fn load_all(results: &Path) -> Result<BTreeMap<String, RunRecord>> {
    let dir = runs_dir(results);
    let mut out = BTreeMap::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json")
            && !path.file_name().unwrap().to_string_lossy().starts_with('.')
        {
            let text = std::fs::read_to_string(&path)?;
            match serde_json::from_str::<RunRecord>(&text) {
                Ok(r) => {
                    out.insert(r.id.clone(), r);
                }
                Err(e) => tracing::warn!("ignoring {}: {e}", path.display()),
            }
        }
    }
    Ok(out)
}

/// Mean, sample standard deviation and count of one metric over the runs of a point.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Stat {
    pub mean: f64,
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

/// One entry of `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SummaryEntry {
    /// The swept fields and their values, seeds left out.
    pub point: BTreeMap<String, Value>,
    pub metrics: BTreeMap<String, Stat>,
}

/// A point of the grid without seeds: swept field -> value.
pub type Point = BTreeMap<String, Value>;

/// Groups records by their point without seeds (in plan order) and averages each metric.
pub fn summarize(points: &[(BTreeMap<String, Value>, &RunRecord)]) -> Vec<SummaryEntry> {
    let mut groups: Vec<(Point, BTreeMap<String, Vec<f64>>)> = Vec::new();
    for (point, record) in points {
        let pos = match groups.iter().position(|(p, _)| p == point) {
            Some(i) => i,
            None => {
                groups.push((point.clone(), BTreeMap::new()));
                groups.len() - 1
            }
        };
        for (name, value) in record.outcome.summary_metrics() {
            groups[pos].1.entry(name).or_default().push(value);
        }
        groups[pos]
            .1
            .entry("wall_s".to_string())
            .or_default()
            .push(record.wall_s);
    }
    groups
        .into_iter()
        .map(|(point, metrics)| SummaryEntry {
            point,
            metrics: metrics.into_iter().map(|(k, v)| (k, Stat::of(&v))).collect(),
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
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("a"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("b.json")]);
    }
}
