//! MNIST-1D (Greydanus & Kobak, "Scaling down deep learning with MNIST-1D", ICML 2024): ten
//! classes of 1-D signals of length 40, 4,000 for training and 1,000 for test.
//!
//! The data are the `mnist1d` package's own, `make_dataset(get_dataset_args())` (its default
//! arguments, seed 42: the published data set), written by `scripts/make_mnist1d.py` as one
//! safetensors file, `mnist1d.safetensors`: `x_train` and `x_test` float64 `N x L`, `y_train` and
//! `y_test` int64 `N`, and string metadata naming the generator and its version. Safetensors,
//! because the crate (already the checkpoints' format) checks the header's size, every array's
//! dtype, shape and byte range before handing out a view: a truncated or crafted file is an
//! error, never a huge allocation or a panic. Signals become `float32 N x 1 x L` (one channel).

use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors};
use tch::Tensor;

use super::Split;
use super::error::{DataError, Result};

/// The file `scripts/make_mnist1d.py` writes into its folder.
pub const FILE: &str = "mnist1d.safetensors";
pub const NUM_CLASSES: i64 = 10;
/// Files larger than this are not MNIST-1D (the published set is 1.6 MB); refused before reading.
const MAX_BYTES: u64 = 1 << 30;

/// Where the signals came from, as the file's metadata says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// `mnist1d`.
    pub generator: String,
    /// The generator's version, e.g. `0.0.2.post1`.
    pub version: String,
    /// How it was called, e.g. `mnist1d.data.make_dataset(mnist1d.data.get_dataset_args())`.
    pub call: String,
}

/// The file of MNIST-1D in `dir`, or why not.
pub fn find_mnist1d_file(dir: &Path) -> std::result::Result<PathBuf, String> {
    let path = dir.join(FILE);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("missing {FILE}"))
    }
}

/// Reads `path` (a file [`find_mnist1d_file`] found): the training and test splits, and where
/// they came from.
pub fn load_mnist1d_file(path: &Path) -> Result<(Split, Split, Provenance)> {
    let len = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?.len();
    if len > MAX_BYTES {
        return Err(DataError::invalid(
            path,
            format!("{len} bytes: too large for MNIST-1D (the published set is 1.6 MB)"),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    parse_mnist1d(&bytes, path)
}

/// Parses the bytes of an MNIST-1D file held in memory; `path` only names it in errors.
pub fn parse_mnist1d(bytes: &[u8], path: &Path) -> Result<(Split, Split, Provenance)> {
    let invalid = |what: String| DataError::invalid(path, what);
    let (_, meta) =
        SafeTensors::read_metadata(bytes).map_err(|e| invalid(format!("not a safetensors file ({e})")))?;
    let tensors =
        SafeTensors::deserialize(bytes).map_err(|e| invalid(format!("not a safetensors file ({e})")))?;
    let strings = meta.metadata().clone().unwrap_or_default();
    let field = |key: &str| {
        strings.get(key).cloned().ok_or_else(|| {
            invalid(format!(
                "metadata has no \"{key}\": not written by scripts/make_mnist1d.py"
            ))
        })
    };
    let provenance = Provenance {
        generator: field("generator")?,
        version: field("version")?,
        call: field("call")?,
    };
    let split = |x_name: &str, y_name: &str| -> Result<Split> {
        let (x, shape) = read_array(&tensors, x_name, Dtype::F64, 2, path)?;
        let (y, y_shape) = read_array(&tensors, y_name, Dtype::I64, 1, path)?;
        let (n, length) = (shape[0], shape[1]);
        if n == 0 || length == 0 {
            return Err(invalid(format!("{x_name} is empty (shape {shape:?})")));
        }
        if y_shape[0] != n {
            return Err(invalid(format!(
                "{y_name} has {} labels for the {n} signals of {x_name}",
                y_shape[0]
            )));
        }
        let x: Vec<f64> = x
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
            .collect();
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(invalid(format!(
                "{x_name}: value {} (signal {}, step {}) is not finite",
                x[i],
                i / length,
                i % length
            )));
        }
        let y: Vec<i64> = y
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
            .collect();
        if let Some(i) = y.iter().position(|l| !(0..NUM_CLASSES).contains(l)) {
            return Err(invalid(format!(
                "{y_name}: label {} of signal {i} is not a class 0..{}",
                y[i],
                NUM_CLASSES - 1
            )));
        }
        let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        Ok(Split {
            x: Tensor::from_slice(&x).view([n as i64, 1, length as i64]),
            y: Tensor::from_slice(&y),
            num_classes: NUM_CLASSES,
        })
    };
    let train = split("x_train", "y_train")?;
    let test = split("x_test", "y_test")?;
    let (train_len, test_len) = (train.x.size()[2], test.x.size()[2]);
    if train_len != test_len {
        return Err(invalid(format!(
            "training signals have length {train_len}, test signals {test_len}"
        )));
    }
    Ok((train, test, provenance))
}

/// The bytes and shape of array `name`, checked to be `dtype` with `ndims` dimensions.
fn read_array<'a>(
    tensors: &SafeTensors<'a>,
    name: &str,
    dtype: Dtype,
    ndims: usize,
    path: &Path,
) -> Result<(&'a [u8], Vec<usize>)> {
    let view = tensors
        .tensor(name)
        .map_err(|_| DataError::invalid(path, format!("has no array \"{name}\"")))?;
    if view.dtype() != dtype || view.shape().len() != ndims {
        return Err(DataError::invalid(
            path,
            format!(
                "{name} is {:?} of shape {:?}; expected {dtype:?} with {ndims} dimension(s)",
                view.dtype(),
                view.shape()
            ),
        ));
    }
    Ok((view.data(), view.shape().to_vec()))
}
