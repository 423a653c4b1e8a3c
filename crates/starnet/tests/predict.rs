//! Preprocessing against timm/PIL, input files, top-k and logits files.

mod common;

use starnet::predict::{Preprocess, load_input, top_k, write_logits};
use tch::{Kind, Tensor};

/// Our preprocessing of the fixture image vs timm's eval transform (PIL bicubic), in 8-bit units.
fn compare_with_pil(ext: &str) -> (f64, f64) {
    let dir = common::fixtures();
    let pil: std::collections::HashMap<String, Tensor> =
        Tensor::read_safetensors(dir.join("preprocess.safetensors"))
            .unwrap()
            .into_iter()
            .collect();
    let ours = load_input(dir.join(format!("preprocess.{ext}"))).unwrap();
    assert_eq!(ours.size(), vec![1, 3, 224, 224]);
    let std = Tensor::from_slice(&Preprocess::default().std).view([3, 1, 1]);
    let diff_255 = ((ours.squeeze_dim(0) - &pil[ext]) * std * 255.0).abs();
    let (max, mean) = (
        diff_255.max().double_value(&[]),
        diff_255.mean(Kind::Double).double_value(&[]),
    );
    eprintln!("{ext}: |ours - PIL| max {max:.3}, mean {mean:.4} (8-bit levels)");
    (max, mean)
}

#[test]
fn png_preprocessing_is_close_to_timms_pil_transform() {
    // Same decoded pixels, so this isolates resize + crop + normalise. A wrong crop offset or
    // resize size shifts the image and gives mean differences of many levels.
    let (max, mean) = compare_with_pil("png");
    assert!(mean < 0.5, "mean difference {mean:.3} levels");
    assert!(max <= 8.0, "max difference {max:.3} levels");
}

#[test]
fn jpeg_preprocessing_is_close_to_timms_pil_transform() {
    // Decoders differ too (libjpeg-turbo in PIL, zune-jpeg in `image`): IDCT and chroma upsampling.
    let (max, mean) = compare_with_pil("jpg");
    assert!(mean < 1.5, "mean difference {mean:.3} levels");
    assert!(max <= 12.0, "max difference {max:.3} levels");
}

#[test]
fn crop_of_a_portrait_image_keeps_the_center() {
    // 100 x 300 (w x h): the shorter side becomes 256 -> 256 x 768; crop top = round((768-224)/2) = 272.
    // A single bright row at source y = 150 lands at 768/2 = 384 -> row 112 of the crop.
    let mut img = image::RgbImage::from_pixel(100, 300, image::Rgb([0, 0, 0]));
    for x in 0..100 {
        img.put_pixel(x, 150, image::Rgb([255, 255, 255]));
    }
    let t = Preprocess::default()
        .apply(&image::DynamicImage::ImageRgb8(img))
        .unwrap();
    assert_eq!(t.size(), vec![1, 3, 224, 224]);
    let row_means = t.get(0).get(0).mean_dim(1, false, Kind::Float);
    let brightest = row_means.argmax(0, false).int64_value(&[]);
    assert!((111..=113).contains(&brightest), "bright row at {brightest}");
}

#[test]
fn npy_input_is_used_as_is_and_bad_shapes_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("x.npy");
    let x = Tensor::randn([2, 3, 64, 48], tch::kind::FLOAT_CPU);
    x.write_npy(&good).unwrap();
    assert!(load_input(&good).unwrap().equal(&x));

    let bad = dir.path().join("bad.npy");
    Tensor::randn([3, 64, 64], tch::kind::FLOAT_CPU)
        .write_npy(&bad)
        .unwrap();
    let msg = format!("{:#}", load_input(&bad).unwrap_err());
    assert!(
        msg.contains("bad.npy") && msg.contains("expected shape N x 3 x H x W, found [3, 64, 64]"),
        "{msg}"
    );

    let ints = dir.path().join("ints.npy");
    Tensor::zeros([1, 3, 64, 64], tch::kind::INT64_CPU)
        .write_npy(&ints)
        .unwrap();
    assert!(format!("{:#}", load_input(&ints).unwrap_err()).contains("expected a float array"));

    // Cut short: the header still says 2 x 3 x 64 x 48 float32, the data are 100 bytes short.
    let truncated = dir.path().join("truncated.npy");
    let whole = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &whole[..whole.len() - 100]).unwrap();
    let msg = format!("{:#}", load_input(&truncated).unwrap_err());
    assert!(
        msg.contains("truncated.npy") && msg.contains("truncated .npy file") && msg.contains("73728 bytes"),
        "{msg}"
    );
    let garbage = dir.path().join("garbage.npy");
    std::fs::write(&garbage, b"\x93NUMPY\x01").unwrap();
    let msg = format!("{:#}", load_input(&garbage).unwrap_err());
    assert!(
        msg.contains("garbage.npy") && msg.contains("no valid NumPy header"),
        "{msg}"
    );

    let missing = format!("{:#}", load_input(dir.path().join("none.png")).unwrap_err());
    assert!(missing.contains("none.png"), "{missing}");
    let not_image = dir.path().join("text.jpg");
    std::fs::write(&not_image, "hello").unwrap();
    assert!(format!("{:#}", load_input(&not_image).unwrap_err()).contains("text.jpg"));
}

#[test]
fn top_k_ranks_softmax_probabilities_with_imagenet_names() {
    let mut logits = vec![0f32; 2000];
    logits[1] = 5.0; // goldfish
    logits[0] = 4.0; // tench
    logits[1000 + 999] = 3.0; // toilet tissue
    let t = Tensor::from_slice(&logits).view([2, 1000]);
    let top = top_k(&t, 5).unwrap();
    assert_eq!(top.len(), 2);
    assert_eq!(top[0][0].index, 1);
    assert_eq!(top[0][0].synset, "n01443537");
    assert!(top[0][0].name.starts_with("goldfish"));
    assert_eq!(top[0][1].name, "tench, Tinca tinca");
    let z = 5f64.exp() + 4f64.exp() + 998.0;
    assert!((top[0][0].prob - 5f64.exp() / z).abs() < 1e-6);
    assert!(top[0].windows(2).all(|w| w[0].prob >= w[1].prob));
    assert_eq!(top[1][0].synset, "n15075141");
    assert_eq!(starnet::imagenet::classes().len(), 1000);

    let small = top_k(&Tensor::from_slice(&[0.0f32, 1.0, 2.0]).view([1, 3]), 5).unwrap();
    assert_eq!(small[0].len(), 3, "k is capped at the class count");
    assert_eq!(small[0][0].name, "class 2");
    assert!(top_k(&Tensor::zeros([3], tch::kind::FLOAT_CPU), 5).is_err());
}

#[test]
fn logits_round_trip_through_npy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logits.npy");
    let t = Tensor::randn([2, 1000], tch::kind::FLOAT_CPU);
    write_logits(&t, &path).unwrap();
    assert!(Tensor::read_npy(&path).unwrap().equal(&t));
    assert!(
        format!("{:#}", write_logits(&t, "/nonexistent/dir/l.npy").unwrap_err()).contains("/nonexistent/dir")
    );
    assert_eq!(Preprocess::default().scale_size(), 256);
}
