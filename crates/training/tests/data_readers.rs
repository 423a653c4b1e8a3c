//! Every reader on small fixtures written in the real formats (IDX raw and gzip, CIFAR-10 binary,
//! PNG and JPEG class folders), good and bad, plus two-moons and the file lookup order.

use std::path::{Path, PathBuf};

use tch::{Kind, Tensor};
use training::data::error::DataError;
use training::data::locate::{self, Places};
use training::data::{cifar, folder, idx, moons};

mod common;
use common::{gzip, idx_bytes};

// ---------- fixtures ----------

fn write(path: &Path, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    path.to_path_buf()
}

/// 3 images of 2x4 pixels (pixel value = 10 * image + position) and labels 7, 0, 9.
fn small_idx() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let pixels: Vec<u8> = (0..3u8).flat_map(|i| (0..8u8).map(move |p| 10 * i + p)).collect();
    let labels = vec![7u8, 0, 9];
    (
        idx_bytes(3, &[3, 2, 4], &pixels),
        idx_bytes(1, &[3], &labels),
        pixels,
    )
}

fn err_text<T: std::fmt::Debug>(r: Result<T, DataError>) -> String {
    r.expect_err("expected an error").to_string()
}

fn assert_names(msg: &str, file: &Path, problem: &str) {
    assert!(
        msg.contains(&file.display().to_string()),
        "error does not name {}: {msg}",
        file.display()
    );
    assert!(msg.contains(problem), "error does not say '{problem}': {msg}");
}

fn to_vec_u8(t: &Tensor) -> Vec<u8> {
    Vec::<u8>::try_from(&t.reshape([-1])).unwrap()
}

fn to_vec_i64(t: &Tensor) -> Vec<i64> {
    Vec::<i64>::try_from(&t.reshape([-1])).unwrap()
}

// ---------- IDX ----------

#[test]
fn idx_raw_and_gzip_read_the_same_images_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let (img, lab, pixels) = small_idx();
    for gz in [false, true] {
        let (img, lab) = if gz {
            (gzip(&img), gzip(&lab))
        } else {
            (img.clone(), lab.clone())
        };
        let suffix = if gz { ".gz" } else { "" };
        let ip = write(&dir.path().join(format!("i{suffix}")), &img);
        let lp = write(&dir.path().join(format!("l{suffix}")), &lab);
        let split = idx::load_idx_split(&ip, &lp).unwrap();
        assert_eq!(split.x.size(), [3, 1, 2, 4]);
        assert_eq!(split.x.kind(), Kind::Uint8);
        assert_eq!(to_vec_u8(&split.x), pixels);
        assert_eq!(to_vec_i64(&split.y), [7, 0, 9]);
        assert_eq!(split.num_classes, 10);
        // Row-major: image 1, row 1, column 2 is position 6.
        assert_eq!(split.x.int64_value(&[1, 0, 1, 2]), 16);
    }
}

#[test]
fn idx_gzip_is_recognised_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _, _) = small_idx();
    let p = write(&dir.path().join("train-images-idx3-ubyte"), &gzip(&img));
    assert_eq!(idx::read_idx(&p, 3).unwrap().dims, [3, 2, 4]);
}

#[test]
fn idx_wrong_magic_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (img, lab, _) = small_idx();
    let mut bad = img.clone();
    bad[..4].copy_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    let p = write(&dir.path().join("bad-magic"), &bad);
    assert_names(
        &err_text(idx::read_idx(&p, 3)),
        &p,
        "wrong magic number 0x12345678",
    );

    // A labels file where images are expected (and the other way round).
    let lp = write(&dir.path().join("labels"), &lab);
    let msg = err_text(idx::read_idx(&lp, 3));
    assert_names(&msg, &lp, "wrong magic number 0x00000801");
    assert!(msg.contains("1 dimension(s)"), "{msg}");
    let ip = write(&dir.path().join("images"), &img);
    assert_names(
        &err_text(idx::read_idx(&ip, 1)),
        &ip,
        "wrong magic number 0x00000803",
    );

    // Not unsigned bytes (0x0d = float32).
    let mut float = img.clone();
    float[2] = 0x0d;
    let fp = write(&dir.path().join("float"), &float);
    assert_names(&err_text(idx::read_idx(&fp, 3)), &fp, "data type 0x0d");
}

