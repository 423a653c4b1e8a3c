//! Which figures an experiment gets: typed results in, the `plots` crate's inputs out, drawn as
//! SVG + PNG with the same stem in the results folder. No kind file draws.
//!
//! - a sweep with a numeric axis: `<metric>_vs_<x>` (a line per compared mode, intervals over
//!   seeds, the paired difference below it when `[output] compare` is set, the paper's numbers
//!   beside): [`sweep::line_plot`];
//! - sweeps without one (ablations, `[[sweep.extra]]` baselines): `<metric>_dots`, a dot plot
//!   grouped as `[output] groups` says: [`sweep::dot_plot`];
//! - training kinds: `curves` (loss and test accuracy per epoch, mean over seeds);
//! - moons: `boundaries`; implicit_dim: `implicit_dim` and `implicit_dim_stacked`.
//!
//! The grammar (see the `plots` crate): colour = the swept quantity, look = the compared mode.
//! Each builder is a plain function from results to plot input, so tests read what a figure
//! shows without decoding pixels.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use plots::{Estimate, Look};
use serde_json::Value;

use crate::config::Experiment;
use crate::kinds::KindName;
use crate::results::{RunRecord, SummaryEntry};
use crate::stats::{MeanCi, Paired};
use crate::sweep::{EXTRA, RunSpec, short};

pub mod curves;
pub mod implicit_dim;
pub mod moons;
pub mod sweep;

/// What the figures are drawn from.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    pub exp: &'a Experiment,
    pub records: &'a [(RunSpec, RunRecord)],
    pub summary: &'a [SummaryEntry],
    pub paired: Option<&'a Paired>,
}

pub fn draw(inputs: Inputs<'_>, results: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if inputs.records.is_empty() {
        return Ok(files);
    }
    let exp = inputs.exp;
    let metric = &exp.output.metric;
    let sweep_figure = || -> Result<Option<PathBuf>> {
        if let Some((x, plot)) = sweep::line_plot(inputs) {
            let stem = results.join(format!("{metric}_vs_{}", x.replace('.', "_")));
            return Ok(Some(plots::line_plot(&plot, &stem)?.png));
        }
        match sweep::dot_plot(inputs) {
            Some(plot) => Ok(Some(
                plots::dot_plot(&plot, &results.join(format!("{metric}_dots")))?.png,
            )),
            None => Ok(None),
        }
    };
    match exp.experiment.kind {
        KindName::Train | KindName::Moons => {
            files.extend(sweep_figure()?);
            if let Some(c) = curves::curves(inputs) {
                files.push(plots::training_curves(&c, &results.join("curves"))?.png);
            }
            if exp.experiment.kind == KindName::Moons {
                files.extend(moons::boundaries(exp, inputs.records, results)?);
            }
        }
        KindName::ImplicitDim => files.extend(implicit_dim::draw(exp, inputs.records, results)?),
        KindName::Latency => files.extend(sweep_figure()?),
    }
    Ok(files)
}

/// The x axis: `[output] x`, else the first swept non-seed axis with numeric values that is not
/// the compared field.
pub fn x_axis(exp: &Experiment) -> Option<String> {
    if let Some(x) = &exp.output.x {
        return Some(x.clone());
    }
    let compared = exp.output.compare.as_ref().map(|c| c.field.as_str());
    exp.axes
        .iter()
        .find(|a| !a.is_seed() && Some(a.key.as_str()) != compared && a.values.iter().all(Value::is_number))
        .map(|a| a.key.clone())
}

/// The compared field and its base value: `[output] compare`, else a swept `mode` with "sum".
pub fn mode_field(exp: &Experiment) -> Option<(String, Value)> {
    if let Some(c) = &exp.output.compare {
        return Some((c.field.clone(), c.base.clone()));
    }
    let key = exp.output.group.clone().or_else(|| {
        exp.axes
            .iter()
            .find(|a| a.path.last().is_some_and(|f| f == "mode"))
            .map(|a| a.key.clone())
    })?;
    Some((key, Value::from("sum")))
}

/// The compared mode's look: the base dashed, everything else solid.
pub fn look(exp: &Experiment, point: &BTreeMap<String, Value>) -> Look {
    match mode_field(exp) {
        Some((field, base)) if point.get(&field) == Some(&base) => Look::Dashed,
        _ => Look::Solid,
    }
}

/// What a point's colour stands for: the point without its compared mode (when that is the base
/// or the treatment; other values of the field, as in an ablation, are variants of their own).
pub fn color_key(exp: &Experiment, point: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    let mut key = point.clone();
    if let Some((field, base)) = mode_field(exp) {
        let treatment = exp.output.compare.as_ref().map(|c| &c.treatment);
        let v = key.get(&field);
        if v == Some(&base) || v.is_some() && v == treatment || exp.output.compare.is_none() {
            key.remove(&field);
        }
    }
    key
}

