//! The `[data]` section of a config, and [`load`], which turns it into a [`Dataset`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::{DataError, Result};
pub use super::holdout::stratified_indices;
use super::holdout::{DataSeed, ValSize, holdout, subset};
use super::locate::{self, Places, Source};
use super::{Augment, LoaderConfig, Split, cifar, folder, idx, mnist1d, moons};

/// Which data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataName {
    /// Zalando's Fashion-MNIST: 60,000 + 10,000 grey 28x28 images, 10 classes (IDX files).
    #[default]
    FashionMnist,
    /// MNIST digits, same format and sizes as Fashion-MNIST.
    Mnist,
    /// CIFAR-10, binary version: 50,000 + 10,000 RGB 32x32 images, 10 classes.
    Cifar10,
    /// Your own images: `path/train/<class>/*.jpg|png` and `path/val/<class>/...`.
    Folder,
    /// Two moons, generated (`make_moons`); 2 features, 2 classes.
    Moons,
    /// MNIST-1D: 4,000 + 1,000 1-D signals of length 40, 10 classes, generated once by the
    /// `mnist1d` package (`./lab setup`; see [`mnist1d`]).
    Mnist1d,
}

impl DataName {
    pub fn as_str(self) -> &'static str {
        match self {
            DataName::FashionMnist => "fashion_mnist",
            DataName::Mnist => "mnist",
            DataName::Cifar10 => "cifar10",
            DataName::Folder => "folder",
            DataName::Moons => "moons",
            DataName::Mnist1d => "mnist1d",
        }
    }
}

impl std::fmt::Display for DataName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `[data]` section of a config: which data set, where, how much of it, and how batches look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataSpec {
    /// `fashion_mnist` (default), `mnist`, `cifar10`, `folder`, `moons` or `mnist1d`.
    pub name: DataName,
    /// Folder holding the files. For file-based sets it overrides the lookup (environment variable,
    /// `data/<name>/`, system folders; see [`locate`]); required for `folder`. Default: none.
    pub path: Option<PathBuf>,
    /// Use only this many training samples: a stratified sample (every class contributes equally,
    /// +-1, where it has enough samples), chosen by a shuffle seeded from `seed`, from what the
    /// validation split leaves. Default: all.
    pub train_subset: Option<usize>,
    /// Hold out a validation split from the training split, stratified and seeded from `seed`,
    /// before `train_subset` is drawn (the two never share a sample): a count (`2000`) or a
    /// fraction of the training split (`0.1`); `0`: none. Default 0 (the `train` kind: 0.1).
    pub val_size: ValSize,
    /// The same for the test split. Default: all.
    pub test_subset: Option<usize>,
    /// Side of the square images the model sees. For `folder` the images are resized (shorter side)
    /// and center-cropped to it when loading (default 224); for the other image sets each batch is
    /// resized on the device (e.g. 64 to feed Fashion-MNIST to StarNet). Default: native size.
    pub image_size: Option<i64>,
    /// Channels the model sees: 3 repeats grey images to RGB. Default: the data set's own.
    pub channels: Option<i64>,
    /// `moons` only: number of points. Default 100 (the paper's 2-D toy).
    pub moons_samples: usize,
    /// `moons` only: standard deviation of the Gaussian noise. Default 0.4 (the paper's 2-D toy).
    pub moons_noise: f64,
    /// Seeds the subsets, the validation split and the moons: an integer, or `"train"` for the
    /// run's `train.seed` (each seed then draws its own data). Default 0 (the `train` kind: "train").
    pub seed: DataSeed,
    /// Training-time augmentation (random crop with padding, horizontal flip). Default: off.
    pub augment: Augment,
    /// Normalise batches with the data set's standard per-channel mean and std: images after
    /// scaling to [0, 1] (`false` only scales), MNIST-1D's signals as they are (`false` feeds the
    /// generator's values unchanged, as the published table did). Feature data is never
    /// normalised. Default true.
    pub normalize: bool,
}

