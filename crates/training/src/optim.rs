//! AdamW and SGD with momentum over flat parameter groups, with state that can be saved.
//!
//! The update rules are PyTorch's (`torch.optim.AdamW`, `torch.optim.SGD`, no Nesterov, no
//! dampening), written as a few in-place ops on each group's flat fp32 buffer.

use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use crate::flat::FlatParams;

/// Which optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    #[default]
    Adamw,
    Sgd,
}

/// Hyper-parameters that do not change during a run (the learning rate is passed per step).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptimSettings {
    pub kind: OptimizerKind,
    pub weight_decay: f64,
    pub momentum: f64,
    pub betas: (f64, f64),
    pub eps: f64,
}

/// Per-group optimizer state.
pub struct Optimizer {
    pub settings: OptimSettings,
    /// Steps taken (AdamW's bias correction uses it).
    pub step: u64,
    /// AdamW: first and second moments; SGD: the momentum buffer (in `exp_avg`).
    pub exp_avg: Vec<Tensor>,
    pub exp_avg_sq: Vec<Tensor>,
}

impl Optimizer {
    pub fn new(params: &FlatParams, settings: OptimSettings) -> Optimizer {
        let zeros = || {
            params
                .groups
                .iter()
                .map(|g| g.master.zeros_like())
                .collect::<Vec<_>>()
        };
        let exp_avg_sq = if settings.kind == OptimizerKind::Adamw {
            zeros()
        } else {
            vec![]
        };
        Optimizer {
            settings,
            step: 0,
            exp_avg: zeros(),
            exp_avg_sq,
        }
    }

    /// One update of every group with learning rate `lr`, from fp32 flat gradients `grads`
    /// (consumed: SGD adds weight decay into them in place).
    pub fn step(&mut self, params: &FlatParams, grads: &mut [Tensor], lr: f64) {
        self.step += 1;
        let s = self.settings;
        tch::no_grad(|| {
            for (i, g) in params.groups.iter().enumerate() {
                let mut p = g.master.shallow_clone();
                let grad = &mut grads[i];
                let wd = if g.decay { s.weight_decay } else { 0.0 };
                match s.kind {
                    OptimizerKind::Adamw => {
                        let (b1, b2) = s.betas;
                        if wd != 0.0 {
                            let _ = p.g_mul_scalar_(1.0 - lr * wd);
                        }
                        let _ = self.exp_avg[i].lerp_(grad, 1.0 - b1);
                        let v = &mut self.exp_avg_sq[i];
                        let _ = v.g_mul_scalar_(b2);
                        let _ = v.addcmul_(&(&*grad * (1.0 - b2)), grad);
                        let bc1 = 1.0 - b1.powi(self.step as i32);
                        let bc2 = 1.0 - b2.powi(self.step as i32);
                        let denom = (v.sqrt() / bc2.sqrt()).g_add_scalar_(s.eps);
                        let _ = p.addcdiv_(&(&self.exp_avg[i] * (-lr / bc1)), &denom);
                    }
                    OptimizerKind::Sgd => {
                        if wd != 0.0 {
                            let _ = grad.g_add_(&(&p * wd));
                        }
                        let buf = &mut self.exp_avg[i];
                        if s.momentum == 0.0 {
                            let _ = p.g_sub_(&(&*grad * lr));
                            continue;
                        }
                        if self.step == 1 {
                            buf.copy_(grad);
                        } else {
                            let _ = buf.g_mul_scalar_(s.momentum).g_add_(grad);
                        }
                        let _ = p.g_sub_(&(&*buf * lr));
                    }
                }
            }
        });
        params.master_to_model();
    }

    /// Named state tensors for a checkpoint (`optim.<group>.exp_avg`, ...).
    pub fn state(&self) -> Vec<(String, Tensor)> {
        let mut out = vec![];
        for (i, t) in self.exp_avg.iter().enumerate() {
            out.push((format!("optim.{i}.exp_avg"), t.shallow_clone()));
        }
        for (i, t) in self.exp_avg_sq.iter().enumerate() {
            out.push((format!("optim.{i}.exp_avg_sq"), t.shallow_clone()));
        }
        out
    }

    /// The tensors [`Optimizer::state`] names, to be filled from a checkpoint.
    pub fn state_targets(&mut self) -> Vec<(String, &mut Tensor)> {
        let mut out = vec![];
        for (i, t) in self.exp_avg.iter_mut().enumerate() {
            out.push((format!("optim.{i}.exp_avg"), t));
        }
        for (i, t) in self.exp_avg_sq.iter_mut().enumerate() {
            out.push((format!("optim.{i}.exp_avg_sq"), t));
        }
        out
    }
}

