//! The training loop shared by DemoNet and StarNet.
//!
//! [`train`] runs epochs of seeded batches through a model, with AdamW or SGD over flat parameter
//! groups, a cosine schedule, label smoothing, gradient clipping and optional EMA; it evaluates
//! after every epoch, writes safetensors checkpoints and can resume from one.
//!
//! Reproducibility: the model's weights are whatever the caller built (seed before building);
//! the batch order and augmentation come from `(seed, epoch)` through the loader; every other
//! random draw (drop path, dropout) comes from tch's RNG, reseeded from `(seed, epoch)` at the
//! start of every epoch. So a run resumed from an epoch-end checkpoint follows the same
//! trajectory as one that never stopped, and two runs with the same config, device and (on the
//! CPU) thread count give the same numbers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use tch::{Kind, Reduction, Tensor, nn};

use crate::checkpoint::{self, Checkpoint};
use crate::data::{Augment, LoaderConfig, Split};
use crate::ema::Ema;
use crate::flat::FlatParams;
use crate::metrics::{EpochMetrics, TrainRecord, correct_topk};
use crate::optim::{OptimSettings, Optimizer, OptimizerKind, clip_grad_norm};
use crate::schedule::{Cosine, LrUpdate};

/// Every knob of a training run. Serialised with the results; unknown keys are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Passes over the training split. Default 10.
    pub epochs: usize,
    /// Training batch size (overrides the loader's). Default 128.
    pub batch_size: i64,
    /// Evaluation batch size; default `2 * batch_size`.
    pub eval_batch_size: Option<i64>,
    /// `adamw` (default) or `sgd` (with momentum, no Nesterov).
    pub optimizer: OptimizerKind,
    /// Peak learning rate, reached at the end of warm-up. Default 2e-3.
    pub lr: f64,
    /// Floor of the cosine decay. Default 1e-5.
    pub min_lr: f64,
    /// Epochs of linear warm-up from `lr / warmup_steps` to `lr`. Default 1.
    pub warmup_epochs: usize,
    /// Whether the learning rate changes every step (default) or once per epoch.
    pub lr_update: LrUpdate,
    /// SGD momentum. Default 0.9.
    pub momentum: f64,
    /// AdamW (beta1, beta2). Default (0.9, 0.999).
    pub betas: (f64, f64),
    /// AdamW epsilon. Default 1e-8.
    pub eps: f64,
    /// Weight decay (decoupled for AdamW, L2 for SGD). Default 0.05.
    pub weight_decay: f64,
    /// Also decay tensors with at most one dimension (biases, norms, layer scales). Default
    /// false, as timm; the reference two-moons script decays everything (true).
    pub decay_1d: bool,
    /// Label smoothing of the training loss (0 = plain cross-entropy). Default 0.1.
    pub label_smoothing: f64,
    /// Clip the gradients' joint L2 norm to this value. Default none.
    pub grad_clip: Option<f64>,
    /// EMA decay of the weights (e.g. 0.9998); when set, evaluation uses the EMA weights.
    pub ema: Option<f64>,
    /// Seeds the batch order, augmentation and drop path. Default 0.
    pub seed: u64,
    /// CPU threads for libtorch (`tch::set_num_threads`); default: libtorch's choice.
    pub threads: Option<usize>,
    /// bf16 mixed precision on CUDA (fp32 master weights, fp32 loss); ignored on the CPU.
    /// Default true.
    pub amp: bool,
    /// Also write a checkpoint every N epochs (one is always written at the end when a
    /// checkpoint folder is given). Default none.
    pub checkpoint_every: Option<usize>,
    /// Read the loss back to the host (for NaN checks and the observer) every N steps; the
    /// default 1 costs one device sync per step, which only matters on CUDA.
    pub log_every: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 128,
            eval_batch_size: None,
            optimizer: OptimizerKind::Adamw,
            lr: 2e-3,
            min_lr: 1e-5,
            warmup_epochs: 1,
            lr_update: LrUpdate::Step,
            momentum: 0.9,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.05,
            decay_1d: false,
            label_smoothing: 0.1,
            grad_clip: None,
            ema: None,
            seed: 0,
            threads: None,
            amp: true,
            checkpoint_every: None,
            log_every: 1,
        }
    }
}

