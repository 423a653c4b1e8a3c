//! `kind = "implicit_dim"`: star-math's measurements of the implicit dimension of the star
//! operation. The `[implicit_dim]` section is `star_math::ImplicitDimConfig` (probes, sampling,
//! rank rule). A run's records go into its record's `outcome.extra.records`; the summary step
//! also writes them all to `results/<name>/records.json` (one JSON array, one record per
//! measurement) and draws `implicit_dim` (one layer) and `implicit_dim_stacked` (l > 1).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use star_math::ImplicitDimConfig;

use super::{RunContext, RunKind, RunOutcome};
use crate::config::Experiment;
use crate::plots::{self, DimPoint, DimSeries};
use crate::results::{RunRecord, write_json};
use crate::sweep::RunSpec;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImplicitDimSections {
    pub implicit_dim: ImplicitDimConfig,
}

pub struct ImplicitDim;

impl RunKind for ImplicitDim {
    type Sections = ImplicitDimSections;
    const SECTIONS: &'static [&'static str] = &["implicit_dim"];

    fn validate(sections: &ImplicitDimSections) -> Result<(), String> {
        sections.implicit_dim.validate().map_err(|e| e.to_string())
    }

    fn execute(&self, sections: ImplicitDimSections, ctx: &RunContext) -> Result<RunOutcome> {
        let mut cfg = sections.implicit_dim;
        if cfg.threads == 0 {
            // Not part of the result: star-math seeds each probe independently of threads.
            cfg.threads = ctx.threads;
        }
        let progress = ctx.progress;
        progress.set_epochs(0);
        let records = star_math::run(&cfg, &mut |done, total| {
            progress.message(&format!("probe {done}/{total}"));
        })?;
        let reliable = records.iter().filter(|r| r.reliable).count();
        let measured = records.iter().filter(|r| r.measured_rank.is_some()).count();
        Ok(RunOutcome {
            other: BTreeMap::from([
                ("records".to_string(), records.len() as f64),
                ("reliable".to_string(), reliable as f64),
                ("measured".to_string(), measured as f64),
            ]),
            extra: json!({ "records": records }),
            ..RunOutcome::default()
        })
    }
}

/// Writes `records.json` (every run's records, in plan order) and the two plots.
pub fn draw(exp: &Experiment, records: &[(RunSpec, RunRecord)], results: &Path) -> Result<Vec<PathBuf>> {
    let all: Vec<Value> = records
        .iter()
        .flat_map(|(_, r)| {
            r.outcome
                .extra
                .get("records")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    write_json(&results.join("records.json"), &all)?;
    let mut files = Vec::new();
    for (stacked, stem, title) in [
        (
            false,
            "implicit_dim",
            "implicit dimension of one layer: measured rank (markers), exact count (solid), paper (dashed)",
        ),
        (
            true,
            "implicit_dim_stacked",
            "implicit dimension of stacked layers: measured, exact (solid), paper (dashed)",
        ),
    ] {
        let series = series(&all, stacked);
        if series.iter().any(|s| !s.points.is_empty()) {
            let title = format!("{}: {title}", exp.experiment.name);
            files.push(plots::implicit_dim(&title, &series, &results.join(stem))?.png);
        }
    }
    Ok(files)
}

/// One series per family variant (`star + bias`, `case1 gelu`, `star, 2 layers`, ...).
fn series(records: &[Value], stacked: bool) -> Vec<DimSeries> {
    let mut out: Vec<DimSeries> = Vec::new();
    for r in records {
        let layers = r["layers"].as_u64().unwrap_or(1);
        if (layers > 1) != stacked {
            continue;
        }
        let mut name = r["family"].as_str().unwrap_or("?").to_string();
        if let Some(a) = r["activation"].as_str() {
            name.push_str(&format!(" {a}"));
        }
        if r["scope"].as_str() == Some("across") {
            name.push_str(" across");
        }
        name.push_str(if r["bias"].as_bool().unwrap_or(false) {
            " + bias"
        } else {
            ""
        });
        if layers > 1 {
            name.push_str(&format!(", {layers} layers"));
        }
        let reliable = r["reliable"].as_bool().unwrap_or(false);
        let point = DimPoint {
            d: r["d"].as_f64().unwrap_or(f64::NAN),
            measured: r["measured_rank"].as_f64(),
            reliable,
            paper: r["paper_formula"].as_f64(),
            exact: r["exact_count"].as_f64(),
        };
        match out.iter_mut().find(|s| s.family == name) {
            Some(s) => s.points.push(point),
            None => out.push(DimSeries {
                family: name,
                points: vec![point],
            }),
        }
    }
    for s in &mut out {
        s.points.sort_by(|a, b| a.d.total_cmp(&b.d));
    }
    out
}
