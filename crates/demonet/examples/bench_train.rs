//! Training throughput of the image DemoNet through the library's own training step
//! (`training::Stepper`: forward, label-smoothed loss, backward, AdamW over flat groups).
//!
//! ```text
//! cargo run --release -p demonet --example bench_train -- \
//!     --widths 32,64,128 --depth 12 --patch 4 --img 28 --in-chans 1 --classes 10 \
//!     --batch 128 --threads 2 --warmup 3 --steps 20 --device cpu [--mode star] [--amp]
//! ```
//! Prints one JSON line per width: `{"impl":"tch", "width":.., "img_per_s":.., ...}`.
//! The batch is one fixed random tensor on the device, so the data loader is not timed.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use demonet::{Config, DemoNet, Mode};
use tch::{Device, Kind, Tensor, nn};
use training::device::DeviceChoice;
use training::{Stepper, TrainConfig};

struct Args {
    widths: Vec<i64>,
    depth: i64,
    patch: i64,
    img: i64,
    in_chans: i64,
    classes: i64,
    batch: i64,
    threads: Option<usize>,
    warmup: usize,
    steps: usize,
    device: DeviceChoice,
    mode: Mode,
    amp: bool,
}

fn parse() -> Result<Args> {
    let mut a = Args {
        widths: vec![32, 64, 128],
        depth: 12,
        patch: 4,
        img: 28,
        in_chans: 1,
        classes: 10,
        batch: 128,
        threads: None,
        warmup: 3,
        steps: 20,
        device: DeviceChoice::Cpu,
        mode: Mode::Star,
        amp: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--amp" {
            a.amp = true;
            continue;
        }
        let v = it.next().with_context(|| format!("{flag} needs a value"))?;
        let int = |v: &str| {
            v.parse::<i64>()
                .with_context(|| format!("{flag}: '{v}' is not an integer"))
        };
        match flag.as_str() {
            "--widths" => a.widths = v.split(',').map(int).collect::<Result<_>>()?,
            "--depth" => a.depth = int(&v)?,
            "--patch" => a.patch = int(&v)?,
            "--img" => a.img = int(&v)?,
            "--in-chans" => a.in_chans = int(&v)?,
            "--classes" => a.classes = int(&v)?,
            "--batch" => a.batch = int(&v)?,
            "--threads" => a.threads = Some(int(&v)? as usize),
            "--warmup" => a.warmup = int(&v)? as usize,
            "--steps" => a.steps = int(&v)? as usize,
            "--device" => a.device = v.parse().map_err(anyhow::Error::msg)?,
            "--mode" => {
                a.mode = serde_json::from_str(&format!("\"{v}\"")).with_context(|| format!("--mode {v}"))?
            }
            _ => bail!("unknown flag {flag}"),
        }
    }
    Ok(a)
}

fn sync(device: Device) {
    if let Device::Cuda(i) = device {
        tch::Cuda::synchronize(i as i64);
    }
}

fn main() -> Result<()> {
    training::malloc::keep_freed_memory();
    let a = parse()?;
    let device = a.device.resolve()?;
    if let Some(t) = a.threads {
        tch::set_num_threads(t as i32);
    }
    for &width in &a.widths {
        tch::manual_seed(0);
        let cfg = Config {
            width,
            depth: a.depth,
            patch: a.patch,
            in_chans: a.in_chans,
            num_classes: a.classes,
            mode: a.mode,
            ..Config::default()
        };
        let vs = nn::VarStore::new(device);
        let net = DemoNet::new(&vs.root(), &cfg)?;
        let tc = TrainConfig {
            amp: a.amp,
            threads: a.threads,
            ..TrainConfig::default()
        };
        let mut stepper = Stepper::new(&vs, &tc);
        let x = stepper.input(&Tensor::randn(
            [a.batch, a.in_chans, a.img, a.img],
            (Kind::Float, device),
        ));
        let y = Tensor::randint(a.classes, [a.batch], (Kind::Int64, device));
        for _ in 0..a.warmup {
            let _ = stepper.step(&net, &x, &y, 1e-3);
        }
        sync(device);
        let t0 = Instant::now();
        let mut loss = Tensor::zeros([], (Kind::Float, device));
        for _ in 0..a.steps {
            loss = stepper.step(&net, &x, &y, 1e-3).0;
        }
        sync(device);
        let s = t0.elapsed().as_secs_f64();
        let img_per_s = (a.batch as f64 * a.steps as f64) / s;
        println!(
            "{{\"impl\":\"tch\",\"width\":{width},\"batch\":{},\"steps\":{},\"img_per_s\":{img_per_s:.1},\"batches_per_s\":{:.2},\"params\":{},\"loss\":{:.4}}}",
            a.batch,
            a.steps,
            img_per_s / a.batch as f64,
            demonet::params(&cfg),
            loss.double_value(&[])
        );
    }
    Ok(())
}