impl TrainConfig {
    /// The reference two-moons recipe (`2D_visual/main.py`): SGD momentum 0.9, lr 0.1 with
    /// per-epoch cosine to 0.005 and no warm-up, weight decay 2e-4 on every parameter, batch 32,
    /// 30 epochs, label smoothing 0.1 (timm's `LabelSmoothingCrossEntropy()`), gradient clip 1.0.
    /// Pair it with a loader that drops the last partial batch, as the reference does.
    pub fn two_moons() -> Self {
        TrainConfig {
            epochs: 30,
            batch_size: 32,
            optimizer: OptimizerKind::Sgd,
            lr: 0.1,
            min_lr: 0.005,
            warmup_epochs: 0,
            lr_update: LrUpdate::Epoch,
            momentum: 0.9,
            weight_decay: 2e-4,
            decay_1d: true,
            label_smoothing: 0.1,
            grad_clip: Some(1.0),
            ..TrainConfig::default()
        }
    }

    /// An error naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        let unit = |v: f64| (0.0..1.0).contains(&v);
        let checks: [(&str, bool, String); 14] = [
            (
                "epochs",
                self.epochs >= 1,
                format!("{} (must be at least 1)", self.epochs),
            ),
            (
                "batch_size",
                self.batch_size >= 1,
                format!("{} (must be at least 1)", self.batch_size),
            ),
            (
                "eval_batch_size",
                self.eval_batch_size.is_none_or(|b| b >= 1),
                format!("{:?} (must be at least 1)", self.eval_batch_size),
            ),
            (
                "lr",
                self.lr.is_finite() && self.lr > 0.0,
                format!("{} (must be > 0)", self.lr),
            ),
            (
                "min_lr",
                self.min_lr.is_finite() && self.min_lr >= 0.0 && self.min_lr <= self.lr,
                format!("{} (must be in [0, lr])", self.min_lr),
            ),
            (
                "warmup_epochs",
                self.warmup_epochs <= self.epochs,
                format!(
                    "{} (must be at most epochs = {})",
                    self.warmup_epochs, self.epochs
                ),
            ),
            (
                "momentum",
                unit(self.momentum),
                format!("{} (must be in [0, 1))", self.momentum),
            ),
            (
                "betas",
                unit(self.betas.0) && unit(self.betas.1),
                format!("{:?} (must be in [0, 1))", self.betas),
            ),
            ("eps", self.eps > 0.0, format!("{} (must be > 0)", self.eps)),
            (
                "weight_decay",
                self.weight_decay.is_finite() && self.weight_decay >= 0.0,
                format!("{} (must be >= 0)", self.weight_decay),
            ),
            (
                "label_smoothing",
                unit(self.label_smoothing),
                format!("{} (must be in [0, 1))", self.label_smoothing),
            ),
            (
                "grad_clip",
                self.grad_clip.is_none_or(|c| c > 0.0 && c.is_finite()),
                format!("{:?} (must be > 0)", self.grad_clip),
            ),
            (
                "ema",
                self.ema.is_none_or(|d| d > 0.0 && d < 1.0),
                format!("{:?} (must be in (0, 1))", self.ema),
            ),
            (
                "threads / checkpoint_every / log_every",
                self.threads != Some(0) && self.checkpoint_every != Some(0) && self.log_every >= 1,
                "0 (must be at least 1)".into(),
            ),
        ];
        for (field, ok, what) in checks {
            if !ok {
                bail!("training config: `{field}` = {what}");
            }
        }
        Ok(())
    }
}

