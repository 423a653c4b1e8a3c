//! [`Trainer`]: the training loop shared by DemoNet and StarNet.
//!
//! It runs epochs of seeded batches through a model, with AdamW or SGD over flat parameter groups,
//! a cosine schedule, label smoothing, gradient clipping and optional EMA ([`Stepper`]); it
//! writes safetensors checkpoints and can resume from one ([`crate::checkpoint`]).
//!
//! Model selection never looks at the test split. With a validation split ([`Trainer::validation`])
//! the loop evaluates it after every epoch, keeps a copy of the weights of the best epoch on it
//! ([`crate::snapshot`]) and, once all epochs are done, evaluates the test split with those
//! weights and with the final ones (`record.selected_test`, `record.final_test`). Without one,
//! the test split is evaluated after every epoch and the last epoch is the one reported.
//!
//! Reproducibility: the model's weights are whatever the caller built (seed before building);
//! the batch order and augmentation come from `(seed, epoch)` through the loader; every other
//! random draw (drop path, dropout) comes from tch's RNG, reseeded from `(seed, epoch, step)`
//! before every step. So a run resumed from a checkpoint (at an epoch's end, or mid-epoch after
//! [`Trainer::stop_when`]) follows the same trajectory as one that never stopped, and two runs
//! with the same config, device and (on the CPU) thread count give the same numbers.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, anyhow, bail};
use tch::{Kind, Tensor, nn};

use crate::config::TrainConfig;
use crate::data::{Augment, LoaderConfig, Split};
use crate::evaluation::{Evaluation, correct_topk, evaluate};
use crate::interrupted::{Interrupted, PartialEpoch};
use crate::metrics::{EpochMetrics, TrainRecord};
use crate::observer::{Observer, RunInfo, StepInfo};
use crate::schedule::{Cosine, LrUpdate};
use crate::snapshot::Snapshot;
use crate::stepper::Stepper;

mod error;
mod final_test;
mod saving;

pub use error::TrainError;

/// What one epoch of training measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochTraining {
    /// Mean loss over the epoch's steps (with label smoothing, as optimised).
    pub loss: f64,
    /// Top-1 accuracy on the batches as they were seen (train mode).
    pub top1: f64,
    /// Learning rate at the epoch's last step.
    pub lr: f64,
    pub images: i64,
    /// Seconds spent on the training steps.
    pub seconds: f64,
}

/// Trains `model`, whose trainable variables are all of `vs`'s:
/// `Trainer::new(&model, &vs, &cfg)?.loader(&loader).fit(&train, &test)?`.
///
/// The splits may live on any device (batches are moved to `vs`'s). From the loader, `batch_size`
/// and `seed` are replaced by the config's; evaluation uses it without shuffling and augmentation.
pub struct Trainer<'a> {
    model: &'a dyn nn::ModuleT,
    vs: &'a nn::VarStore,
    cfg: TrainConfig,
    stepper: Stepper,
    train_loader: LoaderConfig,
    eval_loader: LoaderConfig,
    observer: Option<&'a mut dyn Observer>,
    val: Option<&'a Split>,
    /// The evaluation weights of `record.selected` (with a validation split).
    selected_weights: Option<Snapshot>,
    checkpoint_dir: Option<PathBuf>,
    stop_after: Option<usize>,
    /// Asked after every step; when true, the run saves its state into the folder and stops.
    stop_when: Option<(&'a dyn Fn() -> bool, PathBuf)>,
    /// The sums of the epoch `fit` starts in, after a resume from a mid-epoch checkpoint.
    partial: Option<PartialEpoch>,
    /// That checkpoint, removed once the run has finished its epoch (it is then out of date).
    resumed_mid_epoch: Option<PathBuf>,
    /// All epochs so far, including those before a resume.
    record: TrainRecord,
    /// The epoch `fit` starts at (> 0 after a resume).
    next_epoch: usize,
    started: Instant,
    /// This process's training seconds and images, for `record.train_img_per_s`.
    train_s: f64,
    train_images: i64,
}