/// Scales the flat gradients so that their joint L2 norm is at most `max_norm`
/// (`torch.nn.utils.clip_grad_norm_`: factor `max_norm / (norm + 1e-6)`, capped at 1). Returns the
/// norm before clipping, as a 0-dim tensor (no host sync).
pub fn clip_grad_norm(grads: &mut [Tensor], max_norm: f64) -> Tensor {
    let sq: Vec<Tensor> = grads.iter().map(|g| g.square().sum(Kind::Float)).collect();
    let norm = Tensor::stack(&sq, 0).sum(Kind::Float).sqrt();
    let coef = (max_norm / (&norm + 1e-6)).clamp_max(1.0);
    for g in grads.iter_mut() {
        let _ = g.g_mul_(&coef);
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn;

    fn one_param(vals: &[f32]) -> (nn::VarStore, FlatParams) {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let w = vs.root().var("w", &[1, vals.len() as i64], nn::Init::Const(0.0));
        tch::no_grad(|| w.shallow_clone().copy_(&Tensor::from_slice(vals).view([1, -1])));
        let flat = FlatParams::new(&vs, true, None);
        (vs, flat)
    }

    fn values(flat: &FlatParams) -> Vec<f32> {
        Vec::<f32>::try_from(&flat.groups[0].master).unwrap()
    }

    #[test]
    fn sgd_momentum_by_hand() {
        let (_vs, flat) = one_param(&[1.0, -2.0]);
        let settings = OptimSettings {
            kind: OptimizerKind::Sgd,
            weight_decay: 0.5,
            momentum: 0.9,
            betas: (0.9, 0.999),
            eps: 1e-8,
        };
        let mut opt = Optimizer::new(&flat, settings);
        // step 1: d = g + 0.5 p = [0.5+0.5, 1-1] = [1, 0]; buf = d; p -= 0.1 buf -> [0.9, -2]
        opt.step(&flat, &mut [Tensor::from_slice(&[0.5f32, 1.0])], 0.1);
        let v = values(&flat);
        assert!((v[0] - 0.9).abs() < 1e-6 && (v[1] + 2.0).abs() < 1e-6, "{v:?}");
        // step 2: d = [0 + 0.45, 0 - 1] ; buf = 0.9 [1, 0] + d = [1.35, -1]; p -= 0.1 buf -> [0.765, -1.9]
        opt.step(&flat, &mut [Tensor::from_slice(&[0.0f32, 0.0])], 0.1);
        let v = values(&flat);
        assert!((v[0] - 0.765).abs() < 1e-6 && (v[1] + 1.9).abs() < 1e-6, "{v:?}");
    }

    #[test]
    fn adamw_first_step_is_lr_times_sign() {
        // With bias correction the first Adam step is lr * g / (|g| + eps') = lr * sign(g),
        // after the decoupled decay p *= 1 - lr * wd.
        let (_vs, flat) = one_param(&[1.0, 1.0]);
        let settings = OptimSettings {
            kind: OptimizerKind::Adamw,
            weight_decay: 0.1,
            momentum: 0.0,
            betas: (0.9, 0.999),
            eps: 1e-8,
        };
        let mut opt = Optimizer::new(&flat, settings);
        opt.step(&flat, &mut [Tensor::from_slice(&[3.0f32, -0.5])], 0.01);
        let v = values(&flat);
        assert!(
            (v[0] - (0.999 - 0.01)).abs() < 1e-6 && (v[1] - (0.999 + 0.01)).abs() < 1e-6,
            "{v:?}"
        );
        // second step with g2: m = 0.09*3... check against the closed form
        opt.step(&flat, &mut [Tensor::from_slice(&[1.0f32, -0.5])], 0.01);
        let m0 = (0.9 * 0.1 * 3.0 + 0.1 * 1.0) / (1.0 - 0.81);
        let v0 = (0.999 * 0.001 * 9.0 + 0.001 * 1.0) / (1.0 - 0.998001);
        let expect0 = (0.989 * 0.999) - 0.01 * m0 / (f64::sqrt(v0) + 1e-8);
        let v = values(&flat);
        assert!((v[0] as f64 - expect0).abs() < 1e-5, "{} vs {expect0}", v[0]);
    }

    #[test]
    fn clipping_scales_to_max_norm() {
        let mut g = vec![Tensor::from_slice(&[3.0f32]), Tensor::from_slice(&[4.0f32])];
        let norm = clip_grad_norm(&mut g, 1.0);
        assert!((norm.double_value(&[]) - 5.0).abs() < 1e-6);
        assert!((g[0].double_value(&[0]) - 0.6).abs() < 1e-5 && (g[1].double_value(&[0]) - 0.8).abs() < 1e-5);
        let mut small = vec![Tensor::from_slice(&[0.3f32])];
        let _ = clip_grad_norm(&mut small, 1.0);
        assert_eq!(small[0].double_value(&[0]), 0.3f32 as f64);
    }
}
