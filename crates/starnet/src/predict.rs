//! Classifying images: timm's eval preprocessing, input files, top-k and logits files.
//!
//! Preprocessing is timm's eval transform for StarNet: resize the shorter side to
//! `floor(224 / 0.875) = 256` px (bicubic, aspect kept, the longer side truncated as torchvision
//! does), center crop 224 (offsets rounded half-to-even, as torchvision's `round`), scale to [0, 1],
//! normalise with the ImageNet mean/std. The resize uses the `image` crate's CatmullRom filter,
//! the same cubic (a = -0.5) with the same antialiasing support as PIL's BICUBIC; PIL rounds its
//! intermediate pass to 8 bits and this crate does not, so values differ slightly; the tests
//! measure and bound the difference against PIL on a test image (see the crate README for numbers).

use crate::imagenet;
use anyhow::{Context, Result, bail, ensure};
use image::imageops::FilterType;
use std::path::Path;
use tch::{Kind, Tensor};

/// timm's eval preprocessing settings (`resolve_data_config` of `starnet_*`).
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocess {
    /// Side of the square crop fed to the network.
    pub img_size: u32,
    /// Crop fraction: the shorter side is first resized to `floor(img_size / crop_pct)`.
    pub crop_pct: f64,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl Default for Preprocess {
    fn default() -> Self {
        Preprocess {
            img_size: 224,
            crop_pct: 0.875,
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
        }
    }
}

impl Preprocess {
    /// Side the shorter image side is resized to before cropping.
    pub fn scale_size(&self) -> u32 {
        (self.img_size as f64 / self.crop_pct).floor() as u32
    }

    /// `1 x 3 x img_size x img_size` float tensor, normalised.
    pub fn apply(&self, img: &image::DynamicImage) -> Result<Tensor> {
        let rgb = img.to_rgb8();
        let (w, h) = rgb.dimensions();
        ensure!(w >= 1 && h >= 1, "empty image ({w} x {h})");
        let (new_w, new_h) = resized_size(w, h, self.scale_size());
        let resized = image::imageops::resize(&rgb, new_w, new_h, FilterType::CatmullRom);
        let crop = self.img_size;
        ensure!(
            new_w >= crop && new_h >= crop,
            "image resized to {new_w} x {new_h} is smaller than the {crop} px crop"
        );
        let left = round_half_even((new_w - crop) as f64 / 2.0);
        let top = round_half_even((new_h - crop) as f64 / 2.0);
        let cropped = image::imageops::crop_imm(&resized, left, top, crop, crop).to_image();
        let hwc = Tensor::from_slice(cropped.as_raw()).view([crop as i64, crop as i64, 3]);
        let chw = hwc.permute([2, 0, 1]).to_kind(Kind::Float) / 255.0;
        let mean = Tensor::from_slice(&self.mean).view([3, 1, 1]);
        let std = Tensor::from_slice(&self.std).view([3, 1, 1]);
        Ok(((chw - mean) / std).unsqueeze(0))
    }
}

/// torchvision `Resize(int)`: the shorter side becomes `short`, the longer `int(short * long / short_side)`.
fn resized_size(w: u32, h: u32, short: u32) -> (u32, u32) {
    if w <= h {
        (short, (short as u64 * h as u64 / w as u64) as u32)
    } else {
        ((short as u64 * w as u64 / h as u64) as u32, short)
    }
}

fn round_half_even(x: f64) -> u32 {
    x.round_ties_even() as u32
}

/// Loads one input file as an `N x 3 x H x W` float tensor: an `.npy` array (float32/float64, used
/// as is, already preprocessed) or an image (JPEG/PNG/..., preprocessed with [`Preprocess::default`],
/// N = 1).
pub fn load_input(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let is_npy = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if is_npy {
        load_npy(path)
    } else {
        load_image(path, &Preprocess::default())
    }
}

/// Reads and preprocesses an image file.
pub fn load_image(path: impl AsRef<Path>, pre: &Preprocess) -> Result<Tensor> {
    let path = path.as_ref();
    let img = image::ImageReader::open(path)
        .with_context(|| format!("cannot open image {}", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("cannot read image {}", path.display()))?
        .decode()
        .with_context(|| {
            format!(
                "cannot decode image {} (JPEG and PNG are supported)",
                path.display()
            )
        })?;
    pre.apply(&img)
        .with_context(|| format!("cannot preprocess image {}", path.display()))
}

fn load_npy(path: &Path) -> Result<Tensor> {
    ensure!(path.is_file(), "input file {} does not exist", path.display());
    check_npy_length(path)?;
    let t = Tensor::read_npy(path).with_context(|| {
        format!(
            "cannot read {} as a .npy array (C order, float32/float64)",
            path.display()
        )
    })?;
    let size = t.size();
    if !matches!(t.kind(), Kind::Float | Kind::Double | Kind::Half | Kind::BFloat16) {
        bail!("{}: expected a float array, found {:?}", path.display(), t.kind());
    }
    ensure!(
        size.len() == 4 && size[1] == 3 && size[0] >= 1,
        "{}: expected shape N x 3 x H x W, found {size:?}",
        path.display()
    );
    ensure!(
        size[2] >= 32 && size[3] >= 32,
        "{}: images of {} x {} px are too small for StarNet's 32x downsampling (need >= 32 px)",
        path.display(),
        size[2],
        size[3]
    );
    Ok(t.to_kind(Kind::Float))
}

/// A `.npy` file must hold as many data bytes as its header's shape and dtype say: libtorch's
/// reader trusts the header, so a truncated file would be read past its end.
fn check_npy_length(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (header, data_start) = npy_header(&bytes)
        .with_context(|| format!("{} is not a .npy file (no valid NumPy header)", path.display()))?;
    let field = |key: &str| {
        let at = header.find(&format!("'{key}'"))? + key.len() + 2;
        Some(header[at..].trim_start_matches([':', ' ']))
    };
    let itemsize = field("descr")
        .and_then(|d| d.trim_start_matches('\'').split('\'').next())
        .and_then(|d| {
            d.trim_start_matches(['<', '>', '|', '='])
                .get(1..)?
                .parse::<usize>()
                .ok()
        });
    let shape = field("shape").and_then(|s| {
        let inner = s.strip_prefix('(')?.split(')').next()?;
        inner
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| d.parse::<usize>().ok())
            .collect::<Option<Vec<_>>>()
    });
    let (Some(itemsize), Some(shape)) = (itemsize, shape) else {
        bail!(
            "{}: cannot read dtype and shape from its .npy header {header:?}",
            path.display()
        );
    };
    let expected = shape.iter().product::<usize>() * itemsize;
    let found = bytes.len() - data_start;
    ensure!(
        found >= expected,
        "{}: truncated .npy file: its header says shape {shape:?} ({expected} bytes of data), the file holds {found}",
        path.display()
    );
    Ok(())
}

/// The header text and the offset of the data (format versions 1 to 3).
fn npy_header(bytes: &[u8]) -> Option<(&str, usize)> {
    let rest = bytes.strip_prefix(b"\x93NUMPY")?;
    let (len, start) = match rest.first()? {
        1 => (u16::from_le_bytes([*rest.get(2)?, *rest.get(3)?]) as usize, 10),
        _ => (u32::from_le_bytes(rest.get(2..6)?.try_into().ok()?) as usize, 12),
    };
    let header = std::str::from_utf8(bytes.get(start..start + len)?).ok()?;
    Some((header, start + len))
}

/// One ranked class.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Logit index.
    pub index: i64,
    /// ImageNet synset id (`n01440764`), or `class_<index>` for a non-ImageNet head.
    pub synset: String,
    /// Readable name (`tench, Tinca tinca`), or `class <index>`.
    pub name: String,
    /// Softmax probability.
    pub prob: f64,
}

