//! `kind = "moons"`: the paper's 2-D toy. The 2-D DemoNet (`[model]`, `demonet::Config2d`) is
//! trained on two-moons (`[data]`) with the reference recipe (`[train]`); the run also fits the
//! reference's kernel SVMs on the same points and saves the net's decision grid.
//!
//! Defaults differ from `train`'s: a field left out of `[data]` or `[train]` takes the reference
//! two-moons value (`DataSpec` with `name = "moons"`, `TrainConfig::two_moons()`), and batches
//! drop the last partial batch, as the reference's loader does.
//!
//! Metrics: the reference reports the best *training* accuracy (`best_train_top1`, the running
//! accuracy over the epoch's batches). There is no test set: the loop evaluates on the training
//! points themselves, in eval mode, so those metrics are `eval_loss`/`eval_top1` (not `test_*`).
//! Beside them `svm_poly_top1` and `svm_rbf_top1` (the SVMs' training accuracy) and
//! `logistic_top1` (a logistic regression's: the linear line).
//! The decision grid (class-1 probability on `demonet::Grid::reference()`) is saved as an 8-bit
//! greyscale PNG next to the record, `runs/<id>.grid.png`, described by [`MoonsExtra`]
//! (`moons/grid.rs`); the runner's report draws it. The baselines: `moons/svm.rs` (the reference's
//! kernel SVMs) and `moons/logistic.rs` (a logistic regression).

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Result;
use demonet::{Config2d, DemoNet2d, Grid};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use training::data::{DataName, DataSpec};
use training::{TrainConfig, Trainer};

use crate::context::RunContext;
use crate::field_error::FieldError;
use crate::kind::RunKind;
use crate::metrics::Evaluated;
use crate::outcome::RunOutcome;
use crate::shared::{Progress, build, load_cached, on_device, outcome, with_checkpoints};

mod grid;
pub mod logistic;
pub mod svm;
use grid::save_grid;
pub use grid::{GridRecord, MoonsExtra, grid_path, load_grid};
use svm::{SvmBaseline, SvmKernel};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MoonsSections {
    pub model: Config2d,
    pub data: DataSpec,
    pub train: TrainConfig,
}

impl Default for MoonsSections {
    fn default() -> Self {
        MoonsSections {
            model: Config2d::default(),
            data: DataSpec {
                name: DataName::Moons,
                ..DataSpec::default()
            },
            train: TrainConfig::two_moons(),
        }
    }
}

pub struct Moons;

/// `over` laid onto `base`, table by table.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

impl RunKind for Moons {
    type Sections = MoonsSections;
    const SECTIONS: &'static [&'static str] = &["model", "data", "train"];

    /// A field left out takes the reference's value, not the generic default.
    fn prepare(sections: Value) -> Value {
        let mut full = serde_json::to_value(MoonsSections::default()).unwrap_or_default();
        merge(&mut full, sections);
        full
    }

    fn validate(cfg: &MoonsSections) -> Result<(), FieldError> {
        cfg.train
            .validate()
            .map_err(|e| FieldError::from_message("train", e))?;
        cfg.model
            .validate()
            .map_err(|e| FieldError::from_message("model", format!("{e:#}")))?;
        if cfg.data.name != DataName::Moons {
            return Err(FieldError::new(
                "data",
                Some("name"),
                "kind moons needs 2-D points: set `name` = \"moons\" (images go with kind = \"train\")",
            ));
        }
        if cfg.data.moons_samples < 2 || !(cfg.data.moons_noise.is_finite() && cfg.data.moons_noise >= 0.0) {
            return Err(FieldError::new(
                "data",
                Some("moons_samples"),
                "`moons_samples` must be at least 2 and `moons_noise` a number >= 0",
            ));
        }
        Ok(())
    }

    fn execute(mut cfg: MoonsSections, ctx: &RunContext) -> Result<RunOutcome> {
        ctx.tamper.mode(&mut cfg.model.mode);
        ctx.tamper.train(&mut cfg.train);
        let t0 = Instant::now();
        let mut data = load_cached(&cfg.data.with_train_seed(cfg.train.seed))?;
        ctx.tamper.training_split(&mut data.train);
        anyhow::ensure!(
            !data.is_image(),
            "kind moons needs 2-D points: set [data] name = \"moons\""
        );
        let data_s = t0.elapsed().as_secs_f64();
        let (vs, model, model_s) = build(ctx, ctx.device, cfg.train.seed, |p| DemoNet2d::new(p, &cfg.model))?;
        let mut loader = data.loader(cfg.train.batch_size, true, cfg.train.seed);
        loader.drop_last = true;
        let (train_split, _no_val, test_split) = on_device(&data, ctx.device);
        let mut observer = Progress::new(ctx.progress, cfg.train.batch_size, t0, Evaluated::TrainingPoints);
        let result = Trainer::new(&model, &vs, &cfg.train)
            .and_then(|t| with_checkpoints(t, ctx, &cfg.train))
            .and_then(|t| {
                t.loader(&loader)
                    .observer(&mut observer)
                    .fit(&train_split, &test_split)
            });
        let timings = BTreeMap::from([("data_s".to_string(), data_s), ("model_s".to_string(), model_s)]);
        let mut out = outcome(result, timings, Evaluated::TrainingPoints)?;

        // The reference's SVMs on the same points (training accuracy, as it reports them).
        let xs = Vec::<f32>::try_from(data.train.x.to_kind(tch::Kind::Float).flatten(0, -1))?;
        let ys = Vec::<i64>::try_from(&data.train.y)?;
        let points = Array2::from_shape_vec((ys.len(), 2), xs.iter().map(|&v| v as f64).collect())?;
        for (name, kernel) in [
            ("svm_poly_top1", SvmKernel::reference_poly()),
            ("svm_rbf_top1", SvmKernel::reference_rbf()),
        ] {
            let svm = SvmBaseline::fit(&points, &ys, kernel)?;
            out.other.insert(name.to_string(), svm.accuracy(&points, &ys));
        }
        out.other.insert(
            "logistic_top1".to_string(),
            logistic::logistic_accuracy(&points, &ys)?,
        );

        let grid = Grid::reference();
        let prob = demonet::class1_probability(&model, &grid, ctx.device);
        let file = grid_path(&ctx.artifacts);
        let extra = MoonsExtra {
            grid: GridRecord {
                file: file
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().to_string()),
                x0: f64::from(grid.xs[0]),
                y0: f64::from(grid.ys[0]),
                step: Grid::STEP,
                nx: grid.xs.len(),
                ny: grid.ys.len(),
            },
            points: xs
                .chunks(2)
                .zip(&ys)
                .map(|(p, &l)| (p[0], p[1], l as usize))
                .collect(),
        };
        save_grid(&file, &extra.grid, &prob)?;
        out.extra = serde_json::to_value(&extra)?;
        Ok(out)
    }
}
