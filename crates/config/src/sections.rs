//! The sections every kind shares: `[experiment]` and `[output]` (`[sweep]` is parsed in
//! `sweep.rs`). The kinds' own sections are typed in the `kinds` crate.

use std::collections::BTreeMap;
use std::path::PathBuf;

use kinds::{FieldError, KindName};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sweep::{Axis, short};

/// The sections every config may have besides the kind's own.
pub const COMMON_SECTIONS: &[&str] = &["experiment", "sweep", "output"];

/// `[experiment]`: what the experiment is called and which kind of run it sweeps.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSection {
    /// Names the results folder (`results/<name>`); letters, digits, `_`, `-`, `.`.
    pub name: String,
    /// What one run does: `train` (an image classifier), `moons` (the 2-D toy),
    /// `implicit_dim` (star-math's rank measurements) or `latency` (StarNet inference timing).
    pub kind: KindName,
    /// One line for humans; copied into the summary and the plots' titles.
    #[serde(default)]
    pub description: String,
    /// Runs at a time when `--jobs` is not given (default 1). Measured on the 2-core machine
    /// (2026-12-02): one epoch of the main job's sweep ran 1.42x faster as two runs at a time with
    /// one thread each (`--jobs 2 --threads 2`) than one run at a time with both threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs: Option<usize>,
    /// CPU kernels: `native` (default: each library's fastest for this CPU) or `reproducible`
    /// (the same bits on every x86-64 CPU, Intel or AMD; slower: README "Reliability"). The
    /// committed CI folders use `reproducible`, so `runner check` is exact on any CI machine.
    #[serde(default)]
    pub kernels: training::kernels::KernelMode,
}

/// `[output]`: where results go, how they are drawn (every plot as SVG and PNG) and how `runner check` compares them.
/// Nothing here changes what a run computes, so it is not part of a run's id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OutputSection {
    /// Results folder. Default: `results/<experiment.name>` (relative to the working directory).
    pub dir: Option<PathBuf>,
    /// Summary metric on the y axis of sweep plots (the README's "Metrics" lists the names).
    /// Default: the kind's headline, `test_top1` (train: at the epoch selected on validation), `best_train_top1` (moons, the
    /// reference's measure), `latency_mean_ms` (latency), `measured` (implicit_dim, not drawn).
    pub metric: String,
    /// Swept field on the x axis of the sweep plot (e.g. "width", "depth"). Default: the first
    /// numeric axis that is not a seed.
    pub x: Option<String>,
    /// Swept field that separates the lines of the sweep plot. Default: "mode" when swept.
    pub group: Option<String>,
    /// Reference numbers drawn beside ours: line name -> (x value -> metric), e.g.
    /// `paper = { sum = { 96 = 51.1, 128 = 58.5 }, star = { 96 = 57.6, 128 = 64.0 } }`.
    pub paper: BTreeMap<String, BTreeMap<String, f64>>,
    /// Legend label for the reference numbers.
    pub paper_label: String,
    /// Tolerances for `runner check`: summary metric -> largest allowed absolute difference of
    /// the mean, e.g. `check = { test_top1 = 0.02 }`. Only metrics named here are checked.
    pub check: BTreeMap<String, f64>,
    /// A paired comparison, e.g. `compare = { field = "mode", base = "sum", treatment = "star" }`:
    /// the summary gets per-seed differences with 95% intervals, the figures a difference panel.
    pub compare: Option<Compare>,
    /// More paired comparisons, tables in `summary.md` only (the figure's difference panel is
    /// `compare`'s), e.g. `also_compare = [{ field = "model.act", base = "gelu", treatment = "none" }]`.
    pub also_compare: Vec<Compare>,
    /// An extra's label, e.g. `baseline = "linear"`: `summary.md` adds every other point minus
    /// that extra at the same seed (same training subset and batch order). Extras labelled
    /// `linear, 7 epochs`, `linear, 21 epochs` form a family: a point is compared with the member
    /// that shares the swept fields it sets (e.g. `"train.epochs" = 7`).
    pub baseline: Option<String>,
    /// More extras every other point is compared with, seed by seed, one table each after
    /// `baseline`'s, e.g. `also_baseline = ["star/none"]` (arms paired against two references).
    pub also_baseline: Vec<String>,
    /// Display names for swept values or fields in figures and tables, e.g.
    /// `labels = { "star/star/sum/sum" = "star in stages 1-2", "model.act" = "act" }`.
    pub labels: BTreeMap<String, String>,
    /// More summary metrics for `summary.md`'s table, after the headline and the checked ones, e.g.
    /// `columns = ["train_top1", "wall_s"]` (how close to convergence; what a run costs).
    pub columns: Vec<String>,
    /// Rows of a dot plot under headers, in order: `[[output.groups]]` with `name` and `rows`
    /// (each row as the point's values joined by spaces, or an extra's label).
    pub groups: Vec<RowGroup>,
    /// TensorBoard event files while runs train, in `<results>/tb/<run id>/` (`--tensorboard DIR`
    /// puts them elsewhere, `--no-tensorboard` or `false` turns them off).
    pub tensorboard: bool,
}

