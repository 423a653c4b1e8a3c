//! [`collect`]: the records of a plan found in a results folder, in plan order, and what a reader
//! should know about the rest (missing, failed, unreadable, stale or dirty records).

use std::path::Path;

use sweep::RunSpec;

use super::provenance::CODE_FINGERPRINT;
use super::record::RunRecord;
use super::store::{Found, find};

/// The records of a plan found in a results folder.
#[derive(Default)]
pub struct Collected {
    /// Results (current and stale), in plan order.
    pub records: Vec<(RunSpec, RunRecord)>,
    pub missing: Vec<usize>,
    pub warnings: Vec<String>,
}

/// The records of `plan` found under `results`, in plan order, and what is wrong with the rest.
pub fn collect(plan: &[RunSpec], results: &Path) -> Collected {
    let mut c = Collected::default();
    let (mut failed, mut unreadable) = (Vec::new(), Vec::new());
    for spec in plan {
        match find(results, spec) {
            Found::Done(r) | Found::Stale(r) => c.records.push((spec.clone(), *r)),
            Found::Failed(r) => failed.push(format!(
                "run {} failed: {}",
                spec.index,
                r.error.as_deref().unwrap_or("").lines().next().unwrap_or("")
            )),
            Found::Unreadable(why) | Found::Mismatch(why) => unreadable.push(why),
            Found::Missing => c.missing.push(spec.index),
        }
    }
    let mut prints: Vec<&str> = c
        .records
        .iter()
        .map(|(_, r)| r.provenance.code_fingerprint.as_str())
        .collect();
    prints.sort();
    prints.dedup();
    let stale = c
        .records
        .iter()
        .filter(|(_, r)| !r.provenance.is_current_code())
        .count();
    let dirty = c.records.iter().filter(|(_, r)| r.provenance.git.dirty).count();
    if prints.len() > 1 {
        c.warnings.push(format!(
            "the records mix {} code fingerprints ({}): rerun with --force for results of one code version",
            prints.len(),
            prints
                .iter()
                .map(|p| if p.is_empty() { "none" } else { p })
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if stale > 0 {
        c.warnings.push(format!(
            "{stale} of {} records come from other code than this build ({}); marked as stale_runs",
            c.records.len(),
            CODE_FINGERPRINT
        ));
    }
    if dirty > 0 {
        c.warnings.push(format!(
            "{dirty} of {} records come from a source tree with uncommitted changes; marked as dirty_runs",
            c.records.len()
        ));
    }
    c.warnings.extend(failed);
    c.warnings.extend(
        unreadable
            .into_iter()
            .map(|w| format!("record left out, it cannot be read: {w}")),
    );
    c
}