/// Palette index per colour key, in order of first appearance.
#[derive(Default)]
pub struct Colors(Vec<BTreeMap<String, Value>>);

impl Colors {
    pub fn of(&mut self, key: BTreeMap<String, Value>) -> usize {
        self.0.iter().position(|k| *k == key).unwrap_or_else(|| {
            self.0.push(key);
            self.0.len() - 1
        })
    }
}

/// A field's display name: `[output] labels`, else its last path segment (`train.seed` -> `seed`).
pub fn key_name(exp: &Experiment, key: &str) -> String {
    exp.output
        .labels
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.rsplit('.').next().unwrap_or(key).to_string())
}

/// A value's display name: `[output] labels` (by its text), else the text itself.
pub fn value_name(exp: &Experiment, v: &Value) -> String {
    let text = short(v);
    exp.output.labels.get(&text).cloned().unwrap_or(text)
}

/// A point for legends and rows, in axis order: the compared mode and strings renamed by
/// `[output] labels` by value alone, numbers as "width 16"; extra points by their label.
pub fn point_name(exp: &Experiment, point: &BTreeMap<String, Value>) -> String {
    let mode = mode_field(exp).map(|m| m.0);
    let mut parts = Vec::new();
    if let Some(v) = point.get(EXTRA) {
        parts.push(value_name(exp, v));
    }
    for axis in &exp.axes {
        let Some(v) = point.get(&axis.key) else { continue };
        let renamed = exp.output.labels.contains_key(&short(v));
        if Some(&axis.key) == mode.as_ref() || renamed {
            parts.push(value_name(exp, v));
        } else {
            parts.push(format!("{} {}", key_name(exp, &axis.key), value_name(exp, v)));
        }
    }
    parts.join(" ")
}

/// Accuracies are stored as fractions; figures and tables show percent.
pub fn scale(metric: &str) -> f64 {
    if metric.contains("top1") || metric.contains("top5") || metric.contains("acc") {
        100.0
    } else {
        1.0
    }
}

/// The metric's axis label: accuracies say they are in percent.
pub fn axis_label(metric: &str) -> String {
    if scale(metric) == 100.0 {
        format!("{metric} (%)")
    } else {
        metric.to_string()
    }
}

/// Per point without seeds (in plan order): the metric of each of its runs.
pub fn values_by_point(inputs: Inputs<'_>, metric: &str) -> Vec<(BTreeMap<String, Value>, Vec<f64>)> {
    let mut out: Vec<(BTreeMap<String, Value>, Vec<f64>)> = Vec::new();
    for (spec, record) in inputs.records {
        let point = spec.group_point(inputs.exp);
        let Some(&v) = record.outcome.summary_metrics().get(metric) else {
            continue;
        };
        match out.iter_mut().find(|(p, _)| *p == point) {
            Some((_, vs)) => vs.push(v),
            None => out.push((point, vec![v])),
        }
    }
    out
}

/// Mean, 95% t-interval and single values, times `k` (100 for percent).
pub fn estimate(values: &[f64], k: f64) -> Estimate {
    let m = MeanCi::of(values);
    interval(&m, values, k)
}

pub fn interval(m: &MeanCi, values: &[f64], k: f64) -> Estimate {
    let [lo, hi] = m.ci95.unwrap_or([f64::NAN, f64::NAN]);
    Estimate {
        mean: m.mean * k,
        lo: lo * k,
        hi: hi * k,
        values: values.iter().map(|v| v * k).collect(),
    }
}

/// "n = 2 seeds per point" or "n = 2-5 seeds per point" over the given counts ("runs" when
/// nothing is seeded).
pub fn n_text(exp: &Experiment, counts: impl IntoIterator<Item = usize>) -> String {
    let counts: Vec<usize> = counts.into_iter().collect();
    let (lo, hi) = (
        counts.iter().min().copied().unwrap_or(0),
        counts.iter().max().copied().unwrap_or(0),
    );
    let seeded = exp.axes.iter().any(|a| a.is_seed());
    let unit = match (seeded, hi == 1) {
        (true, true) => "seed",
        (true, false) => "seeds",
        (false, true) => "run",
        (false, false) => "runs",
    };
    if lo == hi {
        format!("n = {lo} {unit} per point")
    } else {
        format!("n = {lo}-{hi} {unit} per point")
    }
}

/// "experiment: description" (the title names experiment and data).
pub fn title(exp: &Experiment) -> String {
    if exp.experiment.description.is_empty() {
        exp.experiment.name.clone()
    } else {
        format!("{}: {}", exp.experiment.name, exp.experiment.description)
    }
}

/// "star - sum" in display names.
pub fn difference_name(exp: &Experiment, p: &Paired) -> String {
    format!("{} - {}", value_name(exp, &p.treatment), value_name(exp, &p.base))
}
