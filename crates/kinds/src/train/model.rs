//! `[model]` of a training run: the architecture (`arch`) and its knobs, checked straight from the
//! file so that a wrong field is reported against the architecture it belongs to.

use demonet::Mode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
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
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig::Demonet(demonet::Config::default())
    }
}

const ARCHS: &[&str] = &["demonet", "starnet", "linear"];

impl ModelConfig {
    pub fn in_chans(&self) -> i64 {
        match self {
            ModelConfig::Demonet(c) => c.in_chans,
            ModelConfig::Starnet(c) => c.in_chans,
            ModelConfig::Linear(c) => c.in_chans,
        }
    }
    pub fn num_classes(&self) -> i64 {
        match self {
            ModelConfig::Demonet(c) => c.num_classes,
            ModelConfig::Starnet(c) => c.num_classes,
            ModelConfig::Linear(c) => c.num_classes,
        }
    }

    /// Every merge mode the model is built with (none for the linear baseline).
    pub fn modes_mut(&mut self) -> Vec<&mut Mode> {
        match self {
            ModelConfig::Demonet(c) => vec![&mut c.mode],
            ModelConfig::Starnet(c) => c.stage_modes.iter_mut().collect(),
            ModelConfig::Linear(_) => Vec::new(),
        }
    }

    /// The model crate's own range checks.
    pub fn validate(&self) -> anyhow::Result<()> {
        match self {
            ModelConfig::Demonet(c) => c.validate(),
            ModelConfig::Starnet(c) => c.validate(),
            ModelConfig::Linear(_) => Ok(()),
        }
    }
}

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
