//! [`FieldError`]: a value a config gets wrong (a negative learning rate, a patch larger than the
//! images), found before any run starts. A kind's validation names the section and the field; the
//! config layer finds them in the file and reports the error at their line and column.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_come_from_backticks() {
        let e = FieldError::from_message("train", "training config: `lr` = -1 (must be > 0)");
        assert_eq!(e.field.as_deref(), Some("lr"));
        let e = FieldError::from_message("train", "training config: `threads / log_every` = 0");
        assert_eq!(e.field, None);
    }
}
