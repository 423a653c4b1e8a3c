//! [`Stepper`]: one optimizer step at a time, the part of a `Trainer` that benchmarks time.

use tch::{Kind, Reduction, Tensor, nn};

use crate::config::TrainConfig;
use crate::ema::Ema;
use crate::flat::FlatParams;
use crate::optim::{OptimSettings, Optimizer, clip_grad_norm};

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
        let (loss, logits) = self.forward(model, x, y);
        let grads = self.backward(&loss);
        self.update(grads, lr);
        (loss, logits)
    }

    /// The first part of [`Stepper::step`] (apart so a profile can time each part): forward in
    /// train mode and the label-smoothed loss.
    pub fn forward(&self, model: &dyn nn::ModuleT, x: &Tensor, y: &Tensor) -> (Tensor, Tensor) {
        let logits = model.forward_t(x, true).to_kind(Kind::Float);
        let loss = logits.cross_entropy_loss::<Tensor>(y, None, Reduction::Mean, -100, self.label_smoothing);
        (loss, logits)
    }

    /// The second part of [`Stepper::step`]: the gradients of `loss`, clipped if configured.
    pub fn backward(&mut self, loss: &Tensor) -> Vec<Tensor> {
        self.flat.zero_grads();
        loss.backward();
        let mut grads = self.flat.grads();
        if let Some(max) = self.grad_clip {
            let _ = clip_grad_norm(&mut grads, max);
        }
        grads
    }

    /// The last part of [`Stepper::step`]: the optimizer step and the EMA update.
    pub fn update(&mut self, mut grads: Vec<Tensor>, lr: f64) {
        self.opt.step(&self.flat, &mut grads, lr);
        if let Some(ema) = &mut self.ema {
            ema.update(&self.flat);
        }
    }

    /// Runs `f` with the weights that evaluation uses: the EMA's when there is one, else the
    /// trained ones.
    pub fn with_eval_weights<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.ema {
            Some(ema) => ema.with_averaged(&self.flat, f),
            None => f(),
        }
    }
}
