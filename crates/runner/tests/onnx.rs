//! `runner export`, `runner predict --backend ort|tch` / `--onnx` and the latency kind on ONNX
//! Runtime, end to end, on the fixture script's timm-written starnet_s1 (random init with
//! randomised BN statistics, saved by timm as safetensors).

mod common;
#[path = "../../starnet/tests/common/mod.rs"]
mod starnet_fixtures;

use common::*;
use std::path::Path;

/// The printed `(index, probability %)` of every class line of `runner predict`, in order.
fn top_lines(out: &str) -> Vec<(i64, f64)> {
    out.lines()
        .filter(|l| l.trim_start().contains('%') && l.starts_with("  "))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[1].parse().unwrap(), f[0].trim_end_matches('%').parse().unwrap())
        })
        .collect()
}

fn predict(dir: &Path, extra: &[&str]) -> (Vec<(i64, f64)>, tch::Tensor) {
    let fx = starnet_fixtures::fixtures();
    let logits = dir.join(format!("logits_{}.npy", extra.join("_").replace(['/', '.'], "")));
    let png = fx.join("preprocess.png");
    let mut args = vec![
        "predict",
        png.to_str().unwrap(),
        "--threads",
        "2",
        "--logits-out",
        logits.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = ok(&args, dir);
    (top_lines(&out), tch::Tensor::read_npy(&logits).unwrap())
}

#[test]
fn predict_gives_the_same_top5_on_tch_and_ort_and_from_an_exported_file() {
    let fx = starnet_fixtures::fixtures();
    let dir = tempfile::tempdir().unwrap();
    let w = fx.join("starnet_s1.safetensors");
    let w = w.to_str().unwrap();
    let (tch_top, tch_logits) = predict(
        dir.path(),
        &["--model", "starnet_s1", "--weights", w, "--backend", "tch"],
    );
    let (ort_top, ort_logits) = predict(
        dir.path(),
        &["--model", "starnet_s1", "--weights", w, "--backend", "ort"],
    );
    assert_eq!(tch_top.len(), 5);
    let idx = |t: &[(i64, f64)]| t.iter().map(|p| p.0).collect::<Vec<_>>();
    assert_eq!(
        idx(&tch_top),
        idx(&ort_top),
        "top-5 classes differ between tch and ort"
    );
    for (a, b) in tch_top.iter().zip(&ort_top) {
        assert!(
            (a.1 - b.1).abs() <= 0.01,
            "probabilities {tch_top:?} vs {ort_top:?}"
        );
    }
    let diff = (&tch_logits - &ort_logits).abs().max().double_value(&[]);
    assert!(diff <= 1e-4, "logits differ by {diff}");

    // The same network exported to a file, then run by `predict --onnx`.
    let onnx = dir.path().join("s1.onnx");
    let out = ok(
        &[
            "export",
            "--model",
            "starnet_s1",
            "--weights",
            w,
            "--onnx",
            onnx.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(out.contains("opset 17") && out.contains("IR version 8"), "{out}");
    let (file_top, file_logits) = predict(dir.path(), &["--onnx", onnx.to_str().unwrap()]);
    assert_eq!(idx(&file_top), idx(&tch_top));
    let diff = (&tch_logits - &file_logits).abs().max().double_value(&[]);
    assert!(diff <= 1e-4, "logits of the exported file differ by {diff}");
}

#[test]
fn export_errors_are_clear() {
    let fx = starnet_fixtures::fixtures();
    let dir = tempfile::tempdir().unwrap();
    let out = |args: &[&str]| {
        let o = run(args, dir.path());
        let msg = text(&o);
        assert!(!o.status.success(), "{args:?} succeeded:\n{msg}");
        assert!(!msg.contains("panicked"), "{msg}");
        msg
    };
    let s050 = fx.join("starnet_s050.safetensors");
    // Weights of another variant: the tensor-by-tensor report of `weights::load`.
    let msg = out(&[
        "export",
        "--model",
        "starnet_s1",
        "--weights",
        s050.to_str().unwrap(),
        "--onnx",
        "x.onnx",
    ]);
    assert!(msg.contains("does not fit") && msg.contains("stages."), "{msg}");
    let msg = out(&[
        "export",
        "--model",
        "starnet_s1",
        "--mode",
        "product",
        "--onnx",
        "x.onnx",
    ]);
    assert!(msg.contains("product") && msg.contains("star_after"), "{msg}");
    let msg = out(&[
        "export",
        "--model",
        "starnet_s1",
        "--img-size",
        "16",
        "--onnx",
        "x.onnx",
    ]);
    assert!(msg.contains("too small"), "{msg}");
    let msg = out(&["export", "--model", "starnet_s9", "--onnx", "x.onnx"]);
    assert!(msg.contains("starnet_s050"), "{msg}");
    let msg = out(&[
        "export",
        "--model",
        "starnet_s1",
        "--stage-modes",
        "sum,star",
        "--onnx",
        "x.onnx",
    ]);
    assert!(msg.contains("stage_modes"), "{msg}");
    assert!(!dir.path().join("x.onnx").exists());
}

#[test]
fn export_takes_the_network_of_a_run_record() {
    let dir = tempfile::tempdir().unwrap();
    let record = write(
        dir.path(),
        "run.json",
        r#"{"config": {"model": {"arch": "starnet", "base_dim": 8, "depths": [1, 1], "mlp_ratio": 2,
            "num_classes": 10, "in_chans": 1, "stage_modes": ["sum", "star_after"], "act": "gelu"}}}"#,
    );
    let onnx = dir.path().join("run.onnx");
    let out = ok(
        &[
            "export",
            "--run",
            record.to_str().unwrap(),
            "--img-size",
            "64",
            "--onnx",
            onnx.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(
        out.contains("base 8") && out.contains("sum,star_after") && out.contains("act gelu"),
        "{out}"
    );
    assert!(out.contains("N x 1 x 64 x 64"), "{out}");
    let demonet = write(
        dir.path(),
        "demo.json",
        r#"{"config": {"model": {"arch": "demonet", "width": 8}}}"#,
    );
    let o = run(
        &["export", "--run", demonet.to_str().unwrap(), "--onnx", "y.onnx"],
        dir.path(),
    );
    assert!(
        !o.status.success() && text(&o).contains("not a StarNet"),
        "{}",
        text(&o)
    );
}

#[test]
fn latency_kind_runs_on_ort_and_records_the_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "lat.toml",
        r#"[experiment]
name = "lat"
kind = "latency"

[model]
variant = "starnet_s050"
backend = "ort"

[measure]
img_size = 64
warmup = 2
iters = 5
threads = 1

[sweep]
mode = ["sum", "star"]
"#,
    );
    ok(
        &["run", cfg.to_str().unwrap(), "--results", "res", "--no-plots"],
        dir.path(),
    );
    let runs = run_files(&dir.path().join("res"));
    assert_eq!(runs.len(), 2);
    for r in runs {
        let rec = json(&r);
        assert_eq!(rec["config"]["model"]["backend"], "ort");
        assert_eq!(rec["config"]["measure"]["warmup"], 2);
        assert_eq!(rec["outcome"]["extra"]["backend"], "ort");
        assert_eq!(rec["outcome"]["extra"]["threads"], 1);
        assert!(
            rec["outcome"]["extra"]["onnxruntime"]
                .as_str()
                .unwrap()
                .starts_with("1."),
            "{rec}"
        );
        assert!(rec["outcome"]["other"]["latency_mean_ms"].as_f64().unwrap() > 0.0);
    }
    // backend = "ort" with the unfused network is a config error, not a run error.
    let bad = write(
        dir.path(),
        "bad.toml",
        "[experiment]\nname = \"bad\"\nkind = \"latency\"\n\n[model]\nbackend = \"ort\"\nfused = false\n",
    );
    let o = run(&["plan", bad.to_str().unwrap()], dir.path());
    assert!(!o.status.success() && text(&o).contains("always"), "{}", text(&o));
}
