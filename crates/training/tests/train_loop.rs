//! The training loop (`Trainer`) end to end on a tiny MLP with dropout (so tch's RNG matters,
//! `common::tiny`):
//! determinism, exact resume, NaN handling, AMP being a no-op on the CPU, EMA, checkpoints readable
//! by tch, and `fit` being exactly its `train_epoch` + `evaluate` steps.
//!
//! tch's RNG and thread count are process-global, so the tests take a lock.

use std::path::PathBuf;
use std::sync::Mutex;

use tch::nn;
use tch::{Device, Kind};
use training::data::{LoaderConfig, Split};
use training::{EpochMetrics, Observer, OptimizerKind, StepInfo, TrainConfig, TrainRecord, Trainer};

mod common;
use common::tiny::{Tiny, blobs, config, outcome};

static GLOBAL: Mutex<()> = Mutex::new(());

/// The optional parts of a run.
#[derive(Default)]
struct Opts {
    resume: Option<PathBuf>,
    checkpoint_dir: Option<PathBuf>,
    stop_after: Option<usize>,
    /// Select the epoch on [`misleading_val`].
    val: bool,
    /// Pass the training split as the test split too (its per-epoch `test_*` are then the
    /// training split in eval mode).
    test_on_training: bool,
}

/// A validation split built to disagree with the test split: blobs whose labels are shifted by
/// one class, so it scores best while the model is still poor and worst once it is good.
fn misleading_val() -> Split {
    let b = blobs(60, 3);
    Split {
        y: (&b.y + 1).remainder(3),
        ..b
    }
}