#[test]
fn idx_truncated_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _, _) = small_idx();
    let cut = write(&dir.path().join("cut-data"), &img[..img.len() - 5]);
    let msg = err_text(idx::read_idx(&cut, 3));
    assert_names(&msg, &cut, "truncated");
    assert!(
        msg.contains("3x2x4 = 24 bytes") && msg.contains("only 19"),
        "{msg}"
    );

    let header = write(&dir.path().join("cut-header"), &img[..9]);
    assert_names(
        &err_text(idx::read_idx(&header, 3)),
        &header,
        "truncated: the header ends inside dimension 2",
    );
    let tiny = write(&dir.path().join("tiny"), &[0, 0]);
    assert_names(&err_text(idx::read_idx(&tiny, 3)), &tiny, "truncated");
    let empty = write(&dir.path().join("empty"), &[]);
    assert_names(&err_text(idx::read_idx(&empty, 1)), &empty, "truncated");

    // A gzip stream cut short.
    let gz = gzip(&img);
    let cut_gz = write(&dir.path().join("cut.gz"), &gz[..gz.len() / 2]);
    assert_names(&err_text(idx::read_idx(&cut_gz, 3)), &cut_gz, "truncated");
    // Complete gzip, but the IDX inside is short.
    let short_inside = write(&dir.path().join("short-inside.gz"), &gzip(&img[..img.len() - 1]));
    assert_names(
        &err_text(idx::read_idx(&short_inside, 3)),
        &short_inside,
        "truncated",
    );
}

#[test]
fn idx_trailing_bytes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (mut img, _, _) = small_idx();
    img.extend_from_slice(&[1, 2, 3]);
    let p = write(&dir.path().join("long"), &img);
    assert_names(&err_text(idx::read_idx(&p, 3)), &p, "3 trailing byte(s)");
}

#[test]
fn idx_count_mismatch_names_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _, _) = small_idx();
    let ip = write(&dir.path().join("imgs"), &img);
    let lp = write(&dir.path().join("labs"), &idx_bytes(1, &[2], &[1, 2]));
    let msg = err_text(idx::load_idx_split(&ip, &lp));
    assert_names(&msg, &lp, "count mismatch: 2 labels");
    assert!(
        msg.contains(&ip.display().to_string()) && msg.contains("3 images"),
        "{msg}"
    );
}

#[test]
fn idx_label_out_of_range_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _, _) = small_idx();
    let ip = write(&dir.path().join("imgs"), &img);
    let lp = write(&dir.path().join("labs"), &idx_bytes(1, &[3], &[1, 10, 2]));
    assert_names(
        &err_text(idx::load_idx_split(&ip, &lp)),
        &lp,
        "label 10 at index 1 is out of range",
    );
}

#[test]
fn idx_missing_file_and_empty_images_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    assert!(matches!(idx::read_idx(&missing, 3), Err(DataError::Io { .. })));
    assert_names(&err_text(idx::read_idx(&missing, 3)), &missing, "No such file");

    let ip = write(&dir.path().join("zero"), &idx_bytes(3, &[0, 28, 28], &[]));
    let lp = write(&dir.path().join("zero-l"), &idx_bytes(1, &[0], &[]));
    assert_names(&err_text(idx::load_idx_split(&ip, &lp)), &ip, "no images");
    let ep = write(&dir.path().join("flat"), &idx_bytes(3, &[2, 0, 5], &[]));
    assert_names(
        &err_text(idx::load_idx_split(&ep, &lp)),
        &ep,
        "image size 0x5 is empty",
    );
}

// ---------- CIFAR-10 ----------

/// `n` records; record `i` has label `(i + first) % 10` and pixel `j` = `(i * 7 + j) % 251`.
fn cifar_bytes(n: usize, first: usize) -> Vec<u8> {
    let mut b = Vec::new();
    for i in 0..n {
        b.push(((i + first) % 10) as u8);
        b.extend((0..3072).map(|j| ((i * 7 + j) % 251) as u8));
    }
    b
}

fn write_cifar(dir: &Path, per_file: usize) {
    for (k, f) in cifar::TRAIN_FILES.iter().enumerate() {
        write(&dir.join(f), &cifar_bytes(per_file, k));
    }
    write(&dir.join(cifar::TEST_FILE), &cifar_bytes(per_file, 5));
}

