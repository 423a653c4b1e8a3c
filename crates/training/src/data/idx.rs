//! The IDX format of MNIST and Fashion-MNIST (`*-idx3-ubyte` images, `*-idx1-ubyte` labels), raw or gzip.
//!
//! Layout (big-endian): two zero bytes, a type byte (`0x08` = unsigned byte, the only type these
//! data sets use), the number of dimensions, one `u32` per dimension, then the data row-major.
//! Gzip is recognised by its content (`1f 8b`), not by the file name.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use tch::Tensor;

use super::Split;
use super::error::{DataError, Result};

/// Classes in MNIST and Fashion-MNIST.
pub const NUM_CLASSES: u8 = 10;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const TYPE_U8: u8 = 0x08;

/// An IDX array of unsigned bytes: its dimensions and its data, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Reads an IDX file with `ndims` dimensions (3 for images, 1 for labels), raw or gzip.
pub fn read_idx(path: &Path, ndims: u8) -> Result<IdxArray> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    read_idx_from(BufReader::with_capacity(1 << 20, file), ndims, path)
}

/// Parses IDX bytes held in memory, raw or gzip; `path` only names them in errors.
pub fn parse_idx(bytes: &[u8], ndims: u8, path: &Path) -> Result<IdxArray> {
    read_idx_from(bytes, ndims, path)
}

fn read_idx_from<R: BufRead>(mut reader: R, ndims: u8, path: &Path) -> Result<IdxArray> {
    let head = reader.fill_buf().map_err(|e| DataError::io(path, e))?;
    if head.starts_with(&GZIP_MAGIC) {
        let gz = flate2::bufread::GzDecoder::new(reader);
        read_idx_body(gz, ndims, path, true)
    } else {
        read_idx_body(reader, ndims, path, false)
    }
}

fn read_idx_body<R: Read>(mut r: R, ndims: u8, path: &Path, gzip: bool) -> Result<IdxArray> {
    // Errors from the reader are I/O errors for raw files, but format errors inside a gzip stream.
    let read_err = |e: io::Error| {
        if gzip {
            DataError::invalid(path, format!("corrupt or truncated gzip stream ({e})"))
        } else {
            DataError::io(path, e)
        }
    };
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut r, &mut magic).map_err(read_err)?;
    if got < 4 {
        return Err(DataError::invalid(
            path,
            format!("truncated: {got} byte(s), too short for the 4-byte IDX magic number"),
        ));
    }
    let magic_num = u32::from_be_bytes(magic);
    let expected = u32::from_be_bytes([0, 0, TYPE_U8, ndims]);
    if magic[0] != 0 || magic[1] != 0 {
        return Err(DataError::invalid(
            path,
            format!("wrong magic number 0x{magic_num:08x}: not an IDX file (expected 0x{expected:08x})"),
        ));
    }
    if magic[2] != TYPE_U8 {
        return Err(DataError::invalid(
            path,
            format!(
                "wrong magic number 0x{magic_num:08x}: data type 0x{:02x} is not unsigned byte (0x08), \
                 the only type MNIST-style files use",
                magic[2]
            ),
        ));
    }
    if magic[3] != ndims {
        let kind = if ndims == 3 {
            "an image file (idx3)"
        } else {
            "a label file (idx1)"
        };
        return Err(DataError::invalid(
            path,
            format!(
                "wrong magic number 0x{magic_num:08x}: {} dimension(s), but {kind} has {ndims} (expected 0x{expected:08x})",
                magic[3]
            ),
        ));
    }

    let mut dims = Vec::with_capacity(ndims as usize);
    for d in 0..ndims {
        let mut b = [0u8; 4];
        let got = read_up_to(&mut r, &mut b).map_err(read_err)?;
        if got < 4 {
            return Err(DataError::invalid(
                path,
                format!("truncated: the header ends inside dimension {} of {ndims}", d + 1),
            ));
        }
        dims.push(u32::from_be_bytes(b) as usize);
    }
    let shape = dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("x");
    let total = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&t| t <= isize::MAX as usize)
        .ok_or_else(|| DataError::invalid(path, format!("dimensions {shape} are too large")))?;

    // `take` + `read_to_end` grows the buffer as data arrives, so a header that lies about its size
    // cannot make us allocate more than the file really holds.
    let mut data = Vec::new();
    (&mut r)
        .take(total as u64)
        .read_to_end(&mut data)
        .map_err(read_err)?;
    if data.len() < total {
        return Err(DataError::invalid(
            path,
            format!(
                "truncated: the header promises {shape} = {total} bytes of data, the file holds only {}",
                data.len()
            ),
        ));
    }
    let trailing = io::copy(&mut r, &mut io::sink()).map_err(read_err)?;
    if trailing > 0 {
        return Err(DataError::invalid(
            path,
            format!("{trailing} trailing byte(s) after the {shape} data the header describes"),
        ));
    }
    Ok(IdxArray { dims, data })
}

/// Like `read_exact`, but reports how many bytes there were instead of failing on a short read.
fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Checks an image array: `N x rows x cols`, with non-empty images.
pub fn check_images(images: &IdxArray, path: &Path) -> Result<()> {
    match images.dims[..] {
        [_, rows, cols] if rows > 0 && cols > 0 => Ok(()),
        [_, rows, cols] => Err(DataError::invalid(
            path,
            format!("image size {rows}x{cols} is empty"),
        )),
        _ => Err(DataError::invalid(path, "not a 3-dimensional image array")),
    }
}

/// Checks that every label is a class index below `num_classes`.
pub fn check_labels(labels: &[u8], num_classes: u8, path: &Path) -> Result<()> {
    match labels.iter().position(|&l| l >= num_classes) {
        Some(i) => Err(DataError::invalid(
            path,
            format!(
                "label {} at index {i} is out of range: {num_classes} classes means labels 0-{}",
                labels[i],
                num_classes - 1
            ),
        )),
        None => Ok(()),
    }
}

/// Reads an images file and its labels file into one split (`x`: `uint8 N x 1 x rows x cols`).
pub fn load_idx_split(images_path: &Path, labels_path: &Path) -> Result<Split> {
    let (images, labels) = rayon::join(|| read_idx(images_path, 3), || read_idx(labels_path, 1));
    let (images, labels) = (images?, labels?);
    idx_split(&images, images_path, &labels.data, labels_path)
}

/// Builds a split from parsed arrays, checking them against each other.
pub fn idx_split(images: &IdxArray, images_path: &Path, labels: &[u8], labels_path: &Path) -> Result<Split> {
    check_images(images, images_path)?;
    let n = images.dims[0];
    if n == 0 {
        return Err(DataError::invalid(images_path, "holds no images (count 0)"));
    }
    if labels.len() != n {
        return Err(DataError::invalid(
            labels_path,
            format!(
                "image/label count mismatch: {} labels, but {} has {n} images",
                labels.len(),
                images_path.display()
            ),
        ));
    }
    check_labels(labels, NUM_CLASSES, labels_path)?;
    let [rows, cols] = [images.dims[1] as i64, images.dims[2] as i64];
    let x = Tensor::from_slice(&images.data).view([n as i64, 1, rows, cols]);
    let y = Tensor::from_slice(&labels.iter().map(|&l| l as i64).collect::<Vec<_>>());
    Ok(Split {
        x,
        y,
        num_classes: NUM_CLASSES as i64,
    })
}
