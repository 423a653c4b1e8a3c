//! Which plots an experiment gets, built from its records and summary and drawn by
//! [`crate::plots`] (SVG + PNG with the same stem, in the results folder).
//!
//! - every sweep with a numeric axis: `<metric>_vs_<x>` (one line per value of the group axis,
//!   error bars over seeds, the paper's numbers from `[output] paper` in a panel beside);
//! - sweeps without one (ablations, `[[sweep.extra]]` baselines): `<metric>_bars`, a bar per point;
//! - training kinds: `curves` (training loss and test accuracy per epoch, mean over seeds);
//! - moons: `boundaries` (decision grid of the first seed of each point, with SVM accuracies);
//! - implicit_dim: `implicit_dim` (measured rank, paper formula and exact count against d).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::Value;

use crate::config::Experiment;
use crate::kinds::KindName;
use crate::plots::{self, AccuracyLabels, Curve, CurvePoint, Series};
use crate::results::{RunRecord, SummaryEntry};
use crate::sweep::{RunSpec, short as text};

pub fn draw(
    exp: &Experiment,
    records: &[(RunSpec, RunRecord)],
    summary: &[SummaryEntry],
    results: &Path,
) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if records.is_empty() {
        return Ok(files);
    }
    match exp.experiment.kind {
        KindName::Train | KindName::Moons => {
            if let Some(f) = sweep_plot(exp, summary, results)? {
                files.push(f);
            }
            files.push(curves(exp, records, results)?);
            if exp.experiment.kind == KindName::Moons {
                files.extend(crate::kinds::moons::draw_boundaries(exp, records, results)?);
            }
        }
        KindName::ImplicitDim => files.extend(crate::kinds::implicit_dim::draw(exp, records, results)?),
        KindName::Latency => {
            if let Some(f) = sweep_plot(exp, summary, results)? {
                files.push(f);
            }
        }
    }
    Ok(files)
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// The x axis: `[output] x`, else the first swept non-seed axis with numeric values.
pub fn x_axis(exp: &Experiment) -> Option<String> {
    if let Some(x) = &exp.output.x {
        return Some(x.clone());
    }
    exp.axes
        .iter()
        .find(|a| !a.is_seed() && a.values.iter().all(|v| v.is_number()))
        .map(|a| a.key.clone())
}

/// The grouping axis: `[output] group`, else `mode` when swept.
pub fn group_axis(exp: &Experiment) -> Option<String> {
    exp.output.group.clone().or_else(|| {
        exp.axes
            .iter()
            .find(|a| a.path.last().is_some_and(|f| f == "mode"))
            .map(|a| a.key.clone())
    })
}

/// Accuracies are stored as fractions; plots show percent.
fn scale(metric: &str) -> f64 {
    if metric.contains("top1") || metric.contains("top5") || metric.contains("acc") {
        100.0
    } else {
        1.0
    }
}

/// The metric's axis label: accuracies say they are in percent.
fn axis_label(metric: &str) -> String {
    if scale(metric) == 100.0 {
        format!("{metric} (%)")
    } else {
        metric.to_string()
    }
}

/// `(x, mean, std)`.
type ErrorBarPoint = (f64, f64, f64);

fn sweep_plot(exp: &Experiment, summary: &[SummaryEntry], results: &Path) -> Result<Option<PathBuf>> {
    let Some(x) = x_axis(exp) else {
        return bar_plot(exp, summary, results);
    };
    let metric = &exp.output.metric;
    let k = scale(metric);
    let group = group_axis(exp);
    // A line per combination of the other (non-x) point coordinates, e.g. "star" or "star act=none".
    let mut lines: Vec<(String, Vec<ErrorBarPoint>)> = Vec::new();
    for entry in summary {
        let (Some(xv), Some(stat)) = (entry.point.get(&x).and_then(number), entry.metrics.get(metric)) else {
            continue;
        };
        let mut name_parts: Vec<String> = Vec::new();
        if let Some(g) = &group
            && let Some(v) = entry.point.get(g)
        {
            name_parts.push(text(v));
        }
        for (key, v) in &entry.point {
            if key != &x && Some(key) != group.as_ref() {
                name_parts.push(format!("{key}={}", text(v)));
            }
        }
        let name = if name_parts.is_empty() {
            exp.experiment.name.clone()
        } else {
            name_parts.join(" ")
        };
        let pos = lines.iter().position(|(n, _)| *n == name).unwrap_or_else(|| {
            lines.push((name, Vec::new()));
            lines.len() - 1
        });
        lines[pos].1.push((xv, stat.mean * k, stat.std * k));
    }
    if lines.is_empty() {
        return Ok(None);
    }
    let mut series: Vec<Series> = lines
        .into_iter()
        .map(|(name, mut points)| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series {
                name,
                points,
                reference: false,
            }
        })
        .collect();
    // The paper's numbers, in the measured lines' order so colours match.
    let mut paper: Vec<(&String, &BTreeMap<String, f64>)> = exp.output.paper.iter().collect();
    paper.sort_by_key(|(name, _)| series.iter().position(|s| &s.name == *name).unwrap_or(usize::MAX));
    for (name, values) in paper {
        let mut points: Vec<(f64, f64, f64)> = values
            .iter()
            .filter_map(|(xs, &y)| xs.trim().parse::<f64>().ok().map(|xv| (xv, y, f64::NAN)))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        series.push(Series {
            name: name.clone(),
            points,
            reference: true,
        });
    }
    let labels = AccuracyLabels {
        title: title(exp),
        x: x.clone(),
        y: axis_label(metric),
        reference_title: exp.output.paper_label.clone(),
        reference_y: if k == 100.0 {
            format!("{} (%)", exp.output.paper_label)
        } else {
            exp.output.paper_label.clone()
        },
    };
    let stem = results.join(format!("{metric}_vs_{}", x.replace('.', "_")));
    let files = plots::accuracy_vs(&labels, &series, &stem)?;
    Ok(Some(files.png))
}

