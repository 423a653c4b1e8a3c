//! [`RunConfig`]: one run's resolved, typed config, as the sweep hands it to the runner and the
//! runner to its kind. The one place that dispatches on the kind: everything above sees the kinds
//! through this enum and [`KindName`].
//!
//! JSON is where a config is addressed by path (sweep keys, `--override`) and hashed (the run id);
//! [`RunConfig::decode`] turns that JSON into the kind's typed sections once per run, and
//! [`RunConfig::to_json`] back for the hash and the record.

use serde::Serialize;
use serde_json::Value;
use toml::Spanned;
use toml::de::DeValue;

use crate::context::RunContext;
use crate::field_error::FieldError;
use crate::implicit_dim::{ImplicitDim, ImplicitDimSections};
use crate::kind::RunKind;
use crate::latency::{Latency, LatencySections};
use crate::moons::{Moons, MoonsSections};
use crate::name::KindName;
use crate::outcome::RunOutcome;
use crate::train::{Train, TrainSections};

/// One kind's sections, fully resolved (defaults, sweep values and overrides applied). Serialised
/// as the sections alone (untagged): the run's config in plans and records.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RunConfig {
    Train(TrainSections),
    Moons(MoonsSections),
    ImplicitDim(ImplicitDimSections),
    Latency(LatencySections),
}

/// `$body` with `$K` the kind type of `$name` and `$wrap` its [`RunConfig`] variant.
macro_rules! by_name {
    ($name:expr, $K:ident, $wrap:ident => $body:expr) => {
        match $name {
            KindName::Train => {
                type $K = Train;
                let $wrap = RunConfig::Train;
                $body
            }
            KindName::Moons => {
                type $K = Moons;
                let $wrap = RunConfig::Moons;
                $body
            }
            KindName::ImplicitDim => {
                type $K = ImplicitDim;
                let $wrap = RunConfig::ImplicitDim;
                $body
            }
            KindName::Latency => {
                type $K = Latency;
                let $wrap = RunConfig::Latency;
                $body
            }
        }
    };
}

/// `$body` with `$K` the kind type of the config `$config` and `$s` its sections.
macro_rules! by_config {
    ($config:expr, $K:ident, $s:ident => $body:expr) => {
        match $config {
            RunConfig::Train($s) => {
                type $K = Train;
                $body
            }
            RunConfig::Moons($s) => {
                type $K = Moons;
                $body
            }
            RunConfig::ImplicitDim($s) => {
                type $K = ImplicitDim;
                $body
            }
            RunConfig::Latency($s) => {
                type $K = Latency;
                $body
            }
        }
    };
}

impl RunConfig {
    /// Sections `kind` reads besides `[experiment]`, `[sweep]` and `[output]`.
    pub fn sections(kind: KindName) -> &'static [&'static str] {
        by_name!(kind, K, _wrap => K::SECTIONS)
    }

    /// Checks one section of `kind` straight from the file (types, names), errors at their span.
    pub fn check_section(
        kind: KindName,
        section: &str,
        value: Spanned<DeValue<'_>>,
    ) -> Result<(), toml::de::Error> {
        by_name!(kind, K, _wrap => K::check_section(section, value))
    }

    /// The typed sections of `kind` from JSON (fields left out take the kind's defaults); the
    /// error is serde's (it names the field or the variant and lists the valid ones).
    pub fn decode(kind: KindName, sections: Value) -> Result<RunConfig, String> {
        by_name!(kind, K, wrap => serde_json::from_value(K::prepare(sections))
            .map(wrap)
            .map_err(|e| e.to_string()))
    }

    /// The kind's default sections (for `runner config --defaults`).
    pub fn defaults(kind: KindName) -> RunConfig {
        by_name!(kind, K, wrap => wrap(<K as RunKind>::Sections::default()))
    }

    pub fn kind(&self) -> KindName {
        match self {
            RunConfig::Train(_) => KindName::Train,
            RunConfig::Moons(_) => KindName::Moons,
            RunConfig::ImplicitDim(_) => KindName::ImplicitDim,
            RunConfig::Latency(_) => KindName::Latency,
        }
    }

    /// The run's values checked (ranges, the model's fit to the data): the one validation of a
    /// run config, before any run starts (see [`RunKind::validate`]).
    pub fn validate(&self) -> Result<(), FieldError> {
        by_config!(self, K, s => K::validate(s))
    }

    /// Runs this config.
    pub fn execute(self, ctx: &RunContext) -> anyhow::Result<RunOutcome> {
        by_config!(self, K, s => K::execute(s, ctx))
    }

    /// The sections as canonical JSON (what the run id hashes and the record stores).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("the kinds' sections are plain data and always serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_fills_defaults_and_round_trips_through_json() {
        for kind in KindName::ALL {
            let defaults = RunConfig::defaults(kind);
            assert_eq!(defaults.kind(), kind);
            let decoded = RunConfig::decode(kind, serde_json::json!({})).unwrap();
            assert_eq!(
                RunConfig::decode(kind, decoded.to_json()).unwrap(),
                decoded,
                "{kind}"
            );
            for section in RunConfig::sections(kind) {
                assert!(decoded.to_json().get(section).is_some(), "{kind}: [{section}]");
            }
        }
        let e = RunConfig::decode(KindName::Train, serde_json::json!({ "train": { "epochs": "x" } }))
            .unwrap_err();
        assert!(e.contains("invalid type"), "{e}");
    }
}
