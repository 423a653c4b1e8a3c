//! What one run does, per `[experiment] kind`. Each kind owns the types of the sections it reads
//! and turns one resolved config into a [`RunOutcome`].
//!
//! - `train.rs`: an image classifier (DemoNet) trained with the shared loop;
//! - `moons.rs`: the 2-D DemoNet on two-moons, with SVM baselines and decision grids;
//! - `implicit_dim.rs`: star-math's rank measurements;
//! - `latency.rs`: StarNet inference latency, sum vs star.

pub mod implicit_dim;
pub mod latency;
pub mod moons;
pub mod train;

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use toml::Spanned;
use toml::de::{DeValue, ValueDeserializer};

use crate::progress::RunProgress;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    ImplicitDim,
    Train,
    Moons,
    Latency,
}

impl std::str::FromStr for KindName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        KindName::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown kind `{s}`: expected train, moons, implicit_dim or latency"))
    }
}

impl KindName {
    pub const ALL: [KindName; 4] = [
        KindName::Train,
        KindName::Moons,
        KindName::ImplicitDim,
        KindName::Latency,
    ];
}

/// Everything a run may use besides its config.
pub struct RunContext<'a> {
    pub device: tch::Device,
    /// Intra-op threads this run gets (threads / jobs on CPU).
    pub threads: usize,
    pub progress: &'a RunProgress,
    /// Path prefix for files a run writes beside its record (`results/<name>/runs/<id>`).
    pub artifacts: std::path::PathBuf,
}

/// What a run measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunOutcome {
    /// One map per epoch (e.g. `train_loss`, `val_top1`, `lr`, `img_per_s`).
    pub epochs: Vec<BTreeMap<String, f64>>,
    /// Metrics at the end of the run.
    #[serde(rename = "final")]
    pub final_metrics: BTreeMap<String, f64>,
    /// The best value of each metric over the epochs (max for accuracies, min for losses).
    pub best: BTreeMap<String, f64>,
    /// Metrics that are neither per-epoch nor best/final (baselines, counts, latencies).
    pub other: BTreeMap<String, f64>,
    /// Training samples per second over the whole run, when the run trains.
    pub samples_per_s: Option<f64>,
    /// Set when the run stopped early for a reason that is itself a result (a NaN loss).
    pub stopped: Option<String>,
    /// Seconds from the start of the run to its first training step, and to a built model.
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

/// A kind of run: its config sections and what executing one does.
pub trait Kind: Sync {
    /// Sections this kind reads besides `[experiment]`, `[sweep]` and `[output]`.
    fn sections(&self) -> &'static [&'static str];
    /// Validates one section straight from the file, so errors keep their line and column.
    fn check_section(&self, section: &str, value: Spanned<DeValue<'static>>) -> Result<(), toml::de::Error>;
    /// The sections as canonical JSON, every default filled in; an error names the problem.
    fn canonical(&self, sections: Value) -> Result<Value, String>;
    /// The default sections (for `runner config --defaults`).
    fn defaults(&self) -> Value;
    /// Runs one resolved config.
    fn execute(&self, config: &Value, ctx: &RunContext) -> anyhow::Result<RunOutcome>;
}

pub fn kind(name: KindName) -> &'static dyn Kind {
    match name {
        KindName::Train => &train::Train,
        KindName::Moons => &moons::Moons,
        KindName::ImplicitDim => &implicit_dim::ImplicitDim,
        KindName::Latency => &latency::Latency,
    }
}

/// Shared plumbing for kinds whose sections are one serde struct `C`.
pub fn check_typed<T: DeserializeOwned>(value: Spanned<DeValue<'static>>) -> Result<(), toml::de::Error> {
    T::deserialize(ValueDeserializer::from(value)).map(|_| ())
}

pub fn canonical_typed<C: Serialize + DeserializeOwned>(sections: Value) -> Result<Value, String> {
    let typed: C = serde_json::from_value(sections).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

pub fn from_config<C: DeserializeOwned>(config: &Value) -> anyhow::Result<C> {
    serde_json::from_value(config.clone())
        .map_err(|e| anyhow::anyhow!("resolved config does not fit this kind: {e}"))
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
