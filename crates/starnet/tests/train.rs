//! StarNet as a trainable `ModuleT`: it learns, train mode differs from eval mode, and it is
//! deterministic given the seed.

use starnet::{Config, StarNet};
use std::sync::{Mutex, MutexGuard};
use tch::nn::{ModuleT, OptimizerConfig};
use tch::{Device, Kind, Tensor, nn};

/// tch's RNG is global: tests that seed it must not interleave their draws.
fn rng_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// 64 px, 3 grey channels (the Fashion-MNIST setup): class 0 = bright blob on the left half,
/// class 1 = on the right half.
fn toy_batch(n: i64, seed: i64) -> (Tensor, Tensor) {
    tch::manual_seed(seed);
    let y = Tensor::randint(2, [n], (Kind::Int64, Device::Cpu));
    let noise = Tensor::randn([n, 1, 64, 64], tch::kind::FLOAT_CPU) * 0.3;
    let cols = Tensor::arange(64, tch::kind::FLOAT_CPU).view([1, 1, 1, 64]);
    let centre = (y.to_kind(Kind::Float) * 32.0 + 16.0).view([n, 1, 1, 1]);
    let blob = (-(cols - centre).square() / 50.0).exp();
    let x = (noise + blob).repeat([1, 3, 1, 1]);
    (x, y)
}

fn tiny() -> Config {
    Config {
        base_dim: 8,
        depths: vec![1, 1, 1, 1],
        mlp_ratio: 2,
        num_classes: 2,
        drop_path_rate: 0.1,
        ..Config::s050()
    }
}

fn train(seed: i64, steps: usize) -> Vec<f64> {
    tch::set_num_threads(2);
    tch::manual_seed(seed);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = StarNet::new(&vs.root(), &tiny()).unwrap();
    let mut opt = nn::Adam::default().build(&vs, 3e-3).unwrap();
    let (x, y) = toy_batch(16, 100);
    let mut losses = Vec::new();
    for _ in 0..steps {
        let loss = net.forward_t(&x, true).cross_entropy_for_logits(&y);
        opt.backward_step(&loss);
        losses.push(loss.double_value(&[]));
    }
    losses
}

#[test]
fn learns_a_toy_task_at_64px_deterministically() {
    let _rng = rng_lock();
    let a = train(0, 6);
    let (first, last) = (a[0], a[a.len() - 1]);
    assert!(
        last < 0.5 * first,
        "loss did not fall: {first:.3} -> {last:.3} ({a:?})"
    );
    assert_eq!(a, train(0, 6), "same seed, same losses");
    assert_ne!(a[0], train(1, 1)[0], "another seed changes the init");
}

#[test]
fn train_mode_uses_batch_statistics_and_drop_path() {
    let _rng = rng_lock();
    tch::manual_seed(0);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = StarNet::new(&vs.root(), &tiny()).unwrap();
    let (x, _) = toy_batch(8, 1);
    let eval_a = net.forward_t(&x, false);
    let eval_b = net.forward_t(&x, false);
    assert!(eval_a.equal(&eval_b), "eval is deterministic");
    let running_before = vs.variables()["norm.running_mean"].copy();
    let train = net.forward_t(&x, true);
    assert!(
        !train.allclose(&eval_a, 1e-4, 1e-4, false),
        "train mode normalises with batch statistics"
    );
    let running_after = vs.variables()["norm.running_mean"].copy();
    assert!(
        !running_before.equal(&running_after),
        "a train step updates BN running statistics"
    );
    // Output shape for a 64 px, 3-channel batch.
    assert_eq!(train.size(), vec![8, 2]);
}

#[test]
fn sixty_four_px_leaves_a_two_by_two_map() {
    let _rng = rng_lock();
    tch::manual_seed(0);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = StarNet::new(&vs.root(), &tiny()).unwrap();
    let feats = net.forward_features(&Tensor::zeros([1, 3, 64, 64], tch::kind::FLOAT_CPU), false);
    assert_eq!(
        feats.size(),
        vec![1, 64, 2, 2],
        "64 px -> 2 x 2 after 32x downsampling"
    );
}
