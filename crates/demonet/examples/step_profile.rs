//! Where a DemoNet training epoch spends its time, as the runner trains it: the real Fashion-MNIST
//! loader and `training::Stepper`, the main job's recipe (depth 3, patch 4, batch 64, AdamW,
//! label smoothing 0.1, one thread), timed part by part: drawing a batch, forward + loss, backward
//! (with the flat gradients), the optimizer step, and the evaluation pass over the validation
//! split that follows every epoch.
//!
//! ```text
//! cargo run -p demonet --example step_profile -- [--widths 8,16,32,64] [--mode star]
//!     [--steps 60] [--threads 1] [--train 10000] [--val 2000]
//! ```
//! Prints one JSON line per width: milliseconds per step of each part and the seconds of one
//! epoch split into training parts and evaluation. `bench/step_profile.sh` runs it per width and
//! mode and adds `perf`'s kernel-level view.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use demonet::{Config, DemoNet, Mode};
use tch::{Device, nn};
use training::data::{DataSpec, LoaderConfig, ValSize, load};
use training::evaluation::evaluate;
use training::{Stepper, TrainConfig};

struct Args {
    widths: Vec<i64>,
    mode: Mode,
    steps: usize,
    threads: i32,
    train: usize,
    val: usize,
}

fn parse() -> Result<Args> {
    let mut a = Args {
        widths: vec![8, 16, 32, 64],
        mode: Mode::Star,
        steps: 60,
        threads: 1,
        train: 10_000,
        val: 2_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().with_context(|| format!("{flag} needs a value"))?;
        let int = |v: &str| {
            v.parse::<i64>()
                .with_context(|| format!("{flag}: '{v}' is not an integer"))
        };
        match flag.as_str() {
            "--widths" => a.widths = v.split(',').map(int).collect::<Result<_>>()?,
            "--mode" => {
                a.mode = serde_json::from_str(&format!("\"{v}\"")).with_context(|| format!("--mode {v}"))?
            }
            "--steps" => a.steps = int(&v)?.max(1) as usize,
            "--threads" => a.threads = int(&v)? as i32,
            "--train" => a.train = int(&v)? as usize,
            "--val" => a.val = int(&v)? as usize,
            _ => bail!("unknown flag {flag}"),
        }
    }
    Ok(a)
}

/// Accumulated time of each part of a step.
#[derive(Default)]
struct Parts {
    data: Duration,
    forward: Duration,
    backward: Duration,
    optimizer: Duration,
}

fn lap(clock: &mut Instant) -> Duration {
    let now = Instant::now();
    let d = now - *clock;
    *clock = now;
    d
}

fn main() -> Result<()> {
    training::malloc::keep_freed_memory();
    let a = parse()?;
    tch::set_num_threads(a.threads);
    let spec = DataSpec {
        train_subset: Some(a.train),
        val_size: ValSize::Count(a.val),
        test_subset: Some(1),
        ..DataSpec::default()
    };
    let ds = load(&spec).map_err(|e| anyhow::anyhow!("{e}"))?;
    let val = ds.val.context("no validation split")?;
    let loader = LoaderConfig {
        batch_size: 64,
        shuffle: true,
        normalize: ds.normalize.clone(),
        ..LoaderConfig::default()
    };
    let eval_loader = LoaderConfig {
        shuffle: false,
        ..loader.clone()
    };
    let steps_per_epoch = (ds.train.len() as f64 / loader.batch_size as f64).ceil();
    for &width in &a.widths {
        tch::manual_seed(0);
        let cfg = Config {
            width,
            depth: 3,
            patch: 4,
            in_chans: 1,
            num_classes: 10,
            layer_scale_init: 1.0,
            mode: a.mode,
            ..Config::default()
        };
        let vs = nn::VarStore::new(Device::Cpu);
        let net = DemoNet::new(&vs.root(), &cfg)?;
        let tc = TrainConfig {
            threads: Some(a.threads as usize),
            ..TrainConfig::default()
        };
        let mut stepper = Stepper::new(&vs, &tc);
        let mut parts = Parts::default();
        let warmup = 5;
        // Epoch after epoch, so a profile may run more steps than one epoch holds.
        let mut batches = (0u64..).flat_map(|epoch| ds.train.batches(epoch, &loader));
        for i in 0..warmup + a.steps {
            let mut clock = Instant::now();
            let (x, y) = batches.next().context("empty training split")?;
            let data = lap(&mut clock);
            let (loss, _logits) = stepper.forward(&net, &x, &y);
            let forward = lap(&mut clock);
            let grads = stepper.backward(&loss);
            let backward = lap(&mut clock);
            stepper.update(grads, 1e-3);
            let optimizer = lap(&mut clock);
            if i >= warmup {
                parts.data += data;
                parts.forward += forward;
                parts.backward += backward;
                parts.optimizer += optimizer;
            }
        }
        let t0 = Instant::now();
        let _ = evaluate(&net, &val, &eval_loader, Device::Cpu, None);
        let eval_s = t0.elapsed().as_secs_f64();
        let ms = |d: Duration| d.as_secs_f64() * 1e3 / a.steps as f64;
        let step_ms = ms(parts.data) + ms(parts.forward) + ms(parts.backward) + ms(parts.optimizer);
        let epoch_train_s = step_ms * steps_per_epoch / 1e3;
        println!(
            "{{\"width\":{width},\"mode\":\"{}\",\"threads\":{},\"steps\":{},\"params\":{},\
             \"data_ms\":{:.3},\"forward_ms\":{:.3},\"backward_ms\":{:.3},\"optimizer_ms\":{:.3},\
             \"step_ms\":{step_ms:.3},\"epoch_train_s\":{epoch_train_s:.3},\"epoch_eval_s\":{eval_s:.3}}}",
            a.mode,
            a.threads,
            a.steps,
            demonet::params(&cfg),
            ms(parts.data),
            ms(parts.forward),
            ms(parts.backward),
            ms(parts.optimizer),
        );
    }
    Ok(())
}
