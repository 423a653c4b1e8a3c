//! Where a result came from: versions, git revision, time stamps.

use std::process::Command;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Versions {
    pub runner: String,
    pub tch: String,
    /// The libtorch the binary was built against (read from its `version.py` at build time).
    pub libtorch: String,
    pub rustc: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GitRevision {
    /// `git rev-parse HEAD`, or "unknown" outside a git checkout.
    pub rev: String,
    /// Uncommitted changes to tracked files when the run started.
    pub dirty: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Provenance {
    pub versions: Versions,
    pub git: GitRevision,
}

impl Provenance {
    /// Computed once per process (git costs a few milliseconds).
    pub fn current() -> Provenance {
        static CACHE: OnceLock<Provenance> = OnceLock::new();
        CACHE
            .get_or_init(|| Provenance {
                versions: Versions {
                    runner: env!("CARGO_PKG_VERSION").to_string(),
                    tch: env!("RUNNER_TCH_VERSION").to_string(),
                    libtorch: env!("RUNNER_LIBTORCH_VERSION").to_string(),
                    rustc: env!("RUNNER_RUSTC_VERSION").to_string(),
                },
                git: git_revision(),
            })
            .clone()
    }
}

fn git_revision() -> GitRevision {
    let out = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match out(&["rev-parse", "HEAD"]) {
        Some(rev) if !rev.is_empty() => {
            let dirty =
                out(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
            GitRevision { rev, dirty }
        }
        _ => GitRevision {
            rev: "unknown".to_string(),
            dirty: false,
        },
    }
}

/// Now, as RFC 3339 UTC with milliseconds.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
