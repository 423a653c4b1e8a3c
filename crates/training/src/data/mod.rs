//! Data sets in memory as tensors on the training device, and seeded batching over them.
//!
//! - [`load`] turns a [`DataSpec`] (the config's `[data]` section) into a [`Dataset`]: two
//!   [`Split`]s on the CPU; move them with [`Split::to_device`].
//! - Readers: [`idx`] (MNIST, Fashion-MNIST), [`cifar`] (CIFAR-10 binary), [`folder`]
//!   (ImageNet-style class folders), [`mnist1d`] (1-D signals), [`moons`] (generated);
//!   [`locate`] finds the files.
//! - [`Split::batches`] cuts one epoch into batches: order shuffled from `(seed, epoch)`,
//!   augmentation, scaling and normalisation done on whole batches with tensor ops.

pub mod augment;
pub mod cifar;
pub mod error;
pub mod folder;
pub mod holdout;
pub mod idx;
pub mod locate;
pub mod mnist1d;
pub mod moons;
pub mod spec;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::{Kind, Tensor};

pub use augment::Augment;
pub use error::{DataError, Result};
pub use holdout::{DataSeed, ValSize};
pub use spec::{DataName, DataSpec, Dataset, InputShape, load};

/// One split of a data set, held whole on one device.
///
/// `x` is `uint8` `N x C x H x W` for images (scaled and normalised per batch, so the data set
/// stays small), `float32` `N x C x L` for 1-D signals such as MNIST-1D (normalised per batch), or
/// `float32` `N x F` for feature data such as two-moons; `y` is `int64` class indices.
#[derive(Debug)]
pub struct Split {
    pub x: Tensor,
    pub y: Tensor,
    pub num_classes: i64,
}

/// How an epoch is cut into batches and what is done to each batch.
///
/// For images the steps are, in order: gather the batch, [`Augment`] (on `uint8`), scale to
/// [0, 1] and normalise, resize, repeat channels. Float data (`float32` `x`) is gathered and, when
/// `normalize` is set (1-D signals), normalised per channel (dimension 1).
#[derive(Debug, Clone, PartialEq)]
pub struct LoaderConfig {
    pub batch_size: i64,
    /// Shuffle each epoch, from `seed` and the epoch number.
    pub shuffle: bool,
    pub drop_last: bool,
    /// Seeds the epoch order and the augmentation.
    pub seed: u64,
    /// Per-channel mean and std applied to `uint8` images after scaling to [0, 1], or to float
    /// signals as they are; one value per channel of the stored data (before `channels` repeats
    /// them).
    pub normalize: Option<(Vec<f64>, Vec<f64>)>,
    /// Random crop and flip, drawn from `(seed, epoch, batch index)`.
    pub augment: Augment,
    /// Resize images to `S x S` (bilinear; antialiased when shrinking).
    pub resize: Option<i64>,
    /// Repeat single-channel images to this many channels (e.g. 3 for grey images into an RGB model).
    pub channels: Option<i64>,
}

impl Default for LoaderConfig {
    fn default() -> Self {
        LoaderConfig {
            batch_size: 128,
            shuffle: true,
            drop_last: false,
            seed: 0,
            normalize: None,
            augment: Augment::default(),
            resize: None,
            channels: None,
        }
    }
}

impl Split {
    pub fn len(&self) -> i64 {
        self.x.size()[0]
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn to_device(&self, device: tch::Device) -> Split {
        Split {
            x: self.x.to_device(device),
            y: self.y.to_device(device),
            num_classes: self.num_classes,
        }
    }

    /// The rows `index` (an `int64` tensor) of this split, in that order.
    pub fn select(&self, index: &Tensor) -> Split {
        let index = index.to_device(self.x.device());
        Split {
            x: self.x.index_select(0, &index),
            y: self.y.index_select(0, &index),
            num_classes: self.num_classes,
        }
    }

    /// The batches of one epoch, `(inputs as float32, labels)`, on the split's device.
    ///
    /// Panics if `cfg.normalize` does not have one value per channel of `x` (a programming error;
    /// [`Dataset::loader`] always builds a matching config).
    pub fn batches<'a>(
        &'a self,
        epoch: u64,
        cfg: &'a LoaderConfig,
    ) -> impl Iterator<Item = (Tensor, Tensor)> + 'a {
        let n = self.len();
        let order = cfg
            .shuffle
            .then(|| epoch_permutation(n, cfg.seed, epoch).to_device(self.x.device()));
        let prep = BatchPrep::new(&self.x, cfg);
        let bs = cfg.batch_size.max(1);
        let end = if cfg.drop_last { n - n % bs } else { n };
        (0..end).step_by(bs as usize).enumerate().map(move |(i, start)| {
            let len = bs.min(end - start);
            let (x, y) = match &order {
                Some(idx) => {
                    let idx = idx.narrow(0, start, len);
                    (self.x.index_select(0, &idx), self.y.index_select(0, &idx))
                }
                None => (self.x.narrow(0, start, len), self.y.narrow(0, start, len)),
            };
            (prep.apply(&x, epoch, i as u64), y)
        })
    }
}

