//! A run stopped mid-epoch on request (`Trainer::stop_when`, what Ctrl-C does in the runner) and
//! resumed from its `interrupted.safetensors` ends bit-identical to a run that never stopped:
//! same record, same weights. The tiny model has dropout, so tch's RNG is part of the check.
//!
//! tch's RNG and thread count are process-global, so the tests take a lock.

use std::path::Path;
use std::sync::Mutex;

use tch::Device;
use tch::nn;
use training::interrupted::FILE;
use training::{Interrupted, TrainConfig, TrainRecord, Trainer};

mod common;
use common::tiny::{Tiny, blobs, config, outcome, stop_at_step};

static GLOBAL: Mutex<()> = Mutex::new(());

fn cfg() -> TrainConfig {
    TrainConfig {
        ema: Some(0.9),
        ..config()
    }
}

/// Trains a fresh model (resumed from `resume` if given), stopping once `stop` says so; the
/// record or the error, and the final weights by name.
fn train(
    stop: &dyn Fn() -> bool,
    dir: &Path,
    resume: Option<&Path>,
) -> (
    Result<TrainRecord, training::TrainError>,
    Vec<(String, tch::Tensor)>,
) {
    let vs = nn::VarStore::new(Device::Cpu);
    let model = Tiny::new(&vs, 11);
    let (tr, te) = (blobs(120, 1), blobs(60, 2));
    let mut trainer = Trainer::new(&model, &vs, &cfg()).unwrap().stop_when(stop, dir);
    if let Some(path) = resume {
        trainer = trainer.resume(path).unwrap();
    }
    let result = trainer.fit(&tr, &te);
    let mut weights: Vec<_> = vs.variables().into_iter().collect();
    weights.sort_by(|a, b| a.0.cmp(&b.0));
    (result, weights)
}

/// What the run ended with, beside its epochs' `outcome`.
fn ending(r: &TrainRecord) -> String {
    format!("{:?} {:?} {}", r.final_test, r.selected_test, r.steps)
}

fn same_weights(a: &[(String, tch::Tensor)], b: &[(String, tch::Tensor)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0 && x.1.equal(&y.1))
}

#[test]
fn a_run_stopped_mid_epoch_resumes_bit_identical() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let never = || false;
    let dir = tempfile::tempdir().unwrap();
    let (straight, straight_weights) = train(&never, dir.path(), None);
    let straight = straight.unwrap();
    assert_eq!(straight.steps, 4 * 8);
    assert!(
        !dir.path().join(FILE).exists(),
        "no stop, no mid-epoch checkpoint"
    );

    // step 13 = epoch 1, step 5 of 8; step 24 = the last step of epoch 2 (before its evaluation)
    for (stop_at, epoch, step) in [(13, 1, 5), (24, 2, 8)] {
        let dir = tempfile::tempdir().unwrap();
        let stop = stop_at_step(stop_at);
        let (stopped, _) = train(&stop, dir.path(), None);
        let err = stopped.unwrap_err();
        let checkpoint = dir.path().join(FILE);
        assert_eq!(
            err.interrupted,
            Some(Interrupted {
                epoch,
                epochs: 4,
                step,
                steps_per_epoch: 8,
                checkpoint: Some(checkpoint.clone()),
            })
        );
        assert!(
            err.message
                .contains(&format!("step {step}/8 of epoch {}/4", epoch + 1)),
            "{}",
            err.message
        );
        assert!(checkpoint.is_file());

        let (resumed, weights) = train(&never, dir.path(), Some(&checkpoint));
        let resumed = resumed.unwrap();
        assert_eq!(outcome(&resumed), outcome(&straight), "stopped at step {stop_at}");
        assert_eq!(ending(&resumed), ending(&straight), "stopped at step {stop_at}");
        assert!(
            same_weights(&weights, &straight_weights),
            "stopped at step {stop_at}"
        );
        assert_eq!(resumed.resumed_at_epoch, Some(epoch));
        assert!(!checkpoint.exists(), "out of date once its epoch is done");
    }
}

#[test]
fn a_resumed_run_can_be_stopped_and_resumed_again() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let never = || false;
    let dir = tempfile::tempdir().unwrap();
    let (straight, _) = train(&never, dir.path(), None);
    let checkpoint = dir.path().join(FILE);
    let mut resume = None;
    // three stops: in epoch 0, later in epoch 0, then in epoch 3
    for stop_after in [3, 2, 20] {
        let stop = stop_at_step(stop_after);
        let (stopped, _) = train(&stop, dir.path(), resume);
        assert!(stopped.unwrap_err().interrupted.is_some());
        resume = Some(checkpoint.as_path());
    }
    let (resumed, _) = train(&never, dir.path(), resume);
    let (resumed, straight) = (resumed.unwrap(), straight.unwrap());
    assert_eq!(outcome(&resumed), outcome(&straight));
    assert_eq!(ending(&resumed), ending(&straight));
}
