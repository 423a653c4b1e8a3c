//! [`TrainConfig`]: every knob of a training run, its checks, and which knobs a resume may change.
//!
//! Each default is written once, in `TrainConfig::default` (`runner config --defaults` prints them);
//! the field docs say what a knob means, not its value.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::optim::OptimizerKind;
use crate::schedule::LrUpdate;

/// Every knob of a training run. Serialised with the results; unknown keys are an error.
/// Defaults: see `TrainConfig::default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Passes over the training split.
    pub epochs: usize,
    /// Training batch size (overrides the loader's).
    pub batch_size: i64,
    /// Evaluation batch size; `None` means twice `batch_size`.
    pub eval_batch_size: Option<i64>,
    /// `adamw` or `sgd` (with momentum, no Nesterov).
    pub optimizer: OptimizerKind,
    /// Peak learning rate, reached at the end of warm-up.
    pub lr: f64,
    /// Floor of the cosine decay.
    pub min_lr: f64,
    /// Epochs of linear warm-up from `lr / warmup_steps` to `lr`.
    pub warmup_epochs: usize,
    /// Whether the learning rate changes every step or once per epoch.
    pub lr_update: LrUpdate,
    /// SGD momentum.
    pub momentum: f64,
    /// AdamW (beta1, beta2).
    pub betas: (f64, f64),
    /// AdamW epsilon.
    pub eps: f64,
    /// Weight decay (decoupled for AdamW, L2 for SGD).
    pub weight_decay: f64,
    /// Also decay tensors with at most one dimension (biases, norms, layer scales). timm does not;
    /// the reference two-moons script decays everything.
    pub decay_1d: bool,
    /// Label smoothing of the training loss (0 = plain cross-entropy).
    pub label_smoothing: f64,
    /// Clip the gradients' joint L2 norm to this value (`None`: no clipping).
    pub grad_clip: Option<f64>,
    /// EMA decay of the weights (e.g. 0.9998); when set, evaluation uses the EMA weights.
    pub ema: Option<f64>,
    /// Seeds the batch order, augmentation and drop path.
    pub seed: u64,
    /// With a validation split, also evaluate the test split after every epoch (for test curves).
    /// Off: the test split is evaluated once at the end, with the epoch selected on validation
    /// and with the final weights. Without a validation split the test split is evaluated every
    /// epoch regardless.
    pub eval_test_every_epoch: bool,
    /// CPU threads for libtorch (`tch::set_num_threads`); `None`: libtorch's choice.
    pub threads: Option<usize>,
    /// bf16 mixed precision on CUDA (fp32 master weights, fp32 loss); ignored on the CPU.
    pub amp: bool,
    /// Also write a checkpoint every N epochs (one is always written at the end when a
    /// checkpoint folder is given).
    pub checkpoint_every: Option<usize>,
    /// On CUDA, read the loss back to the host (for NaN checks and the observer) every N steps:
    /// each read is a device sync. The CPU reads every step (it costs nothing there).
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
            eval_test_every_epoch: false,
            threads: None,
            amp: true,
            checkpoint_every: None,
            log_every: 1,
        }
    }
}

/// Config fields that may differ between a checkpoint and the run resuming from it.
const RESUMABLE_CHANGES: [&str; 4] = ["epochs", "threads", "checkpoint_every", "log_every"];

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

    /// The evaluation batch size this config resolves to.
    pub fn eval_batch_size(&self) -> i64 {
        self.eval_batch_size.unwrap_or(2 * self.batch_size)
    }

    /// An error naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        let unit = |v: f64| (0.0..1.0).contains(&v);
        let at_least_1 = |v: usize| format!("{v} (must be at least 1)");
        let checks: [(&str, bool, String); 16] = [
            ("epochs", self.epochs >= 1, at_least_1(self.epochs)),
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
            ("threads", self.threads != Some(0), at_least_1(0)),
            (
                "checkpoint_every",
                self.checkpoint_every != Some(0),
                at_least_1(0),
            ),
            ("log_every", self.log_every >= 1, at_least_1(self.log_every)),
        ];
        for (field, ok, what) in checks {
            if !ok {
                bail!("training config: `{field}` = {what}");
            }
        }
        Ok(())
    }

    /// Names of the fields where `self` and `saved` differ, other than those a resumed run may
    /// change (`epochs`, `threads`, `checkpoint_every`, `log_every`).
    pub fn resume_conflicts(&self, saved: &TrainConfig) -> Vec<String> {
        let (serde_json::Value::Object(a), serde_json::Value::Object(b)) = (
            serde_json::to_value(self).unwrap_or_default(),
            serde_json::to_value(saved).unwrap_or_default(),
        ) else {
            return vec![];
        };
        a.iter()
            .filter(|(k, v)| !RESUMABLE_CHANGES.contains(&k.as_str()) && b.get(*k) != Some(v))
            .map(|(k, _)| k.clone())
            .collect()
    }
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
        let err = TrainConfig {
            log_every: 0,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("`log_every` = 0"), "{err}");
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
        assert_eq!(c.eval_batch_size(), 2 * c.batch_size);
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
        assert_eq!(a.resume_conflicts(&b), vec!["lr".to_string()]);
    }
}
