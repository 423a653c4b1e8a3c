//! 2-D convolutions whose settings stay readable (BN folding needs them; tch's `nn::Conv2D` keeps
//! its config private), and timm StarNet's `ConvBN` (a conv, then optionally a BatchNorm).

use std::borrow::Borrow;

use tch::{Tensor, nn};

use crate::init::{fan_in_uniform, trunc_normal};
use crate::norm::batch_norm2d;

/// How a conv's bias starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BiasInit {
    /// Zeros (timm's `_init_weights` for DemoNet).
    #[default]
    Zeros,
    /// PyTorch's default `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`, `fan_in = c_in / groups * k * k`
    /// (StarNet: timm re-initialises only the conv weights).
    FanInUniform,
}

/// How a conv's weight starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightInit {
    /// Trunc-normal std 0.02 (timm, and the official DemoNet code).
    #[default]
    TruncNormal,
    /// PyTorch's default, `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` (the official StarNet code's convs;
    /// see [`crate::InitScheme`]).
    FanInUniform,
}

/// The settings of a square 2-D convolution; the default is stride 1, no padding, no groups,
/// timm's init.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvConfig {
    pub stride: i64,
    pub padding: i64,
    pub groups: i64,
    pub weight: WeightInit,
    pub bias: BiasInit,
}

impl Default for ConvConfig {
    fn default() -> Self {
        ConvConfig {
            stride: 1,
            padding: 0,
            groups: 1,
            weight: WeightInit::TruncNormal,
            bias: BiasInit::Zeros,
        }
    }
}

/// A 2-D convolution with bias, as plain tensors.
#[derive(Debug)]
pub struct Conv {
    pub weight: Tensor,
    pub bias: Tensor,
    pub stride: i64,
    pub padding: i64,
    pub groups: i64,
}

/// A `kernel x kernel` conv `c_in -> c_out` with its variables `weight` (by default trunc-normal
/// std 0.02, as timm initialises every conv of DemoNet and StarNet) and `bias` directly under `p`,
/// in that order.
pub fn conv2d<'a, P: Borrow<nn::Path<'a>>>(
    p: P,
    c_in: i64,
    c_out: i64,
    kernel: i64,
    cfg: ConvConfig,
) -> Conv {
    let p = p.borrow();
    let fan_in = c_in / cfg.groups * kernel * kernel;
    let dims = [c_out, c_in / cfg.groups, kernel, kernel];
    let weight = match cfg.weight {
        WeightInit::TruncNormal => trunc_normal(p, "weight", &dims, 0.02),
        WeightInit::FanInUniform => fan_in_uniform(p, "weight", &dims, fan_in),
    };
    let bias = match cfg.bias {
        BiasInit::Zeros => p.zeros("bias", &[c_out]),
        BiasInit::FanInUniform => {
            let bound = 1.0 / (fan_in as f64).sqrt();
            let init = nn::Init::Uniform {
                lo: -bound,
                up: bound,
            };
            p.var("bias", &[c_out], init)
        }
    };
    Conv {
        weight,
        bias,
        stride: cfg.stride,
        padding: cfg.padding,
        groups: cfg.groups,
    }
}

impl nn::Module for Conv {
    fn forward(&self, x: &Tensor) -> Tensor {
        let (s, p) = (self.stride, self.padding);
        x.conv2d(
            &self.weight,
            Some(&self.bias),
            [s, s],
            [p, p],
            [1, 1],
            self.groups,
        )
    }
}

/// timm StarNet's `ConvBN`: `conv` (always with a bias, also before a BN), then `bn` if present.
/// Variables at `p/conv/{weight,bias}` and `p/bn/...`.
#[derive(Debug)]
pub struct ConvBn {
    pub conv: Conv,
    pub bn: Option<nn::BatchNorm>,
}

impl ConvBn {
    pub fn new<'a, P: Borrow<nn::Path<'a>>>(
        p: P,
        c_in: i64,
        c_out: i64,
        kernel: i64,
        cfg: ConvConfig,
        with_bn: bool,
    ) -> ConvBn {
        let p = p.borrow();
        let conv = conv2d(p / "conv", c_in, c_out, kernel, cfg);
        let bn = with_bn.then(|| batch_norm2d(p / "bn", c_out));
        ConvBn { conv, bn }
    }
}

