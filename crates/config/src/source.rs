//! The text of a config file and errors that point into it: `path:line:col: message`, the
//! offending line and a caret under the span.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A config file's path and text. Parsing borrows the text; everything kept after parsing is
/// owned, so the text needs no `'static` lifetime.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    pub fn read(path: &Path) -> Result<Source> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
        Ok(Source::from_text(path, text))
    }

    pub fn from_text(path: &Path, text: String) -> Source {
        Source {
            path: path.to_path_buf(),
            text,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// `path:line:col: message`, followed by the offending line and a caret.
    pub fn error_at(&self, span: Option<Range<usize>>, message: impl std::fmt::Display) -> anyhow::Error {
        let Some(span) = span else {
            return anyhow::anyhow!("{}: {message}", self.path.display());
        };
        let (line, col) = self.line_col(span.start);
        let text_line = self.text.lines().nth(line - 1).unwrap_or("");
        let width = self.text[span.clone()]
            .lines()
            .next()
            .map_or(1, |l| l.chars().count().max(1));
        anyhow::anyhow!(
            "{}:{line}:{col}: {message}\n{line:>5} | {text_line}\n      | {}{}",
            self.path.display(),
            " ".repeat(col - 1),
            "^".repeat(width)
        )
    }

    /// A toml/serde error at its span (the start of the file when toml gives none).
    pub fn toml_error(&self, err: toml::de::Error) -> anyhow::Error {
        let mut message = err.message().trim_end().to_string();
        // toml reports "missing field" on the table, not on a key: say which table.
        if message.starts_with("missing field") && err.span().is_none() {
            message.push_str(" (at the top level of the file)");
        }
        self.error_at(Some(err.span().unwrap_or(0..0)), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_line_column_and_underlines_the_span() {
        let s = Source::from_text(Path::new("x.toml"), "[a]\nkey = 12\n".to_string());
        assert_eq!(s.line_col(10), (2, 7));
        let e = s.error_at(Some(10..12), "too big").to_string();
        assert_eq!(e, "x.toml:2:7: too big\n    2 | key = 12\n      |       ^^");
    }
}
