//! CIFAR-10, binary version (`cifar-10-binary.tar.gz` from <https://www.cs.toronto.edu/~kriz/cifar.html>).
//!
//! Each file is a run of 3073-byte records: one label byte, then 3 x 32 x 32 pixel bytes in
//! channel-major order (all red, then green, then blue; rows top to bottom). The training set is
//! `data_batch_1.bin` .. `data_batch_5.bin`, the test set `test_batch.bin`.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use tch::Tensor;

use super::Split;
use super::error::{DataError, Result};

pub const NUM_CLASSES: u8 = 10;
pub const IMAGE_SIZE: usize = 32;
pub const PIXELS: usize = 3 * IMAGE_SIZE * IMAGE_SIZE;
pub const RECORD: usize = 1 + PIXELS;
pub const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
pub const TEST_FILE: &str = "test_batch.bin";

/// The records of one batch file: pixels (`N x 3072`, row-major) and labels.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CifarRecords {
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

impl CifarRecords {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Parses the bytes of one batch file; `path` only names it in errors.
pub fn parse_cifar(bytes: &[u8], path: &Path) -> Result<CifarRecords> {
    if bytes.is_empty() {
        return Err(DataError::invalid(path, "empty file: no CIFAR-10 records"));
    }
    if !bytes.len().is_multiple_of(RECORD) {
        return Err(DataError::invalid(
            path,
            format!(
                "truncated or not a CIFAR-10 binary batch: {} bytes is not a whole number of \
                 {RECORD}-byte records (1 label + 3x32x32 pixels); {} byte(s) left over",
                bytes.len(),
                bytes.len() % RECORD
            ),
        ));
    }
    let n = bytes.len() / RECORD;
    let mut records = CifarRecords {
        pixels: Vec::with_capacity(n * PIXELS),
        labels: Vec::with_capacity(n),
    };
    for (i, record) in bytes.chunks_exact(RECORD).enumerate() {
        let label = record[0];
        if label >= NUM_CLASSES {
            return Err(DataError::invalid(
                path,
                format!("record {i}: label {label} is out of range (CIFAR-10 labels are 0-9)"),
            ));
        }
        records.labels.push(label);
        records.pixels.extend_from_slice(&record[1..]);
    }
    Ok(records)
}

/// Reads one batch file.
pub fn read_cifar(path: &Path) -> Result<CifarRecords> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    parse_cifar(&bytes, path)
}

/// Checks that a folder holds the six batch files; returns the folder that does (the given one, or
/// its `cifar-10-batches-bin/` as unpacked from the official archive).
pub fn find_cifar_dir(dir: &Path) -> std::result::Result<PathBuf, String> {
    let candidates = [dir.to_path_buf(), dir.join("cifar-10-batches-bin")];
    for d in &candidates {
        if TRAIN_FILES
            .iter()
            .chain([&TEST_FILE])
            .all(|f| d.join(f).is_file())
        {
            return Ok(d.clone());
        }
    }
    let missing: Vec<&str> = TRAIN_FILES
        .iter()
        .chain([&TEST_FILE])
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    Err(format!(
        "missing {} (nor in cifar-10-batches-bin/)",
        missing.join(", ")
    ))
}

/// Loads the training and test splits from a folder with the six batch files.
pub fn load_cifar_dir(dir: &Path) -> Result<(Split, Split)> {
    let read_all = |files: Vec<PathBuf>| -> Result<Split> {
        let parts: Vec<CifarRecords> = files.par_iter().map(|p| read_cifar(p)).collect::<Result<_>>()?;
        let mut all = CifarRecords::default();
        for p in parts {
            all.pixels.extend_from_slice(&p.pixels);
            all.labels.extend_from_slice(&p.labels);
        }
        Ok(records_split(&all))
    };
    let train = read_all(TRAIN_FILES.iter().map(|f| dir.join(f)).collect())?;
    let test = read_all(vec![dir.join(TEST_FILE)])?;
    Ok((train, test))
}

/// A split of `uint8 N x 3 x 32 x 32` images.
pub fn records_split(records: &CifarRecords) -> Split {
    let n = records.len() as i64;
    let s = IMAGE_SIZE as i64;
    let x = Tensor::from_slice(&records.pixels).view([n, 3, s, s]);
    let y = Tensor::from_slice(&records.labels.iter().map(|&l| l as i64).collect::<Vec<_>>());
    Split {
        x,
        y,
        num_classes: NUM_CLASSES as i64,
    }
}