fn run(cfg: &TrainConfig, opts: Opts) -> TrainRecord {
    let vs = nn::VarStore::new(Device::Cpu);
    let model = Tiny::new(&vs, 11);
    let (tr, te, val) = (blobs(120, 1), blobs(60, 2), misleading_val());
    let mut trainer = Trainer::new(&model, &vs, cfg).unwrap();
    if opts.val {
        trainer = trainer.validation(&val);
    }
    if let Some(dir) = opts.checkpoint_dir {
        trainer = trainer.checkpoint_dir(dir);
    }
    if let Some(n) = opts.stop_after {
        trainer = trainer.stop_after(n);
    }
    if let Some(path) = opts.resume {
        trainer = trainer.resume(&path).unwrap();
    }
    trainer
        .fit(&tr, if opts.test_on_training { &tr } else { &te })
        .unwrap()
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
        let a = run(&cfg, Opts::default());
        let b = run(&cfg, Opts::default());
        assert_eq!(outcome(&a), outcome(&b), "{optimizer:?}");
        assert_eq!(a.epochs.len(), 4);
        assert_eq!(a.steps, 4 * 8);
        let last = a.last.as_ref().unwrap();
        assert!(
            last.test_top1.unwrap() > 0.8,
            "{optimizer:?} did not learn the blobs: {last:?}"
        );
        // no validation split: the last epoch is the one reported, tested every epoch
        assert_eq!(a.selected.as_ref().unwrap().epoch, last.epoch);
        assert_eq!(a.final_test.unwrap().top1, last.test_top1.unwrap());
        assert_eq!(a.selected_test, a.final_test);
        // a different seed changes the trajectory (the seed really is used)
        let c = run(
            &TrainConfig {
                seed: 6,
                ..cfg.clone()
            },
            Opts::default(),
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
    let straight = run(&cfg, Opts::default());

    let first = run(
        &cfg,
        Opts {
            checkpoint_dir: Some(dir.path().join("a")),
            stop_after: Some(2),
            ..Default::default()
        },
    );
    assert_eq!(first.epochs.len(), 2);
    assert!(dir.path().join("a/epoch_0001.safetensors").exists());
    let resumed = run(
        &cfg,
        Opts {
            resume: Some(dir.path().join("a/last.safetensors")),
            checkpoint_dir: Some(dir.path().join("b")),
            ..Default::default()
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
    let other = TrainConfig {
        lr: 0.5,
        ..cfg.clone()
    };
    let err = Trainer::new(&model, &vs, &other)
        .unwrap()
        .resume(&dir.path().join("a/last.safetensors"))
        .err()
        .unwrap();
    assert!(err.message.contains("(fields: lr)"), "{}", err.message);
}

#[test]
fn the_epoch_is_selected_on_validation_and_tested_with_its_weights() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let cfg = TrainConfig {
        epochs: 5,
        lr: 0.003,
        ..config()
    };
    let with_val = || Opts {
        val: true,
        ..Default::default()
    };
    let lean = run(&cfg, with_val());
    let every = TrainConfig {
        eval_test_every_epoch: true,
        ..cfg.clone()
    };
    let full = run(&every, with_val());
    // evaluating the test split every epoch changes nothing else
    let val_of = |r: &TrainRecord| -> Vec<(f64, Option<f64>)> {
        r.epochs.iter().map(|m| (m.train_loss, m.val_top1)).collect()
    };
    assert_eq!(val_of(&lean), val_of(&full));
    assert!(
        lean.epochs
            .iter()
            .all(|m| m.test_top1.is_none() && m.val_top1.is_some())
    );
    assert!(full.epochs.iter().all(|m| m.test_top1.is_some()));

    // the argmax of val_top1 (first on ties) and of test_top1, from the per-epoch numbers
    let argmax = |key: &dyn Fn(&EpochMetrics) -> f64| {
        let mut best = 0;
        for (i, m) in full.epochs.iter().enumerate() {
            if key(m) > key(&full.epochs[best]) {
                best = i;
            }
        }
        best
    };
    let by_val = argmax(&|m| m.val_top1.unwrap());
    let by_test = argmax(&|m| m.test_top1.unwrap());
    assert_ne!(
        by_val, by_test,
        "the constructed case must make val and test disagree: {full:?}"
    );
    let selected = lean.selected.as_ref().unwrap();
    assert_eq!(selected.epoch, by_val);
    assert!(
        by_val < 4,
        "selected before the last epoch, so its copied weights were tested"
    );
    // the test split with the selected epoch's weights, measured at the end = as measured then
    let at = |e: usize| full.epochs[e].test_top1.unwrap();
    assert_eq!(lean.selected_test.unwrap().top1, at(by_val));
    assert_eq!(lean.final_test.unwrap().top1, at(4));
    assert_eq!(
        lean.selected_test.unwrap().loss,
        full.epochs[by_val].test_loss.unwrap()
    );

    // resumed after the selected epoch, the copy of its weights comes from the checkpoint
    let dir = tempfile::tempdir().unwrap();
    run(
        &cfg,
        Opts {
            checkpoint_dir: Some(dir.path().join("a")),
            stop_after: Some(4),
            ..with_val()
        },
    );
    let resumed = run(
        &cfg,
        Opts {
            resume: Some(dir.path().join("a/last.safetensors")),
            ..with_val()
        },
    );
    assert_eq!(resumed.selected.as_ref().unwrap().epoch, by_val);
    assert_eq!(resumed.selected_test, lean.selected_test);
}

#[test]
fn a_nan_loss_stops_the_run_and_keeps_the_finished_epochs() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let vs = nn::VarStore::new(Device::Cpu);
    let mut model = Tiny::new(&vs, 11);
    model.nan_after = Some(8 * 2 + 3); // in the 4th step of epoch 2
    let err = Trainer::new(&model, &vs, &config())
        .unwrap()
        .fit(&blobs(120, 1), &blobs(60, 2))
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
        Opts::default(),
    );
    let amp = run(
        &TrainConfig {
            amp: true,
            ..base.clone()
        },
        Opts::default(),
    );
    assert_eq!(outcome(&plain), outcome(&amp));
    let ema = run(
        &TrainConfig {
            ema: Some(0.5),
            amp: false,
            ..base
        },
        Opts::default(),
    );
    for (p, e) in plain.epochs.iter().zip(&ema.epochs) {
        assert_eq!((p.train_loss, p.train_top1), (e.train_loss, e.train_top1));
        assert_ne!(p.test_loss, e.test_loss);
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
    let rec = Trainer::new(&model, &vs, &cfg)
        .unwrap()
        .loader(&loader)
        .observer(&mut obs)
        .fit(&blobs(120, 1), &blobs(60, 2))
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
    let err = Trainer::new(&model, &vs, &cfg).err().unwrap();
    assert!(err.message.contains("`batch_size`"), "{}", err.message);
    let err = Trainer::new(&model, &vs, &config())
        .unwrap()
        .resume("/nonexistent/x.safetensors".as_ref())
        .err()
        .unwrap();
    assert!(
        err.message.contains("/nonexistent/x.safetensors"),
        "{}",
        err.message
    );
    // fewer examples than one batch, and the loader drops partial batches: no step to take
    let err = Trainer::new(&model, &vs, &config())
        .unwrap()
        .loader(&LoaderConfig {
            drop_last: true,
            ..Default::default()
        })
        .fit(&blobs(10, 1), &blobs(30, 2))
        .unwrap_err();
    assert!(
        err.message.contains("10 examples: not one batch of 16"),
        "{}",
        err.message
    );
    assert!(err.record.epochs.is_empty());
}

#[test]
fn fit_is_train_epoch_then_evaluate_each_epoch() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let cfg = TrainConfig {
        epochs: 3,
        ema: Some(0.8),
        ..config()
    };
    let fitted = run(&cfg, Opts::default());
    let vs = nn::VarStore::new(Device::Cpu);
    let model = Tiny::new(&vs, 11);
    let (tr, te) = (blobs(120, 1), blobs(60, 2));
    let mut trainer = Trainer::new(&model, &vs, &cfg).unwrap();
    for m in &fitted.epochs {
        let t = trainer.train_epoch(m.epoch, &tr).unwrap();
        let e = trainer.evaluate(&te);
        assert_eq!(
            (t.lr, t.loss, t.top1, Some(e.loss), Some(e.top1), e.top5),
            (
                m.lr,
                m.train_loss,
                m.train_top1,
                m.test_loss,
                m.test_top1,
                m.test_top5
            )
        );
        assert_eq!(t.images, 120);
    }
}

