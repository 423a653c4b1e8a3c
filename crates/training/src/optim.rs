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
                    OptimizerKind::Adamw if cpu_f32(&[&p, grad, &self.exp_avg[i], &self.exp_avg_sq[i]]) => {
                        let (m, v) = (&mut self.exp_avg[i], &mut self.exp_avg_sq[i]);
                        adamw_cpu(&mut p, grad, m, v, AdamwStep::new(s, lr, wd, self.step));
                    }
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
/// The scalars of one AdamW step (PyTorch's `torch.optim.AdamW`, decoupled weight decay).
#[derive(Debug, Clone, Copy)]
struct AdamwStep {
    /// `1 - lr * wd`: the decoupled decay factor.
    decay: f32,
    b1: f32,
    b2: f32,
    /// `-lr / (1 - b1^t)`.
    step_size: f32,
    /// `sqrt(1 - b2^t)`.
    bc2_sqrt: f32,
    eps: f32,
}

impl AdamwStep {
    fn new(s: OptimSettings, lr: f64, wd: f64, step: u64) -> AdamwStep {
        let (b1, b2) = s.betas;
        AdamwStep {
            decay: (1.0 - lr * wd) as f32,
            b1: b1 as f32,
            b2: b2 as f32,
            step_size: (-lr / (1.0 - b1.powi(step as i32))) as f32,
            bc2_sqrt: (1.0 - b2.powi(step as i32)).sqrt() as f32,
            eps: s.eps as f32,
        }
    }
}

/// Whether every tensor is a contiguous fp32 CPU tensor (what [`adamw_cpu`] reads as a slice).
fn cpu_f32(ts: &[&Tensor]) -> bool {
    ts.iter()
        .all(|t| t.device() == tch::Device::Cpu && t.kind() == Kind::Float && t.is_contiguous())
}

/// One AdamW step over flat fp32 CPU buffers in a single pass, with IEEE `sqrt`.
///
/// Why not tensor ops: on the CPU, libtorch's `sqrt` is MKL's vector-math kernel, which starts
/// from the approximate `rsqrtps` instruction, whose bits differ between Intel and AMD CPUs
/// (`kernels.rs` in the runner); `f32::sqrt` is exact everywhere. One pass instead of eight
/// kernels also saves seven sweeps over the optimizer state.
fn adamw_cpu(p: &mut Tensor, g: &Tensor, m: &mut Tensor, v: &mut Tensor, k: AdamwStep) {
    let n = p.numel();
    assert!(
        g.numel() == n && m.numel() == n && v.numel() == n,
        "AdamW buffers of one size"
    );
    // SAFETY: the four tensors are distinct, contiguous fp32 CPU buffers of `n` elements
    // (`cpu_f32`, the assert above), not resized while the slices live, and only this thread
    // touches them (inside the optimizer step).
    let (p, g, m, v) = unsafe {
        (
            std::slice::from_raw_parts_mut(p.data_ptr() as *mut f32, n),
            std::slice::from_raw_parts(g.data_ptr() as *const f32, n),
            std::slice::from_raw_parts_mut(m.data_ptr() as *mut f32, n),
            std::slice::from_raw_parts_mut(v.data_ptr() as *mut f32, n),
        )
    };
    let (one_minus_b1, one_minus_b2) = (1.0 - k.b1, 1.0 - k.b2);
    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m += one_minus_b1 * (g - *m);
        *v = k.b2 * *v + one_minus_b2 * g * g;
        let denom = v.sqrt() / k.bc2_sqrt + k.eps;
        *p = *p * k.decay + k.step_size * *m / denom;
    }
}

pub fn clip_grad_norm(grads: &mut [Tensor], max_norm: f64) -> Tensor {
    // The 2-norm reduction ends in std::sqrt; Tensor::sqrt would be MKL's approximate kernel
    // (see `adamw_cpu`).
    let norms: Vec<Tensor> = grads.iter().map(|g| g.norm()).collect();
    let norm = Tensor::stack(&norms, 0).norm();
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

    /// The single-pass fp32 CPU step and the tensor-op step (here in f64, which takes the
    /// tensor path) follow the same trajectory over many steps, decay on and off.
    #[test]
    fn cpu_fp32_step_matches_the_tensor_step() {
        let n = 1000;
        // Drawn under the seed lock: other tests in this process reseed the shared generator.
        let (init, grads) = crate::seed::seeded(7, || {
            let draw = || Tensor::randn([n], tch::kind::FLOAT_CPU);
            (draw(), (0..200).map(|_| draw()).collect::<Vec<_>>())
        });
        let settings = OptimSettings {
            kind: OptimizerKind::Adamw,
            weight_decay: 0.05,
            momentum: 0.0,
            betas: (0.9, 0.999),
            eps: 1e-8,
        };
        for decay in [true, false] {
            let group = |kind: Kind| {
                let master = init.to_kind(kind).copy(); // not a view of `init`
                crate::flat::Group {
                    decay,
                    names: vec!["w".into()],
                    shapes: vec![vec![n]],
                    offsets: vec![0],
                    vars: vec![master.shallow_clone()],
                    model: master.shallow_clone(),
                    master,
                }
            };
            let f32_params = FlatParams {
                groups: vec![group(Kind::Float)],
                compute_kind: None,
            };
            let f64_params = FlatParams {
                groups: vec![group(Kind::Double)],
                compute_kind: None,
            };
            let (mut a, mut b) = (
                Optimizer::new(&f32_params, settings),
                Optimizer::new(&f64_params, settings),
            );
            for (step, g) in grads.iter().enumerate() {
                let g = g * (1.0 + step as f64 / 50.0);
                a.step(&f32_params, &mut [g.shallow_clone()], 4e-3);
                b.step(&f64_params, &mut [g.to_kind(Kind::Double)], 4e-3);
            }
            let (x, y) = (&f32_params.groups[0].master, &f64_params.groups[0].master);
            let err = (x.to_kind(Kind::Double) - y).abs().max().double_value(&[]);
            let moved = (y - init.to_kind(Kind::Double)).abs().max().double_value(&[]);
            assert!(moved > 0.1, "the weights moved ({moved})");
            // f32 rounding over 200 steps stays near 1e-5; a wrong term (bias correction, decay, eps)
            // moves weights by 1e-3 or more.
            assert!(
                err < 1e-4,
                "decay {decay}: fp32 single pass vs f64 tensor ops differ by {err}"
            );
        }
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
