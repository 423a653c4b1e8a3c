//! The BN-folded network as plain tensors in PyTorch's layouts, for exporters (ONNX).
//!
//! [`FusedStarNet`] keeps its weights in the shapes its own forward wants (channels-last convs,
//! transposed 1x1 weights); [`FusedStarNet::folded`] hands out standard copies: conv weights
//! `out x in/groups x kh x kw` (contiguous NCHW order), biases `out`, the classifier `classes x
//! features`. Nothing BN-shaped is left, and `f1`/`f2` are already one conv.

use crate::fused::{FusedBlock, FusedStarNet};
use layers::{Act, Conv, Mode};
use tch::Tensor;

/// A conv with bias, weights in PyTorch's `OIHW` order (contiguous).
#[derive(Debug)]
pub struct FoldedConv {
    pub weight: Tensor,
    pub bias: Tensor,
    pub stride: i64,
    pub padding: i64,
    pub groups: i64,
}

/// One block: `x + dwconv2(g(merge(split(f12(dwconv(x))))))`.
#[derive(Debug)]
pub struct FoldedBlock {
    pub dwconv: FoldedConv,
    /// `f1` and `f2` as one 1x1 conv with `2 * hidden` outputs: `f1`'s first, then `f2`'s.
    pub f12: FoldedConv,
    pub hidden: i64,
    pub g: FoldedConv,
    pub dwconv2: FoldedConv,
    pub mode: Mode,
    pub act: Act,
}

#[derive(Debug)]
pub struct FoldedStage {
    /// The stride-2 downsampler.
    pub down: FoldedConv,
    pub blocks: Vec<FoldedBlock>,
}

/// The whole folded network: `stem_act(stem(x))`, the stages, global average pool, `head`.
#[derive(Debug)]
pub struct Folded {
    pub stem: FoldedConv,
    pub stem_act: Act,
    pub stages: Vec<FoldedStage>,
    /// `num_classes x num_features`, with the head BN folded in.
    pub head_weight: Tensor,
    pub head_bias: Tensor,
}

fn conv(c: &Conv) -> FoldedConv {
    FoldedConv {
        weight: c.weight.contiguous(),
        bias: c.bias.contiguous(),
        stride: c.stride,
        padding: c.padding,
        groups: c.groups,
    }
}

/// A 1x1 conv back from its `in x out` matmul form.
fn pointwise(weight_t: &Tensor, bias: &Tensor) -> FoldedConv {
    let w = weight_t.tr().contiguous();
    let (out, inp) = (w.size()[0], w.size()[1]);
    FoldedConv {
        weight: w.view([out, inp, 1, 1]),
        bias: bias.contiguous(),
        stride: 1,
        padding: 0,
        groups: 1,
    }
}

fn block(b: &FusedBlock) -> FoldedBlock {
    FoldedBlock {
        dwconv: conv(&b.dwconv),
        f12: pointwise(&b.f12.weight_t, &b.f12.bias),
        hidden: b.hidden,
        g: pointwise(&b.g.weight_t, &b.g.bias),
        dwconv2: conv(&b.dwconv2),
        mode: b.mode,
        act: b.act,
    }
}

impl FusedStarNet {
    /// Standard-layout copies of every folded weight (see the module doc).
    pub fn folded(&self) -> Folded {
        tch::no_grad(|| Folded {
            stem: conv(&self.stem),
            stem_act: self.stem_act,
            stages: self
                .stages
                .iter()
                .map(|(down, blocks)| FoldedStage {
                    down: conv(down),
                    blocks: blocks.iter().map(block).collect(),
                })
                .collect(),
            head_weight: self.head_weight.contiguous(),
            head_bias: self.head_bias.contiguous(),
        })
    }
}
