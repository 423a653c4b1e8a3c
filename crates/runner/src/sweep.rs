//! The grid: an [`Experiment`] becomes its list of runs, each with a resolved config and an id.
//!
//! Points are the cartesian product of the `[sweep]` axes in file order (the last axis varies
//! fastest), so a run's index is stable for a given config: Slurm array tasks rely on it.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::{Experiment, set_path};
use crate::kinds;
use crate::run_id::run_id;

/// One run of a sweep.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunSpec {
    /// Position in the grid (0-based).
    pub index: usize,
    /// Hash of `{kind, config}`; names `runs/<id>.json`.
    pub id: String,
    /// The swept values of this run, by sweep key as written in the config.
    pub point: BTreeMap<String, Value>,
    /// The kind's sections, fully resolved (defaults, sweep values and overrides applied).
    pub config: Value,
}

impl RunSpec {
    /// The point without seed axes: runs that differ only in seed share it in the summary.
    pub fn group_point(&self, exp: &Experiment) -> BTreeMap<String, Value> {
        let seeds: Vec<&str> = exp
            .axes
            .iter()
            .filter(|a| a.is_seed())
            .map(|a| a.key.as_str())
            .collect();
        self.point
            .iter()
            .filter(|(k, _)| !seeds.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// `width=16 mode=star seed=0`, in axis order.
    pub fn label(&self, exp: &Experiment) -> String {
        let parts: Vec<String> = exp
            .axes
            .iter()
            .filter_map(|a| self.point.get(&a.key).map(|v| format!("{}={}", a.key, short(v))))
            .collect();
        if parts.is_empty() {
            "(single run)".to_string()
        } else {
            parts.join(" ")
        }
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every run of the experiment, in grid order.
pub fn plan(exp: &Experiment) -> Result<Vec<RunSpec>> {
    let kind = kinds::kind(exp.experiment.kind);
    let total: usize = exp.axes.iter().map(|a| a.values.len()).product();
    let mut runs = Vec::with_capacity(total);
    for index in 0..total {
        // Mixed-radix digits of the index, last axis fastest.
        let mut rest = index;
        let mut picks = vec![0; exp.axes.len()];
        for (i, axis) in exp.axes.iter().enumerate().rev() {
            picks[i] = rest % axis.values.len();
            rest /= axis.values.len();
        }
        let mut config = exp.base.clone();
        let mut point = BTreeMap::new();
        for (axis, &pick) in exp.axes.iter().zip(&picks) {
            let value = axis.values[pick].clone();
            set_path(&mut config, &axis.path, value.clone())?;
            // Check each swept value on its own first, so a bad one is blamed on its line.
            kind.canonical(config.clone()).map_err(|e| {
                exp.source.error_at(
                    Some(axis.span.clone()),
                    format!("sweep `{}` = {value}: {e}", axis.key),
                )
            })?;
            point.insert(axis.key.clone(), value);
        }
        for o in &exp.overrides {
            set_path(&mut config, &o.path, o.value.clone())?;
            kind.canonical(config.clone())
                .map_err(|e| anyhow::anyhow!("--override {}: {e}", o.text))?;
        }
        let config = kind
            .canonical(config)
            .map_err(|e| anyhow::anyhow!("run {index}: {e}"))?;
        let id = run_id(&json!({ "kind": exp.experiment.kind, "config": config }));
        runs.push(RunSpec {
            index,
            id,
            point,
            config,
        });
    }
    Ok(runs)
}
