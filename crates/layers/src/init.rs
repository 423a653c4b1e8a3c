//! Weight initialisation as timm does it for DemoNet and StarNet.

use tch::{Tensor, nn};

/// A variable drawn from N(0, std^2) truncated to `[-2, 2]` (timm's `trunc_normal_(w, std)` with its
/// default absolute bounds), from tch's global RNG: seed with `tch::manual_seed` before building.
pub fn trunc_normal(p: &nn::Path, name: &str, dims: &[i64], std: f64) -> Tensor {
    let mut t = p.zeros(name, dims);
    tch::no_grad(|| {
        let _ = t.normal_(0.0, std);
        // Resample the (for std = 0.02: astronomically rare) draws outside the bounds.
        loop {
            let out = t.abs().gt(2.0);
            if out.any().int64_value(&[]) == 0 {
                break;
            }
            let fresh = t.randn_like().g_mul_scalar(std);
            t.copy_(&t.where_self(&out.logical_not(), &fresh));
        }
    });
    t
}
