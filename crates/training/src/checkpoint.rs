//! Checkpoints as safetensors: the model's variables under their state-dict names (so
//! `VarStore::load` and `safetensors.torch.load_file` read them), plus the optimizer state, the EMA
//! and fp32 masters under `optim.*`, `ema.*`, `master.*`, and run metadata as string pairs.
//!
//! [`save_training`] and [`restore_training`] store and restore a whole training run (what
//! `Trainer` needs to resume bit for bit, at an epoch's end or within one); [`save`] and
//! [`Checkpoint`] are the file format; every checkpoint reaches the disk through
//! `durable::write_atomic`, the workspace's one durable write (temp file, fsync, rename, and temp
//! names that `durable::clean_stale_temps` removes after a kill).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use tch::{Kind, Tensor, nn};

use crate::config::TrainConfig;
use crate::interrupted::PartialEpoch;
use crate::metrics::TrainRecord;
use crate::snapshot::Snapshot;
use crate::stepper::Stepper;

fn dtype_of(kind: Kind) -> Result<Dtype> {
    Ok(match kind {
        Kind::Float => Dtype::F32,
        Kind::Double => Dtype::F64,
        Kind::BFloat16 => Dtype::BF16,
        Kind::Half => Dtype::F16,
        Kind::Int64 => Dtype::I64,
        Kind::Int => Dtype::I32,
        Kind::Uint8 => Dtype::U8,
        Kind::Bool => Dtype::BOOL,
        k => bail!("checkpoint: tensors of kind {k:?} are not supported"),
    })
}

fn kind_of(dtype: Dtype) -> Result<Kind> {
    Ok(match dtype {
        Dtype::F32 => Kind::Float,
        Dtype::F64 => Kind::Double,
        Dtype::BF16 => Kind::BFloat16,
        Dtype::F16 => Kind::Half,
        Dtype::I64 => Kind::Int64,
        Dtype::I32 => Kind::Int,
        Dtype::U8 => Kind::Uint8,
        Dtype::BOOL => Kind::Bool,
        d => bail!("checkpoint: safetensors dtype {d:?} is not supported"),
    })
}

/// Writes `tensors` and `metadata` to `path` atomically (the file is encoded in memory
/// first: safetensors writes to paths, not to open files).
pub fn save(path: &Path, tensors: &[(String, Tensor)], metadata: HashMap<String, String>) -> Result<()> {
    let mut bytes: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = vec![];
    for (name, t) in tensors {
        let t = t.detach().to_device(tch::Device::Cpu).contiguous();
        let numel = t.numel();
        let mut buf = vec![0u8; numel * t.kind().elt_size_in_bytes()];
        t.copy_data_u8(&mut buf, numel);
        let shape = t.size().iter().map(|&d| d as usize).collect();
        bytes.push((
            name.clone(),
            dtype_of(t.kind()).with_context(|| name.clone())?,
            shape,
            buf,
        ));
    }
    let views: Vec<(String, TensorView)> = bytes
        .iter()
        .map(|(n, d, s, b)| Ok((n.clone(), TensorView::new(*d, s.clone(), b)?)))
        .collect::<Result<_>>()?;
    let file = safetensors::serialize(views, Some(metadata))
        .with_context(|| format!("encoding checkpoint {}", path.display()))?;
    durable::write_atomic(path, &file).with_context(|| format!("writing checkpoint {}", path.display()))
}

/// Prefix of the weights of the epoch selected on validation (`selected.<variable name>`).
const SELECTED: &str = "selected.";

/// Metadata key of a mid-epoch checkpoint's [`PartialEpoch`].
const PARTIAL: &str = "starlab.partial_epoch";

/// Where a run stands, besides its tensors: what a checkpoint stores and restores.
pub struct RunState<R, S, P> {
    /// Epochs finished; with `partial`, also the epoch in progress.
    pub epochs_done: usize,
    /// The record so far.
    pub record: R,
    /// The weights of the epoch selected on validation, when kept.
    pub selected: Option<S>,
    /// The sums of the epoch in progress (a mid-epoch checkpoint).
    pub partial: Option<P>,
}

/// What [`save_training`] takes (borrowed) and [`restore_training`] gives back (owned).
pub type SavedState<'a> = RunState<&'a TrainRecord, &'a Snapshot, &'a PartialEpoch>;
pub type RestoredState = RunState<TrainRecord, Snapshot, PartialEpoch>;