impl Default for DataSpec {
    fn default() -> Self {
        DataSpec {
            name: DataName::FashionMnist,
            path: None,
            train_subset: None,
            val_size: ValSize::NONE,
            test_subset: None,
            image_size: None,
            channels: None,
            moons_samples: 100,
            moons_noise: 0.4,
            seed: DataSeed::Fixed(0),
            augment: Augment::default(),
            normalize: true,
        }
    }
}

/// A loaded data set: both splits on the CPU, plus what the model needs to know about its input.
#[derive(Debug)]
pub struct Dataset {
    pub name: DataName,
    pub train: Split,
    /// The validation split held out of the training data (`val_size`), if any.
    pub val: Option<Split>,
    pub test: Split,
    pub num_classes: i64,
    /// Channels of the batches the model sees (after any repeat); 1 for MNIST-1D. Feature data:
    /// the number of features (2 for moons).
    pub channels: i64,
    /// Side of the square batches the model sees (after any resize); 0 for data that are not
    /// images (1-D signals, feature data: see [`Dataset::shape`]).
    pub image_size: i64,
    /// Class names, by label.
    pub class_names: Vec<String>,
    /// Where the data came from: the folder it was read from, or how it was generated.
    pub origin: String,
    /// Per-channel mean and std used for batches, when normalising.
    pub normalize: Option<(Vec<f64>, Vec<f64>)>,
    /// Augmentation for training batches.
    pub augment: Augment,
}

/// What one input is, as the model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputShape {
    /// `channels x size x size` images.
    Image { channels: i64, size: i64 },
    /// `channels x length` 1-D signals (MNIST-1D: 1 x 40).
    Signal { channels: i64, length: i64 },
    /// `features` numbers (two-moons: 2).
    Features { features: i64 },
}

impl InputShape {
    /// As a tensor shape without the batch dimension: `[C, S, S]`, `[C, L]` or `[F]`.
    pub fn dims(self) -> Vec<i64> {
        match self {
            InputShape::Image { channels, size } => vec![channels, size, size],
            InputShape::Signal { channels, length } => vec![channels, length],
            InputShape::Features { features } => vec![features],
        }
    }
}

impl Dataset {
    pub fn is_image(&self) -> bool {
        self.image_size > 0
    }

    /// What one input is. A signal's length is its stored one: signals are never resized.
    pub fn shape(&self) -> InputShape {
        let stored = self.train.x.size();
        if self.is_image() {
            InputShape::Image {
                channels: self.channels,
                size: self.image_size,
            }
        } else if stored.len() == 3 {
            InputShape::Signal {
                channels: self.channels,
                length: stored[2],
            }
        } else {
            InputShape::Features {
                features: self.channels,
            }
        }
    }

    /// The shape of one input as the model sees it: `[C, S, S]`, `[C, L]` for 1-D signals, or
    /// `[F]` for feature data.
    pub fn input_shape(&self) -> Vec<i64> {
        self.shape().dims()
    }

    /// Batching for the training split (`train = true`: shuffled, augmented) or the test split
    /// (in order, not augmented). Both scale, normalise, resize and repeat channels alike.
    pub fn loader(&self, batch_size: i64, train: bool, seed: u64) -> LoaderConfig {
        let stored = self.train.x.size();
        let (stored_c, stored_s) = if self.is_image() {
            (stored[1], stored[2])
        } else {
            (0, 0)
        };
        LoaderConfig {
            batch_size,
            shuffle: train,
            drop_last: false,
            seed,
            normalize: self.normalize.clone(),
            augment: if train { self.augment } else { Augment::default() },
            resize: (self.is_image() && self.image_size != stored_s).then_some(self.image_size),
            channels: (self.is_image() && self.channels != stored_c).then_some(self.channels),
        }
    }
}