/// One `[[output.groups]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RowGroup {
    pub name: String,
    pub rows: Vec<String>,
}

impl Default for OutputSection {
    fn default() -> Self {
        OutputSection {
            dir: None,
            metric: "test_top1".to_string(),
            x: None,
            group: None,
            paper: BTreeMap::new(),
            paper_label: "paper (ImageNet-1k)".to_string(),
            check: BTreeMap::new(),
            compare: None,
            also_compare: Vec::new(),
            baseline: None,
            also_baseline: Vec::new(),
            labels: BTreeMap::new(),
            columns: Vec::new(),
            groups: Vec::new(),
            tensorboard: true,
        }
    }
}

impl OutputSection {
    /// The defaults, with `kind`'s headline metric.
    pub fn for_kind(kind: KindName) -> OutputSection {
        let metric = match kind {
            KindName::Train => "test_top1",
            KindName::ImplicitDim => "measured",
            KindName::Moons => "best_train_top1",
            KindName::Latency => "latency_mean_ms",
        };
        OutputSection {
            metric: metric.to_string(),
            ..OutputSection::default()
        }
    }

    /// Tolerances of `check` must be numbers >= 0.
    pub fn check_tolerances(&self) -> Result<(), FieldError> {
        for (metric, &tol) in &self.check {
            if !(tol.is_finite() && tol >= 0.0) {
                return Err(FieldError::new(
                    "output",
                    Some("check"),
                    format!("check tolerance `{metric}` = {tol} (must be a number >= 0)"),
                ));
            }
        }
        Ok(())
    }
}

/// `[output] compare = { field = "mode", base = "sum", treatment = "star" }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compare {
    /// The swept field whose two values are compared, as written in `[sweep]` (e.g. `mode`).
    pub field: String,
    /// The reference value: differences are `treatment - base`.
    pub base: Value,
    pub treatment: Value,
    /// Summary metric compared. Default: `[output] metric`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
}

impl Compare {
    /// The field must be swept and take both values.
    pub fn check(&self, axes: &[Axis]) -> Result<(), String> {
        let Some(axis) = axes.iter().find(|a| a.key == self.field) else {
            let swept: Vec<&str> = axes.iter().map(|a| a.key.as_str()).collect();
            return Err(format!(
                "[output] compare: field `{}` is not swept; swept fields: {swept:?}",
                self.field
            ));
        };
        for (name, v) in [("base", &self.base), ("treatment", &self.treatment)] {
            if !axis.values.contains(v) {
                let values: Vec<String> = axis.values.iter().map(short).collect();
                return Err(format!(
                    "[output] compare: {name} = {v} is not a value of `{}` ({values:?})",
                    self.field
                ));
            }
        }
        if self.base == self.treatment {
            return Err("[output] compare: base and treatment are the same value".into());
        }
        Ok(())
    }
}
