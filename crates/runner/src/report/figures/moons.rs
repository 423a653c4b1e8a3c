//! Two-moons decision boundaries: one panel per sweep point (its first seed), from the grid and
//! the training points each run recorded (`kinds::moons::MoonsExtra`).

use std::path::{Path, PathBuf};

use anyhow::Result;

use config::Experiment;
use kinds::moons::{MoonsExtra, load_grid};
use sweep::RunSpec;

use crate::report::labels::value_name;
use crate::results::{RunRecord, runs_dir};

/// One panel per point (its first seed), titled with that run's accuracies.
pub fn boundaries(
    exp: &Experiment,
    records: &[(RunSpec, RunRecord)],
    results: &Path,
) -> Result<Vec<PathBuf>> {
    let mut seen = Vec::new();
    let mut panels = Vec::new();
    for (spec, record) in records {
        let point = spec.group_point(exp);
        if seen.contains(&point) {
            continue;
        }
        seen.push(point);
        match panel(exp, spec, record, results) {
            Ok(p) => panels.push(p),
            Err(e) => tracing::warn!("no decision boundary for run {}: {e:#}", record.id),
        }
    }
    if panels.is_empty() {
        return Ok(Vec::new());
    }
    // Short enough for two panels' width; the panel titles carry the accuracies.
    let title = format!(
        "{}: decision boundaries, first seed (net: best training accuracy)",
        exp.experiment.name
    );
    let files = plots::decision_boundaries(&title, &panels, &results.join("boundaries"))?;
    Ok(vec![files.png])
}

fn panel(
    exp: &Experiment,
    spec: &RunSpec,
    record: &RunRecord,
    results: &Path,
) -> Result<plots::BoundaryPanel> {
    let extra: MoonsExtra = serde_json::from_value(record.outcome.extra.clone())
        .map_err(|e| anyhow::anyhow!("its record's outcome.extra is not a moons grid: {e}"))?;
    let g = &extra.grid;
    let probs = load_grid(&runs_dir(results).join(&g.file), g)?;
    let grid = plots::Grid {
        x0: g.x0,
        y0: g.y0,
        step: g.step,
        nx: g.nx,
        ny: g.ny,
    };
    let points = extra
        .points
        .iter()
        .map(|&(x, y, class)| (f64::from(x), f64::from(y), class))
        .collect();
    let m = record.outcome.summary_metrics();
    let pct = |k: &str| {
        m.get(k)
            .map_or_else(|| "-".to_string(), |v| format!("{:.0}%", v * 100.0))
    };
    // Short: values only ("star relu, seed 0"), the panels are narrow.
    let label = exp
        .axes
        .iter()
        .filter_map(|a| {
            let v = value_name(exp, spec.point.get(&a.key)?);
            Some(if a.is_seed() { format!("seed {v}") } else { v })
        })
        .collect::<Vec<_>>()
        .join(" ");
    let title = format!(
        "{label}: net {}, poly {}, rbf {}",
        pct("best_train_top1"),
        pct("svm_poly_top1"),
        pct("svm_rbf_top1")
    );
    Ok(plots::BoundaryPanel {
        title,
        grid,
        probs,
        points,
    })
}
