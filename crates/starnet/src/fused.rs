//! Inference StarNet with every BatchNorm folded away (`StarNet::fuse`).
//!
//! Eval-mode BN is a per-channel affine map `y = s * (x - mean) + beta`, `s = gamma / sqrt(var + eps)`,
//! so after a conv it folds into that conv: `W' = s W`, `b' = s (b - mean) + beta`. Folded: the stem,
//! every downsampler, every block's `dwconv` and `g`. The head BN comes *before* global average pooling
//! and the Linear; pooling is linear and commutes with a per-channel affine map, so the BN folds into
//! the classifier: `W' = W diag(s)`, `b' = W (beta - s mean) + b`. Nothing BN-shaped is left.
//!
//! Also for speed: weights and activations are kept channels-last (NHWC in memory), the layout
//! oneDNN's CPU convolutions run natively (in NCHW every conv call converts its input and output).
//! In NHWC a 1x1 conv is a matmul over the last dimension, so `f1`, `f2` and `g` run as matmuls on
//! the permuted view (no copy): one GEMM instead of a conv that libtorch sends, at batch 1 and in
//! the small late stages, to its slow im2col path. `f1` and `f2` read the same input, so they are
//! one GEMM with `2 r d` outputs whose halves are then merged.

use crate::model::StarNet;
use layers::{Act, Conv, ConvBn, Mode, star_};
use tch::nn::{self, Module};
use tch::{Kind, Tensor};

/// The same 4-D tensor stored channels-last (PyTorch's `memory_format=torch.channels_last`).
fn channels_last(t: &Tensor) -> Tensor {
    t.permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2])
}

/// A conv with its BN (if any) folded in; detached channels-last copies, no autograd.
fn fold(c: &ConvBn) -> Conv {
    let (w, b) = (c.conv.weight.detach().copy(), c.conv.bias.detach().copy());
    let (weight, bias) = match &c.bn {
        Some(bn) => {
            let (s, t) = bn_affine(bn);
            (&w * s.view([-1, 1, 1, 1]), &b * &s + t)
        }
        None => (w, b),
    };
    Conv {
        weight: channels_last(&weight),
        bias,
        stride: c.conv.stride,
        padding: c.conv.padding,
        groups: c.conv.groups,
    }
}

/// Eval-mode BN as `y = s * x + t`.
fn bn_affine(bn: &nn::BatchNorm) -> (Tensor, Tensor) {
    let eps = 1e-5; // nn::BatchNormConfig's default, the only one StarNet uses (= PyTorch's).
    let gamma = bn
        .ws
        .as_ref()
        .map(Tensor::detach)
        .unwrap_or_else(|| bn.running_var.ones_like());
    let beta = bn
        .bs
        .as_ref()
        .map(Tensor::detach)
        .unwrap_or_else(|| bn.running_mean.zeros_like());
    let s = gamma / (bn.running_var.detach() + eps).sqrt();
    let t = beta - &s * bn.running_mean.detach();
    (s, t)
}

/// A 1x1 conv (stride 1, no groups) as a matmul over the channel dimension.
#[derive(Debug)]
pub(crate) struct Pointwise {
    /// `in x out`: the conv weight without its unit dimensions, transposed (a view).
    pub(crate) weight_t: Tensor,
    pub(crate) bias: Tensor,
}

impl Pointwise {
    fn new(c: &Conv) -> Self {
        debug_assert!(c.stride == 1 && c.groups == 1 && c.weight.size()[2..] == [1, 1]);
        Self {
            weight_t: c.weight.flatten(1, -1).contiguous().tr(),
            bias: c.bias.shallow_clone(),
        }
    }

    /// `x` is `N x H x W x C` (a permuted view of a channels-last tensor).
    fn forward(&self, x: &Tensor) -> Tensor {
        // The bias is added in place afterwards: `linear` (addmm) first broadcast-copies it into
        // the whole output, which costs as much as the GEMM on the large early-stage maps.
        let mut y = x.matmul(&self.weight_t);
        let _ = y.g_add_(&self.bias);
        y
    }
}

