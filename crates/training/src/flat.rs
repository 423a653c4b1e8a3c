//! Trainable parameters packed into one contiguous buffer per weight-decay group.
//!
//! Each variable of the `VarStore` becomes a view into its group's flat buffer (`set_data`, as
//! `param.data = flat[a:b].view(shape)` in PyTorch), so the optimizer, gradient clipping and EMA
//! are a handful of large tensor ops per step instead of a few per variable.
//!
//! With bf16 mixed precision the model's variables are bf16 views of a bf16 buffer and the
//! optimizer updates an fp32 `master` copy, then copies it into the bf16 buffer (the "fp32 master
//! weights" scheme): no autocast, so no per-op casts and no deprecation warnings.

use tch::{Kind, Tensor, nn};

/// One weight-decay group.
pub struct Group {
    /// Whether weight decay applies.
    pub decay: bool,
    /// Variable names, sorted, with their shapes and offsets into the flat buffers.
    pub names: Vec<String>,
    pub shapes: Vec<Vec<i64>>,
    pub offsets: Vec<i64>,
    /// The variables themselves (views into `model`).
    pub vars: Vec<Tensor>,
    /// What the model computes with (fp32, or bf16 under mixed precision).
    pub model: Tensor,
    /// fp32 weights the optimizer updates; the same storage as `model` without mixed precision.
    pub master: Tensor,
}

/// All trainable variables of a `VarStore`, grouped for weight decay.
pub struct FlatParams {
    pub groups: Vec<Group>,
    /// `Some(kind)` when the model computes in `kind` (bf16) while masters stay fp32.
    pub compute_kind: Option<Kind>,
}

/// timm's rule (`param_groups_weight_decay`): no decay for tensors with at most one dimension
/// (biases, norm weights, layer scales).
pub fn decays(shape: &[i64]) -> bool {
    shape.len() > 1
}

impl FlatParams {
    /// Packs `vs`'s trainable variables. `skip_1d`: apply timm's no-decay rule (otherwise every
    /// variable decays, as `torch.optim.SGD(model.parameters(), weight_decay=...)`).
    /// `compute_kind`: e.g. `Some(Kind::BFloat16)` for mixed precision.
    pub fn new(vs: &nn::VarStore, skip_1d: bool, compute_kind: Option<Kind>) -> FlatParams {
        let mut vars: Vec<(String, Tensor)> = vs
            .variables()
            .into_iter()
            .filter(|(_, t)| t.requires_grad())
            .collect();
        // HashMap order is random: sort so that packing (and everything after) is reproducible.
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let device = vs.device();
        let mut groups = vec![];
        for decay in [true, false] {
            let members: Vec<&(String, Tensor)> = vars
                .iter()
                .filter(|(_, t)| (!skip_1d || decays(&t.size())) == decay)
                .collect();
            if members.is_empty() {
                continue;
            }
            let total: i64 = members.iter().map(|(_, t)| t.numel() as i64).sum();
            let master = Tensor::zeros([total], (Kind::Float, device));
            let model = match compute_kind {
                Some(k) => Tensor::zeros([total], (k, device)),
                None => master.shallow_clone(),
            };
            let mut g = Group {
                decay,
                names: vec![],
                shapes: vec![],
                offsets: vec![],
                vars: vec![],
                model,
                master,
            };
            let mut off = 0;
            tch::no_grad(|| {
                for (name, var) in members {
                    let n = var.numel() as i64;
                    let shape = var.size();
                    g.master.narrow(0, off, n).copy_(&var.flatten(0, -1));
                    let mut v = var.shallow_clone();
                    v.set_data(&g.model.narrow(0, off, n).view(shape.as_slice()));
                    g.names.push(name.clone());
                    g.shapes.push(shape);
                    g.offsets.push(off);
                    g.vars.push(v);
                    off += n;
                }
            });
            groups.push(g);
        }
        let flat = FlatParams { groups, compute_kind };
        flat.master_to_model();
        flat
    }

    /// Copies the fp32 masters into the model's buffers (a no-op without mixed precision).
    pub fn master_to_model(&self) {
        if self.compute_kind.is_some() {
            tch::no_grad(|| {
                for g in &self.groups {
                    g.model.shallow_clone().copy_(&g.master);
                }
            });
        }
    }

    /// Copies the model's current values into the masters (after loading a state dict).
    pub fn model_to_master(&self) {
        if self.compute_kind.is_some() {
            tch::no_grad(|| {
                for g in &self.groups {
                    g.master.shallow_clone().copy_(&g.model);
                }
            });
        }
    }

    /// Each group's gradient as one fp32 vector (zeros for variables that got no gradient).
    pub fn grads(&self) -> Vec<Tensor> {
        self.groups
            .iter()
            .map(|g| {
                let parts: Vec<Tensor> = g
                    .vars
                    .iter()
                    .map(|v| {
                        let gr = v.grad();
                        if gr.defined() {
                            gr.flatten(0, -1)
                        } else {
                            v.zeros_like().flatten(0, -1)
                        }
                    })
                    .collect();
                Tensor::cat(&parts, 0).to_kind(Kind::Float)
            })
            .collect()
    }

    /// Zeroes every variable's gradient in place.
    pub fn zero_grads(&self) {
        for g in &self.groups {
            for v in &g.vars {
                v.shallow_clone().zero_grad();
            }
        }
    }

    /// Trainable scalars.
    pub fn numel(&self) -> i64 {
        self.groups.iter().map(|g| g.master.numel() as i64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_become_views_and_groups_follow_ndim() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let w = vs.root().var("w", &[2, 3], nn::Init::Const(2.0));
        let b = vs.root().var("b", &[3], nn::Init::Const(5.0));
        let flat = FlatParams::new(&vs, true, None);
        assert_eq!(flat.groups.len(), 2);
        assert!(flat.groups[0].decay && !flat.groups[1].decay);
        assert_eq!(flat.groups[0].names, ["w"]);
        assert_eq!(flat.groups[1].names, ["b"]);
        // values survived packing, and writing the flat buffer changes the variables
        assert_eq!(flat.groups[0].master.sum(Kind::Float).double_value(&[]), 12.0);
        let _ = tch::no_grad(|| flat.groups[1].master.shallow_clone().fill_(1.0));
        assert_eq!(b.sum(Kind::Float).double_value(&[]), 3.0);
        assert_eq!(vs.variables()["b"].sum(Kind::Float).double_value(&[]), 3.0);
        // gradients still reach the variables
        (&w * 3.0).sum(Kind::Float).backward();
        let g = flat.grads();
        assert_eq!(Vec::<f32>::try_from(&g[0]).unwrap(), vec![3.0; 6]);
        assert_eq!(Vec::<f32>::try_from(&g[1]).unwrap(), vec![0.0; 3]);
        flat.zero_grads();
        assert_eq!(w.grad().abs().sum(Kind::Float).double_value(&[]), 0.0);

        let all = FlatParams::new(&vs, false, None);
        assert_eq!(all.groups.len(), 1);
        assert_eq!(all.groups[0].names, ["b", "w"]);
        assert_eq!(all.numel(), 9);
    }
}
