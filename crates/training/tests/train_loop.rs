//! The training loop end to end on a tiny MLP with dropout (so tch's RNG matters): determinism,
//! exact resume, NaN handling, AMP being a no-op on the CPU, EMA, checkpoints readable by tch.
//!
//! tch's RNG and thread count are process-global, so the tests take a lock.

use std::cell::Cell;
use std::sync::Mutex;

use rand::{Rng, SeedableRng};
use tch::nn::{self, ModuleT};
use tch::{Device, Kind, Tensor};
use training::data::{LoaderConfig, Split};
use training::{
    EpochMetrics, Observer, OptimizerKind, RunOptions, StepInfo, TrainConfig, TrainRecord, train,
};

static GLOBAL: Mutex<()> = Mutex::new(());

#[derive(Debug)]
struct Tiny {
    l1: nn::Linear,
    l2: nn::Linear,
    /// After this many training forwards, return NaN logits (for the NaN test).
    nan_after: Option<usize>,
    calls: Cell<usize>,
}

impl Tiny {
    fn new(vs: &nn::VarStore, seed: i64) -> Tiny {
        tch::manual_seed(seed);
        let p = vs.root();
        Tiny {
            l1: nn::linear(&p / "l1", 4, 32, Default::default()),
            l2: nn::linear(&p / "l2", 32, 3, Default::default()),
            nan_after: None,
            calls: Cell::new(0),
        }
    }
}

impl ModuleT for Tiny {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let y = xs.apply(&self.l1).relu().dropout(0.3, train).apply(&self.l2);
        if train {
            self.calls.set(self.calls.get() + 1);
            if self.nan_after.is_some_and(|n| self.calls.get() > n) {
                return y * f64::NAN;
            }
        }
        y
    }
}

/// Three noisy Gaussian blobs in 4-D.
fn blobs(n: usize, seed: u64) -> Split {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut x = Vec::with_capacity(n * 4);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let c = (i % 3) as i64;
        for d in 0..4 {
            let center = if d as i64 == c { 1.5 } else { 0.0 };
            x.push(center + rng.random_range(-1.0f32..1.0));
        }
        y.push(c);
    }
    Split {
        x: Tensor::from_slice(&x).view([n as i64, 4]),
        y: Tensor::from_slice(&y),
        num_classes: 3,
    }
}

fn config() -> TrainConfig {
    TrainConfig {
        epochs: 4,
        batch_size: 16,
        lr: 0.01,
        warmup_epochs: 1,
        grad_clip: Some(1.0),
        seed: 5,
        threads: Some(1),
        ..TrainConfig::default()
    }
}

fn run(cfg: &TrainConfig, opts: &RunOptions) -> TrainRecord {
    let vs = nn::VarStore::new(Device::Cpu);
    let model = Tiny::new(&vs, 11);
    let (tr, te) = (blobs(120, 1), blobs(60, 2));
    train(
        &model,
        &vs,
        &tr,
        &te,
        &LoaderConfig::default(),
        cfg,
        &mut (),
        opts,
    )
    .unwrap()
}

/// The metrics that must agree between runs (everything but timings).
fn outcome(r: &TrainRecord) -> Vec<(usize, f64, f64, f64, f64, f64)> {
    r.epochs
        .iter()
        .map(|m| {
            (
                m.epoch,
                m.lr,
                m.train_loss,
                m.train_top1,
                m.eval_loss,
                m.eval_top1,
            )
        })
        .collect()
}

#[test]
fn same_config_twice_gives_identical_metrics_and_it_learns() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    for optimizer in [OptimizerKind::Adamw, OptimizerKind::Sgd] {
        let cfg = TrainConfig {
            optimizer,
            lr: if optimizer == OptimizerKind::Sgd {
                0.1
            } else {
                0.01
            },
            ..config()
        };
        let a = run(&cfg, &RunOptions::default());
        let b = run(&cfg, &RunOptions::default());
        assert_eq!(outcome(&a), outcome(&b), "{optimizer:?}");
        assert_eq!(a.epochs.len(), 4);
        assert_eq!(a.steps, 4 * 8);
        let last = a.last.as_ref().unwrap();
        assert!(
            last.eval_top1 > 0.8,
            "{optimizer:?} did not learn the blobs: {last:?}"
        );
        assert!(a.best.as_ref().unwrap().eval_top1 >= last.eval_top1);
        // a different seed changes the trajectory (the seed really is used)
        let c = run(
            &TrainConfig {
                seed: 6,
                ..cfg.clone()
            },
            &RunOptions::default(),
        );
        assert_ne!(outcome(&a), outcome(&c));
    }
}

