//! [`plan`]: an [`Experiment`] becomes its list of runs, each with a resolved config and an id.
//!
//! Points are the cartesian product of the `[sweep]` axes in file order (the last axis varies
//! fastest), so a run's index is stable for a given config: Slurm array tasks rely on it.
//! `[[sweep.extra]]` points follow the grid, each once per combination of the seed axes; their
//! point is `extra = <label>` plus the seeds.
//!
//! A run's config is the base (canonical JSON), then the extra point's fields, then the axes'
//! values, then `--override`s, all set as JSON paths; then it is decoded into the kind's typed
//! sections once and validated once. An error is reported where it was caused: a value that does
//! not decode at the sweep entry (or extra, or override) that set it, a value out of range at the
//! sweep entry that set the field, else at the field in the file.

use std::collections::BTreeMap;
use std::ops::Range;

use anyhow::Result;
use config::json_path::set_path;
use config::locate::field_span;
use config::sweep::short;
use config::{Axis, Experiment, Extra};
use kinds::{FieldError, RunConfig};
use serde_json::{Value, json};

use crate::run_id::run_id;
use crate::spec::{EXTRA, RunSpec};

/// Mixed-radix digits of `index` over `axes`, last axis fastest.
fn picks(axes: &[&Axis], index: usize) -> Vec<usize> {
    let mut rest = index;
    let mut picks = vec![0; axes.len()];
    for (i, axis) in axes.iter().enumerate().rev() {
        picks[i] = rest % axis.values.len();
        rest /= axis.values.len();
    }
    picks
}

/// Every run of the experiment: the grid in order, then the extra points.
pub fn plan(exp: &Experiment) -> Result<Vec<RunSpec>> {
    let all: Vec<&Axis> = exp.axes.iter().collect();
    let seeds: Vec<&Axis> = exp.axes.iter().filter(|a| a.is_seed()).collect();
    // At most `config::MAX_RUNS` runs in all: the config refuses larger sweeps.
    let grid: usize = all.iter().map(|a| a.values.len()).product();
    let per_extra: usize = seeds.iter().map(|a| a.values.len()).product();
    let mut runs = Vec::with_capacity(grid + exp.extras.len() * per_extra);
    for index in 0..grid {
        let point = Point::new(&all, &picks(&all, index), None);
        runs.push(resolve(exp, index, point)?);
    }
    for extra in &exp.extras {
        for i in 0..per_extra {
            let point = Point::new(&seeds, &picks(&seeds, i), Some(extra));
            runs.push(resolve(exp, runs.len(), point)?);
        }
    }
    Ok(runs)
}

/// What sets a run's config over the base, in order.
struct Point<'a> {
    extra: Option<&'a Extra>,
    values: Vec<(&'a Axis, &'a Value)>,
}

impl<'a> Point<'a> {
    fn new(axes: &[&'a Axis], picks: &[usize], extra: Option<&'a Extra>) -> Point<'a> {
        Point {
            extra,
            values: axes.iter().zip(picks).map(|(a, &p)| (*a, &a.values[p])).collect(),
        }
    }

    /// `{extra: label, key: value, ...}` as the run records it.
    fn labels(&self) -> BTreeMap<String, Value> {
        let mut point: BTreeMap<String, Value> = self
            .values
            .iter()
            .map(|(a, v)| (a.key.clone(), (*v).clone()))
            .collect();
        if let Some(extra) = self.extra {
            point.insert(EXTRA.to_string(), json!(extra.label));
        }
        point
    }
}