#[test]
fn cifar_reads_records_as_chw_images() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar(dir.path(), 3);
    let (train, test) = cifar::load_cifar_dir(dir.path()).unwrap();
    assert_eq!(train.x.size(), [15, 3, 32, 32]);
    assert_eq!(test.x.size(), [3, 3, 32, 32]);
    // Train file k holds labels k, k+1, k+2.
    assert_eq!(
        to_vec_i64(&train.y),
        [0, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6]
    );
    assert_eq!(to_vec_i64(&test.y), [5, 6, 7]);
    // Record 2, channel 1 (green), row 4, column 5 is pixel byte 1024 + 4 * 32 + 5.
    let j = 1024 + 4 * 32 + 5;
    assert_eq!(train.x.int64_value(&[2, 1, 4, 5]), ((2 * 7 + j) % 251) as i64);
}

#[test]
fn cifar_finds_the_unpacked_archive_folder() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar(&dir.path().join("cifar-10-batches-bin"), 1);
    assert_eq!(
        cifar::find_cifar_dir(dir.path()).unwrap(),
        dir.path().join("cifar-10-batches-bin")
    );
    let empty = tempfile::tempdir().unwrap();
    let why = cifar::find_cifar_dir(empty.path()).unwrap_err();
    assert!(
        why.contains("data_batch_1.bin") && why.contains("test_batch.bin"),
        "{why}"
    );
}

#[test]
fn cifar_bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = cifar_bytes(2, 0);
    bytes.pop();
    let cut = write(&dir.path().join("cut.bin"), &bytes);
    let msg = err_text(cifar::read_cifar(&cut));
    assert_names(&msg, &cut, "truncated or not a CIFAR-10 binary batch");
    assert!(msg.contains("3072 byte(s) left over"), "{msg}");

    let mut bytes = cifar_bytes(3, 0);
    bytes[3073] = 10; // record 1's label
    let bad = write(&dir.path().join("label.bin"), &bytes);
    assert_names(
        &err_text(cifar::read_cifar(&bad)),
        &bad,
        "record 1: label 10 is out of range",
    );

    let empty = write(&dir.path().join("empty.bin"), &[]);
    assert_names(&err_text(cifar::read_cifar(&empty)), &empty, "empty file");

    // One bad batch file spoils the whole folder, and is the one named.
    write_cifar(dir.path(), 1);
    let broken = write(&dir.path().join("data_batch_3.bin"), &[0u8; 100]);
    assert_names(
        &err_text(cifar::load_cifar_dir(dir.path())),
        &broken,
        "not a whole number",
    );
}

// ---------- class folders ----------

fn save_png(path: &Path, img: &image::RgbImage) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    img.save(path).unwrap();
}

fn solid(w: u32, h: u32, rgb: [u8; 3]) -> image::RgbImage {
    image::RgbImage::from_pixel(w, h, image::Rgb(rgb))
}

#[test]
fn folder_reads_png_and_jpeg_into_sorted_classes() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    // Class names sort as "ant" < "bee"; files in any order on disk.
    save_png(&r.join("train/bee/b.png"), &solid(20, 12, [0, 0, 255]));
    save_png(&r.join("train/ant/z.png"), &solid(12, 30, [255, 0, 0]));
    save_png(&r.join("train/ant/a.jpg"), &solid(16, 16, [0, 200, 0]));
    save_png(&r.join("val/bee/c.JPEG"), &solid(9, 9, [255, 255, 255]));
    std::fs::write(r.join("train/ant/notes.txt"), "not an image").unwrap();
    std::fs::write(r.join("train/ant/.hidden.png"), "ignored").unwrap();

    let (train, test, classes) = folder::load_folder(r, 8).unwrap();
    assert_eq!(classes, ["ant", "bee"]);
    assert_eq!(train.x.size(), [3, 3, 8, 8]);
    assert_eq!(train.x.kind(), Kind::Uint8);
    assert_eq!(to_vec_i64(&train.y), [0, 0, 1]);
    assert_eq!(train.num_classes, 2);
    // ant/a.jpg (green JPEG), ant/z.png (red), bee/b.png (blue), channel by channel.
    let mean = |i: i64, c: i64| {
        train
            .x
            .get(i)
            .get(c)
            .to_kind(Kind::Float)
            .mean(Kind::Float)
            .double_value(&[])
    };
    assert!(
        mean(0, 0) < 8.0 && (mean(0, 1) - 200.0).abs() < 8.0 && mean(0, 2) < 8.0,
        "jpeg colour drifted"
    );
    let near = |a: f64, b: f64| (a - b).abs() <= 1.0;
    assert!(
        near(mean(1, 0), 255.0) && near(mean(1, 1), 0.0) && near(mean(1, 2), 0.0),
        "red drifted"
    );
    assert!(
        near(mean(2, 0), 0.0) && near(mean(2, 1), 0.0) && near(mean(2, 2), 255.0),
        "blue drifted"
    );
    // Test labels follow the training classes: bee is 1 although it is val's only class.
    assert_eq!(to_vec_i64(&test.y), [1]);
    assert_eq!(test.num_classes, 2);
}