/// Independent random streams, so that e.g. changing augmentation never changes the epoch order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum Stream {
    Shuffle = 1,
    Augment = 2,
    Subset = 3,
    Moons = 4,
}

/// A ChaCha8 generator keyed by `(seed, stream, a, b)`: every tuple gets its own stream.
pub(crate) fn rng(seed: u64, stream: Stream, a: u64, b: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    for (chunk, v) in key.chunks_exact_mut(8).zip([seed, stream as u64, a, b]) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    ChaCha8Rng::from_seed(key)
}

/// A permutation of `0..n` that depends only on `(seed, epoch)`, not on global RNG state.
pub fn epoch_permutation(n: i64, seed: u64, epoch: u64) -> Tensor {
    use rand::seq::SliceRandom;
    let mut order: Vec<i64> = (0..n).collect();
    order.shuffle(&mut rng(seed, Stream::Shuffle, epoch, 0));
    Tensor::from_slice(&order)
}

/// What [`Split::batches`] does to each batch, with its constants made once per epoch.
struct BatchPrep {
    image: bool,
    seed: u64,
    augment: Augment,
    /// `x * scale + shift` = `(x / 255 - mean) / std` for images, `(x - mean) / std` for float
    /// data, per channel; `None` for float data that is not normalised.
    affine: Option<(Tensor, Tensor)>,
    resize: Option<i64>,
    channels: Option<i64>,
}

impl BatchPrep {
    fn new(x: &Tensor, cfg: &LoaderConfig) -> BatchPrep {
        let image = x.kind() == Kind::Uint8;
        let c = if x.dim() >= 3 { x.size()[1] } else { 1 };
        // Images are scaled from bytes to [0, 1] first; float data is taken as it is.
        let unit = if image { 255.0 } else { 1.0 };
        let (scale, shift): (Vec<f32>, Vec<f32>) = match &cfg.normalize {
            Some((mean, std)) => {
                assert!(
                    mean.len() == c as usize && std.len() == c as usize,
                    "LoaderConfig.normalize has {} means and {} stds for {c}-channel data",
                    mean.len(),
                    std.len()
                );
                mean.iter()
                    .zip(std)
                    .map(|(m, s)| ((1.0 / (unit * s)) as f32, (-m / s) as f32))
                    .unzip()
            }
            None => (vec![1.0 / unit as f32; c as usize], vec![0.0; c as usize]),
        };
        // One value per channel, broadcast over the other dimensions (H, W or L).
        let mut shape = vec![1, c];
        shape.resize(x.dim().max(2), 1);
        let per_channel = |v: &[f32]| Tensor::from_slice(v).to_device(x.device()).view(&shape[..]);
        let affine = (image || cfg.normalize.is_some()).then(|| (per_channel(&scale), per_channel(&shift)));
        BatchPrep {
            image,
            seed: cfg.seed,
            augment: cfg.augment,
            affine,
            resize: cfg.resize,
            channels: cfg.channels,
        }
    }

    fn apply(&self, x: &Tensor, epoch: u64, batch: u64) -> Tensor {
        if !self.image {
            // Not in place: for float data, an unshuffled batch is a view of the split itself.
            let x = x.to_kind(Kind::Float);
            return match &self.affine {
                Some((scale, shift)) => x * scale + shift,
                None => x,
            };
        }
        let x = if self.augment.is_off() {
            x.shallow_clone()
        } else {
            augment::augment_batch(
                x,
                &self.augment,
                &mut rng(self.seed, Stream::Augment, epoch, batch),
            )
        };
        let mut x = x.to_kind(Kind::Float);
        let (scale, shift) = self.affine.as_ref().expect("images always scale");
        x *= scale;
        x += shift;
        let (h, w) = (x.size()[2], x.size()[3]);
        if let Some(s) = self.resize.filter(|&s| (s, s) != (h, w)) {
            x = if s < h.min(w) {
                x.internal_upsample_bilinear2d_aa([s, s], false, None, None)
            } else {
                x.upsample_bilinear2d([s, s], false, None, None)
            };
        }
        if let Some(c) = self.channels.filter(|&c| c != x.size()[1]) {
            x = x.repeat([1, c / x.size()[1], 1, 1]);
        }
        x
    }
}