/// One run: its JSON config set step by step, then decoded and validated once.
fn resolve(exp: &Experiment, index: usize, point: Point<'_>) -> Result<RunSpec> {
    let kind = exp.experiment.kind;
    let mut steps: Vec<Step> = Vec::new();
    if let Some(extra) = point.extra {
        let sets = extra.sets.iter().map(|(p, v)| (p.as_slice(), v)).collect();
        steps.push(Step {
            blame: Blame::Extra(extra),
            sets,
        });
    }
    for &(axis, value) in &point.values {
        steps.push(Step {
            blame: Blame::Axis(axis, value),
            sets: vec![(axis.path.as_slice(), value)],
        });
    }
    for o in &exp.overrides {
        steps.push(Step {
            blame: Blame::Override(&o.text),
            sets: vec![(o.path.as_slice(), &o.value)],
        });
    }
    let mut json = exp.base.clone();
    for step in &steps {
        for (path, value) in &step.sets {
            set_path(&mut json, path, (*value).clone()).map_err(|e| step.blame.error(exp, &e.to_string()))?;
        }
    }
    let config = match RunConfig::decode(kind, json) {
        Ok(c) => c,
        Err(e) => return Err(first_to_blame(exp, index, &steps, &e)),
    };
    let point = point.labels();
    config.validate().map_err(|e| invalid(exp, &point, index, &e))?;
    let id = run_id(&json!({ "kind": kind, "config": config.to_json() }));
    Ok(RunSpec {
        index,
        id,
        point,
        config,
    })
}

/// One setter of a run's config (an extra point, a sweep value, an override) and the fields it
/// sets.
struct Step<'a> {
    blame: Blame<'a>,
    sets: Vec<(&'a [String], &'a Value)>,
}

/// What set part of a run's config, for an error about it.
#[derive(Clone, Copy)]
enum Blame<'a> {
    Extra(&'a Extra),
    Axis(&'a Axis, &'a Value),
    Override(&'a str),
}

impl Blame<'_> {
    /// `e` at the line of this setter.
    fn error(&self, exp: &Experiment, e: &str) -> anyhow::Error {
        match self {
            Blame::Extra(extra) => exp.source.error_at(
                Some(extra.span.clone()),
                format!("[[sweep.extra]] `{}`: {e}", extra.label),
            ),
            Blame::Axis(axis, value) => exp.source.error_at(
                Some(axis.span.clone()),
                format!("sweep `{}` = {value}: {e}", axis.key),
            ),
            Blame::Override(text) => anyhow::anyhow!("--override {text}: {e}"),
        }
    }
}

/// A config that does not decode: replayed from the base, setter by setter, it is the first
/// setter after which the config no longer decodes that is named (only on this error path: a
/// run that decodes is decoded once).
fn first_to_blame(exp: &Experiment, index: usize, steps: &[Step], last: &str) -> anyhow::Error {
    let mut json = exp.base.clone();
    for step in steps {
        for (path, value) in &step.sets {
            // These sets succeeded once already.
            let _ = set_path(&mut json, path, (*value).clone());
        }
        if let Err(e) = RunConfig::decode(exp.experiment.kind, json.clone()) {
            return step.blame.error(exp, &e);
        }
    }
    let span = exp.sweep_span.clone().unwrap_or(0..0);
    exp.source.error_at(Some(span), format!("run {index}: {last}"))
}

/// A value out of range in run `index`: at the sweep axis that set the field, else at the field.
fn invalid(exp: &Experiment, point: &BTreeMap<String, Value>, index: usize, e: &FieldError) -> anyhow::Error {
    let field: Vec<&str> = std::iter::once(e.section.as_str())
        .chain(e.field.as_deref())
        .collect();
    let span: Range<usize> = exp
        .axes
        .iter()
        .find(|a| a.path.iter().map(String::as_str).eq(field.iter().copied()) && point.contains_key(&a.key))
        .map(|a| a.span.clone())
        .unwrap_or_else(|| field_span(&exp.source.text, &field));
    let label = point
        .iter()
        .map(|(k, v)| format!("{k}={}", short(v)))
        .collect::<Vec<_>>()
        .join(" ");
    exp.source
        .error_at(Some(span), format!("run {index} ({label}): {e}"))
}