#[derive(Debug)]
pub(crate) struct FusedBlock {
    pub(crate) dwconv: Conv,
    /// `f1` and `f2` stacked along the output channels: one GEMM, then split in halves.
    pub(crate) f12: Pointwise,
    pub(crate) hidden: i64,
    pub(crate) g: Pointwise,
    pub(crate) dwconv2: Conv,
    pub(crate) mode: Mode,
    pub(crate) act: Act,
}

impl FusedBlock {
    fn forward(&self, x: &Tensor) -> Tensor {
        let nhwc = self.dwconv.forward(x).permute([0, 2, 3, 1]);
        let y = self.f12.forward(&nhwc);
        let mut x1 = y.narrow(-1, 0, self.hidden);
        let mut x2 = y.narrow(-1, self.hidden, self.hidden);
        // In place: the merged halves stay in `y`'s first half, which `g` reads with a row stride.
        star_(&mut x1, &mut x2, self.mode, self.act);
        let y = self.g.forward(&x1).permute([0, 3, 1, 2]);
        let mut out = self.dwconv2.forward(&y);
        out += x;
        out
    }
}

/// The BN-folded inference network returned by [`StarNet::fuse`]. Its logits equal the source
/// network's eval-mode logits up to float rounding; it has no training mode and no VarStore.
#[derive(Debug)]
pub struct FusedStarNet {
    pub(crate) stem: Conv,
    pub(crate) stem_act: Act,
    pub(crate) stages: Vec<(Conv, Vec<FusedBlock>)>,
    pub(crate) head_weight: Tensor,
    pub(crate) head_bias: Tensor,
}

impl StarNet {
    /// Folds every BatchNorm (eval-mode statistics) into the preceding conv, and the head BN into
    /// the classifier. The result does not share storage with `self`.
    pub fn fuse(&self) -> FusedStarNet {
        tch::no_grad(|| {
            let stages = self
                .stages
                .iter()
                .map(|stage| {
                    let blocks = stage
                        .blocks
                        .iter()
                        .map(|b| {
                            let f1 = fold(&b.f1);
                            let f2 = fold(&b.f2);
                            let hidden = f1.weight.size()[0];
                            let f12 = Conv {
                                weight: Tensor::cat(&[&f1.weight, &f2.weight], 0),
                                bias: Tensor::cat(&[&f1.bias, &f2.bias], 0),
                                ..f1
                            };
                            FusedBlock {
                                dwconv: fold(&b.dwconv),
                                f12: Pointwise::new(&f12),
                                hidden,
                                g: Pointwise::new(&fold(&b.g)),
                                dwconv2: fold(&b.dwconv2),
                                mode: b.mode,
                                act: b.act,
                            }
                        })
                        .collect();
                    (fold(&stage.down), blocks)
                })
                .collect();
            let (s, t) = bn_affine(&self.norm);
            let w = self.head.ws.detach();
            let b = match &self.head.bs {
                Some(b) => b.detach(),
                None => Tensor::zeros([w.size()[0]], (w.kind(), w.device())),
            };
            let head_bias = w.matmul(&t) + b;
            let head_weight = &w * s.view([1, -1]);
            FusedStarNet {
                stem: fold(&self.stem),
                stem_act: self.config.stem_act,
                stages,
                head_weight,
                head_bias,
            }
        })
    }
}

impl FusedStarNet {
    /// Logits `N x num_classes` for `N x C x H x W` float input (no autograd).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        tch::no_grad(|| {
            let mut x = self.stem_act.apply(&self.stem.forward(&channels_last(x)));
            for (down, blocks) in &self.stages {
                x = down.forward(&x);
                for block in blocks {
                    x = block.forward(&x);
                }
            }
            let pooled = x.mean_dim(&[-2i64, -1][..], false, None::<Kind>);
            pooled.linear(&self.head_weight, Some(&self.head_bias))
        })
    }
}

impl tch::nn::Module for FusedStarNet {
    fn forward(&self, xs: &Tensor) -> Tensor {
        FusedStarNet::forward(self, xs)
    }
}
