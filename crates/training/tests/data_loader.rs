//! Batching (order, normalisation, augmentation, resize), the `[data]` spec, and the real
//! Fashion-MNIST files found by the standard lookup.

use std::collections::BTreeSet;

use tch::{Kind, Tensor};
use training::data::spec::stratified_indices;
use training::data::{
    Augment, DataName, DataSeed, DataSpec, LoaderConfig, Split, ValSize, epoch_permutation, load,
};

fn to_vec_i64(t: &Tensor) -> Vec<i64> {
    Vec::<i64>::try_from(&t.reshape([-1]).to_kind(Kind::Int64)).unwrap()
}

fn to_vec_f32(t: &Tensor) -> Vec<f32> {
    Vec::<f32>::try_from(&t.reshape([-1]).to_kind(Kind::Float)).unwrap()
}

/// `n` grey `h x w` images; image `i` has pixel `(r, c)` = `(i * 16 + r * w + c) % 256`; label `i % 10`.
fn pattern_split(n: i64, h: i64, w: i64) -> Split {
    let x = (Tensor::arange(n, (Kind::Int64, tch::Device::Cpu)).view([n, 1, 1, 1]) * 16
        + Tensor::arange(h * w, (Kind::Int64, tch::Device::Cpu)).view([1, 1, h, w]))
    .remainder(256)
    .to_kind(Kind::Uint8);
    let y = Tensor::arange(n, (Kind::Int64, tch::Device::Cpu)).remainder(10);
    Split {
        x,
        y,
        num_classes: 10,
    }
}

#[test]
fn epoch_permutation_is_a_seeded_permutation() {
    let p = to_vec_i64(&epoch_permutation(1000, 7, 3));
    assert_eq!(p.iter().copied().collect::<BTreeSet<_>>(), (0..1000).collect());
    assert_eq!(p, to_vec_i64(&epoch_permutation(1000, 7, 3)));
    assert_ne!(
        p,
        to_vec_i64(&epoch_permutation(1000, 7, 4)),
        "epochs must differ"
    );
    assert_ne!(p, to_vec_i64(&epoch_permutation(1000, 8, 3)), "seeds must differ");
    assert_ne!(p, (0..1000).collect::<Vec<_>>());
}

#[test]
fn batches_cover_the_epoch_once_with_inputs_matching_labels() {
    let split = pattern_split(10, 1, 1); // image i is the single pixel 16 * i
    let cfg = LoaderConfig {
        batch_size: 4,
        ..Default::default()
    };
    let batches: Vec<(Tensor, Tensor)> = split.batches(0, &cfg).collect();
    assert_eq!(
        batches.iter().map(|(x, _)| x.size()[0]).collect::<Vec<_>>(),
        [4, 4, 2]
    );
    let mut seen = Vec::new();
    for (x, y) in &batches {
        assert_eq!(x.kind(), Kind::Float);
        // Labels are i % 10 = i here, pixels 16 * i / 255: inputs travel with their labels.
        for (v, l) in to_vec_f32(x).iter().zip(to_vec_i64(y)) {
            assert!((v - (16 * l) as f32 / 255.0).abs() < 1e-6);
            seen.push(l);
        }
    }
    assert_ne!(seen, (0..10).collect::<Vec<_>>(), "shuffled");
    seen.sort();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());

    let in_order = LoaderConfig {
        batch_size: 4,
        shuffle: false,
        drop_last: true,
        ..Default::default()
    };
    let labels: Vec<i64> = split
        .batches(0, &in_order)
        .flat_map(|(_, y)| to_vec_i64(&y))
        .collect();
    assert_eq!(
        labels,
        (0..8).collect::<Vec<_>>(),
        "in order, last partial batch dropped"
    );
}