/// What the observer learns at the start of a run.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub epochs: usize,
    /// First epoch this process runs (> 0 after a resume).
    pub start_epoch: usize,
    pub steps_per_epoch: usize,
    pub params: i64,
}

/// One optimizer step, as the observer sees it.
#[derive(Debug, Clone)]
pub struct StepInfo {
    pub epoch: usize,
    /// Step within the epoch, 0-based.
    pub step: usize,
    pub steps_per_epoch: usize,
    /// The batch's training loss; `None` on steps that skip the host sync (`log_every`).
    pub loss: Option<f64>,
    pub lr: f64,
}

/// Progress callbacks (progress bars, logging). Every method has a do-nothing default.
pub trait Observer {
    fn on_start(&mut self, _info: &RunInfo) {}
    fn on_step(&mut self, _step: &StepInfo) {}
    fn on_epoch(&mut self, _metrics: &EpochMetrics) {}
}

/// An observer that ignores everything.
impl Observer for () {}

/// Where checkpoints come from and go to.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Continue from this checkpoint (written by [`train`] with the same config, up to `epochs`,
    /// `threads`, `checkpoint_every` and `log_every`).
    pub resume: Option<PathBuf>,
    /// Write `last.safetensors` here at the end, and `epoch_NNNN.safetensors` every
    /// `checkpoint_every` epochs.
    pub checkpoint_dir: Option<PathBuf>,
    /// End this process once this many epochs (counted from 0, not from the resume point) are
    /// done, writing `last.safetensors`; the schedule still spans `epochs`. For time-limited jobs.
    pub stop_after: Option<usize>,
}

/// A run that could not start or did not finish; `record` keeps the epochs that did.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TrainError {
    pub message: String,
    pub record: TrainRecord,
}

/// The seed of tch's RNG for `epoch`.
fn epoch_seed(seed: u64, epoch: usize) -> i64 {
    let mut z = seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 1) as i64
}

/// Config fields that may differ between a checkpoint and the run resuming from it.
const RESUMABLE_CHANGES: [&str; 4] = ["epochs", "threads", "checkpoint_every", "log_every"];

