//! `kind = "train"`: build a model from `[model]`, load `[data]`, train with `[train]`.
//!
//! `[model] arch` picks the network (`train/model.rs`): `demonet` (default; every other `[model]`
//! field is a `demonet::Config` field), `starnet` (`starnet::Config` fields: base_dim, depths, ...)
//! or `linear` (the linear baseline: in_chans, image_size, num_classes); for 1-D signals
//! (MNIST-1D) `demonet1d`, `mlp1d`, `cnn1d` or `linear` with `length`. The model's input
//! channels, classes and image size (or signal length) must match the data (`train/fit.rs`): a
//! mismatch is an error, not a silent fix, so that a config states exactly what it trains.
//!
//! `[data]` defaults differ from the library's in two fields, so that a run is honest out of the
//! box: `val_size = 0.1` (the epoch is selected on a validation split, never on the test split)
//! and `seed = "train"` (each training seed draws its own subsets; a sum/star pair shares them).

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use toml::Spanned;
use toml::de::DeValue;
use training::data::{DataName, DataSeed, DataSpec, ValSize};
use training::{TrainConfig, Trainer};

use crate::context::RunContext;
use crate::field_error::FieldError;
use crate::kind::{RunKind, check_typed};
use crate::metrics::Evaluated;
use crate::outcome::RunOutcome;
use crate::shared::{Progress, build, load_cached, on_device, outcome, with_checkpoints};

mod feature_dim;
mod fit;
mod model;
pub use feature_dim::{RANK_TOL, feature_dimensions};

/// Test inputs the effective feature dimension is measured on (see `execute`).
pub const FEATURE_INPUTS: i64 = 2000;
pub use fit::{DataShape, fit};
pub use model::{ModelConfig, Network, check_model, default_arch};

/// The sections of a `train` config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainSections {
    pub model: ModelConfig,
    pub data: DataSpec,
    pub train: TrainConfig,
}

impl Default for TrainSections {
    fn default() -> Self {
        TrainSections {
            model: ModelConfig::default(),
            data: train_data_defaults(),
            train: TrainConfig::default(),
        }
    }
}

/// `[data]` as the `train` kind fills it in (see the module doc).
pub fn train_data_defaults() -> DataSpec {
    DataSpec {
        val_size: ValSize::Fraction(0.1),
        seed: DataSeed::Train,
        ..DataSpec::default()
    }
}

pub struct Train;

impl RunKind for Train {
    type Sections = TrainSections;
    const SECTIONS: &'static [&'static str] = &["model", "data", "train"];

    fn check_section(section: &str, value: Spanned<DeValue<'_>>) -> Result<(), toml::de::Error> {
        match section {
            "model" => check_model(value),
            "data" => check_typed::<DataSpec>(value),
            _ => check_typed::<TrainConfig>(value),
        }
    }

    fn prepare(mut sections: Value) -> Value {
        default_arch(&mut sections, "demonet");
        // A field left out of [data] takes the train kind's default, not the library's.
        if let Value::Object(all) = &mut sections {
            let mut data = serde_json::to_value(train_data_defaults()).unwrap_or_default();
            if let (Value::Object(d), Some(Value::Object(given))) = (&mut data, all.get("data")) {
                d.extend(given.clone());
            }
            all.insert("data".to_string(), data);
        }
        sections
    }

    /// Range checks of each section, and the model's fit to the data as far as it is known
    /// without reading the files (channels, classes and image size of the standard sets).
    fn validate(cfg: &TrainSections) -> Result<(), FieldError> {
        cfg.train
            .validate()
            .map_err(|e| FieldError::from_message("train", e))?;
        cfg.model
            .validate()
            .map_err(|e| FieldError::from_message("model", format!("{e:#}")))?;
        if cfg.data.name == DataName::Moons {
            return Err(FieldError::new(
                "data",
                Some("name"),
                "`name` = \"moons\" gives 2-D points: use kind = \"moons\" for them",
            ));
        }
        fit(&cfg.model, &DataShape::from_spec(&cfg.data))
    }

    fn execute(mut cfg: TrainSections, ctx: &RunContext) -> Result<RunOutcome> {
        cfg.model.modes_mut().into_iter().for_each(|m| ctx.tamper.mode(m));
        ctx.tamper.train(&mut cfg.train);
        let t0 = Instant::now();
        let seed = cfg.train.seed;
        let mut data = load_cached(&cfg.data.with_train_seed(seed))?;
        ctx.tamper.training_split(&mut data.train);
        let data_s = t0.elapsed().as_secs_f64();
        // A folder's shape is known only now that its files are read.
        fit(&cfg.model, &DataShape::of(&data)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let (vs, model, model_s) = build(ctx, ctx.device, seed, |p| cfg.model.build(p))?;
        let loader = data.loader(cfg.train.batch_size, true, seed);
        let (train_split, val_split, test_split) = on_device(&data, ctx.device);
        let mut observer = Progress::new(ctx.progress, cfg.train.batch_size, t0, Evaluated::TestSet);
        let result = Trainer::new(model.as_ref(), &vs, &cfg.train)
            .and_then(|t| with_checkpoints(t, ctx, &cfg.train))
            .and_then(|t| {
                let t = t.loader(&loader).observer(&mut observer);
                match &val_split {
                    Some(val) => t.validation(val),
                    None => t,
                }
                .fit(&train_split, &test_split)
            });
        let mut timings = BTreeMap::from([("data_s".to_string(), data_s), ("model_s".to_string(), model_s)]);
        if let Some(first) = observer.first_step_s {
            timings.insert("first_step_s".to_string(), first);
        }
        let mut out = outcome(result, timings, Evaluated::TestSet)?;
        // DemoNet: the effective dimension of each block's merged features, final weights, test split.
        if out.stopped.is_none() {
            let t = Instant::now();
            let features = |x: &tch::Tensor| model.merged_features(x);
            let eval_loader = data.loader(cfg.train.eval_batch_size(), false, seed);
            // At most FEATURE_INPUTS test inputs, evenly strided: ~100k tokens for a covariance of
            // at most 3d = 192 features, a fifth of the cost of the whole 10,000-image split.
            let n = test_split.len();
            let step = (n + FEATURE_INPUTS - 1) / FEATURE_INPUTS;
            let inputs = test_split.select(&tch::Tensor::arange_start_step(
                0,
                n,
                step.max(1),
                tch::kind::INT64_CPU,
            ));
            out.other
                .extend(feature_dimensions(&features, &inputs, &eval_loader));
            if out.other.contains_key("feat_pr_pct") {
                out.timings
                    .insert("feature_dim_s".to_string(), t.elapsed().as_secs_f64());
            }
        }
        Ok(out)
    }
}