impl<'a> Trainer<'a> {
    /// Checks `cfg`, applies its thread count, packs `vs`'s trainable variables into flat groups
    /// and sets up the optimizer. The loader defaults to `LoaderConfig::default()`.
    pub fn new(
        model: &'a dyn nn::ModuleT,
        vs: &'a nn::VarStore,
        cfg: &TrainConfig,
    ) -> Result<Trainer<'a>, TrainError> {
        let started = Instant::now();
        if let Err(e) = cfg.validate() {
            return Err(TrainError::new(format!("{e:#}"), TrainRecord::default()));
        }
        if let Some(t) = cfg.threads {
            tch::set_num_threads(t as i32);
        }
        let stepper = Stepper::new(vs, cfg);
        let record = TrainRecord {
            device: crate::device::describe(vs.device()),
            params: stepper.flat.numel(),
            ..TrainRecord::default()
        };
        let trainer = Trainer {
            model,
            vs,
            cfg: cfg.clone(),
            stepper,
            train_loader: LoaderConfig::default(),
            eval_loader: LoaderConfig::default(),
            observer: None,
            val: None,
            selected_weights: None,
            checkpoint_dir: None,
            stop_after: None,
            stop_when: None,
            partial: None,
            resumed_mid_epoch: None,
            record,
            next_epoch: 0,
            started,
            train_s: 0.0,
            train_images: 0,
        };
        Ok(trainer.loader(&LoaderConfig::default()))
    }

    /// Batches both splits like `loader` (normalisation, augmentation, resize, `drop_last`).
    pub fn loader(mut self, loader: &LoaderConfig) -> Self {
        self.train_loader = LoaderConfig {
            batch_size: self.cfg.batch_size,
            seed: self.cfg.seed,
            ..loader.clone()
        };
        self.eval_loader = LoaderConfig {
            batch_size: self.cfg.eval_batch_size(),
            shuffle: false,
            drop_last: false,
            augment: Augment::default(),
            ..loader.clone()
        };
        self
    }

    /// Reports progress to `observer`.
    pub fn observer(mut self, observer: &'a mut dyn Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Selects the reported epoch on `val` (evaluated after every epoch) instead of taking the
    /// last one; the test split is then evaluated at the end (see the module doc).
    pub fn validation(mut self, val: &'a Split) -> Self {
        self.val = Some(val);
        self
    }

    /// Writes `last.safetensors` into `dir` at the end, and `epoch_NNNN.safetensors` every
    /// `checkpoint_every` epochs.
    pub fn checkpoint_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }

    /// Ends `fit` once this many epochs (counted from 0, not from the resume point) are done,
    /// writing `last.safetensors`; the schedule still spans `epochs`. For time-limited jobs.
    pub fn stop_after(mut self, epochs: usize) -> Self {
        self.stop_after = Some(epochs);
        self
    }

    /// Asks `stop` after every training step; once it returns true, the run writes its state
    /// (mid-epoch: the epoch's sums so far too) to `dir/interrupted.safetensors` and `fit` ends
    /// with a [`TrainError`] whose `interrupted` says where. [`Trainer::resume`] from that file
    /// continues bit for bit. Independent of [`Trainer::checkpoint_dir`].
    pub fn stop_when(mut self, stop: &'a dyn Fn() -> bool, dir: impl Into<PathBuf>) -> Self {
        self.stop_when = Some((stop, dir.into()));
        self
    }

    /// Trains the remaining epochs on `train`. Without a validation split it evaluates on `test`
    /// after each epoch (pass the training split again to report training accuracy, as the
    /// two-moons reference does); with one, see the module doc.
    ///
    /// Returns the record of all epochs. A NaN or infinite loss, or a failed checkpoint write,
    /// ends the run with a [`TrainError`] that names the cause and keeps the finished epochs.
    pub fn fit(mut self, train: &Split, test: &Split) -> Result<TrainRecord, TrainError> {
        let result = self.fit_epochs(train, test);
        let interrupted = result
            .as_ref()
            .err()
            .and_then(|e| e.downcast_ref::<Interrupted>().cloned());
        let stopped = result.err().map(|e| format!("{e:#}"));
        self.record.stopped = stopped.clone();
        self.record.wall_s = self.started.elapsed().as_secs_f64();
        self.record.train_img_per_s = self.train_images as f64 / self.train_s.max(1e-9);
        match stopped {
            None => Ok(self.record),
            Some(message) => Err(TrainError {
                interrupted,
                ..TrainError::new(message, self.record)
            }),
        }
    }

    fn fit_epochs(&mut self, train: &Split, test: &Split) -> Result<()> {
        let info = RunInfo {
            epochs: self.cfg.epochs,
            start_epoch: self.next_epoch,
            steps_per_epoch: self.steps_per_epoch(train)?,
            params: self.record.params,
        };
        if let Some(o) = self.observer.as_deref_mut() {
            o.on_start(&info);
        }
        for epoch in self.next_epoch..self.cfg.epochs {
            let trained = self.train_epoch(epoch, train)?;
            let val = self.val.map(|v| self.evaluate(v));
            let tested = (val.is_none() || self.cfg.eval_test_every_epoch).then(|| self.evaluate(test));
            let m = EpochMetrics {
                epoch,
                lr: trained.lr,
                train_loss: trained.loss,
                train_top1: trained.top1,
                val_loss: val.map(|e| e.loss),
                val_top1: val.map(|e| e.top1),
                val_top5: val.and_then(|e| e.top5),
                test_loss: tested.map(|e| e.loss),
                test_top1: tested.map(|e| e.top1),
                test_top5: tested.and_then(|e| e.top5),
                train_s: trained.seconds,
                train_img_per_s: trained.images as f64 / trained.seconds.max(1e-9),
            };
            if self.record.push(m.clone()) && val.is_some() {
                let vs = self.vs;
                self.selected_weights = Some(self.stepper.with_eval_weights(|| Snapshot::take(vs)));
            }
            if let Some(o) = self.observer.as_deref_mut() {
                o.on_epoch(&m);
            }
            self.next_epoch = epoch + 1;
            let stop_here = self.stop_after.is_some_and(|s| epoch + 1 >= s);
            self.save_checkpoints(epoch, stop_here)?;
            if let Some(done_with) = self.resumed_mid_epoch.take() {
                let _ = std::fs::remove_file(done_with);
            }
            if stop_here {
                break;
            }
        }
        if self.next_epoch == self.cfg.epochs {
            self.test_at_the_end(train, test);
        }
        Ok(())
    }

    /// One pass over `train` (epoch `epoch` of the schedule and of the seeded batch order). An
    /// error when the loss stops being finite, or an [`Interrupted`] when `stop_when` asked.
    /// After a mid-epoch resume, the epoch's first steps are skipped and their sums carried over.
    pub fn train_epoch(&mut self, epoch: usize, train: &Split) -> Result<EpochTraining> {
        let spe = self.steps_per_epoch(train)?;
        let schedule = self.schedule(spe);
        let device = self.vs.device();
        let done = (self.partial.take())
            .filter(|p| p.epoch == epoch)
            .unwrap_or_else(|| PartialEpoch::start(epoch, self.cfg.lr));
        let t0 = Instant::now();
        // Exact: f64 and i64 values go into Double and Int64 tensors unchanged.
        let mut loss_sum = Tensor::full([], done.loss_sum, (Kind::Double, device));
        let mut correct = Tensor::full([], done.correct, (Kind::Int64, device));
        let (mut seen, mut lr) = (done.seen, done.lr);
        // The skipped batches are still drawn (cheap next to a step) so the rest are the same.
        let loader = self.train_loader.clone(); // (a stop saves the run: `self` gets borrowed)
        let batches = train.batches(epoch as u64, &loader).enumerate();
        for (i, (x, y)) in batches.skip(done.steps) {
            crate::seed::reseed(crate::seed::step_seed(self.cfg.seed, epoch, i));
            let tick = match self.cfg.lr_update {
                LrUpdate::Step => (epoch * spe + i) as u64,
                LrUpdate::Epoch => epoch as u64,
            };
            lr = schedule.at(tick);
            let x = x.to_device(device);
            let y = y.to_device(device);
            let x = self.stepper.input(&x);
            let (loss, logits) = self.stepper.step(self.model, &x, &y, lr);
            self.record.steps += 1;
            seen += y.size()[0];
            tch::no_grad(|| {
                loss_sum += loss.detach().to_kind(Kind::Double);
                correct += correct_topk(&logits, &y, 1);
            });
            let sync = !device.is_cuda() || i % self.cfg.log_every == 0 || i + 1 == spe;
            let loss_now = sync.then(|| loss.double_value(&[]));
            if let Some(l) = loss_now.filter(|l| !l.is_finite()) {
                return Err(self.diverged(l, format!("at epoch {epoch}, step {i} (lr {lr:.3e})")));
            }
            if let Some(o) = self.observer.as_deref_mut() {
                o.on_step(&StepInfo {
                    epoch,
                    step: i,
                    steps_per_epoch: spe,
                    loss: loss_now,
                    lr,
                });
            }
            if self.stop_when.as_ref().is_some_and(|(stop, _)| stop()) {
                let partial = PartialEpoch {
                    epoch,
                    steps: i + 1,
                    loss_sum: loss_sum.double_value(&[]),
                    correct: correct.int64_value(&[]),
                    seen,
                    seconds: done.seconds + t0.elapsed().as_secs_f64(),
                    lr,
                };
                return Err(self.save_interrupted(&partial, spe)?.into());
            }
        }
        let seconds = done.seconds + t0.elapsed().as_secs_f64();
        self.train_s += t0.elapsed().as_secs_f64();
        self.train_images += seen - done.seen;
        let loss = loss_sum.double_value(&[]) / spe as f64;
        if !loss.is_finite() {
            // only on CUDA with `log_every` > 1, where steps skip the per-step check
            return Err(self.diverged(loss, format!("during epoch {epoch}")));
        }
        Ok(EpochTraining {
            loss,
            top1: correct.int64_value(&[]) as f64 / seen.max(1) as f64,
            lr,
            images: seen,
            seconds,
        })
    }

    /// The model on `split` with the weights evaluation uses (the EMA's when there is one).
    pub fn evaluate(&self, split: &Split) -> Evaluation {
        let (device, kind) = (self.vs.device(), self.stepper.compute_kind);
        self.stepper
            .with_eval_weights(|| evaluate(self.model, split, &self.eval_loader, device, kind))
    }

    fn diverged(&self, loss: f64, when: String) -> anyhow::Error {
        anyhow!(
            "the training loss became {loss} {when}; the run stopped after {} finished epochs. Try a lower \
             lr, a warm-up or grad_clip.",
            self.record.epochs.len()
        )
    }

    /// Number of batches the training loader yields per epoch; an error when not one.
    fn steps_per_epoch(&self, train: &Split) -> Result<usize> {
        let (n, bs, drop_last) = (
            train.len(),
            self.train_loader.batch_size.max(1),
            self.train_loader.drop_last,
        );
        let steps = (if drop_last { n / bs } else { (n + bs - 1) / bs }) as usize;
        if steps == 0 {
            bail!("the training split has {n} examples: not one batch of {bs} (drop_last = {drop_last})");
        }
        Ok(steps)
    }

    fn schedule(&self, steps_per_epoch: usize) -> Cosine {
        let cfg = &self.cfg;
        let ticks_per_epoch = match cfg.lr_update {
            LrUpdate::Step => steps_per_epoch,
            LrUpdate::Epoch => 1,
        };
        Cosine {
            lr: cfg.lr,
            min_lr: cfg.min_lr,
            warmup: (cfg.warmup_epochs * ticks_per_epoch) as u64,
            total: (cfg.epochs * ticks_per_epoch) as u64,
        }
    }
}