/// The `k` most probable classes of each row of `logits` (`N x C`), best first. ImageNet names are
/// used when `C == 1000`.
pub fn top_k(logits: &Tensor, k: usize) -> Result<Vec<Vec<Prediction>>> {
    let size = logits.size();
    ensure!(size.len() == 2, "logits must be N x C, found shape {size:?}");
    let k = (k as i64).min(size[1]);
    let probs = logits.to_kind(Kind::Double).softmax(-1, Kind::Double);
    let (values, indices) = probs.topk(k, -1, true, true);
    let classes = (size[1] == 1000).then(imagenet::classes);
    let mut out = Vec::with_capacity(size[0] as usize);
    for row in 0..size[0] {
        let vals = Vec::<f64>::try_from(values.get(row))?;
        let idx = Vec::<i64>::try_from(indices.get(row))?;
        out.push(
            idx.into_iter()
                .zip(vals)
                .map(|(index, prob)| {
                    let (synset, name) = match classes {
                        Some(c) => (
                            c[index as usize].synset.to_string(),
                            c[index as usize].name.to_string(),
                        ),
                        None => (format!("class_{index}"), format!("class {index}")),
                    };
                    Prediction {
                        index,
                        synset,
                        name,
                        prob,
                    }
                })
                .collect(),
        );
    }
    Ok(out)
}

/// Writes logits as a float32 `.npy` file.
pub fn write_logits(logits: &Tensor, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    logits
        .to_kind(Kind::Float)
        .to_device(tch::Device::Cpu)
        .contiguous()
        .write_npy(path)
        .with_context(|| format!("cannot write logits to {}", path.display()))
}

/// A ready-to-run ImageNet classifier: a named variant, its weights, BN folded.
#[derive(Debug)]
pub struct Classifier {
    config: crate::Config,
    net: crate::FusedStarNet,
}

impl Classifier {
    /// `Config::from_name(model)`, build, [`crate::weights::load`] (checked tensor by tensor), fuse.
    pub fn load(model: &str, weights: impl AsRef<Path>) -> Result<Classifier> {
        let config = crate::Config::from_name(model)?;
        let vs = tch::nn::VarStore::new(tch::Device::Cpu);
        let net = crate::StarNet::new(&vs.root(), &config)?;
        crate::weights::load(&vs, weights)?;
        Ok(Classifier {
            net: net.fuse(),
            config,
        })
    }

    /// Logits `N x num_classes` of an `N x in_chans x H x W` float batch.
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let size = x.size();
        ensure!(
            size.len() == 4 && size[1] == self.config.in_chans,
            "input must be N x {} x H x W, found {size:?}",
            self.config.in_chans
        );
        Ok(self.net.forward(&x.to_kind(Kind::Float)))
    }
}
