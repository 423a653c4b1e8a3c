//! Weight initialisation: timm's (trunc-normal std 0.02 for DemoNet's and StarNet's convs and
//! linears) and PyTorch's default, which the official StarNet code leaves on its convs.

use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

/// Which code's initialisation a model follows (`init = "timm" | "official"` in a config).
///
/// - `timm`: every conv weight trunc-normal std 0.02 (timm's `starnet_*`; also what the official
///   DemoNet code does, so for DemoNet the two choices are the same).
/// - `official`: the official StarNet code (`imagenet/starnet.py`). Its `_init_weights` tests
///   `isinstance(m, nn.Linear or nn.Conv2d)`, and `nn.Linear or nn.Conv2d` is just `nn.Linear`,
///   so only the classifier gets trunc-normal; every conv keeps PyTorch's default
///   ([`fan_in_uniform`]), 2-7x the spread of std 0.02 for StarNet's fan-ins.
///
/// Biases, BatchNorm and the classifier start alike under both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitScheme {
    #[default]
    Timm,
    Official,
}

/// PyTorch's default weight init for convs and linears, `kaiming_uniform_(w, a = sqrt(5))`:
/// U(-b, b) with b = gain * sqrt(3 / fan_in) and gain = sqrt(2 / (1 + a^2)) = sqrt(1 / 3), i.e.
/// b = 1 / sqrt(fan_in) (std b / sqrt(3)). `fan_in` = input channels per group x kernel area.
pub fn fan_in_uniform(p: &nn::Path, name: &str, dims: &[i64], fan_in: i64) -> Tensor {
    let bound = 1.0 / (fan_in as f64).sqrt();
    p.var(
        name,
        dims,
        nn::Init::Uniform {
            lo: -bound,
            up: bound,
        },
    )
}

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