/// Standard per-channel statistics (mean, std) of the training images, scaled to [0, 1].
fn standard_stats(name: DataName) -> Option<(Vec<f64>, Vec<f64>)> {
    match name {
        DataName::FashionMnist => Some((vec![0.2860], vec![0.3530])),
        DataName::Mnist => Some((vec![0.1307], vec![0.3081])),
        DataName::Cifar10 => Some((vec![0.4914, 0.4822, 0.4465], vec![0.2470, 0.2435, 0.2616])),
        // Own images: the ImageNet statistics, as torchvision and timm use.
        DataName::Folder => Some((vec![0.485, 0.456, 0.406], vec![0.229, 0.224, 0.225])),
        // The 4,000 training signals' own (float32, as loaded). The generator already standardised
        // all 5,000 signals together, so this is close to the identity (x / 0.9977).
        DataName::Mnist1d => Some((vec![-0.0003], vec![0.9977])),
        DataName::Moons => None,
    }
}

const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];
const CIFAR_CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

impl DataSpec {
    /// This spec with `seed = "train"` replaced by `train_seed` (what [`load`] needs).
    pub fn with_train_seed(&self, train_seed: u64) -> DataSpec {
        DataSpec {
            seed: DataSeed::Fixed(self.seed.resolve(train_seed)),
            ..self.clone()
        }
    }
}

