//! Batch-1 latency of an ONNX file on ONNX Runtime from Rust (the `ort` crate), with the paper's
//! protocol: warm-up runs, then the mean of timed runs. Prints one JSON object, the fields of
//! `bench/peers/starnet_latency.py`; `bench/starnet_latency.sh` runs both side by side.
//!
//!   cargo run -p starnet-onnx --example ort_latency -- --onnx model.onnx --impl "ort rust" \
//!       [--model starnet_s1] [--mode star] [--threads 2] [--img 224] [--warmup 50] [--runs 500]
//!       [--profile PREFIX]   (ONNX Runtime's JSON profile; its file name goes to stderr)

use anyhow::{Context, Result, bail};
use starnet_onnx::{OrtModel, OrtOptions};
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<()> {
    let mut onnx = None;
    let mut label = "ort rust".to_string();
    let (mut model, mut mode) = (String::new(), "star".to_string());
    let (mut threads, mut img, mut warmup, mut runs) = (2usize, 224i64, 50usize, 500usize);
    let mut profile = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let val = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--onnx" => onnx = Some(PathBuf::from(val)),
            "--impl" => label = val,
            "--model" => model = val,
            "--mode" => mode = val,
            "--threads" => threads = val.parse().context("--threads")?,
            "--img" => img = val.parse().context("--img")?,
            "--warmup" => warmup = val.parse().context("--warmup")?,
            "--runs" => runs = val.parse().context("--runs")?,
            "--profile" => profile = Some(PathBuf::from(val)),
            _ => bail!("unknown flag {flag}"),
        }
    }
    let onnx = onnx.context("--onnx FILE is required")?;
    let mut session = OrtModel::from_file(
        &onnx,
        &OrtOptions {
            threads,
            profile: profile.clone(),
        },
    )?;
    let shape = [1, 3, img, img];
    let x: Vec<f32> = (0..3 * img * img)
        .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
        .collect();
    for _ in 0..warmup {
        session.run_slice(&shape, &x)?;
    }
    let start = Instant::now();
    for _ in 0..runs {
        session.run_slice(&shape, &x)?;
    }
    let mean_ms = start.elapsed().as_secs_f64() * 1e3 / runs as f64;
    if profile.is_some() {
        eprintln!("profile: {}", session.end_profiling()?);
    }
    println!(
        "{}",
        serde_json::json!({
            "impl": label, "model": model, "mode": mode, "threads": threads, "img": img,
            "warmup": warmup, "runs": runs, "mean_ms": mean_ms,
        })
    );
    Ok(())
}
