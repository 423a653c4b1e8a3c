//! Random crop with padding and horizontal flip, applied to a whole `uint8` batch at once.
//!
//! The random numbers (two offsets and a flip bit per image) are drawn in Rust from a ChaCha
//! stream keyed by `(seed, epoch, batch index)`, so a batch looks the same on CPU and GPU and in
//! every run. The images themselves are never touched one by one: the batch is zero-padded once,
//! and one advanced-indexing gather with per-image row and column index tensors does the crop
//! and, through a reversed column index, the flip.

use rand::Rng;
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

/// Training-time augmentation of image batches (the test split is never augmented).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Augment {
    /// Random crop: pad each side with this many zero pixels, then cut the original size back out
    /// at a random offset (as torchvision's `RandomCrop(size, padding)`). 0 = off. Default 0.
    pub crop_padding: i64,
    /// Mirror left-right with probability 1/2 (torchvision's `RandomHorizontalFlip`). Default false.
    pub hflip: bool,
}

impl Augment {
    pub fn is_off(&self) -> bool {
        self.crop_padding == 0 && !self.hflip
    }
}

/// Augments `x` (`N x C x H x W`, any kind, on any device); the result has the same shape.
pub fn augment_batch(x: &Tensor, aug: &Augment, rng: &mut impl Rng) -> Tensor {
    if aug.is_off() {
        return x.shallow_clone();
    }
    let (n, c, h, w) = x.size4().expect("augment_batch needs an N x C x H x W batch");
    let p = aug.crop_padding.max(0);
    // Per image: top-left corner of the crop in the padded image, and the column direction.
    let mut row0 = Vec::with_capacity(n as usize);
    let mut col0 = Vec::with_capacity(n as usize);
    let mut col_step = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let (dy, dx) = if p > 0 {
            (rng.random_range(0..=2 * p), rng.random_range(0..=2 * p))
        } else {
            (0, 0)
        };
        let flip = aug.hflip && rng.random_bool(0.5);
        row0.push(dy);
        col0.push(if flip { dx + w - 1 } else { dx });
        col_step.push(if flip { -1 } else { 1 });
    }
    let dev = x.device();
    let per_image = |v: &[i64]| Tensor::from_slice(v).to_device(dev).view([n, 1, 1, 1]);
    let ar = |len: i64| Tensor::arange(len, (Kind::Int64, dev));
    let rows = per_image(&row0) + ar(h).view([1, 1, h, 1]);
    let cols = per_image(&col0) + per_image(&col_step) * ar(w).view([1, 1, 1, w]);
    let padded = if p > 0 {
        x.constant_pad_nd([p, p, p, p])
    } else {
        x.shallow_clone()
    };
    let images = ar(n).view([n, 1, 1, 1]);
    let channels = ar(c).view([1, c, 1, 1]);
    padded.index(&[Some(images), Some(channels), Some(rows), Some(cols)])
}
