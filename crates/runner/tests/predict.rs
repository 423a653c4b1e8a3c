//! `runner predict` end to end with timm-exported weights (the fixture script's random-init
//! starnet_s1, saved by timm as safetensors, as a downloaded `model.safetensors` would be): an
//! image through our preprocessing lands where timm's own preprocessing of it lands, the printed
//! top-5 agrees with the saved logits, and wrong weights are a clear error.

mod common;
#[path = "../../starnet/tests/common/mod.rs"]
mod starnet_fixtures;

use common::*;
use tch::{Kind, Tensor};

#[test]
fn classifies_an_image_like_timms_preprocessing_and_saves_logits() {
    let fx = starnet_fixtures::fixtures();
    let dir = tempfile::tempdir().unwrap();
    // timm's eval transform of the same PNG (PIL bicubic resize, centre crop, normalise), as .npy.
    let pil: std::collections::HashMap<String, Tensor> =
        Tensor::read_safetensors(fx.join("preprocess.safetensors"))
            .unwrap()
            .into_iter()
            .collect();
    let npy = dir.path().join("timm_preprocessed.npy");
    pil["png"].unsqueeze(0).write_npy(&npy).unwrap();
    let logits_out = dir.path().join("logits.npy");
    let weights = fx.join("starnet_s1.safetensors");
    let png = fx.join("preprocess.png");
    let out = ok(
        &[
            "predict",
            "--model",
            "starnet_s1",
            "--weights",
            weights.to_str().unwrap(),
            png.to_str().unwrap(),
            npy.to_str().unwrap(),
            "--logits-out",
            logits_out.to_str().unwrap(),
        ],
        dir.path(),
    );
    let logits = Tensor::read_npy(&logits_out).unwrap();
    assert_eq!(logits.size(), [2, 1000]);
    let ours = logits.get(0);
    let timm_pre = logits.get(1);
    // Preprocessing differs from PIL by < 0.5 8-bit levels on average: the logits barely move.
    let diff = (&ours - &timm_pre).abs().max().double_value(&[]);
    let scale = timm_pre.abs().max().double_value(&[]);
    assert!(
        diff <= 0.05 * scale,
        "max |logit diff| {diff} vs |logits| max {scale}"
    );
    let top1 = |t: &Tensor| t.argmax(0, false).int64_value(&[]);
    assert_eq!(top1(&ours), top1(&timm_pre));

    // The printed top-5 per input: 5 lines, the first is the argmax with its softmax probability.
    let blocks: Vec<&str> = out.split(".png:").collect();
    assert_eq!(blocks.len(), 2, "{out}");
    let lines: Vec<&str> = blocks[1].lines().skip(1).take(5).collect();
    assert!(lines.iter().all(|l| l.trim_start().contains('%')), "{out}");
    let first: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(first[1].parse::<i64>().unwrap(), top1(&ours), "{out}");
    let p = ours.softmax(0, Kind::Double).max().double_value(&[]) * 100.0;
    assert!(
        (first[0].trim_end_matches('%').parse::<f64>().unwrap() - p).abs() < 0.01,
        "{out}"
    );
    assert!(out.contains("timm_preprocessed.npy:"), "{out}");
}

#[test]
fn weights_of_another_variant_are_an_error_naming_a_tensor() {
    let fx = starnet_fixtures::fixtures();
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "predict",
            "--model",
            "starnet_s1",
            "--weights",
            fx.join("starnet_s050.safetensors").to_str().unwrap(),
            fx.join("preprocess.png").to_str().unwrap(),
        ],
        dir.path(),
    );
    let msg = text(&o);
    assert!(!o.status.success(), "{msg}");
    assert!(
        msg.contains("stem.0.conv.weight") || msg.contains("stages."),
        "{msg}"
    );
    assert!(msg.contains("shape") || msg.contains("missing"), "{msg}");
    assert!(!msg.contains("panicked"), "{msg}");
}
