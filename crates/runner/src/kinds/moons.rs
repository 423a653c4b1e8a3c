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
//! Beside them `svm_poly_top1` and `svm_rbf_top1` (the SVMs' training accuracy).
//! The decision grid (class-1 probability on the reference grid, x in [-2, 3), y in [-2, 2.5),
//! step 0.02) is saved as an 8-bit greyscale PNG next to the record: `runs/<id>.grid.png`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
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
        let mut data = load_cached(&cfg.data)?;
        super::sabotage::training_split(&mut data.train);
        anyhow::ensure!(
            !data.is_image(),
            "kind moons needs 2-D points: set [data] name = \"moons\""
        );
        let data_s = t0.elapsed().as_secs_f64();
        let (vs, model, model_s) = build(ctx.device, cfg.train.seed, |p| DemoNet2d::new(p, &cfg.model))?;
        let mut loader = data.loader(cfg.train.batch_size, true, cfg.train.seed);
        loader.drop_last = true;
        let (train_split, test_split) = on_device(&data, ctx.device);
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

        let grid = Grid::reference();
        let prob = demonet::class1_probability(&model, &grid, ctx.device);
        save_grid(&grid_path(&ctx.artifacts), &grid, &prob)?;
        out.extra = json!({
            "grid": {
                "file": grid_path(&ctx.artifacts).file_name().map(|n| n.to_string_lossy().to_string()),
                "x0": grid.xs[0], "y0": grid.ys[0], "step": 0.02, "nx": grid.xs.len(), "ny": grid.ys.len(),
            },
            "points": xs.chunks(2).zip(&ys).map(|(p, &l)| json!([p[0], p[1], l])).collect::<Vec<_>>(),
        });
        Ok(out)
    }
}

/// `runs/<id>.grid.png`.
pub fn grid_path(stem: &Path) -> PathBuf {
    let mut name = stem.as_os_str().to_owned();
    name.push(".grid.png");
    PathBuf::from(name)
}

/// Probabilities as 8-bit grey, x along the image's columns and y up (row 0 = highest y).
fn save_grid(path: &Path, grid: &Grid, prob: &[f32]) -> Result<()> {
    let (nx, ny) = (grid.xs.len(), grid.ys.len());
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

/// Reads a grid saved by [`save_grid`] back as x-major probabilities (`nx * ny`).
pub fn load_grid(path: &Path) -> Result<(usize, usize, Vec<f32>)> {
    let img = image::open(path)
        .with_context(|| format!("reading {}", path.display()))?
        .to_luma8();
    let (nx, ny) = (img.width() as usize, img.height() as usize);
    let mut prob = vec![0.0; nx * ny];
    for i in 0..nx {
        for j in 0..ny {
            prob[i * ny + j] = img.get_pixel(i as u32, (ny - 1 - j) as u32).0[0] as f32 / 255.0;
        }
    }
    Ok((nx, ny, prob))
}

/// One decision-boundary panel per point (its first seed), titled with that run's accuracies.
pub fn draw_boundaries(
    exp: &crate::config::Experiment,
    records: &[(crate::sweep::RunSpec, crate::results::RunRecord)],
    results: &Path,
) -> Result<Vec<PathBuf>> {
    let mut seen = Vec::new();
    let mut panels = Vec::new();
    for (spec, record) in records {
        let point = spec.group_point(exp);
        if seen.contains(&point) {
            continue;
        }
        seen.push(point.clone());
        let path = grid_path(&crate::results::runs_dir(results).join(&record.id));
        let (nx, ny, prob) = match load_grid(&path) {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!("no decision boundary for run {}: {e:#}", record.id);
                continue;
            }
        };
        let g = &record.outcome.extra["grid"];
        let x0 = g["x0"].as_f64().unwrap_or(-2.0);
        let y0 = g["y0"].as_f64().unwrap_or(-2.0);
        let step = g["step"].as_f64().unwrap_or(0.02);
        let grid = crate::plots::Grid {
            x0,
            x1: x0 + nx as f64 * step,
            y0,
            y1: y0 + ny as f64 * step,
            step,
        };
        // The plot wants y-outer order; the saved grid is x-major.
        let mut probs = vec![0.0; nx * ny];
        for i in 0..nx {
            for j in 0..ny {
                probs[j * nx + i] = prob[i * ny + j];
            }
        }
        let points = record.outcome.extra["points"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?, p[2].as_u64()? as usize)))
                    .collect()
            })
            .unwrap_or_default();
        let m = record.outcome.summary_metrics();
        let pct = |k: &str| {
            m.get(k)
                .map_or_else(|| "-".to_string(), |v| format!("{:.0}%", v * 100.0))
        };
        // Short: values only ("star relu, seed 0"), the panels are narrow.
        let label = exp
            .axes
            .iter()
            .filter_map(|a| {
                let v = spec.point.get(&a.key)?;
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                Some(if a.is_seed() { format!("seed {v}") } else { v })
            })
            .collect::<Vec<_>>()
            .join(" ");
        let title = format!(
            "{label}: net {}, poly {}, rbf {}",
            pct("best_train_top1"),
            pct("svm_poly_top1"),
            pct("svm_rbf_top1")
        );
        panels.push(crate::plots::BoundaryPanel {
            title,
            grid,
            probs,
            points,
        });
    }
    if panels.is_empty() {
        return Ok(Vec::new());
    }
    let title = format!(
        "{}: decision boundaries (best training accuracy; first seed of each point)",
        exp.experiment.name
    );
    let files = crate::plots::decision_boundaries(&title, &panels, &results.join("boundaries"))?;
    Ok(vec![files.png])
}
