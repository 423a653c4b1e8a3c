//! [`KindName`]: `[experiment] kind` and `--kind`. Each name is derived once from its variant:
//! serde's for config files and records, clap's for the command line (the same snake_case rule;
//! a test holds them equal).

use serde::{Deserialize, Serialize};

/// What one run does: `train`, `moons`, `implicit_dim` or `latency`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum KindName {
    Train,
    Moons,
    ImplicitDim,
    Latency,
}

impl KindName {
    pub const ALL: [KindName; 4] = [
        KindName::Train,
        KindName::Moons,
        KindName::ImplicitDim,
        KindName::Latency,
    ];

    /// What two runs of this kind that share a seed have in common, for the summary's pair
    /// tables.
    pub fn pairs_share(&self) -> &'static str {
        match self {
            KindName::Train => "the same data subsets, initial weights and batch order",
            KindName::Moons => "the same points, initial weights and batch order",
            KindName::ImplicitDim => "the same random weights and inputs",
            KindName::Latency => "the same timing round: they are timed back to back",
        }
    }

    /// `"train" | "moons" | ...`, for messages.
    pub fn choices() -> String {
        KindName::ALL.map(|k| format!("\"{k}\"")).join(" | ")
    }
}

impl std::fmt::Display for KindName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = clap::ValueEnum::to_possible_value(self).expect("no variant is skipped");
        f.write_str(name.get_name())
    }
}

impl std::str::FromStr for KindName {
    type Err = String;
    /// serde's parser: its message names the unknown kind and lists the valid ones.
    fn from_str(s: &str) -> Result<Self, String> {
        use serde::de::IntoDeserializer;
        let de: serde::de::value::StrDeserializer<serde::de::value::Error> = s.into_deserializer();
        KindName::deserialize(de).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip_and_unknown_ones_list_the_choices() {
        for k in KindName::ALL {
            assert_eq!(k.to_string().parse::<KindName>(), Ok(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.to_string())
            );
        }
        assert_eq!(KindName::ImplicitDim.to_string(), "implicit_dim");
        let e = "trian".parse::<KindName>().unwrap_err();
        assert!(e.contains("`trian`") && e.contains("`implicit_dim`"), "{e}");
    }

    #[test]
    fn every_variant_is_listed() {
        use clap::ValueEnum;
        assert_eq!(KindName::value_variants(), &KindName::ALL[..]);
    }
}
