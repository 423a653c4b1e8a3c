//! [`Snapshot`]: a copy of a model's weights kept aside, e.g. those of the epoch selected on the
//! validation split, so that the test split is evaluated with them once, at the end of a run.

use tch::{Tensor, nn};

/// A copy of every variable of a `VarStore` (trainable or not, so BatchNorm statistics too),
/// sorted by name.
pub struct Snapshot {
    vars: Vec<(String, Tensor)>,
}

impl Snapshot {
    /// Copies `vs`'s variables as they are now.
    pub fn take(vs: &nn::VarStore) -> Snapshot {
        let mut vars: Vec<(String, Tensor)> = vs
            .variables()
            .into_iter()
            .map(|(name, t)| (name, t.detach().copy()))
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        Snapshot { vars }
    }

    /// From tensors named like `vs`'s variables (a checkpoint's `selected.*`).
    pub fn from_tensors(mut vars: Vec<(String, Tensor)>) -> Snapshot {
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        Snapshot { vars }
    }

    pub fn tensors(&self) -> &[(String, Tensor)] {
        &self.vars
    }

    /// Runs `f` with these weights in `vs`, then puts `vs`'s own weights back.
    pub fn with_loaded<R>(&self, vs: &nn::VarStore, f: impl FnOnce() -> R) -> R {
        let own = Snapshot::take(vs);
        self.copy_into(vs);
        let out = f();
        own.copy_into(vs);
        out
    }

    fn copy_into(&self, vs: &nn::VarStore) {
        let targets = vs.variables();
        tch::no_grad(|| {
            for (name, t) in &self.vars {
                if let Some(dst) = targets.get(name) {
                    dst.shallow_clone().copy_(t);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    #[test]
    fn loaded_weights_are_seen_inside_and_restored_after() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let w = vs.root().var("w", &[3], nn::Init::Const(1.0));
        let snap = Snapshot::take(&vs);
        let _ = tch::no_grad(|| w.shallow_clone().fill_(5.0));
        let seen = snap.with_loaded(&vs, || w.sum(Kind::Float).double_value(&[]));
        assert_eq!(seen, 3.0);
        assert_eq!(w.sum(Kind::Float).double_value(&[]), 15.0);
    }
}
