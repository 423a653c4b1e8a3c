//! What one run does, per `[experiment] kind`. Each kind owns one typed struct of the sections it
//! reads and turns one resolved config into a [`RunOutcome`]:
//!
//! - `train.rs`: an image classifier (DemoNet, StarNet or the linear baseline) trained with the
//!   shared loop;
//! - `moons.rs`: the 2-D DemoNet on two-moons, with SVM baselines and decision grids;
//! - `implicit_dim.rs`: star-math's rank measurements;
//! - `latency.rs`: StarNet inference latency, sum vs star.
//!
//! A kind implements [`RunKind`] (its sections struct and `execute`); the config and sweep code
//! see every kind through [`AnyKind`], which a blanket impl derives from `RunKind`: checking a
//! section with spans, filling defaults into canonical JSON and decoding a resolved config are
//! written once, here.

pub mod implicit_dim;
pub mod latency;
pub mod moons;
mod outcome;
pub mod sabotage;
pub mod train;

pub use outcome::{RunOutcome, best_of};

use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::progress::RunProgress;

/// `[experiment] kind`. Parsed in one place, serde's derive (also behind `FromStr` for `--kind`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    Train,
    Moons,
    ImplicitDim,
    Latency,
}

impl std::str::FromStr for KindName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let de: serde::de::value::StrDeserializer<serde::de::value::Error> = s.into_deserializer();
        KindName::deserialize(de).map_err(|e| e.to_string())
    }
}

impl KindName {
    pub const ALL: [KindName; 4] = [
        KindName::Train,
        KindName::Moons,
        KindName::ImplicitDim,
        KindName::Latency,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KindName::Train => "train",
            KindName::Moons => "moons",
            KindName::ImplicitDim => "implicit_dim",
            KindName::Latency => "latency",
        }
    }

    /// `"train" | "moons" | ...`, for messages.
    pub fn choices() -> String {
        KindName::ALL.map(|k| format!("\"{}\"", k.as_str())).join(" | ")
    }
}

/// Everything a run may use besides its config.
pub struct RunContext<'a> {
    pub device: tch::Device,
    /// Intra-op threads this run gets (threads / jobs on CPU).
    pub threads: usize,
    pub progress: &'a RunProgress,
    /// Path prefix for files a run writes beside its record (`results/<name>/runs/<id>`).
    pub artifacts: std::path::PathBuf,
    /// Where a training run keeps its checkpoints (`runs/<id>.ckpt/`), and resumes from.
    pub checkpoints: std::path::PathBuf,
}

/// A kind of run: the typed sections it reads and what executing one does.
pub trait RunKind: Sync {
    /// All the kind's sections in one struct (`model`, `data`, `train`, ...), each field named
    /// after its section; its `Default` is what `runner config --defaults` prints.
    type Sections: Serialize + DeserializeOwned + Default;

    /// Sections this kind reads besides `[experiment]`, `[sweep]` and `[output]`.
    const SECTIONS: &'static [&'static str];

    /// Validates one section straight from the file, so errors keep their line and column.
    /// Default: `Sections` holding only that section.
    fn check_section(section: &str, value: Spanned<DeValue<'_>>) -> Result<(), toml::de::Error> {
        let span = value.span();
        let mut one = DeTable::new();
        one.insert(Spanned::new(span.clone(), section.to_string().into()), value);
        check_typed::<Self::Sections>(Spanned::new(span, DeValue::Table(one)))
    }

    /// The sections as written, before typing: e.g. kind-specific defaults laid under them.
    fn prepare(sections: Value) -> Value {
        sections
    }

    /// Checks beyond the types (ranges, known names).
    fn validate(_sections: &Self::Sections) -> Result<(), String> {
        Ok(())
    }

    /// Checks a resolved run's values (ranges, the model's fit to the data) before any run
    /// starts, naming the section and field so the error can point into the file.
    fn check_values(_sections: &Self::Sections) -> Result<(), crate::validate::FieldError> {
        Ok(())
    }

    /// Runs one resolved config.
    fn execute(&self, sections: Self::Sections, ctx: &RunContext) -> anyhow::Result<RunOutcome>;
}

/// A kind as the config, sweep and execution code see it (object-safe; see [`RunKind`]).
pub trait AnyKind: Sync {
    fn sections(&self) -> &'static [&'static str];
    fn check_section(&self, section: &str, value: Spanned<DeValue<'_>>) -> Result<(), toml::de::Error>;
    /// The sections as canonical JSON, every default filled in; an error names the problem.
    /// A run's id hashes this.
    fn canonical(&self, sections: Value) -> Result<Value, String>;
    /// The default sections (for `runner config --defaults`).
    fn defaults(&self) -> Value;
    /// Checks the values of one resolved run config (ranges, and that the model fits the data),
    /// before any run starts; the error names the section and field.
    fn validate(&self, config: &Value) -> Result<(), crate::validate::FieldError>;
    fn execute(&self, config: &Value, ctx: &RunContext) -> anyhow::Result<RunOutcome>;
}

