//! MNIST-1D: the published data set as `./lab setup` generates it (shapes, label counts, checksums
//! a different generator version would change), the same checksums from a fresh generation by
//! the Python package, the `[data]` machinery on it, and the reader's errors on bad files.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use safetensors::{Dtype, tensor::TensorView};

mod common;
use common::mnist1d_file;
use sha2::{Digest, Sha256};
use tch::{Kind, Tensor};
use training::data::mnist1d::{self, parse_mnist1d};
use training::data::{Augment, DataError, DataName, DataSeed, DataSpec, InputShape, ValSize, load};

/// Checksum precision: signals rounded to 1e-4 (after the float32 conversion the loader does).
const SCALE: f64 = 1e4;

/// The published data set's checksums: `sum` of the rounded values (signals, `x * 1e4` rounded
/// half to even) or of the labels, the SHA-256 of those integers as little-endian `i64`, and the
/// labels per class. Obtained once from the pinned generator (mnist1d 0.0.2.post1 with numpy 2.4.6
/// and scipy 1.17.1, as scripts/setup.sh installs them) by
/// `.venv/bin/python scripts/make_mnist1d.py --checksums`; the repository's own download,
/// `mnist1d_data.pkl` (greydanus/mnist1d), gives the same numbers (its arrays equal a fresh
/// generation to 9e-16).
struct Expected {
    sum: i64,
    sha256: &'static str,
    counts: Option<[i64; 10]>,
}

const X_TRAIN: Expected = Expected {
    sum: -517_850,
    sha256: "709afa53e919a6242f82524d829a5b632a73ec83128041e3b92ed1615f038a90",
    counts: None,
};
const Y_TRAIN: Expected = Expected {
    sum: 18_018,
    sha256: "d97dc7aecec8ad6b5d8f143ba3e9c4bd7e25c420d7dfc2eb990591cfc0ed3e15",
    counts: Some([398, 396, 411, 394, 394, 402, 401, 404, 402, 398]),
};
const X_TEST: Expected = Expected {
    sum: 517_911,
    sha256: "85e70609fe16dd8555f10c22c941a40f6e8a72556619010292e92c73cb4ad857",
    counts: None,
};
const Y_TEST: Expected = Expected {
    sum: 4_482,
    sha256: "8de99be3ff9dab15ae0dc072c3d6ced7cf6b33d365888ce4a386fc944489452c",
    counts: Some([102, 104, 89, 106, 106, 98, 99, 96, 98, 102]),
};

fn mnist1d_spec() -> DataSpec {
    DataSpec {
        name: DataName::Mnist1d,
        normalize: false,
        ..Default::default()
    }
}

/// The data set as the standard lookup finds it; fails with the lookup's explanation (which says
/// to run `./lab setup`) when it is absent.
fn published(spec: &DataSpec) -> training::data::Dataset {
    load(spec).unwrap_or_else(|e| panic!("{e}"))
}

fn to_vec_i64(t: &Tensor) -> Vec<i64> {
    Vec::<i64>::try_from(&t.reshape([-1]).to_kind(Kind::Int64)).unwrap()
}

fn to_vec_f32(t: &Tensor) -> Vec<f32> {
    Vec::<f32>::try_from(&t.reshape([-1]).to_kind(Kind::Float)).unwrap()
}

fn digest(values: &[i64]) -> (i64, String) {
    let mut h = Sha256::new();
    for v in values {
        h.update(v.to_le_bytes());
    }
    let hex = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    (values.iter().sum(), hex)
}

/// `(sum, sha256)` of a split's signals rounded to 1e-4, and of its labels.
fn checksums(x: &Tensor, y: &Tensor) -> ((i64, String), (i64, String)) {
    let rounded: Vec<i64> = to_vec_f32(x)
        .iter()
        .map(|&v| (f64::from(v) * SCALE).round_ties_even() as i64)
        .collect();
    (digest(&rounded), digest(&to_vec_i64(y)))
}

fn counts(y: &Tensor) -> Vec<i64> {
    to_vec_i64(&y.bincount::<Tensor>(None, 10))
}

