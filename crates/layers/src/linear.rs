//! `nn.Linear` as timm initialises it in DemoNet and StarNet.

use std::borrow::Borrow;

use tch::nn;

use crate::init::trunc_normal;

/// A linear layer `in_dim -> out_dim` with variables `weight` (trunc-normal std 0.02), then `bias`
/// (zeros): timm's `_init_weights` for `nn.Linear`.
pub fn linear<'a, P: Borrow<nn::Path<'a>>>(p: P, in_dim: i64, out_dim: i64) -> nn::Linear {
    let p = p.borrow();
    let ws = trunc_normal(p, "weight", &[out_dim, in_dim], 0.02);
    let bs = Some(p.zeros("bias", &[out_dim]));
    nn::Linear { ws, bs }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn weight_then_bias_with_timms_init() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let l = linear(vs.root() / "head", 300, 200);
        let vars = vs.variables();
        assert_eq!(vars["head.weight"].size(), [200, 300]);
        let std = l.ws.std(true).double_value(&[]);
        assert!((std - 0.02).abs() < 0.001, "weight std {std}");
        assert_eq!(l.bs.unwrap().abs().max().double_value(&[]), 0.0);
        // Creation order is the optimiser's parameter order: weight first.
        assert_eq!(vs.trainable_variables()[0].size(), [200, 300]);
    }
}
