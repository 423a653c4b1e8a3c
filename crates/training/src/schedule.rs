//! Learning-rate schedule: linear warm-up, then cosine decay to a floor.

use serde::{Deserialize, Serialize};

/// When the learning rate changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LrUpdate {
    /// Every optimizer step (timm's `t_in_epochs=False`; smooth).
    #[default]
    Step,
    /// Once per epoch, as `torch.optim.lr_scheduler.CosineAnnealingLR` stepped per epoch (the
    /// reference two-moons script).
    Epoch,
}

/// Cosine schedule with linear warm-up, measured in "ticks" (steps or epochs, see [`LrUpdate`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cosine {
    pub lr: f64,
    pub min_lr: f64,
    pub warmup: u64,
    pub total: u64,
}

impl Cosine {
    /// The learning rate at tick `t` (0-based): during warm-up `lr * (t + 1) / warmup`, then
    /// `min_lr + (lr - min_lr) * (1 + cos(pi * (t - warmup) / (total - warmup))) / 2`.
    pub fn at(&self, t: u64) -> f64 {
        if t < self.warmup {
            return self.lr * (t + 1) as f64 / self.warmup as f64;
        }
        let span = self.total.saturating_sub(self.warmup).max(1);
        let progress = ((t - self.warmup) as f64 / span as f64).min(1.0);
        self.min_lr + (self.lr - self.min_lr) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_cosine_to_the_floor() {
        let s = Cosine {
            lr: 1.0,
            min_lr: 0.1,
            warmup: 4,
            total: 14,
        };
        assert_eq!(s.at(0), 0.25);
        assert_eq!(s.at(3), 1.0);
        assert!((s.at(4) - 1.0).abs() < 1e-12);
        // halfway through the 10 cosine ticks: the midpoint of 1.0 and 0.1
        assert!((s.at(9) - 0.55).abs() < 1e-12);
        assert!((s.at(14) - 0.1).abs() < 1e-12);
        assert!((s.at(100) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn matches_cosine_annealing_lr_per_epoch() {
        // CosineAnnealingLR(T_max=30, eta_min=0.005) from 0.1: epoch 15 -> 0.0525, epoch 10 -> 0.07625
        let s = Cosine {
            lr: 0.1,
            min_lr: 0.005,
            warmup: 0,
            total: 30,
        };
        assert!((s.at(0) - 0.1).abs() < 1e-12);
        assert!((s.at(15) - 0.0525).abs() < 1e-12);
        assert!((s.at(10) - (0.005 + 0.095 * 0.75)).abs() < 1e-12);
    }
}
