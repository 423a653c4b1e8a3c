//! Loading and saving StarNet weights as safetensors with timm's state-dict names.
//!
//! The file is checked against the VarStore *before* anything is copied: every missing, unexpected
//! or mis-shaped tensor is listed by name (with expected and found shapes), so a checkpoint of the
//! wrong variant fails with a readable list instead of a half-loaded network.

use anyhow::{Context, Result, bail};
use safetensors::{Dtype, SafeTensors};
use std::collections::BTreeMap;
use std::path::Path;
use tch::{Kind, Tensor, nn};

/// BN's step counter: PyTorch stores it in state dicts, but it has no effect in eval mode or on
/// training with a fixed momentum, and tch's BatchNorm has no such variable; it is skipped.
const IGNORED_SUFFIX: &str = ".num_batches_tracked";

/// How many problems an error message lists before it says "and N more".
const MAX_LISTED: usize = 25;

/// What [`load`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// Tensors copied into the VarStore.
    pub loaded: usize,
    /// Tensors in the file that were skipped on purpose (`*.num_batches_tracked`).
    pub ignored: Vec<String>,
}

/// Loads a safetensors file (timm's names, e.g. `model.safetensors` of `starnet_s1.in1k`) into
/// the variables of `vs`. F32, F64, F16 and BF16 tensors are converted to each variable's kind.
pub fn load(vs: &nn::VarStore, path: impl AsRef<Path>) -> Result<LoadReport> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read weights file {}", path.display()))?;
    let file = SafeTensors::deserialize(&bytes)
        .with_context(|| format!("{} is not a valid safetensors file", path.display()))?;
    let vars = vs.variables();

    let mut problems = Vec::new();
    let mut ignored = Vec::new();
    let found: BTreeMap<String, _> = file.tensors().into_iter().collect();
    for (name, view) in &found {
        if name.ends_with(IGNORED_SUFFIX) && !vars.contains_key(name) {
            ignored.push(name.clone());
            continue;
        }
        let Some(var) = vars.get(name) else {
            problems.push(format!("unexpected tensor {name} (shape {:?})", view.shape()));
            continue;
        };
        let want: Vec<i64> = var.size();
        let got: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
        if want != got {
            problems.push(format!("tensor {name}: expected shape {want:?}, found {got:?}"));
        } else if kind_of(view.dtype()).is_none() {
            problems.push(format!(
                "tensor {name}: dtype {:?} is not a float type",
                view.dtype()
            ));
        }
    }
    let mut missing: Vec<(&String, Vec<i64>)> = vars
        .iter()
        .filter(|(n, _)| !found.contains_key(*n))
        .map(|(n, v)| (n, v.size()))
        .collect();
    missing.sort();
    // The listed lines show both sides when the list is cut: some missing tensors (what the
    // network needs), then what the file has instead, then the remaining missing ones.
    let mut missing: Vec<String> = missing
        .into_iter()
        .map(|(name, shape)| format!("missing tensor {name} (expected shape {shape:?})"))
        .collect();
    let rest = missing.split_off(missing.len().min(MAX_LISTED / 2));
    let problems: Vec<String> = missing.into_iter().chain(problems).chain(rest).collect();
    if !problems.is_empty() {
        bail!("{}", describe_problems(path, &problems, &found));
    }

    tch::no_grad(|| -> Result<()> {
        for (name, var) in &vars {
            let view = &found[name];
            let kind = kind_of(view.dtype()).expect("dtype checked above");
            let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
            let src = Tensor::f_from_data_size(view.data(), &shape, kind)
                .with_context(|| format!("{}: cannot read tensor {name}", path.display()))?;
            let mut dst = var.shallow_clone();
            dst.f_copy_(&src.to_kind(var.kind()))
                .with_context(|| format!("{}: cannot copy tensor {name}", path.display()))?;
        }
        Ok(())
    })?;
    ignored.sort();
    Ok(LoadReport {
        loaded: vars.len(),
        ignored,
    })
}

/// Saves the variables of `vs` as safetensors under their (timm) names; timm's
/// `load_state_dict(strict=True)` accepts the file (PyTorch fills in `num_batches_tracked`).
pub fn save(vs: &nn::VarStore, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let mut named: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let named: Vec<(String, Tensor)> = named
        .into_iter()
        .map(|(n, t)| (n, t.to_device(tch::Device::Cpu)))
        .collect();
    Tensor::write_safetensors(&named, path)
        .with_context(|| format!("cannot write weights to {}", path.display()))
}

fn kind_of(dtype: Dtype) -> Option<Kind> {
    match dtype {
        Dtype::F32 => Some(Kind::Float),
        Dtype::F64 => Some(Kind::Double),
        Dtype::F16 => Some(Kind::Half),
        Dtype::BF16 => Some(Kind::BFloat16),
        _ => None,
    }
}

fn describe_problems<V>(path: &Path, problems: &[String], found: &BTreeMap<String, V>) -> String {
    let mut msg = format!(
        "weights file {} does not fit this network ({} problems):",
        path.display(),
        problems.len()
    );
    for p in problems.iter().take(MAX_LISTED) {
        msg.push_str("\n  ");
        msg.push_str(p);
    }
    if problems.len() > MAX_LISTED {
        msg.push_str(&format!("\n  ... and {} more", problems.len() - MAX_LISTED));
    }
    for prefix in ["module.", "model.", "state_dict."] {
        if !found.is_empty() && found.keys().all(|k| k.starts_with(prefix)) {
            msg.push_str(&format!(
                "\nhint: every tensor name starts with '{prefix}'; save the inner state dict (timm names)"
            ));
        }
    }
    msg
}
