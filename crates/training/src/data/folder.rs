//! ImageNet-style class folders: `root/train/<class>/*.jpg|png` and `root/val/<class>/...`.
//!
//! Classes are the sub-folder names, sorted, so label `i` is the `i`-th name (as torchvision's
//! `ImageFolder` does). Files ending in `.jpg`, `.jpeg` or `.png` (any case) are images; other
//! files and hidden entries are ignored. Images are decoded in parallel (rayon), converted to RGB,
//! resized so the shorter side is `image_size` (bilinear, antialiased when shrinking), then
//! center-cropped to `image_size x image_size`: the whole central square is kept. The split holds
//! them as one `uint8 N x 3 x S x S` tensor.

use std::path::{Path, PathBuf};

use image::imageops::FilterType;
use rayon::prelude::*;
use tch::Tensor;

use super::Split;
use super::error::{DataError, Result};

const EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// The folder names accepted for the test split, in the order they are tried.
pub const TEST_DIRS: [&str; 2] = ["val", "test"];

/// One class: its name and its image files, sorted by file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassFiles {
    pub name: String,
    pub files: Vec<PathBuf>,
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let read = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    let mut entries = Vec::new();
    for entry in read {
        let path = entry.map_err(|e| DataError::io(dir, e))?.path();
        if !is_hidden(&path) {
            entries.push(path);
        }
    }
    entries.sort();
    Ok(entries)
}

/// The classes under `dir` (one sub-folder each), sorted by name, each with at least one image.
pub fn list_classes(dir: &Path) -> Result<Vec<ClassFiles>> {
    let mut classes = Vec::new();
    for class_dir in sorted_entries(dir)?.into_iter().filter(|p| p.is_dir()) {
        let name = class_dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| DataError::invalid(&class_dir, "class folder name is not valid UTF-8"))?
            .to_string();
        let files: Vec<PathBuf> = sorted_entries(&class_dir)?
            .into_iter()
            .filter(|p| p.is_file() && is_image(p))
            .collect();
        if files.is_empty() {
            return Err(DataError::invalid(
                &class_dir,
                "empty class folder: no .jpg, .jpeg or .png files (remove the folder or add images)",
            ));
        }
        classes.push(ClassFiles { name, files });
    }
    if classes.is_empty() {
        return Err(DataError::invalid(
            dir,
            "no class folders: expected one sub-folder per class holding its images (e.g. cat/1.jpg)",
        ));
    }
    Ok(classes)
}

/// Decodes one image and returns it resized and center-cropped, as `3 x size x size` bytes (CHW).
pub fn decode_image(path: &Path, size: u32) -> Result<Vec<u8>> {
    let img = image::ImageReader::open(path)
        .map_err(|e| DataError::io(path, e))?
        .with_guessed_format()
        .map_err(|e| DataError::io(path, e))?
        .decode()
        .map_err(|e| DataError::invalid(path, format!("corrupt or unsupported image: {e}")))?
        .to_rgb8();
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return Err(DataError::invalid(
            path,
            format!("image is {w}x{h}: nothing to use"),
        ));
    }
    // Shorter side to `size`, the longer one scaled alike (at least `size` so the crop fits).
    let scale = size as f64 / w.min(h) as f64;
    let (nw, nh) = if w <= h {
        (size, ((h as f64 * scale).round() as u32).max(size))
    } else {
        (((w as f64 * scale).round() as u32).max(size), size)
    };
    let resized = if (nw, nh) == (w, h) {
        img
    } else {
        image::imageops::resize(&img, nw, nh, FilterType::Triangle)
    };
    let (x0, y0) = ((nw - size) / 2, (nh - size) / 2);
    let plane = (size * size) as usize;
    let mut chw = vec![0u8; 3 * plane];
    for y in 0..size {
        for x in 0..size {
            let p = resized.get_pixel(x0 + x, y0 + y).0;
            let i = (y * size + x) as usize;
            chw[i] = p[0];
            chw[plane + i] = p[1];
            chw[2 * plane + i] = p[2];
        }
    }
    Ok(chw)
}

/// Decodes the images of `classes` into one split; labels are the class positions in `labels_of`.
pub fn load_classes(classes: &[ClassFiles], labels_of: &[String], size: u32) -> Result<Split> {
    let mut items: Vec<(&Path, i64)> = Vec::new();
    for class in classes {
        let label = labels_of.iter().position(|n| *n == class.name).ok_or_else(|| {
            DataError::spec(
                "path",
                format!("class '{}' is not among {}", class.name, labels_of.join(", ")),
            )
        })? as i64;
        items.extend(class.files.iter().map(|f| (f.as_path(), label)));
    }
    let per_image = 3 * (size as usize) * (size as usize);
    let mut pixels = vec![0u8; items.len() * per_image];
    pixels
        .par_chunks_mut(per_image)
        .zip(items.par_iter())
        .try_for_each(|(out, (path, _))| {
            out.copy_from_slice(&decode_image(path, size)?);
            Ok::<(), DataError>(())
        })?;
    let n = items.len() as i64;
    let s = size as i64;
    let labels: Vec<i64> = items.iter().map(|(_, l)| *l).collect();
    Ok(Split {
        x: Tensor::from_slice(&pixels).view([n, 3, s, s]),
        y: Tensor::from_slice(&labels),
        num_classes: labels_of.len() as i64,
    })
}

/// Finds the test folder of `root` (`val/`, else `test/`).
pub fn test_dir(root: &Path) -> Option<PathBuf> {
    TEST_DIRS.iter().map(|d| root.join(d)).find(|d| d.is_dir())
}

/// Loads `root/train/` and `root/val/` (or `root/test/`): `(train, test, class names)`.
///
/// Every test class must also be a training class; the labels follow the sorted training classes.
pub fn load_folder(root: &Path, size: u32) -> Result<(Split, Split, Vec<String>)> {
    let train_dir = root.join("train");
    if !train_dir.is_dir() {
        return Err(DataError::invalid(
            root,
            "no train/ folder: a folder data set needs train/<class>/*.jpg|png and val/<class>/...",
        ));
    }
    let test_dir = test_dir(root).ok_or_else(|| {
        DataError::invalid(
            root,
            "no val/ (or test/) folder next to train/: the test split is needed too",
        )
    })?;
    let train_classes = list_classes(&train_dir)?;
    let test_classes = list_classes(&test_dir)?;
    let names: Vec<String> = train_classes.iter().map(|c| c.name.clone()).collect();
    let unknown: Vec<&str> = test_classes
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| !names.iter().any(|m| m == n))
        .collect();
    if !unknown.is_empty() {
        return Err(DataError::invalid(
            &test_dir,
            format!("class folder(s) {} are not in train/", unknown.join(", ")),
        ));
    }
    let train = load_classes(&train_classes, &names, size)?;
    let test = load_classes(&test_classes, &names, size)?;
    Ok((train, test, names))
}
