//! Where a result came from: the code (fingerprint, git revision), versions, the CPU, time stamps.
//!
//! The code fingerprint is baked in at build time (`build.rs`): a hash of the sources that can
//! change a number (models, data, training, star-math, the runner's kinds, Cargo.lock), not of
//! plots, CLI text or comments. A record whose fingerprint differs from the binary's was made by
//! other code: the runner reruns it rather than reuse it silently (`execute.rs`).

use std::process::Command;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The fingerprint of the code this binary was built from.
pub const CODE_FINGERPRINT: &str = env!("RUNNER_CODE_FINGERPRINT");

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
    /// `git rev-parse HEAD` of the source checkout, or "unknown" outside one.
    pub rev: String,
    /// Uncommitted changes to tracked files outside `results/` when the process started.
    pub dirty: bool,
}

/// The CPU a run ran on: its ISA level decides whether reruns can be compared bit for bit.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Cpu {
    /// `model name` from /proc/cpuinfo.
    pub model: String,
    /// Logical CPUs this process may use.
    pub cores: usize,
    /// The vector ISA libtorch's CPU kernels use: `avx512`, `avx2` or `default` (ATen's names;
    /// `ATEN_CPU_CAPABILITY` lowers it), `arm64` on ARM.
    pub isa: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Provenance {
    pub versions: Versions,
    pub git: GitRevision,
    /// [`CODE_FINGERPRINT`] of the binary that wrote the record ("" in records older than it).
    #[serde(default)]
    pub code_fingerprint: String,
    #[serde(default)]
    pub cpu: Cpu,
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
                code_fingerprint: CODE_FINGERPRINT.to_string(),
                cpu: Cpu::current(),
            })
            .clone()
    }

    /// Whether a record with this provenance was made by the code of this binary.
    pub fn is_current_code(&self) -> bool {
        self.code_fingerprint == CODE_FINGERPRINT
    }
}

impl Cpu {
    pub fn current() -> Cpu {
        let model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        Cpu {
            model,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            isa: isa_level(),
        }
    }
}

/// ATen picks its kernels by CPU capability: AVX-512 (F, BW, VL, DQ), else AVX2 (with FMA), else
/// the default build; `ATEN_CPU_CAPABILITY` caps it.
fn isa_level() -> String {
    #[cfg(target_arch = "x86_64")]
    let detected = if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512dq")
    {
        "avx512"
    } else if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        "avx2"
    } else {
        "default"
    };
    #[cfg(not(target_arch = "x86_64"))]
    let detected = std::env::consts::ARCH;
    let rank = |s: &str| ["default", "avx2", "avx512"].iter().position(|l| *l == s);
    match std::env::var("ATEN_CPU_CAPABILITY").map(|v| v.to_lowercase()) {
        Ok(cap) if rank(&cap).zip(rank(detected)).is_some_and(|(c, d)| c < d) => cap,
        _ => detected.to_string(),
    }
}

fn git_revision() -> GitRevision {
    // The checkout the binary was built from, wherever the runner is started.
    let source = env!("CARGO_MANIFEST_DIR");
    let out = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(source)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match out(&["rev-parse", "HEAD"]) {
        Some(rev) if !rev.is_empty() => {
            // Results being written (tracked files under results/) do not make the code dirty.
            let dirty = out(&[
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ":/",
                ":(exclude,top)results",
            ])
            .is_some_and(|s| !s.is_empty());
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
