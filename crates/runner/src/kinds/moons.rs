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
//! greyscale PNG next to the record, `runs/<id>.grid.png`, described by [`MoonsExtra`];
//! `figures::moons` draws it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use training::data::{DataName, DataSpec};
use training::{TrainConfig, Trainer};

use super::train::{Evaluated, Progress, build, load_cached, on_device, outcome};
use super::{RunContext, RunKind, RunOutcome};
use crate::validate::FieldError;
use demonet::svm_baseline::{SvmBaseline, SvmKernel};
use demonet::{Config2d, DemoNet2d, Grid};

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

    fn check_values(cfg: &MoonsSections) -> Result<(), FieldError> {
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

    fn execute(&self, mut cfg: MoonsSections, ctx: &RunContext) -> Result<RunOutcome> {
        super::sabotage::model2d(&mut cfg.model);
        super::sabotage::train(&mut cfg.train);
        let t0 = Instant::now();
        let mut data = load_cached(&cfg.data.with_train_seed(cfg.train.seed))?;
        super::sabotage::training_split(&mut data.train);
        anyhow::ensure!(
            !data.is_image(),
            "kind moons needs 2-D points: set [data] name = \"moons\""
        );
        let data_s = t0.elapsed().as_secs_f64();
        let (vs, model, model_s) = build(ctx.device, cfg.train.seed, |p| DemoNet2d::new(p, &cfg.model))?;
        let mut loader = data.loader(cfg.train.batch_size, true, cfg.train.seed);
        loader.drop_last = true;
        let (train_split, _no_val, test_split) = on_device(&data, ctx.device);
        let mut observer = Progress::new(ctx.progress, cfg.train.batch_size, t0, Evaluated::TrainingPoints);
        let result = Trainer::new(&model, &vs, &cfg.train)
            .and_then(|t| super::with_checkpoints(t, ctx, &cfg.train))
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
            demonet::logistic_baseline::logistic_accuracy(&points, &ys)?,
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

/// What a moons run keeps beside its metrics (`outcome.extra`): where its decision grid is and
/// the training points, so figures redraw from the record alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoonsExtra {
    pub grid: GridRecord,
    /// `(x, y, class)` per training point (float32, as the model saw them).
    pub points: Vec<(f32, f32, usize)>,
}

/// The evaluated grid: `nx` x `ny` points from `(x0, y0)` spaced `step`, stored in `file` (beside
/// the record) as 8-bit grey, enough for probability bands of 0.1 and the 0.5 line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridRecord {
    pub file: String,
    pub x0: f64,
    pub y0: f64,
    pub step: f64,
    pub nx: usize,
    pub ny: usize,
}

/// `runs/<id>.grid.png`.
pub fn grid_path(stem: &Path) -> PathBuf {
    let mut name = stem.as_os_str().to_owned();
    name.push(".grid.png");
    PathBuf::from(name)
}

/// Probabilities (x-major, as `class1_probability` returns them) as 8-bit grey, x along the
/// image's columns and y up (row 0 = highest y).
fn save_grid(path: &Path, grid: &GridRecord, prob: &[f32]) -> Result<()> {
    let (nx, ny) = (grid.nx, grid.ny);
    anyhow::ensure!(
        prob.len() == nx * ny,
        "{} probabilities for a {nx} x {ny} grid",
        prob.len()
    );
    let mut img = image::GrayImage::new(nx as u32, ny as u32);
    for i in 0..nx {
        for j in 0..ny {
            let p = prob[i * ny + j].clamp(0.0, 1.0);
            img.put_pixel(
                i as u32,
                (ny - 1 - j) as u32,
                image::Luma([(p * 255.0).round() as u8]),
            );
        }
    }
    durable::write_with(path, |tmp| Ok(img.save(tmp)?))
}

/// Reads a grid saved by [`save_grid`] as probabilities in rows of increasing y (`j * nx + i`
/// for the point `(x0 + i step, y0 + j step)`), checking its size against the record.
pub fn load_grid(path: &Path, grid: &GridRecord) -> Result<Vec<f32>> {
    let img = image::open(path)
        .with_context(|| format!("reading {}", path.display()))?
        .to_luma8();
    let (nx, ny) = (grid.nx, grid.ny);
    anyhow::ensure!(
        (img.width() as usize, img.height() as usize) == (nx, ny),
        "{} is {} x {} pixels, its record says a {nx} x {ny} grid",
        path.display(),
        img.width(),
        img.height()
    );
    let mut prob = Vec::with_capacity(nx * ny);
    for j in 0..ny {
        for i in 0..nx {
            prob.push(img.get_pixel(i as u32, (ny - 1 - j) as u32).0[0] as f32 / 255.0);
        }
    }
    Ok(prob)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_round_trips_through_its_file_in_plot_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.grid.png");
        let grid = GridRecord {
            file: "g.grid.png".into(),
            x0: 0.0,
            y0: 0.0,
            step: 1.0,
            nx: 3,
            ny: 2,
        };
        // x-major: (i, j) at i * ny + j; P = 0 everywhere but (2, 1), the top right corner.
        let prob = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        save_grid(&path, &grid, &prob).unwrap();
        let back = load_grid(&path, &grid).unwrap();
        assert_eq!(back, vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        let wrong = GridRecord { nx: 4, ..grid };
        let err = load_grid(&path, &wrong).unwrap_err().to_string();
        assert!(
            err.contains("3 x 2 pixels") && err.contains("4 x 2 grid"),
            "{err}"
        );
    }
}
