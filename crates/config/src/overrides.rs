//! `--override section.field=value`: a change applied to every run after the sweep.

use serde_json::Value;
use toml::de::DeValue;

use crate::json_path::to_json;

/// A `--override section.field=value` from the command line, applied to every run after the
/// sweep (so it wins over swept values; the points keep their labels).
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub path: Vec<String>,
    pub value: Value,
    /// As given, for messages and for `overrides.json`.
    pub text: String,
}

impl std::str::FromStr for Override {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (key, raw) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: expected section.field=value"))?;
        let path: Vec<String> = key.trim().split('.').map(str::to_string).collect();
        if path.len() < 2 || path.iter().any(String::is_empty) {
            return Err(format!("`{s}`: the key must be dotted, e.g. model.mode=sum"));
        }
        let raw = raw.trim();
        // A TOML value (`64`, `"sum"`, `[1, 2]`, `true`); a bare word is taken as a string.
        let value = match DeValue::parse(raw) {
            Ok(v) => to_json(&v).map_err(|(_, e)| format!("`{s}`: {e}"))?,
            Err(_) => Value::String(raw.to_string()),
        };
        Ok(Override {
            path,
            value,
            text: s.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_toml_values_and_bare_words() {
        let o: Override = "train.epochs=3".parse().unwrap();
        assert_eq!(
            (o.path, o.value),
            (vec!["train".into(), "epochs".into()], json!(3))
        );
        let o: Override = "model.mode = sum".parse().unwrap();
        assert_eq!(o.value, json!("sum"));
        let o: Override = "sweep.x=[1, 2]".parse().unwrap();
        assert_eq!(o.value, json!([1, 2]));
        assert!("epochs=3".parse::<Override>().unwrap_err().contains("dotted"));
        assert!(
            "train.epochs"
                .parse::<Override>()
                .unwrap_err()
                .contains("section.field=value")
        );
    }
}
