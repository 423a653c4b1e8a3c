//! Where a result came from: the code (fingerprint, git revision), versions, the CPU, time stamps.
//!
//! The code fingerprint is baked in at build time (`build.rs`): a hash of the sources that can
//! change a number (models, data, training, star-math, the runner's kinds, Cargo.lock), not of
//! plots, CLI text or comments. A record whose fingerprint differs from the binary's was made by
//! other code: the runner reruns it rather than reuse it silently (`execute.rs`).

use std::process::Command;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use training::kernels::KernelMode;

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

/// The CPU a run ran on and how its kernels were chosen: together they decide whether two
/// records can be compared bit for bit (`check.rs`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Cpu {
    /// `model name` from /proc/cpuinfo.
    pub model: String,
    /// `vendor_id` from /proc/cpuinfo (`GenuineIntel`, `AuthenticAMD`); "" in older records.
    #[serde(default)]
    pub vendor: String,
    /// `cpu family` and `model` from /proc/cpuinfo, e.g. `6/207`: MKL and oneDNN tune their
    /// native kernels per microarchitecture. "" in older records.
    #[serde(default)]
    pub family: String,
    /// Logical CPUs this process may use.
    pub cores: usize,
    /// The vector ISA libtorch's CPU kernels use: `avx512`, `avx2` or `default` (ATen's names;
    /// `ATEN_CPU_CAPABILITY` lowers it), `arm64` on ARM.
    pub isa: String,
    /// `native` or `reproducible` (`training::kernels`); records older than the field were native.
    #[serde(default)]
    pub kernels: KernelMode,
}

impl Cpu {
    /// Whether `other` is the same kind of CPU running the same kernels: then reruns are
    /// bit-identical. Reproducible kernels are the same on every CPU; native ones only on the same
    /// vendor, family/model and ISA level (records without a vendor: the same model name).
    pub fn same_kernels(&self, other: &Cpu) -> bool {
        match (self.kernels, other.kernels) {
            (KernelMode::Reproducible, KernelMode::Reproducible) => true,
            (KernelMode::Native, KernelMode::Native) => {
                let same_kind = if self.vendor.is_empty() || other.vendor.is_empty() {
                    self.model == other.model
                } else {
                    self.vendor == other.vendor && self.family == other.family
                };
                same_kind && !self.isa.is_empty() && self.isa == other.isa
            }
            _ => false,
        }
    }

    /// `reproducible kernels` or `AuthenticAMD 26/2 avx512`, for messages.
    pub fn describe(&self) -> String {
        match self.kernels {
            KernelMode::Reproducible => "reproducible kernels".to_string(),
            KernelMode::Native if self.vendor.is_empty() => format!("{} {}", self.model, self.isa),
            KernelMode::Native => format!("{} {} {}", self.vendor, self.family, self.isa),
        }
    }
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
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |name: &str| {
            cpuinfo
                .lines()
                .take_while(|l| !l.trim().is_empty()) // the first processor's block
                .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        };
        let family = match (field("cpu family"), field("model")) {
            (Some(f), Some(m)) => format!("{f}/{m}"),
            _ => String::new(),
        };
        Cpu {
            model: field("model name").unwrap_or_else(|| std::env::consts::ARCH.to_string()),
            vendor: field("vendor_id").unwrap_or_default(),
            family,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            isa: isa_level(),
            kernels: training::kernels::current(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(vendor: &str, family: &str, isa: &str, kernels: KernelMode) -> Cpu {
        Cpu {
            model: format!("{vendor} {family}"),
            vendor: vendor.into(),
            family: family.into(),
            cores: 2,
            isa: isa.into(),
            kernels,
        }
    }

    #[test]
    fn reproducible_kernels_match_across_vendors_native_ones_only_on_the_same_cpu_kind() {
        use KernelMode::{Native, Reproducible};
        let amd = cpu("AuthenticAMD", "26/2", "avx2", Reproducible);
        let intel = cpu("GenuineIntel", "6/207", "avx2", Reproducible);
        assert!(amd.same_kernels(&intel));
        let (amd, intel) = (
            Cpu {
                kernels: Native,
                ..amd
            },
            Cpu {
                kernels: Native,
                ..intel
            },
        );
        assert!(!amd.same_kernels(&intel), "another vendor");
        assert!(amd.same_kernels(&amd.clone()));
        assert!(
            !amd.same_kernels(&cpu("AuthenticAMD", "25/17", "avx2", Native)),
            "another family"
        );
        assert!(
            !amd.same_kernels(&cpu("AuthenticAMD", "26/2", "avx512", Native)),
            "another ISA"
        );
        assert!(
            !amd.same_kernels(&Cpu {
                kernels: Reproducible,
                ..amd.clone()
            }),
            "another mode"
        );
        // Records older than the vendor field: the model name stands in for it.
        let old = Cpu {
            vendor: String::new(),
            family: String::new(),
            ..amd.clone()
        };
        assert!(old.same_kernels(&amd));
        assert!(!old.same_kernels(&Cpu {
            model: "Intel Xeon".into(),
            ..amd
        }));
    }
}
