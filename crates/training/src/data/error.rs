//! One error type for every reader: it always names the file (or folder) and what is wrong with it.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong while finding, reading or checking a data set.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file exists but its content is not what the format promises.
    #[error("{}: {what}", path.display())]
    Invalid { path: PathBuf, what: String },
    /// The file could not be opened or read (missing, permissions, corrupt gzip stream ...).
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// No place we looked at holds the data set.
    #[error("{0}")]
    NotFound(Box<NotFound>),
    /// The `[data]` section asks for something that cannot be done.
    #[error("[data] {field}: {what}")]
    Spec { field: &'static str, what: String },
}

pub type Result<T, E = DataError> = std::result::Result<T, E>;

impl DataError {
    pub fn invalid(path: &Path, what: impl Into<String>) -> Self {
        DataError::Invalid {
            path: path.to_path_buf(),
            what: what.into(),
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn spec(field: &'static str, what: impl Into<String>) -> Self {
        DataError::Spec {
            field,
            what: what.into(),
        }
    }
}

/// Every place the lookup tried, why each was rejected, and how to get the data.
#[derive(Debug)]
pub struct NotFound {
    /// Human name of the data set, e.g. `Fashion-MNIST`.
    pub dataset: String,
    /// `(where, why it was not used)`, in lookup order.
    pub tried: Vec<(String, String)>,
    /// How to get the data, one suggestion per line.
    pub help: Vec<String>,
}

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} not found; looked in:", self.dataset)?;
        for (i, (place, why)) in self.tried.iter().enumerate() {
            writeln!(f, "  {}. {place}: {why}", i + 1)?;
        }
        write!(f, "to get it:")?;
        for line in &self.help {
            write!(f, "\n  - {line}")?;
        }
        Ok(())
    }
}
