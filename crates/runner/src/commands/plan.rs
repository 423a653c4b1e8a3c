//! `runner plan`'s table: each run of a plan with its index, id, status and point.

use std::fmt::Write as _;
use std::path::Path;

use config::Experiment;
use sweep::RunSpec;

use crate::results::{Found, find};

/// `runner plan`'s table.
pub fn plan_table(exp: &Experiment, plan: &[RunSpec], results: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}): {} run(s), results in {}",
        exp.experiment.name,
        exp.experiment.kind,
        plan.len(),
        results.display()
    );
    let _ = writeln!(out, "{:>5}  {:<16}  {:<7}  point", "index", "id", "status");
    for spec in plan {
        let done = match find(results, spec) {
            Found::Done(_) => "done",
            Found::Stale(_) => "stale",
            Found::Failed(_) => "failed",
            Found::Unreadable(_) | Found::Mismatch(_) => "unreadable",
            Found::Missing => "pending",
        };
        let _ = writeln!(
            out,
            "{:>5}  {:<16}  {:<7}  {}",
            spec.index,
            spec.id,
            done,
            spec.label(exp)
        );
    }
    out
}