#[test]
fn published_mnist1d_has_its_shapes_label_counts_and_checksums() {
    let ds = published(&mnist1d_spec());
    assert_eq!(ds.name, DataName::Mnist1d);
    assert_eq!(
        (ds.train.x.size(), ds.test.x.size()),
        (vec![4000, 1, 40], vec![1000, 1, 40])
    );
    assert_eq!((ds.train.x.kind(), ds.train.y.kind()), (Kind::Float, Kind::Int64));
    assert_eq!(
        ds.shape(),
        InputShape::Signal {
            channels: 1,
            length: 40
        }
    );
    assert_eq!((ds.input_shape(), ds.is_image()), (vec![1, 40], false));
    assert_eq!((ds.num_classes, ds.channels, ds.image_size), (10, 1, 0));
    assert_eq!(ds.class_names, (0..10).map(|d| d.to_string()).collect::<Vec<_>>());
    assert!(ds.origin.contains("mnist1d 0.0.2.post1"), "{}", ds.origin);
    assert!(ds.val.is_none());

    for (what, x, y, ex, ey) in [
        ("train", &ds.train.x, &ds.train.y, X_TRAIN, Y_TRAIN),
        ("test", &ds.test.x, &ds.test.y, X_TEST, Y_TEST),
    ] {
        assert_eq!(counts(y), ey.counts.unwrap(), "{what} labels per class");
        let ((x_sum, x_sha), (y_sum, y_sha)) = checksums(x, y);
        let hint = "a different generator (mnist1d, numpy or scipy version) made data/mnist1d: \
                    rerun ./lab setup after removing data/mnist1d";
        assert_eq!(
            (x_sum, x_sha.as_str()),
            (ex.sum, ex.sha256),
            "{what} signals: {hint}"
        );
        assert_eq!(
            (y_sum, y_sha.as_str()),
            (ey.sum, ey.sha256),
            "{what} labels: {hint}"
        );
    }
    // Standardised by the generator over all 5,000 signals.
    let x = Tensor::cat(&[ds.train.x.flatten(0, -1), ds.test.x.flatten(0, -1)], 0).to_kind(Kind::Double);
    let (mean, std) = (
        x.mean(Kind::Double).double_value(&[]),
        x.std(false).double_value(&[]),
    );
    assert!(
        mean.abs() < 1e-6 && (std - 1.0).abs() < 1e-6,
        "mean {mean}, std {std}"
    );
}

/// The project root, where scripts/make_mnist1d.py is.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