/// Saves a training run (at the end of epoch `at.epochs_done`, or within it with `at.partial`):
/// every variable of `vs`, the fp32 masters (under mixed precision), optimizer and EMA state, the
/// weights of the epoch selected on validation (if any), the config and the record so far.
pub fn save_training(
    path: &Path,
    vs: &nn::VarStore,
    st: &Stepper,
    cfg: &TrainConfig,
    at: &SavedState,
) -> Result<()> {
    let (epochs_done, record, selected) = (at.epochs_done, at.record, at.selected);
    let mut tensors: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    if st.flat.compute_kind.is_some() {
        tensors.extend(
            st.flat
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| (format!("master.{i}"), g.master.shallow_clone())),
        );
    }
    tensors.extend(st.opt.state());
    if let Some(ema) = &st.ema {
        tensors.extend(ema.state());
    }
    if let Some(snap) = selected {
        tensors.extend(
            snap.tensors()
                .iter()
                .map(|(n, t)| (format!("{SELECTED}{n}"), t.shallow_clone())),
        );
    }
    let mut meta = HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("starlab.epochs_done".to_string(), epochs_done.to_string()),
        ("starlab.optimizer_step".to_string(), st.opt.step.to_string()),
        ("starlab.train_config".to_string(), serde_json::to_string(cfg)?),
        ("starlab.record".to_string(), serde_json::to_string(record)?),
    ]);
    if let Some(p) = at.partial {
        meta.insert(PARTIAL.to_string(), serde_json::to_string(p)?);
    }
    save(path, &tensors, meta)
}

/// Restores what [`save_training`] wrote into `vs` and `st`, and returns the rest (the selected
/// epoch's weights when the checkpoint has them).
/// A checkpoint written with another recipe (see [`TrainConfig::resume_conflicts`]) is refused.
pub fn restore_training(
    path: &Path,
    vs: &nn::VarStore,
    st: &mut Stepper,
    cfg: &TrainConfig,
) -> Result<RestoredState> {
    let ck = Checkpoint::read(path)?;
    let saved: TrainConfig = serde_json::from_str(&ck.meta("starlab.train_config")?)
        .with_context(|| format!("checkpoint {}: unreadable `starlab.train_config`", path.display()))?;
    let conflicts = cfg.resume_conflicts(&saved);
    if !conflicts.is_empty() {
        bail!(
            "checkpoint {} was written with a different training config (fields: {}); resuming would not continue \
             the same run",
            path.display(),
            conflicts.join(", ")
        );
    }
    ck.load_vars(vs)?;
    if st.flat.compute_kind.is_some() && ck.has("master.0") {
        for (i, g) in st.flat.groups.iter().enumerate() {
            ck.copy_into(&format!("master.{i}"), &g.master)?;
        }
    } else {
        st.flat.model_to_master();
    }
    for (name, t) in st.opt.state_targets() {
        ck.copy_into(&name, t)?;
    }
    if let Some(ema) = &mut st.ema {
        for (name, t) in ema.state_targets() {
            ck.copy_into(&name, t)?;
        }
    }
    let parse = |key: &str| -> Result<u64> {
        ck.meta(key)?
            .parse()
            .with_context(|| format!("checkpoint {}: `{key}` is not a number", path.display()))
    };
    st.opt.step = parse("starlab.optimizer_step")?;
    let done = parse("starlab.epochs_done")? as usize;
    let record: TrainRecord = serde_json::from_str(&ck.meta("starlab.record")?)
        .with_context(|| format!("checkpoint {}: unreadable `starlab.record`", path.display()))?;
    let names: Vec<String> = vs.variables().into_keys().collect();
    let selected = if names.iter().all(|n| ck.has(&format!("{SELECTED}{n}"))) && !names.is_empty() {
        let tensors = names
            .into_iter()
            .map(|n| Ok((n.clone(), ck.tensor(&format!("{SELECTED}{n}"))?)))
            .collect::<Result<Vec<_>>>()?;
        Some(Snapshot::from_tensors(tensors))
    } else {
        None
    };
    let partial = match ck.metadata().get(PARTIAL) {
        Some(p) => Some(
            serde_json::from_str(p)
                .with_context(|| format!("checkpoint {}: unreadable `{PARTIAL}`", path.display()))?,
        ),
        None => None,
    };
    Ok(RunState {
        epochs_done: done,
        record,
        selected,
        partial,
    })
}

