//! Exponential moving average of the trainable weights (timm's `ModelEmaV2` over parameters:
//! `ema = decay * ema + (1 - decay) * w` after every optimizer step).
//!
//! Non-trainable buffers (BatchNorm running statistics) are not averaged: evaluating with EMA
//! weights uses the live model's buffers.

use tch::Tensor;

use crate::flat::FlatParams;

pub struct Ema {
    pub decay: f64,
    /// One fp32 buffer per parameter group, aligned with `FlatParams::groups`.
    pub shadow: Vec<Tensor>,
}

impl Ema {
    /// Starts from the current weights.
    pub fn new(params: &FlatParams, decay: f64) -> Ema {
        Ema {
            decay,
            shadow: params.groups.iter().map(|g| g.master.detach().copy()).collect(),
        }
    }

    pub fn update(&mut self, params: &FlatParams) {
        tch::no_grad(|| {
            for (s, g) in self.shadow.iter_mut().zip(&params.groups) {
                let _ = s.lerp_(&g.master, 1.0 - self.decay);
            }
        });
    }

    /// Runs `f` with the model's weights replaced by the averages, then puts the weights back.
    pub fn with_averaged<R>(&self, params: &FlatParams, f: impl FnOnce() -> R) -> R {
        let saved: Vec<Tensor> = params.groups.iter().map(|g| g.model.detach().copy()).collect();
        tch::no_grad(|| {
            for (s, g) in self.shadow.iter().zip(&params.groups) {
                g.model.shallow_clone().copy_(s);
            }
        });
        let out = f();
        tch::no_grad(|| {
            for (s, g) in saved.iter().zip(&params.groups) {
                g.model.shallow_clone().copy_(s);
            }
        });
        out
    }

    pub fn state(&self) -> Vec<(String, Tensor)> {
        self.shadow
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("ema.{i}"), t.shallow_clone()))
            .collect()
    }

    pub fn state_targets(&mut self) -> Vec<(String, &mut Tensor)> {
        self.shadow
            .iter_mut()
            .enumerate()
            .map(|(i, t)| (format!("ema.{i}"), t))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Kind, nn};

    #[test]
    fn averages_and_swaps_back() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let w = vs.root().var("w", &[2, 1], nn::Init::Const(1.0));
        let flat = FlatParams::new(&vs, true, None);
        let mut ema = Ema::new(&flat, 0.75);
        let _ = tch::no_grad(|| flat.groups[0].master.shallow_clone().fill_(3.0));
        ema.update(&flat); // 0.75 * 1 + 0.25 * 3 = 1.5
        let seen = ema.with_averaged(&flat, || w.sum(Kind::Float).double_value(&[]));
        assert_eq!(seen, 3.0);
        assert_eq!(w.sum(Kind::Float).double_value(&[]), 6.0);
    }
}