/// Names of the fields where `a` and `b` differ, other than [`RESUMABLE_CHANGES`].
fn config_differences(a: &TrainConfig, b: &TrainConfig) -> Vec<String> {
    let (serde_json::Value::Object(a), serde_json::Value::Object(b)) = (
        serde_json::to_value(a).unwrap_or_default(),
        serde_json::to_value(b).unwrap_or_default(),
    ) else {
        return vec![];
    };
    a.iter()
        .filter(|(k, v)| !RESUMABLE_CHANGES.contains(&k.as_str()) && b.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Number of batches [`Split::batches`] yields per epoch.
fn steps_per_epoch(n: i64, loader: &LoaderConfig) -> usize {
    let bs = loader.batch_size.max(1);
    (if loader.drop_last {
        n / bs
    } else {
        (n + bs - 1) / bs
    }) as usize
}

/// Loss, top-1 and (with more than 5 classes) top-5 of `model` on `split`, in eval mode.
pub fn evaluate(
    model: &dyn nn::ModuleT,
    split: &Split,
    loader: &LoaderConfig,
    device: tch::Device,
    compute_kind: Option<Kind>,
) -> (f64, f64, Option<f64>) {
    tch::no_grad(|| {
        let k5 = split.num_classes > 5;
        let (mut loss, mut c1, mut c5) = (Tensor::zeros([], (Kind::Double, device)), 0i64, 0i64);
        let (mut t1, mut t5) = (
            Tensor::zeros([], (Kind::Int64, device)),
            Tensor::zeros([], (Kind::Int64, device)),
        );
        for (x, y) in split.batches(0, loader) {
            let x = x.to_device(device);
            let y = y.to_device(device);
            let x = compute_kind.map_or_else(|| x.shallow_clone(), |k| x.to_kind(k));
            let logits = model.forward_t(&x, false).to_kind(Kind::Float);
            let l = logits.cross_entropy_loss::<Tensor>(&y, None, Reduction::Sum, -100, 0.0);
            loss += l.to_kind(Kind::Double);
            t1 += correct_topk(&logits, &y, 1);
            if k5 {
                t5 += correct_topk(&logits, &y, 5);
            }
        }
        c1 += t1.int64_value(&[]);
        c5 += t5.int64_value(&[]);
        let n = split.len().max(1) as f64;
        (
            loss.double_value(&[]) / n,
            c1 as f64 / n,
            k5.then_some(c5 as f64 / n),
        )
    })
}

/// One optimizer step at a time: the part of [`train`] that benchmarks time.
///
/// Holds the flat parameter groups, the optimizer state and the EMA of a `VarStore`.
pub struct Stepper {
    pub flat: FlatParams,
    pub opt: Optimizer,
    pub ema: Option<Ema>,
    /// `Some(bf16)` under mixed precision (CUDA with `amp`).
    pub compute_kind: Option<Kind>,
    label_smoothing: f64,
    grad_clip: Option<f64>,
}

impl Stepper {
    /// Packs `vs`'s trainable variables (they become views into flat buffers, see
    /// [`crate::flat`]) and sets up the optimizer described by `cfg`.
    pub fn new(vs: &nn::VarStore, cfg: &TrainConfig) -> Stepper {
        let compute_kind = (cfg.amp && vs.device().is_cuda()).then_some(Kind::BFloat16);
        let flat = FlatParams::new(vs, !cfg.decay_1d, compute_kind);
        let settings = OptimSettings {
            kind: cfg.optimizer,
            weight_decay: cfg.weight_decay,
            momentum: cfg.momentum,
            betas: cfg.betas,
            eps: cfg.eps,
        };
        let opt = Optimizer::new(&flat, settings);
        let ema = cfg.ema.map(|d| Ema::new(&flat, d));
        Stepper {
            flat,
            opt,
            ema,
            compute_kind,
            label_smoothing: cfg.label_smoothing,
            grad_clip: cfg.grad_clip,
        }
    }

    /// Casts a float batch to what the model computes in.
    pub fn input(&self, x: &Tensor) -> Tensor {
        self.compute_kind
            .map_or_else(|| x.shallow_clone(), |k| x.to_kind(k))
    }

    /// Forward in train mode, loss, backward, clipping, optimizer step and EMA update on one batch
    /// (`x` already on the device and in [`Stepper::input`]'s kind). Returns the loss and the fp32
    /// logits, without syncing with the device.
    pub fn step(&mut self, model: &dyn nn::ModuleT, x: &Tensor, y: &Tensor, lr: f64) -> (Tensor, Tensor) {
        let logits = model.forward_t(x, true).to_kind(Kind::Float);
        let loss = logits.cross_entropy_loss::<Tensor>(y, None, Reduction::Mean, -100, self.label_smoothing);
        self.flat.zero_grads();
        loss.backward();
        let mut grads = self.flat.grads();
        if let Some(max) = self.grad_clip {
            let _ = clip_grad_norm(&mut grads, max);
        }
        self.opt.step(&self.flat, &mut grads, lr);
        if let Some(ema) = &mut self.ema {
            ema.update(&self.flat);
        }
        (loss, logits)
    }
}

fn save_checkpoint(
    path: &Path,
    vs: &nn::VarStore,
    st: &Stepper,
    cfg: &TrainConfig,
    epochs_done: usize,
    record: &TrainRecord,
) -> Result<()> {
    let mut tensors: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    if st.flat.compute_kind.is_some() {
        tensors.extend(
            st.flat
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| (format!("master.{i}"), g.master.shallow_clone())),
        );
    }
    tensors.extend(st.opt.state());
    if let Some(ema) = &st.ema {
        tensors.extend(ema.state());
    }
    let meta = HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("starlab.epochs_done".to_string(), epochs_done.to_string()),
        ("starlab.optimizer_step".to_string(), st.opt.step.to_string()),
        ("starlab.train_config".to_string(), serde_json::to_string(cfg)?),
        ("starlab.record".to_string(), serde_json::to_string(record)?),
    ]);
    checkpoint::save(path, &tensors, meta)
}

