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
//! What the store promises: a file is whole or absent (`durable`: temp + fsync + rename); a record
//! always parses (non-finite metrics are strings, see `kinds::nonfinite`); a record made by other code (its
//! fingerprint differs), one that failed, or one that does not parse is never reused or
//! replaced silently; two processes never run the same run at once (a lock per run).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use sweep::RunSpec;

use super::record::{RunRecord, SCHEMA};

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
    if record.id != spec.id || record.config != spec.config.to_json() {
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
