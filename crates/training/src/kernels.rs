//! Which CPU kernels libtorch runs: its `native` choice for this CPU, or a `reproducible` set
//! that gives the same bits on every x86-64 CPU of ours, Intel or AMD.
//!
//! libtorch's CPU numbers come from three libraries that each pick kernels by what the CPU has:
//! - **MKL** (matrix products, `Linear`): `MKL_CBWR` selects a conditional-numerical-reproducibility
//!   branch. Only `COMPATIBLE` (SSE2, no rcpps/rsqrtps) is documented to give the same results on
//!   Intel and non-Intel CPUs; `AVX2` and the others fall back to `AUTO` on AMD (oneMKL developer
//!   guide, "Getting Started with Conditional Numerical Reproducibility"; `MKL_VERBOSE=1` shows
//!   `CNR:AUTO` for `MKL_CBWR=AVX2` on an AMD EPYC and `CNR:COMPATIBLE` for `COMPATIBLE`).
//! - **oneDNN** (convolutions): `ONEDNN_MAX_CPU_ISA` caps its JIT kernels (`AVX2`). Its blocking
//!   reads the CPU's cache sizes; emulated Intel and AMD CPUs with other cache sizes and vendor
//!   strings gave the same bits as the hardware at this cap (README, "Reliability").
//! - **ATen** (element-wise ops, norms, reductions): `ATEN_CPU_CAPABILITY` caps its vectorised
//!   kernels (`avx2`, which every machine of ours has).
//!
//! All three read their variable once, when first used, so a binary sets them by re-executing
//! itself before libtorch runs anything ([`ensure`]; the runner does, for `[experiment] kernels`). Thread counts are the runs' own (fixed by
//! `train.threads` or the runner's split); `MKL_DYNAMIC=FALSE` keeps MKL from changing them.

use serde::{Deserialize, Serialize};

/// How a process's CPU kernels were chosen (recorded as `cpu.kernels` in every run record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum KernelMode {
    /// Each library's fastest kernels for this CPU: bit-identical reruns on the same kind of
    /// CPU (vendor, family, model, ISA level), not across kinds.
    #[default]
    Native,
    /// MKL's `COMPATIBLE` branch, oneDNN and ATen capped at AVX2: the same bits on every
    /// x86-64 CPU with AVX2, whatever its vendor (slower; for regression checks).
    Reproducible,
}

/// `native` or `reproducible` (serde's names), for the command line.
impl std::str::FromStr for KernelMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(s.to_string()))
            .map_err(|_| format!("unknown kernel mode '{s}': expected native or reproducible"))
    }
}

/// The environment of the reproducible mode (see the module doc for what each does).
pub const REPRODUCIBLE_ENV: &[(&str, &str)] = &[
    ("MKL_CBWR", "COMPATIBLE"),
    ("MKL_DYNAMIC", "FALSE"),
    ("ONEDNN_MAX_CPU_ISA", "AVX2"),
    ("ATEN_CPU_CAPABILITY", "avx2"),
];

/// The mode this process runs in: reproducible when its environment holds every variable of
/// [`REPRODUCIBLE_ENV`] (set by [`ensure`], or by hand).
pub fn current() -> KernelMode {
    let pinned = REPRODUCIBLE_ENV
        .iter()
        .all(|(k, v)| std::env::var(k).is_ok_and(|x| x.eq_ignore_ascii_case(v)));
    if pinned {
        KernelMode::Reproducible
    } else {
        KernelMode::Native
    }
}

/// Makes this process run in `mode`. For the reproducible mode, a process started without its
/// environment re-executes itself with it (same arguments, stdio and pid), so that libtorch
/// reads it from the start. Call before anything uses libtorch. A native request in a
/// reproducible environment stays reproducible: the record says so.
pub fn ensure(mode: KernelMode) -> anyhow::Result<()> {
    if mode == KernelMode::Reproducible && current() != KernelMode::Reproducible {
        reexec_with(REPRODUCIBLE_ENV)?;
    }
    Ok(())
}

fn reexec_with(env: &[(&str, &str)]) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe()?;
    let err = std::process::Command::new(&exe)
        .args(std::env::args_os().skip(1))
        .envs(env.iter().copied())
        .exec();
    Err(anyhow::anyhow!(
        "could not re-execute {} with the reproducible kernel environment: {err}",
        exe.display()
    ))
}
