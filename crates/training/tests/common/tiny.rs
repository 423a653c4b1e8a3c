//! A tiny MLP with dropout (so tch's RNG matters), three Gaussian blobs to train it on, and a
//! small training config: the training-loop tests' fixtures.

use std::cell::Cell;

use rand::{Rng, SeedableRng};
use tch::Tensor;
use tch::nn::{self, ModuleT};
use training::data::Split;
use training::{TrainConfig, TrainRecord};

#[derive(Debug)]
pub struct Tiny {
    l1: nn::Linear,
    l2: nn::Linear,
    /// After this many training forwards, return NaN logits (for the NaN test).
    pub nan_after: Option<usize>,
    calls: Cell<usize>,
}

impl Tiny {
    pub fn new(vs: &nn::VarStore, seed: i64) -> Tiny {
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
pub fn blobs(n: usize, seed: u64) -> Split {
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

pub fn config() -> TrainConfig {
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

/// The metrics that must agree between runs (everything but timings).
/// (epoch, lr, train_loss, train_top1, test_loss, test_top1)
pub type EpochRow = (usize, f64, f64, f64, Option<f64>, Option<f64>);

pub fn outcome(r: &TrainRecord) -> Vec<EpochRow> {
    r.epochs
        .iter()
        .map(|m| {
            (
                m.epoch,
                m.lr,
                m.train_loss,
                m.train_top1,
                m.test_loss,
                m.test_top1,
            )
        })
        .collect()
}

/// A stop predicate for `Trainer::stop_when` that says "stop" at its `n`-th call (after step n).
pub fn stop_at_step(n: usize) -> impl Fn() -> bool {
    let calls = Cell::new(0);
    move || {
        calls.set(calls.get() + 1);
        calls.get() == n
    }
}