#[test]
fn the_training_fit_is_an_eval_mode_pass_over_the_whole_training_split() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let cfg = TrainConfig {
        epochs: 5,
        lr: 0.003,
        ..config()
    };
    let lean = run(
        &cfg,
        Opts {
            val: true,
            ..Default::default()
        },
    );
    // The same run testing the training split every epoch: its per-epoch test numbers are the
    // training split in eval mode with each epoch's weights.
    let on_training = run(
        &TrainConfig {
            eval_test_every_epoch: true,
            ..cfg.clone()
        },
        Opts {
            val: true,
            test_on_training: true,
            ..Default::default()
        },
    );
    let at = |e: usize| {
        let m = &on_training.epochs[e];
        training::Evaluation {
            loss: m.test_loss.unwrap(),
            top1: m.test_top1.unwrap(),
            top5: m.test_top5,
        }
    };
    let selected = lean.selected.as_ref().unwrap().epoch;
    assert!(selected < 4, "the selected epoch must not be the last: {lean:?}");
    assert_eq!(lean.selected_fit, Some(at(selected)));
    assert_eq!(lean.final_fit, Some(at(4)));
    assert_ne!(lean.selected_fit, lean.final_fit);

    // By hand, with plain tensor ops on the final weights: unsmoothed mean cross-entropy and
    // top-1 over all 120 training points, dropout off.
    let vs = nn::VarStore::new(Device::Cpu);
    let model = Tiny::new(&vs, 11);
    let tr = blobs(120, 1);
    let record = Trainer::new(&model, &vs, &cfg)
        .unwrap()
        .fit(&tr, &blobs(60, 2))
        .unwrap();
    let logits = tch::no_grad(|| nn::ModuleT::forward_t(&model, &tr.x, false));
    let loss = logits.cross_entropy_for_logits(&tr.y).double_value(&[]);
    let correct = logits
        .argmax(1, false)
        .eq_tensor(&tr.y)
        .sum(Kind::Int64)
        .int64_value(&[]);
    let fit = record.final_fit.unwrap();
    assert!((fit.loss - loss).abs() < 1e-6, "{} vs {loss}", fit.loss);
    assert_eq!(fit.top1, correct as f64 / 120.0);
    // not the running, label-smoothed training numbers of the last epoch
    let last = record.last.unwrap();
    assert_ne!((fit.loss, fit.top1), (last.train_loss, last.train_top1));
    // without a validation split the last epoch is the selected one: one fit, reported twice
    assert_eq!(record.selected_fit, record.final_fit);
}
