//! Values a config gets wrong (a negative learning rate, a patch larger than the images, a
//! negative tolerance) are found when the config is read, before any run starts, and reported at
//! the line and column of the field: each kind checks a resolved run config (`kinds/*.rs`,
//! [`crate::kinds::Kind::validate`]) and names the section and field; this file finds them in
//! the file.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// A value out of range in one section of a run config.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// `model`, `data`, `train` or `output`.
    pub section: String,
    /// The field, when known (`lr`); otherwise the message is about the section.
    pub field: Option<String>,
    pub message: String,
}

impl FieldError {
    pub fn new(section: &str, field: Option<&str>, message: impl std::fmt::Display) -> FieldError {
        FieldError {
            section: section.to_string(),
            field: field.map(str::to_string),
            message: message.to_string(),
        }
    }

    /// From a model/training crate's own validation, whose message names the field in backticks
    /// (`` training config: `lr` = -1 (must be > 0) ``).
    pub fn from_message(section: &str, err: impl std::fmt::Display) -> FieldError {
        let message = err.to_string();
        let field = message
            .split('`')
            .nth(1)
            .filter(|f| !f.contains(' '))
            .map(str::to_string);
        FieldError {
            section: section.to_string(),
            field,
            message,
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.section, self.message)
    }
}

/// The span of `path` (`["train", "lr"]`) in a TOML text: the key, else the nearest table that
/// exists on the way.
pub fn key_span(text: &str, path: &[&str]) -> Option<Range<usize>> {
    let root = DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut best = None;
    for key in path {
        let Some((k, v)) = table.get_key_value(*key) else {
            return best;
        };
        best = Some(k.span());
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    best
}

/// Tolerances of `[output] check` must be numbers >= 0.
pub fn check_tolerances(check: &std::collections::BTreeMap<String, f64>) -> Result<(), FieldError> {
    for (metric, &tol) in check {
        if !(tol.is_finite() && tol >= 0.0) {
            return Err(FieldError::new(
                "output",
                Some("check"),
                format!("check tolerance `{metric}` = {tol} (must be a number >= 0)"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_and_falls_back_to_the_section() {
        let text = "[experiment]\nname = \"x\"\n\n[train]\nepochs = 2\nlr = -1\n";
        let span = key_span(text, &["train", "lr"]).unwrap();
        assert_eq!(&text[span], "lr");
        let span = key_span(text, &["train", "momentum"]);
        assert_eq!(span.map(|s| &text[s]), Some("train"));
        assert_eq!(key_span(text, &["model", "width"]), None);
    }

    #[test]
    fn field_names_come_from_backticks() {
        let e = FieldError::from_message("train", "training config: `lr` = -1 (must be > 0)");
        assert_eq!(e.field.as_deref(), Some("lr"));
        let e = FieldError::from_message("train", "training config: `threads / log_every` = 0");
        assert_eq!(e.field, None);
    }
}
