//! StarNet (Ma et al., "Rewrite the Stars", CVPR 2024) on one screen, timm's structure and names
//! ([`Config`] and its presets live in [`crate::config`]; the shared blocks in the `layers` crate).
//!
//! Every variable lives at the path of timm's `starnet_*` state dict (`stem.0.conv.weight`,
//! `stages.2.3.f1.conv.weight`, `norm.running_var`, `head.weight`, ...), so a timm checkpoint
//! saved as safetensors loads with no renaming (see [`crate::weights`]).
//!
//! ```text
//! stem    ConvBN 3x3/2 (in_chans -> 32) + act
//! stage i ConvBN 3x3/2 (-> base_dim * 2^i)  then depths[i] x Block
//! Block   x + drop_path(dwconv2(g(merge(f1(dw(x)), f2(dw(x))))))
//!         dw = ConvBN dw7x7, f1/f2 = conv 1x1 (d -> r*d), g = ConvBN 1x1 (r*d -> d), dwconv2 = conv dw7x7
//! head    BatchNorm -> global average pool -> (dropout) -> Linear
//! ```

use anyhow::Result;
use layers::{
    Act, BiasInit, ConvBn, ConvConfig, InitScheme, Mode, WeightInit, batch_norm2d, drop_path, linear, star,
};
use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

use crate::config::{Config, STEM_DIM};

/// How StarNet's convs start under `init`: the bias always keeps PyTorch's default (timm's
/// `_init_weights` redraws only the weights; the official code redraws nothing).
fn conv_init(init: InitScheme) -> ConvConfig {
    ConvConfig {
        weight: match init {
            InitScheme::Timm => WeightInit::TruncNormal,
            InitScheme::Official => WeightInit::FanInUniform,
        },
        bias: BiasInit::FanInUniform,
        ..ConvConfig::default()
    }
}

/// timm StarNet's `ConvBN(c_in, c_out, 3, 2, 1)`: the stem and each stage's downsampler.
fn conv_bn_down(p: nn::Path, init: ConvConfig, c_in: i64, c_out: i64) -> ConvBn {
    let cfg = ConvConfig {
        stride: 2,
        padding: 1,
        ..init
    };
    ConvBn::new(p, c_in, c_out, 3, cfg, true)
}

/// timm StarNet's `ConvBN(dim, dim, 7, 1, 3, groups=dim, with_bn)`: a depthwise 7x7.
fn conv_bn_dw7(p: nn::Path, init: ConvConfig, dim: i64, with_bn: bool) -> ConvBn {
    let cfg = ConvConfig {
        padding: 3,
        groups: dim,
        ..init
    };
    ConvBn::new(p, dim, dim, 7, cfg, with_bn)
}

/// timm StarNet's `ConvBN(c_in, c_out, 1, with_bn)`: a pointwise 1x1.
fn conv_bn_1x1(p: nn::Path, init: ConvConfig, c_in: i64, c_out: i64, with_bn: bool) -> ConvBn {
    ConvBn::new(p, c_in, c_out, 1, init, with_bn)
}

/// One StarNet block; field names are timm's module names.
#[derive(Debug)]
pub(crate) struct Block {
    pub(crate) dwconv: ConvBn,
    pub(crate) f1: ConvBn,
    pub(crate) f2: ConvBn,
    pub(crate) g: ConvBn,
    pub(crate) dwconv2: ConvBn,
    pub(crate) mode: Mode,
    pub(crate) act: Act,
    drop_path: f64,
}