/// A checkpoint read into memory.
pub struct Checkpoint {
    pub path: std::path::PathBuf,
    bytes: Vec<u8>,
}

impl Checkpoint {
    pub fn read(path: &Path) -> Result<Checkpoint> {
        let bytes = std::fs::read(path).with_context(|| format!("reading checkpoint {}", path.display()))?;
        SafeTensors::deserialize(&bytes)
            .with_context(|| format!("checkpoint {} is not a safetensors file", path.display()))?;
        Ok(Checkpoint {
            path: path.to_path_buf(),
            bytes,
        })
    }

    fn parsed(&self) -> SafeTensors<'_> {
        SafeTensors::deserialize(&self.bytes).expect("checked in Checkpoint::read")
    }

    pub fn metadata(&self) -> HashMap<String, String> {
        let (_, meta) = SafeTensors::read_metadata(&self.bytes).expect("checked in Checkpoint::read");
        meta.metadata().clone().unwrap_or_default()
    }

    /// A metadata value, or an error naming the key and the file.
    pub fn meta(&self, key: &str) -> Result<String> {
        self.metadata()
            .remove(key)
            .with_context(|| format!("checkpoint {}: metadata `{key}` is missing", self.path.display()))
    }

    pub fn has(&self, name: &str) -> bool {
        self.parsed().tensor(name).is_ok()
    }

    /// The tensor `name` on the CPU, or an error naming it and the file.
    pub fn tensor(&self, name: &str) -> Result<Tensor> {
        let st = self.parsed();
        let view = st
            .tensor(name)
            .map_err(|_| anyhow::anyhow!("checkpoint {}: tensor `{name}` is missing", self.path.display()))?;
        let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
        Ok(Tensor::from_data_size(
            view.data(),
            &shape,
            kind_of(view.dtype())?,
        ))
    }

    /// Copies `name` into `dst` (casting the kind, keeping `dst`'s device); errors name the tensor
    /// when it is missing or its shape differs.
    pub fn copy_into(&self, name: &str, dst: &Tensor) -> Result<()> {
        let src = self.tensor(name)?;
        if src.size() != dst.size() {
            bail!(
                "checkpoint {}: `{name}` has shape {:?}, the model expects {:?}",
                self.path.display(),
                src.size(),
                dst.size()
            );
        }
        tch::no_grad(|| dst.shallow_clone().copy_(&src));
        Ok(())
    }

    /// Loads every variable of `vs` (trainable or not) by name.
    pub fn load_vars(&self, vs: &nn::VarStore) -> Result<()> {
        let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, var) in vars {
            self.copy_into(&name, &var)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_metadata_and_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/c.safetensors");
        let a = Tensor::from_slice(&[1.5f32, -2.0, 3.0, 4.0]).view([2, 2]);
        let n = Tensor::from_slice(&[7i64]);
        let meta = HashMap::from([("epoch".to_string(), "3".to_string())]);
        save(
            &path,
            &[("a".into(), a.shallow_clone()), ("n".into(), n.shallow_clone())],
            meta,
        )
        .unwrap();
        let c = Checkpoint::read(&path).unwrap();
        assert_eq!(c.meta("epoch").unwrap(), "3");
        assert!(c.meta("step").unwrap_err().to_string().contains("`step`"));
        assert!(c.tensor("a").unwrap().equal(&a));
        assert!(c.tensor("n").unwrap().equal(&n));
        let wrong = Tensor::zeros([4], tch::kind::FLOAT_CPU);
        let err = c.copy_into("a", &wrong).unwrap_err().to_string();
        assert!(err.contains("`a`") && err.contains("shape"), "{err}");
        assert!(c.tensor("b").unwrap_err().to_string().contains("`b` is missing"));
    }

    #[test]
    fn a_bad_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.safetensors");
        std::fs::write(&path, b"not a checkpoint").unwrap();
        let err = Checkpoint::read(&path).err().unwrap().to_string();
        assert!(err.contains("junk.safetensors"), "{err}");
    }
}
