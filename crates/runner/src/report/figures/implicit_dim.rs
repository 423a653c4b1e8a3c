//! The implicit-dimension figures from star-math's typed measurements, as small multiples:
//! `implicit_dim` has a panel per family of one layer, `implicit_dim_stacked` one per layer
//! count; within a panel a colour per variant (bias, scope, activation).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use plots::{DimPanel, DimPoint, DimSeries, Dims, Frame};
use star_math::{Family, Record, Scope};

use config::Experiment;
use sweep::RunSpec;

use crate::results::RunRecord;

const CAPTION: &str = "pale band: exact count; dashed: the paper's formula; dots: measured numerical rank \
                       (hollow: unreliable, missing: withheld); both axes logarithmic";

/// Every run's measurements, in plan order.
fn all_records(records: &[(RunSpec, RunRecord)]) -> Result<Vec<Record>> {
    let mut all = Vec::new();
    for (_, r) in records {
        let measured = kinds::implicit_dim::records(&r.outcome).with_context(|| format!("run {}", r.id))?;
        all.extend(measured);
    }
    Ok(all)
}

pub fn draw(exp: &Experiment, records: &[(RunSpec, RunRecord)], results: &Path) -> Result<Vec<PathBuf>> {
    let all = all_records(records)?;
    let mut files = Vec::new();
    for (figure, stem) in [
        (one_layer(exp, &all), "implicit_dim"),
        (stacked(exp, &all), "implicit_dim_stacked"),
    ] {
        if figure
            .panels
            .iter()
            .any(|p| p.series.iter().any(|s| !s.points.is_empty()))
        {
            files.push(plots::implicit_dim(&figure, &results.join(stem))?.png);
        }
    }
    Ok(files)
}

/// What each family computes (plain text: the embedded font has no superscript T).
fn family_title(f: Family) -> &'static str {
    match f {
        Family::Star => "star: (W1 x + b1) * (W2 x + b2)",
        Family::Sum => "sum: (W1 x + b1) + (W2 x + b2)",
        Family::Case1 => "case I: act(w1 x + b1) * (w2 x + b2)",
        Family::Case2 => "case II: (w1 x + b1) * (x_c + b2)",
        Family::Case3 => "case III: (x_c + b1) * (x_c + b2)",
    }
}

/// The variant within its panel: activation, scope and bias.
fn variant(r: &Record, with_family: bool) -> String {
    let mut parts = Vec::new();
    if with_family {
        parts.push(r.family.name().to_string());
    }
    if let Some(a) = r.activation {
        parts.push(a.name().to_string());
    }
    if matches!(r.family, Family::Case2 | Family::Case3) {
        parts.push(
            if r.scope == Scope::Across {
                "across channels"
            } else {
                "one channel"
            }
            .to_string(),
        );
    }
    parts.push(if r.bias { "+ bias" } else { "no bias" }.to_string());
    parts.join(", ")
}

/// Appends `r` to the series `name` of `panel` (created on first use).
fn push(panel: &mut DimPanel, name: String, r: &Record) {
    let point = DimPoint {
        d: r.d as f64,
        measured: r.measured_rank.map(|v| v as f64),
        reliable: r.reliable,
        paper: r.paper_formula,
        exact: r.exact_count,
    };
    match panel.series.iter_mut().find(|s| s.family == name) {
        Some(s) => s.points.push(point),
        None => panel.series.push(DimSeries {
            family: name,
            points: vec![point],
        }),
    }
}

fn sorted(mut panels: Vec<DimPanel>) -> Vec<DimPanel> {
    for s in panels.iter_mut().flat_map(|p| &mut p.series) {
        s.points.sort_by(|a, b| a.d.total_cmp(&b.d));
    }
    panels
}

/// A panel per family of one layer, in the paper's order.
pub fn one_layer(exp: &Experiment, records: &[Record]) -> Dims {
    let mut panels: Vec<(Family, DimPanel)> = Vec::new();
    for r in records.iter().filter(|r| r.layers == 1) {
        let pos = panels
            .iter()
            .position(|(f, _)| *f == r.family)
            .unwrap_or_else(|| {
                panels.push((
                    r.family,
                    DimPanel {
                        title: family_title(r.family).into(),
                        series: Vec::new(),
                    },
                ));
                panels.len() - 1
            });
        push(&mut panels[pos].1, variant(r, false), r);
    }
    Dims {
        frame: Frame {
            title: format!(
                "{}: implicit dimension of one layer against input width d",
                exp.experiment.name
            ),
            caption: CAPTION.into(),
        },
        panels: sorted(panels.into_iter().map(|(_, p)| p).collect()),
    }
}

/// A panel per layer count (2, 3, 4), star and sum beside each other.
pub fn stacked(exp: &Experiment, records: &[Record]) -> Dims {
    let mut panels: Vec<(usize, DimPanel)> = Vec::new();
    for r in records.iter().filter(|r| r.layers > 1) {
        let pos = panels
            .iter()
            .position(|(l, _)| *l == r.layers)
            .unwrap_or_else(|| {
                panels.push((
                    r.layers,
                    DimPanel {
                        title: format!("{} stacked layers", r.layers),
                        series: Vec::new(),
                    },
                ));
                panels.len() - 1
            });
        push(&mut panels[pos].1, variant(r, true), r);
    }
    panels.sort_by_key(|(l, _)| *l);
    Dims {
        frame: Frame {
            title: format!(
                "{}: implicit dimension of stacked star and sum layers against d",
                exp.experiment.name
            ),
            caption: CAPTION.into(),
        },
        panels: sorted(panels.into_iter().map(|(_, p)| p).collect()),
    }
}