/// Restores weights, optimizer state and EMA from `path`; returns (epochs done, record so far).
fn restore(
    path: &Path,
    vs: &nn::VarStore,
    st: &mut Stepper,
    cfg: &TrainConfig,
) -> Result<(usize, TrainRecord)> {
    let ck = Checkpoint::read(path)?;
    let saved: TrainConfig = serde_json::from_str(&ck.meta("starlab.train_config")?)
        .with_context(|| format!("checkpoint {}: unreadable `starlab.train_config`", path.display()))?;
    let diff = config_differences(cfg, &saved);
    if !diff.is_empty() {
        bail!(
            "checkpoint {} was written with a different training config (fields: {}); resuming would not continue \
             the same run",
            path.display(),
            diff.join(", ")
        );
    }
    ck.load_vars(vs)?;
    if st.flat.compute_kind.is_some() && ck.has("master.0") {
        for (i, g) in st.flat.groups.iter().enumerate() {
            ck.copy_into(&format!("master.{i}"), &g.master)?;
        }
    } else {
        st.flat.model_to_master();
    }
    for (name, t) in st.opt.state_targets() {
        ck.copy_into(&name, t)?;
    }
    if let Some(ema) = &mut st.ema {
        for (name, t) in ema.state_targets() {
            ck.copy_into(&name, t)?;
        }
    }
    let parse = |key: &str| -> Result<u64> {
        ck.meta(key)?
            .parse()
            .with_context(|| format!("checkpoint {}: `{key}` is not a number", path.display()))
    };
    st.opt.step = parse("starlab.optimizer_step")?;
    let done = parse("starlab.epochs_done")? as usize;
    let record: TrainRecord = serde_json::from_str(&ck.meta("starlab.record")?)
        .with_context(|| format!("checkpoint {}: unreadable `starlab.record`", path.display()))?;
    Ok((done, record))
}