impl Block {
    fn new(
        p: nn::Path,
        init: ConvConfig,
        dim: i64,
        mlp_ratio: i64,
        mode: Mode,
        act: Act,
        drop_path: f64,
    ) -> Block {
        let hidden = mlp_ratio * dim;
        Block {
            dwconv: conv_bn_dw7(&p / "dwconv", init, dim, true),
            f1: conv_bn_1x1(&p / "f1", init, dim, hidden, false),
            f2: conv_bn_1x1(&p / "f2", init, dim, hidden, false),
            g: conv_bn_1x1(&p / "g", init, hidden, dim, true),
            dwconv2: conv_bn_dw7(&p / "dwconv2", init, dim, false),
            mode,
            act,
            drop_path,
        }
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let y = self.dwconv.forward_t(x, train);
        let (x1, x2) = (self.f1.forward_t(&y, train), self.f2.forward_t(&y, train));
        let y = star(&x1, &x2, self.mode, self.act);
        let y = self.dwconv2.forward_t(&self.g.forward_t(&y, train), train);
        x + drop_path(&y, self.drop_path, train)
    }
}

/// One stage: its stride-2 downsampler (`stages.i.0`) and blocks (`stages.i.1..`).
#[derive(Debug)]
pub(crate) struct Stage {
    pub(crate) down: ConvBn,
    pub(crate) blocks: Vec<Block>,
}

/// StarNet with training-time BatchNorm; use [`StarNet::fuse`] for a BN-folded inference copy.
///
/// It implements [`nn::ModuleT`] (input `N x in_chans x H x W` float, output `N x num_classes`
/// logits), the interface the shared training loop drives.
#[derive(Debug)]
pub struct StarNet {
    pub(crate) config: Config,
    pub(crate) stem: ConvBn,
    pub(crate) stages: Vec<Stage>,
    pub(crate) norm: nn::BatchNorm,
    pub(crate) head: nn::Linear,
}

impl StarNet {
    /// Builds the network under `p` (use `&vs.root()`), initialised as `config.init` says (timm:
    /// convs and the classifier trunc-normal std 0.02; official: the convs keep PyTorch's default),
    /// BN weight 1 and bias 0, classifier bias 0. Seed with `tch::manual_seed` first for a
    /// reproducible init.
    pub fn new(p: &nn::Path, config: &Config) -> Result<StarNet> {
        config.validate()?;
        let init = conv_init(config.init);
        let stem = conv_bn_down(p / "stem" / "0", init, config.in_chans, STEM_DIM);
        let rates = config.drop_path_rates();
        let mut prev = STEM_DIM;
        let mut block_index = 0;
        let mut stages = Vec::with_capacity(config.depths.len());
        for (i, &depth) in config.depths.iter().enumerate() {
            let sp = p / "stages" / i;
            let dim = config.stage_dim(i);
            let down = conv_bn_down(&sp / "0", init, prev, dim);
            let blocks = (0..depth as usize)
                .map(|j| {
                    let rate = rates[block_index + j];
                    Block::new(
                        &sp / (j + 1),
                        init,
                        dim,
                        config.mlp_ratio,
                        config.stage_modes[i],
                        config.act,
                        rate,
                    )
                })
                .collect();
            block_index += depth as usize;
            prev = dim;
            stages.push(Stage { down, blocks });
        }
        let norm = batch_norm2d(p / "norm", prev);
        let head = linear(p / "head", prev, config.num_classes);
        Ok(StarNet {
            config: config.clone(),
            stem,
            stages,
            norm,
            head,
        })
    }

    /// The configuration this network was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Features before pooling: `N x num_features x H/32 x W/32`, after the head BatchNorm
    /// (timm's `forward_features`).
    pub fn forward_features(&self, x: &Tensor, train: bool) -> Tensor {
        let mut x = self.config.stem_act.apply(&self.stem.forward_t(x, train));
        for stage in &self.stages {
            x = stage.down.forward_t(&x, train);
            for block in &stage.blocks {
                x = block.forward_t(&x, train);
            }
        }
        x.apply_t(&self.norm, train)
    }
}

impl ModuleT for StarNet {
    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let pooled = self
            .forward_features(x, train)
            .mean_dim(&[-2i64, -1][..], false, None::<Kind>);
        pooled.dropout(self.config.drop_rate, train).apply(&self.head)
    }
}