#[test]
fn normalisation_uses_the_given_mean_and_std() {
    let split = pattern_split(4, 2, 2);
    let cfg = LoaderConfig {
        shuffle: false,
        normalize: Some((vec![0.25], vec![0.5])),
        ..Default::default()
    };
    let (x, _) = split.batches(0, &cfg).next().unwrap();
    let raw = to_vec_f32(&split.x);
    for (v, r) in to_vec_f32(&x).iter().zip(raw) {
        assert!((v - (r / 255.0 - 0.25) / 0.5).abs() < 1e-5);
    }
}

/// Every augmented image must be a crop (with zero padding `p`) of its original, flipped or not.
fn crop_of(orig: &Tensor, out: &Tensor, p: i64) -> Option<(i64, i64, bool)> {
    let (h, w) = (orig.size()[1], orig.size()[2]);
    let padded = orig.constant_pad_nd([p, p, p, p]);
    for dy in 0..=2 * p {
        for dx in 0..=2 * p {
            let crop = padded.narrow(1, dy, h).narrow(2, dx, w);
            for flip in [false, true] {
                let c = if flip {
                    crop.flip([2])
                } else {
                    crop.shallow_clone()
                };
                if c.equal(out) {
                    return Some((dy, dx, flip));
                }
            }
        }
    }
    None
}

#[test]
fn augmentation_crops_and_flips_each_image_and_is_seeded() {
    let split = pattern_split(64, 6, 5);
    let aug = Augment {
        crop_padding: 2,
        hflip: true,
    };
    let cfg = LoaderConfig {
        batch_size: 64,
        shuffle: false,
        augment: aug,
        ..Default::default()
    };
    let (x, _) = split.batches(0, &cfg).next().unwrap();
    assert_eq!(x.size(), [64, 1, 6, 5]);
    let out = (x * 255.0).round().to_kind(Kind::Uint8);
    let mut offsets = BTreeSet::new();
    let mut flips = BTreeSet::new();
    for i in 0..64 {
        let (dy, dx, flip) = crop_of(&split.x.get(i), &out.get(i), 2)
            .unwrap_or_else(|| panic!("image {i} is not a padded crop of the original"));
        offsets.insert((dy, dx));
        flips.insert(flip);
    }
    assert!(offsets.len() > 10, "offsets barely vary: {offsets:?}");
    assert_eq!(flips.len(), 2, "both flipped and unflipped images expected");

    let again: Vec<Tensor> = split.batches(0, &cfg).map(|(x, _)| x).collect();
    let (x0, _) = split.batches(0, &cfg).next().unwrap();
    assert!(again[0].equal(&x0), "same seed and epoch, same augmentation");
    let (x1, _) = split.batches(1, &cfg).next().unwrap();
    assert!(!x1.equal(&x0), "another epoch, other augmentation");

    // Flip only: every image is itself or its mirror.
    let flip_only = LoaderConfig {
        augment: Augment {
            crop_padding: 0,
            hflip: true,
        },
        ..cfg.clone()
    };
    let (x, _) = split.batches(0, &flip_only).next().unwrap();
    let out = (x * 255.0).round().to_kind(Kind::Uint8);
    for i in 0..64 {
        assert_eq!(
            crop_of(&split.x.get(i), &out.get(i), 0).map(|(dy, dx, _)| (dy, dx)),
            Some((0, 0))
        );
    }
}

#[test]
fn resize_and_channel_repeat_shape_the_batch() {
    let split = pattern_split(8, 28, 28);
    let cfg = LoaderConfig {
        batch_size: 8,
        resize: Some(64),
        channels: Some(3),
        ..Default::default()
    };
    let (x, _) = split.batches(0, &cfg).next().unwrap();
    assert_eq!(x.size(), [8, 3, 64, 64]);
    assert!(
        x.get(0).get(0).equal(&x.get(0).get(2)),
        "grey repeated into each channel"
    );
    // Bilinear upscaling stays within the range of the source pixels.
    let (lo, hi) = (x.min().double_value(&[]), x.max().double_value(&[]));
    assert!((0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi));
    let down = LoaderConfig {
        resize: Some(14),
        ..cfg.clone()
    };
    assert_eq!(split.batches(0, &down).next().unwrap().0.size(), [8, 3, 14, 14]);
}

