//! [`RunKind`]: the one trait every kind implements. A kind owns one typed struct of the sections
//! it reads, says how a section is checked straight from the file (so errors keep their line and
//! column), how defaults are laid under what a config gives, how its values are validated (once,
//! for each resolved run), and what executing one run does.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::context::RunContext;
use crate::field_error::FieldError;
use crate::outcome::RunOutcome;

/// A kind of run: the typed sections it reads and what executing one does.
pub trait RunKind {
    /// All the kind's sections in one struct (`model`, `data`, `train`, ...), each field named
    /// after its section; its `Default` is what `runner config --defaults` prints.
    type Sections: Serialize + DeserializeOwned + Default + Clone + PartialEq + std::fmt::Debug;

    /// Sections this kind reads besides `[experiment]`, `[sweep]` and `[output]`.
    const SECTIONS: &'static [&'static str];

    /// Checks one section's types straight from the file, so errors keep their line and column.
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

    /// Checks a resolved run's values (ranges, known names, the model's fit to the data as far as
    /// the config tells it) before any run starts, naming the section and field so that the error
    /// can point into the file. The only validation of a run config: the sweep calls it once per
    /// run, through `RunConfig::validate`.
    fn validate(_sections: &Self::Sections) -> Result<(), FieldError> {
        Ok(())
    }

    /// Runs one resolved, validated config.
    fn execute(sections: Self::Sections, ctx: &RunContext) -> anyhow::Result<RunOutcome>;
}

/// Deserialises one spanned TOML value as `T`, only to report what does not fit.
pub fn check_typed<T: DeserializeOwned>(value: Spanned<DeValue<'_>>) -> Result<(), toml::de::Error> {
    T::deserialize(ValueDeserializer::from(value)).map(|_| ())
}