#[test]
fn folder_resizes_the_shorter_side_then_crops_the_center() {
    let root = tempfile::tempdir().unwrap();
    // 40 wide x 20 high; black bands on the outer 8 columns each side, white between. Shorter side
    // 20 -> 10 makes it 20 x 10 with bands 4 wide; the centered 10 x 10 crop (columns 5..15) is
    // all white; any other crop would include black.
    let img = image::RgbImage::from_fn(40, 20, |x, _| {
        image::Rgb(if (8..32).contains(&x) { [255; 3] } else { [0; 3] })
    });
    save_png(&root.path().join("c/stripe.png"), &img);
    let chw = folder::decode_image(&root.path().join("c/stripe.png"), 10).unwrap();
    assert_eq!(chw.len(), 3 * 10 * 10);
    assert!(
        chw.iter().all(|&v| v >= 250),
        "center crop is not all white: {chw:?}"
    );

    // A tall image: the rows are cropped, top and bottom bands removed the same way.
    let tall = image::RgbImage::from_fn(20, 40, |_, y| {
        image::Rgb(if (8..32).contains(&y) { [255; 3] } else { [0; 3] })
    });
    save_png(&root.path().join("c/tall.png"), &tall);
    let chw = folder::decode_image(&root.path().join("c/tall.png"), 10).unwrap();
    assert!(
        chw.iter().all(|&v| v >= 250),
        "center crop of the tall image is not all white"
    );

    // No resize needed (shorter side already 20): the crop is exactly columns 10..30, in CHW order.
    let ramp = image::RgbImage::from_fn(40, 20, |x, y| image::Rgb([x as u8 * 6, y as u8 * 10, 99]));
    save_png(&root.path().join("c/ramp.png"), &ramp);
    let chw = folder::decode_image(&root.path().join("c/ramp.png"), 20).unwrap();
    let at = |c: usize, y: usize, x: usize| chw[c * 400 + y * 20 + x];
    assert_eq!(
        (at(0, 0, 0), at(0, 0, 19), at(1, 19, 3), at(2, 7, 7)),
        (60, 174, 190, 99)
    );
}

#[test]
fn folder_corrupt_image_is_named() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    save_png(&r.join("train/a/ok.png"), &solid(4, 4, [1, 2, 3]));
    let bad = write(
        &r.join("train/a/bad.png"),
        b"\x89PNG\r\n\x1a\nthis is not a png body",
    );
    save_png(&r.join("val/a/ok.png"), &solid(4, 4, [1, 2, 3]));
    assert_names(
        &err_text(folder::load_folder(r, 4)),
        &bad,
        "corrupt or unsupported image",
    );

    // A JPEG cut in half.
    std::fs::remove_file(&bad).unwrap();
    let jpg = r.join("train/a/full.jpg");
    save_png(
        &jpg,
        &image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([x as u8 * 4, y as u8 * 4, 7])),
    );
    let bytes = std::fs::read(&jpg).unwrap();
    std::fs::write(&jpg, &bytes[..bytes.len() / 2]).unwrap();
    assert_names(
        &err_text(folder::load_folder(r, 4)),
        &jpg,
        "corrupt or unsupported image",
    );
}