impl nn::ModuleT for ConvBn {
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let y = x.apply(&self.conv);
        match &self.bn {
            Some(bn) => y.apply_t(bn, train),
            None => y,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::ModuleT;
    use tch::{Device, Kind};

    fn max_abs(t: &Tensor) -> f64 {
        t.abs().max().double_value(&[])
    }

    #[test]
    fn names_shapes_and_init() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = ConvConfig {
            groups: 4,
            bias: BiasInit::FanInUniform,
            ..ConvConfig::default()
        };
        let c = ConvBn::new(vs.root() / "dw", 8, 8, 3, cfg, true);
        let vars = vs.variables();
        assert_eq!(vars["dw.conv.weight"].size(), [8, 2, 3, 3]);
        assert_eq!(vars["dw.bn.running_var"].size(), [8]);
        assert!(max_abs(&c.conv.weight) <= 2.0 && max_abs(&c.conv.weight) > 0.0);
        // fan_in = 8 / 4 * 3 * 3 = 18: the bias lies in +-1/sqrt(18) and is not all zero.
        let b = max_abs(&c.conv.bias);
        assert!(b > 0.0 && b <= 1.0 / 18f64.sqrt(), "bias {b}");
        let zero = conv2d(vs.root() / "z", 2, 3, 1, ConvConfig::default());
        assert_eq!(max_abs(&zero.bias), 0.0);
    }

    #[test]
    fn fan_in_uniform_weights_follow_pytorchs_default() {
        tch::manual_seed(2);
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = ConvConfig {
            weight: WeightInit::FanInUniform,
            ..ConvConfig::default()
        };
        // 64 -> 256, 1x1: fan_in = 64, so U(-1/8, 1/8): bound 0.125, std 0.125 / sqrt(3) = 0.0722
        let c = conv2d(vs.root() / "pw", 64, 256, 1, cfg);
        let (max, std) = (max_abs(&c.weight), c.weight.std(true).double_value(&[]));
        assert!(max <= 0.125 && max > 0.124, "max |w| {max}");
        assert!((std - 0.0722).abs() < 0.002, "std {std}");
        // the default: trunc-normal std 0.02 (bounds +-2 never reached)
        let t = conv2d(vs.root() / "tn", 64, 256, 1, ConvConfig::default());
        let std = t.weight.std(true).double_value(&[]);
        assert!((std - 0.02).abs() < 0.0005, "std {std}");
    }

    #[test]
    fn stride_padding_and_groups_act_as_set() {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = ConvConfig {
            stride: 2,
            padding: 1,
            groups: 2,
            ..ConvConfig::default()
        };
        let c = conv2d(vs.root(), 2, 2, 3, cfg);
        tch::no_grad(|| {
            // Channel 0 sums its 3x3 window, channel 1 outputs 0: the groups keep them apart.
            let _ = c.weight.get(0).fill_(1.0);
            let _ = c.weight.get(1).fill_(0.0);
        });
        let x = Tensor::ones([1, 2, 5, 5], (Kind::Float, Device::Cpu));
        let y = x.apply(&c);
        assert_eq!(y.size(), [1, 2, 3, 3]);
        let ch0 = Vec::<f32>::try_from(y.get(0).get(0).flatten(0, -1)).unwrap();
        // Corners see a 2x2 corner of the input (padding), edges 2x3, the centre 3x3.
        assert_eq!(ch0, [4.0, 6.0, 4.0, 6.0, 9.0, 6.0, 4.0, 6.0, 4.0]);
        assert_eq!(max_abs(&y.get(0).get(1)), 0.0);
    }

    #[test]
    fn conv_bn_normalises_in_train_mode_only() {
        tch::manual_seed(1);
        let vs = nn::VarStore::new(Device::Cpu);
        let c = ConvBn::new(vs.root(), 3, 4, 1, ConvConfig::default(), true);
        let x = Tensor::randn([16, 3, 4, 4], (Kind::Float, Device::Cpu)) * 5.0 + 2.0;
        // Fresh running statistics (mean 0, var 1): eval mode only divides by sqrt(1 + eps).
        let eval = c.forward_t(&x, false);
        let conv = x.apply(&c.conv);
        assert!(eval.allclose(&(&conv / (1.0f64 + 1e-5).sqrt()), 1e-6, 1e-6, false));
        let train = c.forward_t(&x, true);
        let mean = train.mean_dim(&[0i64, 2, 3][..], false, None);
        assert!(max_abs(&mean) < 1e-5, "batch statistics give zero mean");
        let no_bn = ConvBn::new(vs.root() / "plain", 3, 4, 1, ConvConfig::default(), false);
        assert!(no_bn.forward_t(&x, true).equal(&x.apply(&no_bn.conv)));
    }
}