#[test]
fn feature_data_passes_through_as_float() {
    let ds = load(&DataSpec {
        name: DataName::Moons,
        ..Default::default()
    })
    .unwrap();
    let cfg = ds.loader(32, true, 0);
    let batches: Vec<(Tensor, Tensor)> = ds.train.batches(0, &cfg).collect();
    assert_eq!(batches.len(), 4);
    assert_eq!(batches[0].0.size(), [32, 2]);
    let total: f64 = batches
        .iter()
        .map(|(x, _)| x.sum(Kind::Double).double_value(&[]))
        .sum();
    assert!((total - ds.train.x.sum(Kind::Double).double_value(&[])).abs() < 1e-3);
}

// ---------- the [data] spec ----------

#[test]
fn spec_defaults_and_toml() {
    let spec: DataSpec = toml::from_str("").unwrap();
    assert_eq!(spec, DataSpec::default());
    assert_eq!(spec.name, DataName::FashionMnist);
    assert_eq!(
        (spec.moons_samples, spec.moons_noise, spec.normalize),
        (100, 0.4, true)
    );
    assert!(spec.augment.is_off());

    let spec: DataSpec = toml::from_str(
        "name = \"cifar10\"\npath = \"/d\"\ntrain_subset = 500\nimage_size = 64\nchannels = 3\n\
         seed = 4\nnormalize = false\n[augment]\ncrop_padding = 4\nhflip = true\n",
    )
    .unwrap();
    assert_eq!(spec.name, DataName::Cifar10);
    assert_eq!(spec.path.as_deref(), Some(std::path::Path::new("/d")));
    assert_eq!(
        (spec.train_subset, spec.image_size, spec.channels, spec.seed),
        (Some(500), Some(64), Some(3), DataSeed::Fixed(4))
    );
    assert_eq!(
        spec.augment,
        Augment {
            crop_padding: 4,
            hflip: true
        }
    );

    let err = toml::from_str::<DataSpec>("nmae = \"mnist\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `nmae`"), "{err}");
    let err = toml::from_str::<DataSpec>("name = \"imagenet\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("imagenet") && err.contains("fashion_mnist"), "{err}");
    let err = toml::from_str::<DataSpec>("[augment]\nflip = true")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `flip`"), "{err}");

    // Round trip, as results files carry the spec.
    let back: DataSpec = toml::from_str(&toml::to_string(&spec).unwrap()).unwrap();
    assert_eq!(back, spec);
}

#[test]
fn spec_errors_name_the_field() {
    let moons = DataSpec {
        name: DataName::Moons,
        ..Default::default()
    };
    let cases = [
        (
            DataSpec {
                image_size: Some(28),
                ..moons.clone()
            },
            "[data] image_size",
        ),
        (
            DataSpec {
                augment: Augment {
                    crop_padding: 2,
                    hflip: false,
                },
                ..moons.clone()
            },
            "[data] augment",
        ),
        (
            DataSpec {
                moons_samples: 1,
                ..moons.clone()
            },
            "[data] moons_samples",
        ),
        (
            DataSpec {
                train_subset: Some(101),
                ..moons.clone()
            },
            "[data] train_subset: 101",
        ),
        (
            DataSpec {
                test_subset: Some(0),
                ..moons.clone()
            },
            "[data] test_subset: 0",
        ),
        (
            DataSpec {
                name: DataName::Folder,
                ..Default::default()
            },
            "[data] path",
        ),
        (
            DataSpec {
                image_size: Some(0),
                ..Default::default()
            },
            "[data] image_size: 0",
        ),
    ];
    for (spec, want) in cases {
        let msg = load(&spec).expect_err(want).to_string();
        assert!(msg.contains(want), "expected '{want}' in: {msg}");
    }
}