fn title(exp: &Experiment) -> String {
    if exp.experiment.description.is_empty() {
        exp.experiment.name.clone()
    } else {
        exp.experiment.description.clone()
    }
}

/// A bar per summary point (in sweep order), coloured by the group axis (or the extra's variant).
fn bar_plot(exp: &Experiment, summary: &[SummaryEntry], results: &Path) -> Result<Option<PathBuf>> {
    let metric = &exp.output.metric;
    let k = scale(metric);
    let group = group_axis(exp);
    let bars: Vec<plots::Bar> = summary
        .iter()
        .filter_map(|entry| {
            let stat = entry.metrics.get(metric)?;
            let label = entry
                .point
                .iter()
                .map(|(key, v)| match key.as_str() {
                    crate::sweep::EXTRA => text(v),
                    _ => format!("{key}={}", text(v)),
                })
                .collect::<Vec<_>>()
                .join(" ");
            let group = group
                .as_ref()
                .and_then(|g| entry.point.get(g))
                .or_else(|| entry.point.get(crate::sweep::EXTRA))
                .map(text)
                .unwrap_or_default();
            Some(plots::Bar {
                label,
                group,
                mean: stat.mean * k,
                std: stat.std * k,
            })
        })
        .collect();
    if bars.len() < 2 {
        return Ok(None);
    }
    let files = plots::bars(
        &title(exp),
        &axis_label(metric),
        &bars,
        &results.join(format!("{metric}_bars")),
    )?;
    Ok(Some(files.png))
}

/// Mean over seeds of each point's per-epoch training loss and held-out accuracy: `test_top1`,
/// or on moons (no test set) `eval_top1`, eval mode on the training points.
fn curves(exp: &Experiment, records: &[(RunSpec, RunRecord)], results: &Path) -> Result<PathBuf> {
    let (accuracy, accuracy_label) = match exp.experiment.kind {
        KindName::Moons => ("eval_top1", "eval top-1 on training points (%)"),
        _ => ("test_top1", "test top-1 (%)"),
    };
    let mut groups: Vec<(String, Vec<&RunRecord>)> = Vec::new();
    for (spec, record) in records {
        let mut label = spec
            .group_point(exp)
            .iter()
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect::<Vec<_>>()
            .join(" ");
        if label.is_empty() {
            label = exp.experiment.name.clone();
        }
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, rs)) => rs.push(record),
            None => groups.push((label, vec![record])),
        }
    }
    let curves: Vec<Curve> = groups
        .into_iter()
        .map(|(name, runs)| {
            let epochs = runs.iter().map(|r| r.outcome.epochs.len()).min().unwrap_or(0);
            let mean = |e: usize, key: &str| {
                let vs: Vec<f64> = runs
                    .iter()
                    .filter_map(|r| r.outcome.epochs[e].get(key).copied())
                    .collect();
                if vs.is_empty() {
                    f64::NAN
                } else {
                    vs.iter().sum::<f64>() / vs.len() as f64
                }
            };
            Curve {
                name,
                epochs: (0..epochs)
                    .map(|e| CurvePoint {
                        epoch: (e + 1) as f64,
                        train_loss: mean(e, "train_loss"),
                        eval_top1: mean(e, accuracy) * 100.0,
                    })
                    .collect(),
            }
        })
        .collect();
    let title = format!("{}: training curves (mean over seeds)", exp.experiment.name);
    let files = plots::training_curves(&title, accuracy_label, &curves, &results.join("curves"))?;
    Ok(files.png)
}