impl<K: RunKind> AnyKind for K {
    fn sections(&self) -> &'static [&'static str] {
        K::SECTIONS
    }

    fn check_section(&self, section: &str, value: Spanned<DeValue<'_>>) -> Result<(), toml::de::Error> {
        K::check_section(section, value)
    }

    fn canonical(&self, sections: Value) -> Result<Value, String> {
        let typed: K::Sections = serde_json::from_value(K::prepare(sections)).map_err(|e| e.to_string())?;
        K::validate(&typed)?;
        serde_json::to_value(&typed).map_err(|e| e.to_string())
    }

    fn defaults(&self) -> Value {
        serde_json::to_value(K::Sections::default()).unwrap_or_default()
    }

    fn validate(&self, config: &Value) -> Result<(), crate::validate::FieldError> {
        let sections: K::Sections = serde_json::from_value(config.clone())
            .map_err(|e| crate::validate::FieldError::new("model", None, e))?;
        K::check_values(&sections)
    }

    fn execute(&self, config: &Value, ctx: &RunContext) -> anyhow::Result<RunOutcome> {
        let sections: K::Sections = serde_json::from_value(config.clone())
            .map_err(|e| anyhow::anyhow!("resolved config does not fit this kind: {e}"))?;
        RunKind::execute(self, sections, ctx)
    }
}

pub fn kind(name: KindName) -> &'static dyn AnyKind {
    match name {
        KindName::Train => &train::Train,
        KindName::Moons => &moons::Moons,
        KindName::ImplicitDim => &implicit_dim::ImplicitDim,
        KindName::Latency => &latency::Latency,
    }
}

/// Deserialises one spanned TOML value as `T`, only to report what does not fit.
pub fn check_typed<T: DeserializeOwned>(value: Spanned<DeValue<'_>>) -> Result<(), toml::de::Error> {
    T::deserialize(ValueDeserializer::from(value)).map(|_| ())
}

/// Checkpoints of a training run, in `runs/<id>.ckpt/`: with `train.checkpoint_every` set,
/// `epoch_NNNN.safetensors`, and `last.safetensors` at the end; whatever the config, Ctrl-C stops
/// the run after its current step with its state in `interrupted.safetensors`. A run that finds
/// a checkpoint there resumes from the newest (the mid-epoch one first). The runner removes the
/// folder once the run's record is written.
pub fn with_checkpoints<'a>(
    trainer: training::Trainer<'a>,
    ctx: &RunContext,
    cfg: &training::TrainConfig,
) -> Result<training::Trainer<'a>, training::TrainError> {
    let mut trainer = trainer.stop_when(&crate::interrupt::requested, ctx.checkpoints.clone());
    if cfg.checkpoint_every.is_some() {
        trainer = trainer.checkpoint_dir(ctx.checkpoints.clone());
    }
    let interrupted = ctx.checkpoints.join(training::interrupted::FILE);
    let from = if interrupted.is_file() {
        Some(interrupted)
    } else {
        cfg.checkpoint_every
            .and_then(|_| latest_checkpoint(&ctx.checkpoints))
    };
    match from {
        Some(p) => {
            tracing::info!("resuming from {}", p.display());
            trainer.resume(&p)
        }
        None => Ok(trainer),
    }
}

/// `last.safetensors` if present, else the `epoch_NNNN.safetensors` with the highest N.
pub fn latest_checkpoint(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let last = dir.join("last.safetensors");
    if last.is_file() {
        return Some(last);
    }
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let n: usize = name
                .strip_prefix("epoch_")?
                .strip_suffix(".safetensors")?
                .parse()
                .ok()?;
            Some((n, e.path()))
        })
        .max_by_key(|(n, _)| *n)
        .map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip_and_unknown_ones_list_the_choices() {
        for k in KindName::ALL {
            assert_eq!(k.as_str().parse::<KindName>(), Ok(k));
            assert_eq!(serde_json::to_value(k).unwrap(), Value::String(k.as_str().into()));
        }
        let e = "trian".parse::<KindName>().unwrap_err();
        assert!(e.contains("`trian`") && e.contains("`implicit_dim`"), "{e}");
    }
}