#[test]
fn moons_spec_gives_the_papers_toy() {
    let ds = load(&DataSpec {
        name: DataName::Moons,
        seed: DataSeed::Fixed(5),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        (ds.train.len(), ds.num_classes, ds.channels, ds.image_size),
        (100, 2, 2, 0)
    );
    assert_eq!(ds.input_shape(), [2]);
    assert!(
        ds.train.x.equal(&ds.test.x),
        "the toy reports training accuracy: test = train points"
    );
    assert_eq!(to_vec_i64(&ds.train.y.bincount::<Tensor>(None, 2)), [50, 50]);
    assert!(ds.origin.contains("noise=0.4") && ds.origin.contains("seed=5"));
    assert!(ds.normalize.is_none());
}

#[test]
fn folder_spec_loads_and_stratifies_subsets() {
    let root = tempfile::tempdir().unwrap();
    for (split, per_class) in [("train", 6), ("val", 2)] {
        for (class, colour) in [("a", [200u8, 0, 0]), ("b", [0, 200, 0]), ("c", [0, 0, 200])] {
            let dir = root.path().join(split).join(class);
            std::fs::create_dir_all(&dir).unwrap();
            for k in 0..per_class {
                image::RgbImage::from_pixel(10 + k, 12, image::Rgb(colour))
                    .save(dir.join(format!("{k}.png")))
                    .unwrap();
            }
        }
    }
    let spec = DataSpec {
        name: DataName::Folder,
        path: Some(root.path().to_path_buf()),
        image_size: Some(8),
        train_subset: Some(7),
        augment: Augment {
            crop_padding: 1,
            hflip: true,
        },
        ..Default::default()
    };
    let ds = load(&spec).unwrap();
    assert_eq!((ds.train.len(), ds.test.len(), ds.num_classes), (7, 6, 3));
    assert_eq!(ds.class_names, ["a", "b", "c"]);
    assert_eq!(ds.input_shape(), [3, 8, 8]);
    let mut counts = to_vec_i64(&ds.train.y.bincount::<Tensor>(None, 3));
    counts.sort();
    assert_eq!(
        counts,
        [2, 2, 3],
        "7 of 3 balanced classes: 3, 2, 2 in some order"
    );
    assert_eq!(load(&spec).unwrap().train.y.size(), [7]);
    assert!(
        load(&spec).unwrap().train.x.equal(&ds.train.x),
        "the subset is seeded"
    );

    let train_cfg = ds.loader(4, true, 0);
    assert!(train_cfg.shuffle && train_cfg.augment == spec.augment && train_cfg.resize.is_none());
    let test_cfg = ds.loader(4, false, 0);
    assert!(!test_cfg.shuffle && test_cfg.augment.is_off());
    assert_eq!(
        test_cfg.normalize,
        Some((vec![0.485, 0.456, 0.406], vec![0.229, 0.224, 0.225]))
    );
    let (x, _) = ds.test.batches(0, &test_cfg).next().unwrap();
    // Class a is pure red 200: normalised red channel = (200/255 - 0.485) / 0.229.
    let red = x.get(0).get(0).mean(Kind::Float).double_value(&[]);
    assert!((red - (200.0 / 255.0 - 0.485) / 0.229).abs() < 0.02, "{red}");
}

#[test]
fn stratified_indices_balance_classes_and_follow_the_seed() {
    // 3 classes of very different sizes: 500, 300 and 40 samples.
    let labels: Vec<i64> = (0..840)
        .map(|i| {
            if i < 500 {
                0
            } else if i < 800 {
                1
            } else {
                2
            }
        })
        .collect();
    let pick = stratified_indices(&labels, 120, 3, 0);
    assert_eq!(pick.len(), 120);
    assert!(pick.windows(2).all(|w| w[0] < w[1]), "ascending, no repeats");
    let count = |c: i64| pick.iter().filter(|&&i| labels[i as usize] == c).count();
    assert_eq!((count(0), count(1), count(2)), (40, 40, 40));
    // When a class runs out, the others fill up equally.
    let pick = stratified_indices(&labels, 200, 3, 0);
    let count = |c: i64| pick.iter().filter(|&&i| labels[i as usize] == c).count();
    assert_eq!((count(0), count(1), count(2)), (80, 80, 40));
    assert_eq!(pick, stratified_indices(&labels, 200, 3, 0));
    assert_ne!(pick, stratified_indices(&labels, 200, 4, 0));
    assert_ne!(
        pick,
        stratified_indices(&labels, 200, 3, 1),
        "train and test subsets use other streams"
    );
}

// ---------- the real Fashion-MNIST ----------

#[test]
fn real_fashion_mnist_test_split_has_10000_balanced_images() {
    // Found by the standard lookup; fails with the lookup's explanation when the files are absent.
    let ds = load(&DataSpec::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ds.name, DataName::FashionMnist);
    assert_eq!(ds.test.x.size(), [10_000, 1, 28, 28]);
    assert_eq!(ds.test.x.kind(), Kind::Uint8);
    assert_eq!(ds.train.x.size(), [60_000, 1, 28, 28]);
    assert_eq!(to_vec_i64(&ds.test.y.bincount::<Tensor>(None, 10)), [1000; 10]);
    assert_eq!(to_vec_i64(&ds.train.y.bincount::<Tensor>(None, 10)), [6000; 10]);
    assert_eq!(
        (ds.test.y.min().int64_value(&[]), ds.test.y.max().int64_value(&[])),
        (0, 9)
    );
    assert_eq!(ds.class_names[9], "Ankle boot");

    // The standard statistics we normalise with are those of the training images.
    let x = ds.train.x.to_kind(Kind::Double) / 255.0;
    let (mean, std) = (
        x.mean(Kind::Double).double_value(&[]),
        x.std(true).double_value(&[]),
    );
    let (m, s) = ds.normalize.clone().unwrap();
    assert!(
        (mean - m[0]).abs() < 5e-4 && (std - s[0]).abs() < 5e-4,
        "mean {mean}, std {std}"
    );

    // As StarNet sees it: 3 channels, 64 px; and a stratified test subset.
    let spec = DataSpec {
        image_size: Some(64),
        channels: Some(3),
        test_subset: Some(1000),
        ..Default::default()
    };
    let ds = load(&spec).unwrap();
    assert_eq!(ds.input_shape(), [3, 64, 64]);
    assert_eq!(to_vec_i64(&ds.test.y.bincount::<Tensor>(None, 10)), [100; 10]);
    let (x, y) = ds.test.batches(0, &ds.loader(256, false, 0)).next().unwrap();
    assert_eq!((x.size(), y.size()), (vec![256, 3, 64, 64], vec![256]));
}

// ---------- the validation split and the data seed ----------

/// A folder data set of 3 classes x `per_class` images, each image a distinct colour.
fn folder_with(per_class: u32) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for (split, n) in [("train", per_class), ("val", 4)] {
        for (c, class) in ["a", "b", "c"].iter().enumerate() {
            let dir = root.path().join(split).join(class);
            std::fs::create_dir_all(&dir).unwrap();
            for k in 0..n {
                let colour = [c as u8 * 80, k as u8, if split == "val" { 255 } else { 0 }];
                image::RgbImage::from_pixel(4, 4, image::Rgb(colour))
                    .save(dir.join(format!("{k}.png")))
                    .unwrap();
            }
        }
    }
    root
}