#[test]
fn resuming_continues_the_same_trajectory() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let cfg = TrainConfig {
        ema: Some(0.9),
        checkpoint_every: Some(1),
        ..config()
    };
    let straight = run(&cfg, &RunOptions::default());

    let first = run(
        &cfg,
        &RunOptions {
            checkpoint_dir: Some(dir.path().join("a")),
            stop_after: Some(2),
            ..Default::default()
        },
    );
    assert_eq!(first.epochs.len(), 2);
    assert!(dir.path().join("a/epoch_0001.safetensors").exists());
    let resumed = run(
        &cfg,
        &RunOptions {
            resume: Some(dir.path().join("a/last.safetensors")),
            checkpoint_dir: Some(dir.path().join("b")),
            stop_after: None,
        },
    );
    assert_eq!(resumed.resumed_at_epoch, Some(2));
    assert_eq!(outcome(&resumed), outcome(&straight));
    assert_eq!(resumed.steps, straight.steps);

    // the final checkpoint loads into a plain VarStore by state-dict name
    let mut vs = nn::VarStore::new(Device::Cpu);
    let _model = Tiny::new(&vs, 99);
    vs.load(dir.path().join("b/last.safetensors")).unwrap();

    // resuming with a different recipe is refused, naming the field
    let vs = nn::VarStore::new(Device::Cpu);
    let model = Tiny::new(&vs, 11);
    let err = train(
        &model,
        &vs,
        &blobs(120, 1),
        &blobs(60, 2),
        &LoaderConfig::default(),
        &TrainConfig {
            lr: 0.5,
            ..cfg.clone()
        },
        &mut (),
        &RunOptions {
            resume: Some(dir.path().join("a/last.safetensors")),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.message.contains("lr"), "{}", err.message);
}

#[test]
fn a_nan_loss_stops_the_run_and_keeps_the_finished_epochs() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let vs = nn::VarStore::new(Device::Cpu);
    let mut model = Tiny::new(&vs, 11);
    model.nan_after = Some(8 * 2 + 3); // in the 4th step of epoch 2
    let err = train(
        &model,
        &vs,
        &blobs(120, 1),
        &blobs(60, 2),
        &LoaderConfig::default(),
        &config(),
        &mut (),
        &Default::default(),
    )
    .unwrap_err();
    assert!(
        err.message.contains("NaN") && err.message.contains("epoch 2, step 3"),
        "{}",
        err.message
    );
    assert_eq!(err.record.epochs.len(), 2);
    assert_eq!(err.record.stopped.as_deref(), Some(err.message.as_str()));
}

#[test]
fn amp_is_a_no_op_on_the_cpu_and_ema_only_changes_evaluation() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let base = TrainConfig {
        epochs: 2,
        ..config()
    };
    let plain = run(
        &TrainConfig {
            amp: false,
            ..base.clone()
        },
        &Default::default(),
    );
    let amp = run(
        &TrainConfig {
            amp: true,
            ..base.clone()
        },
        &Default::default(),
    );
    assert_eq!(outcome(&plain), outcome(&amp));
    let ema = run(
        &TrainConfig {
            ema: Some(0.5),
            amp: false,
            ..base
        },
        &Default::default(),
    );
    for (p, e) in plain.epochs.iter().zip(&ema.epochs) {
        assert_eq!((p.train_loss, p.train_top1), (e.train_loss, e.train_top1));
        assert_ne!(p.eval_loss, e.eval_loss);
    }
}

#[derive(Default)]
struct Counter {
    steps: usize,
    epochs: Vec<usize>,
    losses: Vec<f64>,
}

impl Observer for Counter {
    fn on_step(&mut self, s: &StepInfo) {
        self.steps += 1;
        self.losses.extend(s.loss);
    }
    fn on_epoch(&mut self, m: &EpochMetrics) {
        self.epochs.push(m.epoch);
    }
}

#[test]
fn observer_sees_every_step_and_epoch_and_schedule_reaches_the_floor() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let vs = nn::VarStore::new(Device::Cpu);
    let model = Tiny::new(&vs, 11);
    let mut obs = Counter::default();
    let cfg = TrainConfig {
        epochs: 3,
        min_lr: 1e-4,
        ..config()
    };
    let loader = LoaderConfig {
        drop_last: true,
        ..Default::default()
    };
    let rec = train(
        &model,
        &vs,
        &blobs(120, 1),
        &blobs(60, 2),
        &loader,
        &cfg,
        &mut obs,
        &Default::default(),
    )
    .unwrap();
    // 120 / 16 = 7 full batches with drop_last
    assert_eq!(obs.steps, 3 * 7);
    assert_eq!(obs.epochs, vec![0, 1, 2]);
    assert_eq!(obs.losses.len(), 3 * 7);
    // the last step's lr is one tick before the end of the cosine: close to the floor
    let lr = rec.last.unwrap().lr;
    assert!(lr > 1e-4 && lr < 1e-3, "{lr}");
    assert!(rec.train_img_per_s > 0.0 && rec.params == 4 * 32 + 32 + 32 * 3 + 3);
    let _ = Kind::Float;
}

#[test]
fn bad_config_is_an_error_naming_the_field() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let vs = nn::VarStore::new(Device::Cpu);
    let model = Tiny::new(&vs, 11);
    let cfg = TrainConfig {
        batch_size: 0,
        ..config()
    };
    let err = train(
        &model,
        &vs,
        &blobs(30, 1),
        &blobs(30, 2),
        &LoaderConfig::default(),
        &cfg,
        &mut (),
        &Default::default(),
    )
    .unwrap_err();
    assert!(err.message.contains("`batch_size`"), "{}", err.message);
    let err = train(
        &model,
        &vs,
        &blobs(30, 1),
        &blobs(30, 2),
        &LoaderConfig::default(),
        &config(),
        &mut (),
        &RunOptions {
            resume: Some("/nonexistent/x.safetensors".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        err.message.contains("/nonexistent/x.safetensors"),
        "{}",
        err.message
    );
}
