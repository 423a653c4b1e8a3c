//! Batch-1 CPU latency of StarNet, unfused and BN-fused, with the paper's protocol (warm-up runs,
//! then the mean of timed runs). Prints one JSON object per measurement; `bench/starnet_latency.sh`
//! runs it next to timm eager and ONNX Runtime (`bench/peers/starnet_latency.py`) and prints a table.
//!
//!   cargo run -p starnet --example starnet_latency -- \
//!       [--models s050,s1,s4] [--modes star,sum] [--threads 2] [--img 224] [--warmup 50] [--runs 500]

use anyhow::{Context, Result, bail};
use starnet::{Config, Mode, StarNet};
use std::time::Instant;
use tch::nn::ModuleT;
use tch::{Device, Tensor, nn};

struct Args {
    models: Vec<String>,
    modes: Vec<Mode>,
    threads: i32,
    img: i64,
    warmup: usize,
    runs: usize,
}

fn parse() -> Result<Args> {
    let mut a = Args {
        models: vec!["s050".into(), "s1".into(), "s4".into()],
        modes: vec![Mode::Star],
        threads: 2,
        img: 224,
        warmup: 50,
        runs: 500,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let val = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--models" => a.models = val.split(',').map(str::to_string).collect(),
            "--modes" => {
                a.modes = val
                    .split(',')
                    .map(|m| serde_json::from_value(serde_json::Value::String(m.into())))
                    .collect::<Result<_, _>>()
                    .with_context(|| format!("--modes {val}: use sum, star, star_both, star_after"))?
            }
            "--threads" => a.threads = val.parse().context("--threads")?,
            "--img" => a.img = val.parse().context("--img")?,
            "--warmup" => a.warmup = val.parse().context("--warmup")?,
            "--runs" => a.runs = val.parse().context("--runs")?,
            _ => bail!("unknown flag {flag}"),
        }
    }
    Ok(a)
}

/// Mean milliseconds per call after `warmup` untimed calls.
fn time_ms(warmup: usize, runs: usize, mut f: impl FnMut() -> Tensor) -> f64 {
    for _ in 0..warmup {
        let _ = f();
    }
    let start = Instant::now();
    for _ in 0..runs {
        let _ = f();
    }
    start.elapsed().as_secs_f64() * 1e3 / runs as f64
}

fn main() -> Result<()> {
    training::malloc::keep_freed_memory();
    let args = parse()?;
    tch::set_num_threads(args.threads);
    tch::set_num_interop_threads(1);
    let x = Tensor::randn([1, 3, args.img, args.img], tch::kind::FLOAT_CPU);
    for name in &args.models {
        for &mode in &args.modes {
            let config = Config::from_name(name)?.with_mode(mode);
            tch::manual_seed(0);
            let vs = nn::VarStore::new(Device::Cpu);
            let net = StarNet::new(&vs.root(), &config)?;
            let fused = net.fuse();
            let unfused_ms = time_ms(args.warmup, args.runs, || {
                tch::no_grad(|| net.forward_t(&x, false))
            });
            let fused_ms = time_ms(args.warmup, args.runs, || fused.forward(&x));
            for (variant, ms) in [("unfused", unfused_ms), ("fused", fused_ms)] {
                println!(
                    "{}",
                    serde_json::json!({
                        "impl": format!("tch {variant}"), "model": Config::from_name(name).map(|_| canonical(name))?,
                        "mode": mode.to_string(), "threads": args.threads, "img": args.img,
                        "warmup": args.warmup, "runs": args.runs, "mean_ms": ms,
                    })
                );
            }
        }
    }
    Ok(())
}

fn canonical(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("starnet_") {
        lower
    } else {
        format!("starnet_{lower}")
    }
}
