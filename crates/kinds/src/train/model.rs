//! `[model]` of a training run: the architecture (`arch`) and its knobs, checked straight from the
//! file so that a wrong field is reported against the architecture it belongs to.
//!
//! Images: `demonet`, `starnet`, `linear`. 1-D signals (MNIST-1D): `demonet1d` (the same DemoNet
//! block along the sequence, `demonet::Config` fields), the published table's anchors `mlp1d` and
//! `cnn1d`, and `linear` with `length` set.

use demonet::Mode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tch::nn;
use toml::Spanned;
use toml::de::{DeValue, ValueDeserializer};

use crate::kind::check_typed;

/// `[model]` of a training run: the architecture and its knobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch", rename_all = "snake_case")]
pub enum ModelConfig {
    Demonet(demonet::Config),
    Starnet(starnet::Config),
    Linear(demonet::LinearConfig),
    Demonet1d(demonet::Config),
    Mlp1d(demonet::Mlp1dConfig),
    Cnn1d(demonet::Cnn1dConfig),
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig::Demonet(demonet::Config::default())
    }
}

const ARCHS: &[&str] = &["demonet", "starnet", "linear", "demonet1d", "mlp1d", "cnn1d"];

impl ModelConfig {
    /// Input channels. The MNIST-1D anchors read one-channel signals, as published.
    pub fn in_chans(&self) -> i64 {
        match self {
            ModelConfig::Demonet(c) | ModelConfig::Demonet1d(c) => c.in_chans,
            ModelConfig::Starnet(c) => c.in_chans,
            ModelConfig::Linear(c) => c.in_chans,
            ModelConfig::Mlp1d(_) | ModelConfig::Cnn1d(_) => 1,
        }
    }
    pub fn num_classes(&self) -> i64 {
        match self {
            ModelConfig::Demonet(c) | ModelConfig::Demonet1d(c) => c.num_classes,
            ModelConfig::Starnet(c) => c.num_classes,
            ModelConfig::Linear(c) => c.num_classes,
            ModelConfig::Mlp1d(c) => c.num_classes,
            ModelConfig::Cnn1d(c) => c.num_classes,
        }
    }

    /// Whether the model reads 1-D signals (`channels x length`) rather than images.
    pub fn reads_signals(&self) -> bool {
        match self {
            ModelConfig::Demonet(_) | ModelConfig::Starnet(_) => false,
            ModelConfig::Linear(c) => c.length.is_some(),
            ModelConfig::Demonet1d(_) | ModelConfig::Mlp1d(_) | ModelConfig::Cnn1d(_) => true,
        }
    }

    /// Every merge mode the model is built with (none for the linear baseline).
    pub fn modes_mut(&mut self) -> Vec<&mut Mode> {
        match self {
            ModelConfig::Demonet(c) | ModelConfig::Demonet1d(c) => vec![&mut c.mode],
            ModelConfig::Starnet(c) => c.stage_modes.iter_mut().collect(),
            ModelConfig::Linear(_) | ModelConfig::Mlp1d(_) | ModelConfig::Cnn1d(_) => Vec::new(),
        }
    }

    /// The model crate's own range checks.
    pub fn validate(&self) -> anyhow::Result<()> {
        match self {
            ModelConfig::Demonet(c) | ModelConfig::Demonet1d(c) => c.validate(),
            ModelConfig::Starnet(c) => c.validate(),
            ModelConfig::Linear(_) | ModelConfig::Mlp1d(_) | ModelConfig::Cnn1d(_) => Ok(()),
        }
    }

    /// Builds the network under `p` (its constructor checks the sizes).
    pub fn build(&self, p: &nn::Path) -> anyhow::Result<Box<dyn Network>> {
        Ok(match self {
            ModelConfig::Demonet(c) => Box::new(demonet::DemoNet::new(p, c)?),
            ModelConfig::Starnet(c) => Box::new(starnet::model::StarNet::new(p, c)?),
            ModelConfig::Linear(c) => Box::new(demonet::LinearClassifier::new(p, c)?),
            ModelConfig::Demonet1d(c) => Box::new(demonet::DemoNet1d::new(p, c)?),
            ModelConfig::Mlp1d(c) => Box::new(demonet::Mlp1d::new(p, c)?),
            ModelConfig::Cnn1d(c) => Box::new(demonet::Cnn1d::new(p, c)?),
        })
    }
}

/// A network the train kind trains: a module, and for DemoNet its blocks' merged features.
pub trait Network: nn::ModuleT {
    /// Each block's features after the merge, before the 3d -> d projection (features last), in
    /// eval mode; `None` for models without DemoNet blocks.
    fn merged_features(&self, _xs: &tch::Tensor) -> Option<Vec<tch::Tensor>> {
        None
    }
}

impl Network for demonet::DemoNet {
    fn merged_features(&self, xs: &tch::Tensor) -> Option<Vec<tch::Tensor>> {
        Some(demonet::DemoNet::merged_features(self, xs))
    }
}

impl Network for demonet::DemoNet1d {
    fn merged_features(&self, xs: &tch::Tensor) -> Option<Vec<tch::Tensor>> {
        Some(demonet::DemoNet1d::merged_features(self, xs))
    }
}

impl Network for starnet::model::StarNet {}
impl Network for demonet::LinearClassifier {}
impl Network for demonet::Mlp1d {}
impl Network for demonet::Cnn1d {}

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
        "mlp1d" => check_typed::<demonet::Mlp1dConfig>(rest),
        "cnn1d" => check_typed::<demonet::Cnn1dConfig>(rest),
        _ => check_typed::<demonet::Config>(rest),
    }
}

/// Inserts the default `arch` so that serde's tagged enum sees one.
pub fn default_arch(sections: &mut Value, arch: &str) {
    if let Some(Value::Object(model)) = sections.get_mut("model") {
        model.entry("arch").or_insert_with(|| json!(arch));
    }
}