#[test]
fn folder_layout_errors_are_clear() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    assert_names(&err_text(folder::load_folder(r, 4)), r, "no train/ folder");
    std::fs::create_dir_all(r.join("train")).unwrap();
    assert_names(
        &err_text(folder::load_folder(r, 4)),
        r,
        "no val/ (or test/) folder",
    );
    std::fs::create_dir_all(r.join("test")).unwrap();
    assert_names(
        &err_text(folder::load_folder(r, 4)),
        &r.join("train"),
        "no class folders",
    );

    save_png(&r.join("train/a/1.png"), &solid(4, 4, [0; 3]));
    std::fs::create_dir_all(r.join("train/b")).unwrap();
    std::fs::write(r.join("train/b/readme.txt"), "x").unwrap();
    assert_names(
        &err_text(folder::load_folder(r, 4)),
        &r.join("train/b"),
        "empty class folder",
    );

    std::fs::remove_dir_all(r.join("train/b")).unwrap();
    save_png(&r.join("test/zebra/1.png"), &solid(4, 4, [0; 3]));
    assert_names(
        &err_text(folder::load_folder(r, 4)),
        &r.join("test"),
        "zebra are not in train/",
    );
}

// ---------- two moons ----------

#[test]
fn moons_without_noise_lie_on_the_two_half_circles() {
    let m = moons::make_moons(101, 0.0, 3).unwrap();
    assert_eq!(m.points.len(), 101);
    assert_eq!(m.labels.iter().filter(|&&l| l == 0).count(), 50);
    assert_eq!(m.labels.iter().filter(|&&l| l == 1).count(), 51);
    for (p, &l) in m.points.iter().zip(&m.labels) {
        let [x, y] = *p;
        if l == 0 {
            assert!(
                (x * x + y * y - 1.0).abs() < 1e-12 && y >= -1e-12,
                "outer point off its circle: {p:?}"
            );
        } else {
            assert!(
                ((x - 1.0).powi(2) + (y - 0.5).powi(2) - 1.0).abs() < 1e-12 && y <= 0.5 + 1e-12,
                "{p:?}"
            );
        }
    }
    // linspace includes both ends: (1, 0), (-1, 0), (0, 0.5) and (2, 0.5) are all there.
    for end in [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]] {
        assert!(
            m.points
                .iter()
                .any(|p| (p[0] - end[0]).abs() < 1e-12 && (p[1] - end[1]).abs() < 1e-12),
            "no point at {end:?}"
        );
    }
    // Shuffled: the labels are not 50 zeros followed by 51 ones.
    assert!(m.labels.windows(2).filter(|w| w[0] != w[1]).count() > 10);
}

#[test]
fn moons_noise_has_the_requested_std_and_is_seeded() {
    let clean = moons::make_moons(20_000, 0.0, 9).unwrap();
    let noisy = moons::make_moons(20_000, 0.4, 9).unwrap();
    // Same seed, same shuffle: the difference is exactly the noise.
    assert_eq!(clean.labels, noisy.labels);
    let d: Vec<f64> = clean
        .points
        .iter()
        .zip(&noisy.points)
        .flat_map(|(a, b)| [b[0] - a[0], b[1] - a[1]])
        .collect();
    let mean = d.iter().sum::<f64>() / d.len() as f64;
    let std = (d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / d.len() as f64).sqrt();
    assert!(
        mean.abs() < 0.01 && (std - 0.4).abs() < 0.01,
        "noise mean {mean}, std {std}"
    );

    assert_eq!(
        moons::make_moons(100, 0.4, 1).unwrap(),
        moons::make_moons(100, 0.4, 1).unwrap()
    );
    assert_ne!(
        moons::make_moons(100, 0.4, 1).unwrap(),
        moons::make_moons(100, 0.4, 2).unwrap()
    );
    let split = moons::make_moons(100, 0.4, 1).unwrap().to_split();
    assert_eq!(
        (split.x.size(), split.x.kind(), split.y.kind()),
        (vec![100, 2], Kind::Float, Kind::Int64)
    );
    assert!(
        moons::make_moons(10, -1.0, 0)
            .unwrap_err()
            .to_string()
            .contains("moons_noise")
    );
}

// ---------- lookup ----------

/// A folder holding the four Fashion-MNIST file names (content irrelevant to the lookup).
fn idx_dir(dir: &Path, gz: bool) -> PathBuf {
    for stem in locate::IDX_STEMS {
        let name = if gz {
            format!("{stem}.gz")
        } else {
            stem.to_string()
        };
        write(&dir.join(name), b"x");
    }
    dir.to_path_buf()
}