/// Trains `model`, whose trainable variables are all of `vs`'s, on `train_split` and evaluates it on
/// `eval_split` after every epoch (pass the training split again to report training accuracy, as
/// the two-moons reference does).
///
/// The splits may live on any device (batches are moved to `vs`'s). From `loader`, `batch_size`
/// and `seed` are replaced by `cfg`'s; evaluation uses it without shuffling and augmentation.
///
/// Returns the record of all epochs (including those before a resume). A NaN or infinite loss,
/// or a failed checkpoint write, ends the run with a [`TrainError`] that names the cause and
/// carries the record of the finished epochs (`record.stopped` says why).
// The error carries the partial record by value: it is returned once per run, never in a loop.
#[allow(clippy::too_many_arguments, clippy::result_large_err)]
pub fn train(
    model: &dyn nn::ModuleT,
    vs: &nn::VarStore,
    train_split: &Split,
    eval_split: &Split,
    loader: &LoaderConfig,
    cfg: &TrainConfig,
    observer: &mut dyn Observer,
    opts: &RunOptions,
) -> std::result::Result<TrainRecord, TrainError> {
    let started = Instant::now();
    let device = vs.device();
    let fail = |message: String, record: TrainRecord| TrainError { message, record };
    if let Err(e) = cfg.validate() {
        return Err(fail(format!("{e:#}"), TrainRecord::default()));
    }
    if let Some(t) = cfg.threads {
        tch::set_num_threads(t as i32);
    }
    let mut st = Stepper::new(vs, cfg);
    let compute_kind = st.compute_kind;

    let mut record = TrainRecord {
        device: crate::device::describe(device),
        params: st.flat.numel(),
        ..TrainRecord::default()
    };
    let mut start_epoch = 0;
    if let Some(path) = &opts.resume {
        match restore(path, vs, &mut st, cfg) {
            Ok((done, prev)) => {
                start_epoch = done;
                record.epochs = prev.epochs;
                record.best = prev.best;
                record.last = prev.last;
                record.steps = prev.steps;
                record.resumed_at_epoch = Some(done);
            }
            Err(e) => return Err(fail(format!("resuming: {e:#}"), record)),
        }
    }

    let train_loader = LoaderConfig {
        batch_size: cfg.batch_size,
        seed: cfg.seed,
        ..loader.clone()
    };
    let eval_loader = LoaderConfig {
        batch_size: cfg.eval_batch_size.unwrap_or(2 * cfg.batch_size),
        shuffle: false,
        drop_last: false,
        augment: Augment::default(),
        ..loader.clone()
    };
    let spe = steps_per_epoch(train_split.len(), &train_loader);
    if spe == 0 {
        let msg = format!(
            "the training split has {} examples: not one batch of {} (drop_last = {})",
            train_split.len(),
            cfg.batch_size,
            train_loader.drop_last
        );
        return Err(fail(msg, record));
    }
    let schedule = match cfg.lr_update {
        LrUpdate::Step => Cosine {
            lr: cfg.lr,
            min_lr: cfg.min_lr,
            warmup: (cfg.warmup_epochs * spe) as u64,
            total: (cfg.epochs * spe) as u64,
        },
        LrUpdate::Epoch => Cosine {
            lr: cfg.lr,
            min_lr: cfg.min_lr,
            warmup: cfg.warmup_epochs as u64,
            total: cfg.epochs as u64,
        },
    };
    observer.on_start(&RunInfo {
        epochs: cfg.epochs,
        start_epoch,
        steps_per_epoch: spe,
        params: record.params,
    });

    let (mut train_time, mut train_images) = (0.0, 0i64);
    for epoch in start_epoch..cfg.epochs {
        crate::seed::reseed(epoch_seed(cfg.seed, epoch));
        let t0 = Instant::now();
        let mut loss_sum = Tensor::zeros([], (Kind::Double, device));
        let mut correct = Tensor::zeros([], (Kind::Int64, device));
        let (mut seen, mut lr) = (0i64, cfg.lr);
        for (i, (x, y)) in train_split.batches(epoch as u64, &train_loader).enumerate() {
            let tick = match cfg.lr_update {
                LrUpdate::Step => (epoch * spe + i) as u64,
                LrUpdate::Epoch => epoch as u64,
            };
            lr = schedule.at(tick);
            let x = x.to_device(device);
            let y = y.to_device(device);
            let x = st.input(&x);
            let (loss, logits) = st.step(model, &x, &y, lr);
            record.steps += 1;
            seen += y.size()[0];
            tch::no_grad(|| {
                loss_sum += loss.detach().to_kind(Kind::Double);
                correct += correct_topk(&logits, &y, 1);
            });
            let sync = !device.is_cuda() || i % cfg.log_every == 0 || i + 1 == spe;
            let loss_now = sync.then(|| loss.double_value(&[]));
            if let Some(l) = loss_now.filter(|l| !l.is_finite()) {
                let msg = format!(
                    "the training loss became {l} at epoch {epoch}, step {i} (lr {lr:.3e}); the run stopped after \
                     {} finished epochs. Try a lower lr, a warm-up or grad_clip.",
                    record.epochs.len()
                );
                record.stopped = Some(msg.clone());
                record.wall_s = started.elapsed().as_secs_f64();
                return Err(fail(msg, record));
            }
            observer.on_step(&StepInfo {
                epoch,
                step: i,
                steps_per_epoch: spe,
                loss: loss_now,
                lr,
            });
        }
        let train_s = t0.elapsed().as_secs_f64();
        train_time += train_s;
        train_images += seen;
        let train_loss = loss_sum.double_value(&[]) / spe as f64;
        if !train_loss.is_finite() {
            let msg = format!("the training loss became {train_loss} during epoch {epoch}; the run stopped.");
            record.stopped = Some(msg.clone());
            record.wall_s = started.elapsed().as_secs_f64();
            return Err(fail(msg, record));
        }
        let eval = || evaluate(model, eval_split, &eval_loader, device, compute_kind);
        let (eval_loss, eval_top1, eval_top5) = match &st.ema {
            Some(ema) => ema.with_averaged(&st.flat, eval),
            None => eval(),
        };
        let m = EpochMetrics {
            epoch,
            lr,
            train_loss,
            train_top1: correct.int64_value(&[]) as f64 / seen.max(1) as f64,
            eval_loss,
            eval_top1,
            eval_top5,
            train_s,
            train_img_per_s: seen as f64 / train_s.max(1e-9),
        };
        record.push(m.clone());
        observer.on_epoch(&m);
        let periodic = cfg.checkpoint_every.is_some_and(|n| (epoch + 1) % n == 0);
        let stop_here = opts.stop_after.is_some_and(|s| epoch + 1 >= s);
        let last = epoch + 1 == cfg.epochs || stop_here;
        if let Some(dir) = opts.checkpoint_dir.as_deref().filter(|_| periodic || last) {
            record.wall_s = started.elapsed().as_secs_f64();
            let mut paths = vec![];
            if periodic {
                paths.push(dir.join(format!("epoch_{:04}.safetensors", epoch + 1)));
            }
            if last {
                paths.push(dir.join("last.safetensors"));
            }
            for p in paths {
                if let Err(e) = save_checkpoint(&p, vs, &st, cfg, epoch + 1, &record) {
                    let msg = format!("{e:#}");
                    record.stopped = Some(msg.clone());
                    return Err(fail(msg, record));
                }
            }
        }
        if stop_here {
            break;
        }
    }
    record.wall_s = started.elapsed().as_secs_f64();
    record.train_img_per_s = train_images as f64 / train_time.max(1e-9);
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_errors_name_the_field() {
        TrainConfig::default().validate().unwrap();
        TrainConfig::two_moons().validate().unwrap();
        let err = TrainConfig {
            label_smoothing: 1.0,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("`label_smoothing`"), "{err}");
        let err = TrainConfig {
            min_lr: 1.0,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("`min_lr`"), "{err}");
        let err = toml::from_str::<TrainConfig>("lr = 0.1\nlearning_rate = 2").unwrap_err();
        assert!(err.to_string().contains("learning_rate"), "{err}");
    }

    #[test]
    fn config_reads_from_toml_with_defaults() {
        let c: TrainConfig =
            toml::from_str("optimizer = \"sgd\"\nbetas = [0.8, 0.99]\ngrad_clip = 1.0\nema = 0.999").unwrap();
        assert_eq!(c.optimizer, OptimizerKind::Sgd);
        assert_eq!(c.betas, (0.8, 0.99));
        assert_eq!(c.grad_clip, Some(1.0));
        assert_eq!(c.ema, Some(0.999));
        assert_eq!(c.epochs, TrainConfig::default().epochs);
    }

    #[test]
    fn resumable_changes_are_ignored() {
        let a = TrainConfig::default();
        let b = TrainConfig {
            epochs: 99,
            threads: Some(2),
            lr: 0.5,
            ..a.clone()
        };
        assert_eq!(config_differences(&a, &b), vec!["lr".to_string()]);
    }

    #[test]
    fn epoch_seeds_differ() {
        assert_ne!(epoch_seed(0, 0), epoch_seed(0, 1));
        assert_ne!(epoch_seed(0, 1), epoch_seed(1, 1));
        assert!(epoch_seed(7, 3) >= 0);
    }
}
