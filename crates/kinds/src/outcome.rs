//! What a run measured, as the kinds hand it back and as run records store it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a run measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunOutcome {
    /// One map per epoch (e.g. `train_loss`, `test_top1`, `lr`, `img_per_s`; README "Metrics").
    /// Non-finite values are stored as strings (`nonfinite.rs`), so a diverged run's record parses.
    #[serde(with = "crate::nonfinite::maps")]
    pub epochs: Vec<BTreeMap<String, f64>>,
    /// Metrics at the end of the run.
    #[serde(rename = "final", with = "crate::nonfinite::map")]
    pub final_metrics: BTreeMap<String, f64>,
    /// The best value of each metric over the epochs (max for accuracies, min for losses).
    #[serde(with = "crate::nonfinite::map")]
    pub best: BTreeMap<String, f64>,
    /// Metrics that are neither per-epoch nor best/final (baselines, counts, latencies).
    #[serde(with = "crate::nonfinite::map")]
    pub other: BTreeMap<String, f64>,
    /// Training samples per second over the whole run, when the run trains.
    #[serde(with = "crate::nonfinite::option")]
    pub samples_per_s: Option<f64>,
    /// Set when the run stopped early for a reason that is itself a result (a NaN loss).
    pub stopped: Option<String>,
    /// Seconds from the start of the run to its first training step, and to a built model.
    #[serde(with = "crate::nonfinite::map")]
    pub timings: BTreeMap<String, f64>,
    /// Kind-specific data (implicit-dimension records, decision grids, ...).
    pub extra: Value,
}

impl RunOutcome {
    /// The flat metrics a summary averages: `best_<m>`, `final_<m>` and the others by name.
    pub fn summary_metrics(&self) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        for (k, v) in &self.best {
            out.insert(format!("best_{k}"), *v);
        }
        for (k, v) in &self.final_metrics {
            out.insert(format!("final_{k}"), *v);
        }
        for (k, v) in &self.other {
            out.insert(k.clone(), *v);
        }
        if let Some(s) = self.samples_per_s {
            out.insert("samples_per_s".to_string(), s);
        }
        out
    }
}

/// Best over epochs: max for accuracies, min for everything that looks like a loss or an error.
pub fn best_of(epochs: &[BTreeMap<String, f64>]) -> BTreeMap<String, f64> {
    let mut best: BTreeMap<String, f64> = BTreeMap::new();
    for e in epochs {
        for (k, &v) in e {
            if !v.is_finite() || k == "lr" || k == "epoch" {
                continue;
            }
            let lower_is_better = k.contains("loss") || k.contains("err");
            best.entry(k.clone())
                .and_modify(|b| {
                    if (lower_is_better && v < *b) || (!lower_is_better && v > *b) {
                        *b = v
                    }
                })
                .or_insert(v);
        }
    }
    best
}
