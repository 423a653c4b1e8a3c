//! Checkpoints as safetensors: the model's variables under their state-dict names (so
//! `VarStore::load` and `safetensors.torch.load_file` read them), plus the optimizer state, the EMA
//! and fp32 masters under `optim.*`, `ema.*`, `master.*`, and run metadata as string pairs.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use tch::{Kind, Tensor, nn};

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

/// Writes `tensors` and `metadata` to `path` atomically (a temporary file, then a rename).
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
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating checkpoint folder {}", dir.display()))?;
    }
    let tmp = path.with_extension("safetensors.tmp");
    safetensors::serialize_to_file(views, Some(metadata), &tmp)
        .with_context(|| format!("writing checkpoint {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
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
