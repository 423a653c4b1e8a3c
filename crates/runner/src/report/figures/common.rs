//! What every figure builder shares: [`Inputs`], colours and looks (the grammar of the `plots`
//! crate: colour = the swept quantity, look = the compared mode), values per point, intervals and
//! the "n = ..." caption.

use std::collections::BTreeMap;

use config::Experiment;
use plots::{Estimate, Look};
use serde_json::Value;
use sweep::RunSpec;

use crate::report::labels::mode_field;
use crate::report::stats::{MeanCi, Paired};
use crate::report::summary::SummaryEntry;
use crate::results::RunRecord;

/// What the figures are drawn from.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    pub exp: &'a Experiment,
    pub records: &'a [(RunSpec, RunRecord)],
    pub summary: &'a [SummaryEntry],
    pub paired: Option<&'a Paired>,
    /// `[output] also_compare`'s comparisons, in its order.
    pub also_paired: &'a [Paired],
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