#[test]
fn a_fresh_generation_by_the_python_package_has_the_same_checksums() {
    let python = std::env::var("STARLAB_PYTHON").expect(
        "STARLAB_PYTHON is not set (.cargo/config.toml sets it): run `./lab setup`, then `cargo test`",
    );
    let script = project_root().join("scripts/make_mnist1d.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .arg("--checksums")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} (STARLAB_PYTHON): {e}; run ./lab setup"));
    assert!(
        out.status.success(),
        "{} --checksums failed; ./lab setup installs the mnist1d package it needs into .venv:\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh: HashMap<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("the script prints a JSON object");
    let ds = published(&mnist1d_spec());
    for (split, x, y) in [
        ("train", &ds.train.x, &ds.train.y),
        ("test", &ds.test.x, &ds.test.y),
    ] {
        let ((x_sum, x_sha), (y_sum, y_sha)) = checksums(x, y);
        for (name, sum, sha) in [
            (format!("x_{split}"), x_sum, x_sha),
            (format!("y_{split}"), y_sum, y_sha),
        ] {
            let py = &fresh[&name];
            assert_eq!(
                (py["sum"].as_i64(), py["sha256"].as_str()),
                (Some(sum), Some(sha.as_str())),
                "{name}: Python's fresh make_dataset differs from data/mnist1d"
            );
        }
        let py_counts: Vec<i64> = fresh[&format!("y_{split}")]["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_i64().unwrap())
            .collect();
        assert_eq!(py_counts, counts(y), "y_{split} per class");
    }
}

/// A signal's identity: its first three values' bits (the generator's noise makes them unique).
fn keys(x: &Tensor) -> BTreeSet<[u32; 3]> {
    to_vec_f32(&x.narrow(2, 0, 3))
        .chunks(3)
        .map(|c| [c[0].to_bits(), c[1].to_bits(), c[2].to_bits()])
        .collect()
}

#[test]
fn validation_split_subsets_and_normalisation_work_as_for_the_other_sets() {
    let spec = DataSpec {
        val_size: ValSize::Count(400),
        train_subset: Some(1000),
        test_subset: Some(500),
        seed: DataSeed::Fixed(3),
        ..mnist1d_spec()
    };
    let ds = published(&spec);
    let val = ds.val.as_ref().expect("val_size > 0 gives a validation split");
    assert_eq!((val.len(), ds.train.len(), ds.test.len()), (400, 1000, 500));
    // Stratified: every class contributes equally (each has at least 394 training signals).
    assert_eq!(counts(&val.y), [40; 10]);
    assert_eq!(counts(&ds.train.y), [100; 10]);
    assert_eq!(counts(&ds.test.y), [50; 10]);
    let (v, t) = (keys(&val.x), keys(&ds.train.x));
    assert_eq!((v.len(), t.len()), (400, 1000), "distinct signals");
    assert!(v.is_disjoint(&t), "validation and training share signals");
    assert_eq!(keys(&published(&spec).val.unwrap().x), v, "seeded");

    // Normalised with the training signals' own mean and std; `false` leaves them as made.
    let full = published(&mnist1d_spec());
    let x = full.train.x.to_kind(Kind::Double);
    let (mean, std) = (
        x.mean(Kind::Double).double_value(&[]),
        x.std(true).double_value(&[]),
    );
    let ds = published(&DataSpec {
        normalize: true,
        ..mnist1d_spec()
    });
    let (m, s) = ds.normalize.clone().expect("mnist1d has standard statistics");
    assert!(
        (mean - m[0]).abs() < 5e-4 && (std - s[0]).abs() < 5e-4,
        "training mean {mean}, std {std} vs {m:?}, {s:?}"
    );
    let loader = ds.loader(64, false, 0);
    let (xb, yb) = ds.test.batches(0, &loader).next().unwrap();
    assert_eq!((xb.size(), yb.size()), (vec![64, 1, 40], vec![64]));
    let want = (ds.test.x.narrow(0, 0, 64) - m[0]) / s[0];
    assert!(
        (&xb - want).abs().max().double_value(&[]) < 1e-6,
        "batch is (x - mean) / std"
    );
    // The split itself is untouched by batching (an unshuffled batch is a view of it).
    assert_eq!(checksums(&ds.test.x, &ds.test.y).0.0, X_TEST.sum);
    let raw = full.loader(64, false, 0);
    let (xr, _) = full.test.batches(0, &raw).next().unwrap();
    assert!(
        xr.equal(&full.test.x.narrow(0, 0, 64)),
        "normalize = false feeds the values as made"
    );
    let shuffled = ds.loader(64, true, 0);
    let (xs, _) = ds.train.batches(1, &shuffled).next().unwrap();
    assert_eq!(xs.size(), [64, 1, 40]);
}

#[test]
fn image_options_and_augmentation_are_refused_for_signals() {
    for (spec, field, want) in [
        (
            DataSpec {
                image_size: Some(64),
                ..mnist1d_spec()
            },
            "image_size",
            "never resized",
        ),
        (
            DataSpec {
                channels: Some(3),
                ..mnist1d_spec()
            },
            "channels",
            "channels = 3 is not possible",
        ),
        (
            DataSpec {
                augment: Augment {
                    hflip: true,
                    ..Augment::default()
                },
                ..mnist1d_spec()
            },
            "augment",
            "turn augmentation off",
        ),
    ] {
        let msg = load(&spec).expect_err(field).to_string();
        assert!(
            msg.contains(&format!("[data] {field}")) && msg.contains(want) && msg.contains("1-D"),
            "{msg}"
        );
    }
    // channels = 1 is what it has.
    let ds = published(&DataSpec {
        channels: Some(1),
        test_subset: Some(10),
        ..mnist1d_spec()
    });
    assert_eq!(ds.input_shape(), [1, 40]);
}

#[test]
fn a_missing_data_set_says_to_run_lab_setup() {
    let empty = tempfile::tempdir().unwrap();
    let msg = load(&DataSpec {
        path: Some(empty.path().to_path_buf()),
        ..mnist1d_spec()
    })
    .expect_err("nothing there")
    .to_string();
    assert!(
        msg.contains("MNIST-1D not found")
            && msg.contains("missing mnist1d.safetensors")
            && msg.contains("./lab setup")
            && msg.contains("MNIST1D_DIR"),
        "{msg}"
    );
}

// ---------- the reader on bad files ----------

fn parse_err(bytes: &[u8]) -> String {
    match parse_mnist1d(bytes, Path::new("bad.safetensors")) {
        Ok(_) => panic!("parsed"),
        Err(e) => {
            assert!(matches!(e, DataError::Invalid { .. }), "{e}");
            e.to_string()
        }
    }
}

#[test]
fn a_small_file_reads_into_one_channel_signals() {
    let (train, test, made) = parse_mnist1d(&mnist1d_file(|_| {}), Path::new("ok")).unwrap();
    assert_eq!((train.x.size(), test.x.size()), (vec![20, 1, 5], vec![10, 1, 5]));
    assert_eq!(to_vec_f32(&train.x.narrow(0, 1, 1)), [-0.5, 0.0, 0.5, 1.0, 1.5]);
    assert_eq!(to_vec_i64(&test.y)[..3], [0, 1, 2]);
    assert_eq!(
        (made.generator.as_str(), made.version.as_str()),
        ("mnist1d", "test")
    );
}

#[test]
fn bad_files_are_named_with_what_is_wrong() {
    let good = mnist1d_file(|_| {});
    for (bytes, want) in [
        (good[..good.len() - 9].to_vec(), "not a safetensors file"),
        (b"not a file at all".to_vec(), "not a safetensors file"),
        (
            mnist1d_file(|a| {
                a[0] = ("x_train", Dtype::F32, vec![20, 5], vec![0; 400]);
            }),
            "x_train is F32 of shape [20, 5]; expected F64 with 2 dimension(s)",
        ),
        (mnist1d_file(|a| drop(a.remove(3))), "has no array \"y_test\""),
        (
            mnist1d_file(|a| {
                a[1] = ("y_train", Dtype::I64, vec![19], a[1].3[..152].to_vec());
            }),
            "y_train has 19 labels for the 20 signals of x_train",
        ),
        (
            mnist1d_file(|a| a[3].3[8..16].copy_from_slice(&10i64.to_le_bytes())),
            "y_test: label 10 of signal 1 is not a class 0..9",
        ),
        (
            mnist1d_file(|a| a[2].3[0..8].copy_from_slice(&f64::NAN.to_le_bytes())),
            "x_test: value NaN (signal 0, step 0) is not finite",
        ),
        (
            mnist1d_file(|a| {
                a[2] = ("x_test", Dtype::F64, vec![10, 4], a[2].3[..320].to_vec());
            }),
            "training signals have length 5, test signals 4",
        ),
    ] {
        let msg = parse_err(&bytes);
        assert!(
            msg.starts_with("bad.safetensors: ") && msg.contains(want),
            "want '{want}' in: {msg}"
        );
    }
    // Metadata other writers leave out.
    let views = vec![(
        "x_train",
        TensorView::new(Dtype::F64, vec![1, 1], &[0u8; 8]).unwrap(),
    )];
    let msg = parse_err(&safetensors::serialize(views, None).unwrap());
    assert!(msg.contains("metadata has no \"generator\""), "{msg}");
    assert_eq!(mnist1d::FILE, "mnist1d.safetensors");
}