#[test]
fn validation_split_is_disjoint_stratified_and_seeded() {
    let root = folder_with(20);
    let spec = DataSpec {
        name: DataName::Folder,
        path: Some(root.path().to_path_buf()),
        image_size: Some(4),
        val_size: ValSize::Count(15),
        train_subset: Some(30),
        seed: DataSeed::Fixed(3),
        ..Default::default()
    };
    let ds = load(&spec).unwrap();
    let val = ds.val.as_ref().expect("val_size > 0 gives a validation split");
    assert_eq!((val.len(), ds.train.len(), ds.test.len()), (15, 30, 12));
    // 15 of 3 balanced classes: 5 each; 30 of the 45 left: 10 each
    assert_eq!(to_vec_i64(&val.y.bincount::<Tensor>(None, 3)), [5, 5, 5]);
    assert_eq!(to_vec_i64(&ds.train.y.bincount::<Tensor>(None, 3)), [10, 10, 10]);
    // an image is (class, index) through its red and green: no image is in both splits
    let keys = |s: &Split| -> BTreeSet<(i64, i64)> {
        let px = to_vec_i64(&s.x.narrow(2, 0, 1).narrow(3, 0, 1).flatten(0, -1));
        px.chunks(3).map(|p| (p[0], p[1])).collect()
    };
    let (v, t) = (keys(val), keys(&ds.train));
    assert_eq!((v.len(), t.len()), (15, 30), "distinct images");
    assert!(v.is_disjoint(&t), "validation and training share images");
    // the same seed draws the same split; another seed another one
    assert_eq!(keys(load(&spec).unwrap().val.as_ref().unwrap()), v);
    let other = load(&DataSpec {
        seed: DataSeed::Fixed(4),
        ..spec.clone()
    })
    .unwrap();
    assert_ne!(keys(other.val.as_ref().unwrap()), v);
    // a fraction of the 60 training images: 0.25 -> 15
    let frac = load(&DataSpec {
        val_size: ValSize::Fraction(0.25),
        ..spec.clone()
    })
    .unwrap();
    assert_eq!(keys(frac.val.as_ref().unwrap()), v, "0.25 of 60 is the same 15");
    // none: the training subset is what it was before validation splits existed
    let none = load(&DataSpec {
        val_size: ValSize::NONE,
        ..spec.clone()
    })
    .unwrap();
    assert!(none.val.is_none());
    assert_eq!(none.train.len(), 30);
}