#[test]
fn lookup_order_is_config_then_env_then_project_then_system() {
    let t = tempfile::tempdir().unwrap();
    let explicit = idx_dir(&t.path().join("explicit"), true);
    let env = idx_dir(&t.path().join("env"), false);
    let root = t.path().join("project");
    idx_dir(&root.join("data/fashion-mnist"), true);
    let system = idx_dir(&t.path().join("system"), true);
    let mut places = Places {
        explicit: Some(explicit.clone()),
        env: Some(env.clone()),
        project_roots: vec![root.clone()],
        system: vec![system.clone()],
    };
    let found = |p: &Places| locate::locate(&locate::FASHION_MNIST, p, locate::find_idx_files).unwrap();
    assert_eq!(found(&places).dir, explicit);
    assert_eq!(
        found(&places).train_images,
        explicit.join("train-images-idx3-ubyte.gz")
    );
    places.explicit = None;
    assert_eq!(found(&places).dir, env);
    assert_eq!(found(&places).test_labels, env.join("t10k-labels-idx1-ubyte"));
    places.env = None;
    assert_eq!(found(&places).dir, root.join("data/fashion-mnist"));
    places.project_roots.clear();
    assert_eq!(found(&places).dir, system);

    // A place without all four files is passed over (only the explicit path is final).
    std::fs::remove_file(env.join("t10k-images-idx3-ubyte")).unwrap();
    places.env = Some(env.clone());
    assert_eq!(found(&places).dir, system);
}

#[test]
fn lookup_failure_lists_every_place_and_how_to_get_the_data() {
    let t = tempfile::tempdir().unwrap();
    let env = t.path().join("env");
    std::fs::create_dir_all(&env).unwrap();
    write(&env.join("train-images-idx3-ubyte.gz"), b"x");
    let places = Places {
        explicit: None,
        env: Some(env.clone()),
        project_roots: vec![t.path().join("proj")],
        system: vec![t.path().join("sys")],
    };
    let msg = err_text(locate::locate(
        &locate::FASHION_MNIST,
        &places,
        locate::find_idx_files,
    ));
    assert!(msg.starts_with("Fashion-MNIST not found"), "{msg}");
    assert!(
        msg.contains(&format!("$FASHION_MNIST_DIR ({})", env.display())),
        "{msg}"
    );
    assert!(
        msg.contains("missing train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz]"),
        "{msg}"
    );
    assert!(
        msg.contains(&t.path().join("proj/data/fashion-mnist").display().to_string()),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("{}: no such folder", t.path().join("sys").display())),
        "{msg}"
    );
    assert!(
        msg.contains("apt-get install dataset-fashion-mnist") && msg.contains("./lab setup"),
        "{msg}"
    );

    // An unset variable is listed as such.
    let unset = Places {
        env: None,
        ..places.clone()
    };
    let msg = err_text(locate::locate(
        &locate::FASHION_MNIST,
        &unset,
        locate::find_idx_files,
    ));
    assert!(msg.contains("$FASHION_MNIST_DIR: not set"), "{msg}");
}

#[test]
fn lookup_explicit_path_is_final() {
    let t = tempfile::tempdir().unwrap();
    let good = idx_dir(&t.path().join("good"), true);
    let places = Places {
        explicit: Some(t.path().join("typo")),
        env: Some(good.clone()),
        project_roots: vec![],
        system: vec![good],
    };
    let msg = err_text(locate::locate(
        &locate::FASHION_MNIST,
        &places,
        locate::find_idx_files,
    ));
    assert!(
        msg.contains("`path` in [data]") && msg.contains("typo") && msg.contains("no such folder"),
        "{msg}"
    );
    assert!(
        !msg.contains("FASHION_MNIST_DIR ("),
        "other places must not be tried: {msg}"
    );
}

#[test]
fn project_root_is_the_nearest_workspace_manifest() {
    let t = tempfile::tempdir().unwrap();
    write(
        &t.path().join("Cargo.toml"),
        b"[workspace]\nmembers = [\"crates/*\"]\n",
    );
    write(
        &t.path().join("crates/x/Cargo.toml"),
        b"[package]\nname = \"x\"\n",
    );
    std::fs::create_dir_all(t.path().join("crates/x/src")).unwrap();
    assert_eq!(
        locate::workspace_root(&t.path().join("crates/x/src")).unwrap(),
        t.path()
    );
    // And this crate's own workspace is among the standard roots (so tests find data/ from anywhere).
    let ours = locate::workspace_root(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    assert!(ours.join("crates/training").is_dir());
    assert!(locate::project_roots().contains(&ours));
}
