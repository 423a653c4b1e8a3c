//! `kind = "train"`: build a model from `[model]`, load `[data]`, train with `[train]`.
//!
//! `[model] arch` picks the network: `demonet` (default; every other `[model]` field is a
//! `demonet::Config` field), `starnet` (`starnet::Config` fields: base_dim, depths, ...) or
//! `linear` (the linear baseline: in_chans, image_size, num_classes).
//! The model's input channels and classes must match the data: a mismatch is an error, not a
//! silent fix, so that a config states exactly what it trains.
//!
//! `[data]` defaults differ from the library's in two fields, so that a run is honest out of the
//! box: `val_size = 0.1` (the epoch is selected on a validation split, never on the test split)
//! and `seed = "train"` (each training seed draws its own subsets; a sum/star pair shares them).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tch::nn;
use toml::Spanned;
use toml::de::{DeValue, ValueDeserializer};
use training::data::{DataName, DataSeed, DataSpec, Dataset, Split, ValSize};
use training::{TrainConfig, Trainer};

use super::{RunContext, RunKind, RunOutcome, check_typed, sabotage};
use crate::validate::FieldError;

mod progress;
mod record;
pub use progress::Progress;
pub use record::{Evaluated, epoch_metrics, outcome};

/// `[model]` of a training run: the architecture and its knobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch", rename_all = "snake_case")]
pub enum ModelConfig {
    Demonet(demonet::Config),
    Starnet(starnet::Config),
    Linear(demonet::LinearConfig),
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig::Demonet(demonet::Config::default())
    }
}

const ARCHS: &[&str] = &["demonet", "starnet", "linear"];

impl ModelConfig {
    fn in_chans(&self) -> i64 {
        match self {
            ModelConfig::Demonet(c) => c.in_chans,
            ModelConfig::Starnet(c) => c.in_chans,
            ModelConfig::Linear(c) => c.in_chans,
        }
    }
    fn num_classes(&self) -> i64 {
        match self {
            ModelConfig::Demonet(c) => c.num_classes,
            ModelConfig::Starnet(c) => c.num_classes,
            ModelConfig::Linear(c) => c.num_classes,
        }
    }
}

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

/// Validates `[model]` with spans: `arch` picks the struct, the other keys must be its fields.
pub fn check_model(value: Spanned<DeValue<'_>>) -> Result<(), toml::de::Error> {
    let span = value.span();
    let DeValue::Table(mut table) = value.into_inner() else {
        return check_typed::<ModelConfig>(Spanned::new(span, DeValue::Boolean(false)));
    };
    let arch = match table.remove("arch") {
        None => "demonet".to_string(),
        Some(a) => match a.get_ref().as_str() {
            Some(s) if ARCHS.contains(&s) => s.to_string(),
            _ => {
                // Let serde phrase it ("unknown variant `x`, expected one of ..."), at `arch`'s span.
                let mut one = toml::de::DeTable::new();
                one.insert(Spanned::new(a.span(), "arch".into()), a);
                return ModelConfig::deserialize(ValueDeserializer::from(Spanned::new(
                    span,
                    DeValue::Table(one),
                )))
                .map(|_| ());
            }
        },
    };
    let rest = Spanned::new(span, DeValue::Table(table));
    match arch.as_str() {
        "starnet" => check_typed::<starnet::Config>(rest),
        "linear" => check_typed::<demonet::LinearConfig>(rest),
        _ => check_typed::<demonet::Config>(rest),
    }
}

/// Inserts the default `arch` so that serde's tagged enum sees one.
pub fn default_arch(sections: &mut Value, arch: &str) {
    if let Some(Value::Object(model)) = sections.get_mut("model") {
        model.entry("arch").or_insert_with(|| json!(arch));
    }
}

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

    fn check_values(cfg: &TrainSections) -> Result<(), FieldError> {
        validate_sections(&cfg.model, &cfg.data, &cfg.train)
    }

    fn execute(&self, mut cfg: TrainSections, ctx: &RunContext) -> Result<RunOutcome> {
        sabotage::model(&mut cfg.model);
        sabotage::train(&mut cfg.train);
        let t0 = Instant::now();
        let seed = cfg.train.seed;
        let mut data = load_cached(&cfg.data.with_train_seed(seed))?;
        sabotage::training_split(&mut data.train);
        let data_s = t0.elapsed().as_secs_f64();
        check_fit(&cfg.model, &data)?;
        let (vs, model, model_s) = build(ctx.device, seed, |p| -> Result<Box<dyn nn::ModuleT>> {
            Ok(match &cfg.model {
                ModelConfig::Demonet(c) => Box::new(demonet::DemoNet::new(p, c)?),
                ModelConfig::Starnet(c) => Box::new(starnet::model::StarNet::new(p, c)?),
                ModelConfig::Linear(c) => Box::new(demonet::LinearClassifier::new(p, c)?),
            })
        })?;
        let loader = data.loader(cfg.train.batch_size, true, seed);
        let (train_split, val_split, test_split) = on_device(&data, ctx.device);
        let mut observer = Progress::new(ctx.progress, cfg.train.batch_size, t0, Evaluated::TestSet);
        let result = Trainer::new(model.as_ref(), &vs, &cfg.train)
            .and_then(|t| super::with_checkpoints(t, ctx, &cfg.train))
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
        outcome(result, timings, Evaluated::TestSet)
    }
}