#[test]
fn validation_split_errors_name_the_fields() {
    let root = folder_with(10);
    let spec = DataSpec {
        name: DataName::Folder,
        path: Some(root.path().to_path_buf()),
        image_size: Some(4),
        seed: DataSeed::Fixed(0),
        ..Default::default()
    };
    for (bad, want) in [
        (
            DataSpec {
                val_size: ValSize::Count(30),
                ..spec.clone()
            },
            "val_size",
        ),
        (
            DataSpec {
                val_size: ValSize::Count(10),
                train_subset: Some(25),
                ..spec.clone()
            },
            "20 samples left after holding out 10",
        ),
        (
            DataSpec {
                seed: DataSeed::Train,
                ..spec.clone()
            },
            "with_train_seed",
        ),
        (
            DataSpec {
                name: DataName::Moons,
                path: None,
                image_size: None,
                val_size: ValSize::Count(10),
                ..spec.clone()
            },
            "moons have no validation split",
        ),
    ] {
        let msg = load(&bad).expect_err(want).to_string();
        assert!(msg.contains(want), "expected '{want}' in: {msg}");
    }
}

#[test]
fn data_seed_train_follows_the_training_seed() {
    let spec = DataSpec {
        name: DataName::Moons,
        seed: DataSeed::Train,
        ..Default::default()
    };
    for train_seed in [0u64, 7] {
        let resolved = spec.with_train_seed(train_seed);
        assert_eq!(resolved.seed, DataSeed::Fixed(train_seed));
        let ds = load(&resolved).unwrap();
        assert!(
            ds.origin.contains(&format!("seed={train_seed})")),
            "{}",
            ds.origin
        );
    }
    let a = load(&spec.with_train_seed(0)).unwrap();
    let b = load(&spec.with_train_seed(7)).unwrap();
    assert!(!a.train.x.equal(&b.train.x), "two training seeds, two draws");
    // a fixed seed ignores the training seed
    let fixed = DataSpec {
        seed: DataSeed::Fixed(2),
        ..spec
    };
    assert_eq!(fixed.with_train_seed(7).seed, DataSeed::Fixed(2));
}