/// Loads the data set `spec` describes, on the CPU, checking every field first.
pub fn load(spec: &DataSpec) -> Result<Dataset> {
    let DataSeed::Fixed(seed) = spec.seed else {
        return Err(DataError::spec(
            "seed",
            "\"train\" stands for the training seed: resolve it with `DataSpec::with_train_seed` first",
        ));
    };
    let is_moons = spec.name == DataName::Moons;
    if is_moons && !spec.val_size.is_none() {
        return Err(DataError::spec(
            "val_size",
            "moons have no validation split (the toy reports accuracy on its training points); use 0",
        ));
    }
    if is_moons {
        for (field, set) in [
            ("image_size", spec.image_size.is_some()),
            ("channels", spec.channels.is_some()),
        ] {
            if set {
                return Err(DataError::spec(field, "applies to images; moons are 2-D points"));
            }
        }
        if !spec.augment.is_off() {
            return Err(DataError::spec(
                "augment",
                "applies to images; moons are 2-D points",
            ));
        }
        if spec.path.is_some() {
            return Err(DataError::spec(
                "path",
                "moons are generated; there is no path to read",
            ));
        }
        if spec.moons_samples < 2 {
            return Err(DataError::spec(
                "moons_samples",
                "needs at least 2 points (one per moon)",
            ));
        }
    }
    if spec.name == DataName::Mnist1d {
        const SIGNALS: &str = "MNIST-1D holds 1-D signals (1 channel, length 40)";
        if spec.image_size.is_some() {
            return Err(DataError::spec(
                "image_size",
                format!("applies to images; {SIGNALS}, which are never resized"),
            ));
        }
        if let Some(c) = spec.channels.filter(|&c| c != 1) {
            return Err(DataError::spec(
                "channels",
                format!("{SIGNALS}; channels = {c} is not possible (use 1 or leave it out)"),
            ));
        }
        if !spec.augment.is_off() {
            return Err(DataError::spec(
                "augment",
                format!("random crops and flips apply to images; {SIGNALS}: turn augmentation off"),
            ));
        }
    }
    if let Some(s) = spec.image_size
        && !(1..=4096).contains(&s)
    {
        return Err(DataError::spec(
            "image_size",
            format!("{s} is not between 1 and 4096"),
        ));
    }
    if spec.augment.crop_padding < 0 {
        return Err(DataError::spec(
            "augment.crop_padding",
            format!("{} is negative", spec.augment.crop_padding),
        ));
    }

    let (train, test, class_names, origin) = match spec.name {
        DataName::FashionMnist => load_idx(&locate::FASHION_MNIST, spec, &FASHION_CLASSES)?,
        DataName::Mnist => {
            let digits: Vec<String> = (0..10).map(|d| d.to_string()).collect();
            let digits: Vec<&str> = digits.iter().map(String::as_str).collect();
            load_idx(&locate::MNIST, spec, &digits)?
        }
        DataName::Cifar10 => {
            let dir = locate::locate(
                &locate::CIFAR10,
                &places(&locate::CIFAR10, spec),
                cifar::find_cifar_dir,
            )?;
            let (train, test) = cifar::load_cifar_dir(&dir)?;
            (train, test, names(&CIFAR_CLASSES), dir.display().to_string())
        }
        DataName::Folder => {
            let root = spec.path.as_ref().ok_or_else(|| {
                DataError::spec(
                    "path",
                    "the folder data set needs `path` = a folder with train/<class>/ and val/<class>/",
                )
            })?;
            let size = spec.image_size.unwrap_or(224) as u32;
            let (train, test, classes) = folder::load_folder(root, size)?;
            (train, test, classes, root.display().to_string())
        }
        DataName::Mnist1d => {
            let file = locate::locate(
                &locate::MNIST1D,
                &places(&locate::MNIST1D, spec),
                mnist1d::find_mnist1d_file,
            )?;
            let (train, test, made) = mnist1d::load_mnist1d_file(&file)?;
            let digits: Vec<String> = (0..10).map(|d| d.to_string()).collect();
            let origin = format!(
                "{} ({} {}: {})",
                file.display(),
                made.generator,
                made.version,
                made.call
            );
            (train, test, digits, origin)
        }
        DataName::Moons => {
            let m = moons::make_moons(spec.moons_samples, spec.moons_noise, seed)?;
            let origin = format!(
                "make_moons(n_samples={}, noise={}, seed={seed})",
                spec.moons_samples, spec.moons_noise
            );
            // The paper's toy reports training accuracy: the test split is the same points.
            (m.to_split(), m.to_split(), names(&["outer", "inner"]), origin)
        }
    };

    let (train, val) = holdout(train, spec.val_size, seed)?;
    if let (Some(v), Some(n)) = (&val, spec.train_subset)
        && n as i64 > train.len()
    {
        return Err(DataError::spec(
            "train_subset",
            format!(
                "{n} is more than the {} samples left after holding out {} for validation (val_size = {}); lower one of them",
                train.len(),
                v.len(),
                spec.val_size
            ),
        ));
    }
    let train = subset(train, spec.train_subset, seed, 0, "train_subset")?;
    let test = subset(test, spec.test_subset, seed, 1, "test_subset")?;

    let num_classes = train.num_classes;
    let (channels, image_size) = if is_moons {
        (train.x.size()[1], 0)
    } else if spec.name == DataName::Mnist1d {
        // `N x 1 x L`: one channel, and no image side.
        (train.x.size()[1], 0)
    } else {
        let size = train.x.size();
        let (c, s) = (size[1], size[2]);
        let channels = match spec.channels {
            None => c,
            Some(want) if want == c || (c == 1 && want == 3) => want,
            Some(want) => {
                return Err(DataError::spec(
                    "channels",
                    format!(
                        "{} images have {c} channel(s); channels = {want} is not possible (use {c} or, for grey images, 3)",
                        spec.name
                    ),
                ));
            }
        };
        (channels, spec.image_size.unwrap_or(s))
    };
    let normalize = if spec.normalize {
        standard_stats(spec.name)
    } else {
        None
    };
    Ok(Dataset {
        name: spec.name,
        train,
        val,
        test,
        num_classes,
        channels,
        image_size,
        class_names,
        origin,
        normalize,
        augment: spec.augment,
    })
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn places(source: &Source, spec: &DataSpec) -> Places {
    Places::standard(source, spec.path.as_deref())
}

fn load_idx(
    source: &Source,
    spec: &DataSpec,
    classes: &[&str],
) -> Result<(Split, Split, Vec<String>, String)> {
    let files = locate::locate(source, &places(source, spec), locate::find_idx_files)?;
    let (train, test) = rayon::join(
        || idx::load_idx_split(&files.train_images, &files.train_labels),
        || idx::load_idx_split(&files.test_images, &files.test_labels),
    );
    Ok((train?, test?, names(classes), files.dir.display().to_string()))
}