/// Range checks of each section, and the model's fit to the data as far as it is known without
/// reading the files (channels, classes and image size of the standard sets).
pub fn validate_sections(
    model: &ModelConfig,
    data: &DataSpec,
    train: &TrainConfig,
) -> Result<(), FieldError> {
    train
        .validate()
        .map_err(|e| FieldError::from_message("train", e))?;
    match model {
        ModelConfig::Demonet(c) => c.validate(),
        ModelConfig::Starnet(c) => c.validate(),
        ModelConfig::Linear(_) => Ok(()),
    }
    .map_err(|e| FieldError::from_message("model", format!("{e:#}")))?;
    // (channels, classes, side) of the sets whose shape is fixed; a folder's depends on its files.
    let native = match data.name {
        DataName::FashionMnist | DataName::Mnist => Some((1, 10, 28)),
        DataName::Cifar10 => Some((3, 10, 32)),
        DataName::Folder | DataName::Moons | DataName::Mnist1d => None,
    };
    if data.name == DataName::Mnist1d {
        return Err(FieldError::new(
            "data",
            Some("name"),
            "`name` = \"mnist1d\" gives 1-D signals, which no model of the train kind reads yet",
        ));
    }
    if data.name == DataName::Moons {
        return Err(FieldError::new(
            "data",
            Some("name"),
            "`name` = \"moons\" gives 2-D points: use kind = \"moons\" for them",
        ));
    }
    let side = data.image_size.or(native.map(|n| n.2));
    if let (ModelConfig::Demonet(c), Some(side)) = (model, side)
        && c.patch > side
    {
        return Err(FieldError::new(
            "model",
            Some("patch"),
            format!(
                "`patch` = {} is larger than the {side} px images of [data]",
                c.patch
            ),
        ));
    }
    if let Some((channels, classes, _)) = native {
        let channels = data.channels.unwrap_or(channels);
        if model.in_chans() != channels {
            return Err(FieldError::new(
                "model",
                Some("in_chans"),
                format!(
                    "`in_chans` = {} but [data] {} gives {channels} channel(s)",
                    model.in_chans(),
                    data.name.as_str()
                ),
            ));
        }
        if model.num_classes() != classes {
            return Err(FieldError::new(
                "model",
                Some("num_classes"),
                format!(
                    "`num_classes` = {} but [data] {} has {classes} classes",
                    model.num_classes(),
                    data.name.as_str()
                ),
            ));
        }
    }
    Ok(())
}

/// Errors when the model's input or output does not fit the data.
pub fn check_fit(model: &ModelConfig, data: &Dataset) -> Result<()> {
    if model.in_chans() != data.channels {
        bail!(
            "[model] in_chans = {} but [data] {} gives {} channel(s); set model.in_chans = {} (or data.channels)",
            model.in_chans(),
            data.name,
            data.channels,
            data.channels
        );
    }
    if model.num_classes() != data.num_classes {
        bail!(
            "[model] num_classes = {} but [data] {} has {} classes; set model.num_classes = {}",
            model.num_classes(),
            data.name,
            data.num_classes,
            data.num_classes
        );
    }
    if let ModelConfig::Linear(c) = model
        && c.image_size != data.image_size
    {
        bail!(
            "[model] image_size = {} but [data] {} gives {} px images; set model.image_size = {}",
            c.image_size,
            data.name,
            data.image_size,
            data.image_size
        );
    }
    Ok(())
}

/// Seeds tch's global RNG and builds the model, so that concurrent runs (`--jobs`) each draw
/// their initial weights from their own seed only (`training::seed`).
pub fn build<M>(
    device: tch::Device,
    seed: u64,
    make: impl FnOnce(&nn::Path) -> Result<M>,
) -> Result<(nn::VarStore, M, f64)> {
    let t = Instant::now();
    let (vs, model) = training::seed::seeded(seed as i64, || -> Result<_> {
        let vs = nn::VarStore::new(device);
        let model = make(&vs.root())?;
        super::sabotage::init(&vs);
        Ok((vs, model))
    })?;
    Ok((vs, model, t.elapsed().as_secs_f64()))
}

/// The training, validation (if any) and test splits on `device` (shallow copies on the CPU).
pub fn on_device(data: &Dataset, device: tch::Device) -> (Split, Option<Split>, Split) {
    (
        data.train.to_device(device),
        data.val.as_ref().map(|v| v.to_device(device)),
        data.test.to_device(device),
    )
}

/// Data sets stay loaded for the life of the process: a sweep's runs share one `[data]`.
pub fn load_cached(spec: &DataSpec) -> Result<Dataset> {
    static CACHE: OnceLock<Mutex<HashMap<String, Dataset>>> = OnceLock::new();
    let key = serde_json::to_string(spec)?;
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if !cache.contains_key(&key) {
        let data = training::data::load(spec).map_err(|e| anyhow::anyhow!("[data]: {e}"))?;
        cache.insert(key.clone(), data);
    }
    Ok(shallow(&cache[&key]))
}

fn shallow(d: &Dataset) -> Dataset {
    let split = |s: &Split| Split {
        x: s.x.shallow_clone(),
        y: s.y.shallow_clone(),
        num_classes: s.num_classes,
    };
    Dataset {
        name: d.name,
        train: split(&d.train),
        val: d.val.as_ref().map(split),
        test: split(&d.test),
        num_classes: d.num_classes,
        channels: d.channels,
        image_size: d.image_size,
        class_names: d.class_names.clone(),
        origin: d.origin.clone(),
        normalize: d.normalize.clone(),
        augment: d.augment,
    }
}
