//! [`RunSpec`]: one run of a sweep, as the plan gives it to the runner.

use std::collections::BTreeMap;

use config::Experiment;
use config::sweep::short;
use kinds::RunConfig;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// One run of a sweep.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunSpec {
    /// Position in the plan (0-based).
    pub index: usize,
    /// Hash of `{kind, config}`; names `runs/<id>.json`.
    pub id: String,
    /// The swept values of this run, by sweep key as written in the config.
    pub point: BTreeMap<String, Value>,
    /// The kind's sections, fully resolved (defaults, sweep values and overrides applied) and
    /// validated. Serialised as its canonical JSON (keys sorted), as the run record stores it.
    #[serde(serialize_with = "canonical")]
    pub config: RunConfig,
}

fn canonical<S: Serializer>(config: &RunConfig, s: S) -> Result<S::Ok, S::Error> {
    config.to_json().serialize(s)
}

/// The point key of `[[sweep.extra]]` runs.
pub const EXTRA: &str = "extra";

/// The keys of the sweep's seed axes (runs that differ only in these are replicates).
pub fn seed_axes(exp: &Experiment) -> Vec<&str> {
    exp.axes
        .iter()
        .filter(|a| a.is_seed())
        .map(|a| a.key.as_str())
        .collect()
}

impl RunSpec {
    /// The point without seed axes: runs that differ only in seed share it in the summary.
    pub fn group_point(&self, exp: &Experiment) -> BTreeMap<String, Value> {
        let seeds = seed_axes(exp);
        self.point
            .iter()
            .filter(|(k, _)| !seeds.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// `width=16 mode=star seed=0`, in axis order (`extra=linear seed=0` for extra points).
    pub fn label(&self, exp: &Experiment) -> String {
        let extra = self.point.get(EXTRA).map(|v| format!("{EXTRA}={}", short(v)));
        let parts: Vec<String> = extra
            .into_iter()
            .chain(
                exp.axes
                    .iter()
                    .filter_map(|a| self.point.get(&a.key).map(|v| format!("{}={}", a.key, short(v)))),
            )
            .collect();
        if parts.is_empty() {
            "(single run)".to_string()
        } else {
            parts.join(" ")
        }
    }
}
