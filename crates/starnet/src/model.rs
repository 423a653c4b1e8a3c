//! StarNet (Ma et al., "Rewrite the Stars", CVPR 2024), one file, timm's structure and names.
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

use anyhow::{Result, bail, ensure};
use demonet::init::trunc_normal;
pub use demonet::star::{Act, Mode};
use serde::{Deserialize, Serialize};
use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

/// Width of the stem conv: fixed at 32 in the paper and in timm.
pub const STEM_DIM: i64 = 32;

/// The names [`Config::from_name`] accepts, in size order (timm's model names).
pub const VARIANTS: [&str; 7] = [
    "starnet_s050",
    "starnet_s100",
    "starnet_s150",
    "starnet_s1",
    "starnet_s2",
    "starnet_s3",
    "starnet_s4",
];

/// A StarNet architecture: the paper's knobs plus the ablation switches of its Tables 7, 9 and 17.
///
/// `Default` is timm's `StarNet()` default, which is S4. Presets: [`Config::s050`] ..
/// [`Config::s4`], or [`Config::from_name`]. Serialised with every result, so a run records the
/// exact network it trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Channels of stage 1; stage `i` has `base_dim * 2^i` channels.
    pub base_dim: i64,
    /// Number of blocks in each stage (each stage also starts with a stride-2 downsampler).
    pub depths: Vec<i64>,
    /// Expansion of `f1`/`f2`: the star runs in `mlp_ratio * dim` channels.
    pub mlp_ratio: i64,
    /// Stochastic-depth rate of the last block; rates rise linearly from 0 over all blocks (timm).
    pub drop_path_rate: f64,
    /// Dropout before the classifier (timm's `drop_rate`), training only.
    pub drop_rate: f64,
    /// Classifier outputs.
    pub num_classes: i64,
    /// Input channels (3 for RGB; Fashion-MNIST is fed as 3 repeated grey channels, see the crate doc).
    pub in_chans: i64,
    /// How each stage merges `f1` and `f2` (one entry per stage, Table 7): `star` = act(x1) * x2
    /// (the paper), `sum` = act(x1) + x2, `star_both` = act(x1) * act(x2), `star_after` =
    /// act(x1 * x2) (Table 9). With `act = none` every star placement is the plain x1 * x2.
    pub stage_modes: Vec<Mode>,
    /// The activation inside the merge (Table 17): relu6 (paper), relu, gelu, leaky_relu,
    /// hardswish or none.
    pub act: Act,
    /// The activation after the stem conv. timm's `act_layer` sets both this and `act`; keeping
    /// them apart lets "no activation in the block" (Table 9) leave the stem as the paper has it.
    pub stem_act: Act,
}

impl Default for Config {
    fn default() -> Self {
        Config::s4()
    }
}

impl Config {
    fn preset(base_dim: i64, depths: [i64; 4], mlp_ratio: i64) -> Config {
        Config {
            base_dim,
            depths: depths.to_vec(),
            mlp_ratio,
            drop_path_rate: 0.0,
            drop_rate: 0.0,
            num_classes: 1000,
            in_chans: 3,
            stage_modes: vec![Mode::Star; 4],
            act: Act::Relu6,
            stem_act: Act::Relu6,
        }
    }

    /// StarNet-S050: base 16, depths 1-1-3-1, ratio 3 (0.54M params).
    pub fn s050() -> Config {
        Config::preset(16, [1, 1, 3, 1], 3)
    }
    /// StarNet-S100: base 20, depths 1-2-4-1, ratio 4 (1.04M params).
    pub fn s100() -> Config {
        Config::preset(20, [1, 2, 4, 1], 4)
    }
    /// StarNet-S150: base 24, depths 1-2-4-2, ratio 3 (1.56M params).
    pub fn s150() -> Config {
        Config::preset(24, [1, 2, 4, 2], 3)
    }
    /// StarNet-S1: base 24, depths 2-2-8-3, ratio 4 (2.9M params).
    pub fn s1() -> Config {
        Config::preset(24, [2, 2, 8, 3], 4)
    }
    /// StarNet-S2: base 32, depths 1-2-6-2, ratio 4 (3.7M params).
    pub fn s2() -> Config {
        Config::preset(32, [1, 2, 6, 2], 4)
    }
    /// StarNet-S3: base 32, depths 2-2-8-4, ratio 4 (5.8M params).
    pub fn s3() -> Config {
        Config::preset(32, [2, 2, 8, 4], 4)
    }
    /// StarNet-S4: base 32, depths 3-3-12-5, ratio 4 (7.5M params); S4 trains with drop path 0.1.
    pub fn s4() -> Config {
        Config::preset(32, [3, 3, 12, 5], 4)
    }

    /// A preset by timm's name (`starnet_s1`; the `starnet_` prefix and a `.in1k`-style tag are
    /// optional, case is ignored).
    pub fn from_name(name: &str) -> Result<Config> {
        let lower = name.to_ascii_lowercase();
        let base = lower.split('.').next().unwrap_or_default();
        let short = base.strip_prefix("starnet_").unwrap_or(base);
        Ok(match short {
            "s050" => Config::s050(),
            "s100" => Config::s100(),
            "s150" => Config::s150(),
            "s1" => Config::s1(),
            "s2" => Config::s2(),
            "s3" => Config::s3(),
            "s4" => Config::s4(),
            _ => bail!(
                "unknown StarNet variant '{name}'; valid names: {}",
                VARIANTS.join(", ")
            ),
        })
    }

    /// The same network with every stage merging with `mode`.
    pub fn with_mode(mut self, mode: Mode) -> Config {
        self.stage_modes = vec![mode; self.depths.len()];
        self
    }

    /// Channels of stage `i`.
    pub fn stage_dim(&self, i: usize) -> i64 {
        self.base_dim << i
    }

    /// Channels entering the head.
    pub fn num_features(&self) -> i64 {
        self.stage_dim(self.depths.len() - 1)
    }

    /// Drop-path rate of each block in order (timm: `linspace(0, drop_path_rate, sum(depths))`).
    pub fn drop_path_rates(&self) -> Vec<f64> {
        let n: i64 = self.depths.iter().sum();
        (0..n)
            .map(|i| {
                if n > 1 {
                    self.drop_path_rate * i as f64 / (n - 1) as f64
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Checks every field; the error names the field and the problem.
    pub fn validate(&self) -> Result<()> {
        ensure!(
            self.base_dim >= 1,
            "starnet config: base_dim must be >= 1, got {}",
            self.base_dim
        );
        ensure!(
            !self.depths.is_empty(),
            "starnet config: depths must list at least one stage"
        );
        ensure!(
            self.depths.len() <= 8,
            "starnet config: depths has {} stages, at most 8",
            self.depths.len()
        );
        ensure!(
            self.depths.iter().all(|&d| d >= 0),
            "starnet config: depths must be >= 0, got {:?}",
            self.depths
        );
        ensure!(
            self.mlp_ratio >= 1,
            "starnet config: mlp_ratio must be >= 1, got {}",
            self.mlp_ratio
        );
        ensure!(
            (0.0..1.0).contains(&self.drop_path_rate),
            "starnet config: drop_path_rate must be in [0, 1), got {}",
            self.drop_path_rate
        );
        ensure!(
            (0.0..1.0).contains(&self.drop_rate),
            "starnet config: drop_rate must be in [0, 1), got {}",
            self.drop_rate
        );
        ensure!(
            self.num_classes >= 1,
            "starnet config: num_classes must be >= 1, got {}",
            self.num_classes
        );
        ensure!(
            self.in_chans >= 1,
            "starnet config: in_chans must be >= 1, got {}",
            self.in_chans
        );
        ensure!(
            self.stage_modes.len() == self.depths.len(),
            "starnet config: stage_modes has {} entries but depths has {} stages (one mode per stage)",
            self.stage_modes.len(),
            self.depths.len()
        );
        Ok(())
    }
}

/// A 2-D convolution with bias, as plain tensors (tch's `nn::Conv2D` keeps its config private,
/// and BN folding needs it).
#[derive(Debug)]
pub(crate) struct Conv {
    pub(crate) weight: Tensor,
    pub(crate) bias: Tensor,
    pub(crate) stride: i64,
    pub(crate) padding: i64,
    pub(crate) groups: i64,
}

impl Conv {
    pub(crate) fn forward(&self, x: &Tensor) -> Tensor {
        x.conv2d(
            &self.weight,
            Some(&self.bias),
            [self.stride, self.stride],
            [self.padding, self.padding],
            [1, 1],
            self.groups,
        )
    }
}

/// `conv` (+ `bn`): timm's `ConvBN` (every conv has a bias, also before a BN).
#[derive(Debug)]
pub(crate) struct ConvBn {
    pub(crate) conv: Conv,
    pub(crate) bn: Option<nn::BatchNorm>,
}

impl ConvBn {
    fn new(p: nn::Path, c_in: i64, c_out: i64, k: i64, stride: i64, groups: i64, with_bn: bool) -> ConvBn {
        let conv_p = &p / "conv";
        // timm's `_init_weights`: trunc-normal std 0.02 weights; the bias keeps PyTorch's default
        // U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        let weight = trunc_normal(&conv_p, "weight", &[c_out, c_in / groups, k, k], 0.02);
        let bound = 1.0 / (((c_in / groups) * k * k) as f64).sqrt();
        let bias = conv_p.var(
            "bias",
            &[c_out],
            nn::Init::Uniform {
                lo: -bound,
                up: bound,
            },
        );
        let conv = Conv {
            weight,
            bias,
            stride,
            padding: k / 2,
            groups,
        };
        let bn = with_bn.then(|| nn::batch_norm2d(&p / "bn", c_out, bn_config()));
        ConvBn { conv, bn }
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let y = self.conv.forward(x);
        match &self.bn {
            Some(bn) => y.apply_t(bn, train),
            None => y,
        }
    }
}

/// PyTorch's BatchNorm2d: eps 1e-5, momentum 0.1, weight 1, bias 0.
fn bn_config() -> nn::BatchNormConfig {
    nn::BatchNormConfig {
        ws_init: nn::Init::Const(1.0),
        bs_init: nn::Init::Const(0.0),
        ..Default::default()
    }
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
    fn new(p: nn::Path, dim: i64, mlp_ratio: i64, mode: Mode, act: Act, drop_path: f64) -> Block {
        let hidden = mlp_ratio * dim;
        Block {
            dwconv: ConvBn::new(&p / "dwconv", dim, dim, 7, 1, dim, true),
            f1: ConvBn::new(&p / "f1", dim, hidden, 1, 1, 1, false),
            f2: ConvBn::new(&p / "f2", dim, hidden, 1, 1, 1, false),
            g: ConvBn::new(&p / "g", hidden, dim, 1, 1, 1, true),
            dwconv2: ConvBn::new(&p / "dwconv2", dim, dim, 7, 1, dim, false),
            mode,
            act,
            drop_path,
        }
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let y = self.dwconv.forward_t(x, train);
        let (x1, x2) = (self.f1.forward_t(&y, train), self.f2.forward_t(&y, train));
        let y = demonet::star::star(&x1, &x2, self.mode, self.act);
        let y = self.dwconv2.forward_t(&self.g.forward_t(&y, train), train);
        x + drop_path(&y, self.drop_path, train)
    }
}

/// Stochastic depth per sample (timm's `drop_path`, `scale_by_keep=True`), from tch's global RNG.
fn drop_path(x: &Tensor, rate: f64, train: bool) -> Tensor {
    if !train || rate == 0.0 {
        return x.shallow_clone();
    }
    let keep = 1.0 - rate;
    let mut shape = vec![1i64; x.dim()];
    shape[0] = x.size()[0];
    let mut mask = Tensor::empty(&shape, (x.kind(), x.device()));
    let _ = mask.bernoulli_float_(keep);
    x * mask / keep
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
    /// Builds the network under `p` (use `&vs.root()`), initialised as timm does it: convs and the
    /// classifier trunc-normal std 0.02, BN weight 1 and bias 0, classifier bias 0. Seed with
    /// `tch::manual_seed` first for a reproducible init.
    pub fn new(p: &nn::Path, config: &Config) -> Result<StarNet> {
        config.validate()?;
        let stem = ConvBn::new(p / "stem" / "0", config.in_chans, STEM_DIM, 3, 2, 1, true);
        let rates = config.drop_path_rates();
        let mut prev = STEM_DIM;
        let mut block_index = 0;
        let mut stages = Vec::with_capacity(config.depths.len());
        for (i, &depth) in config.depths.iter().enumerate() {
            let sp = p / "stages" / i;
            let dim = config.stage_dim(i);
            let down = ConvBn::new(&sp / "0", prev, dim, 3, 2, 1, true);
            let blocks = (0..depth as usize)
                .map(|j| {
                    let rate = rates[block_index + j];
                    Block::new(
                        &sp / (j + 1),
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
        let norm = nn::batch_norm2d(p / "norm", prev, bn_config());
        let hp = p / "head";
        let ws = trunc_normal(&hp, "weight", &[config.num_classes, prev], 0.02);
        let bs = Some(hp.zeros("bias", &[config.num_classes]));
        let head = nn::Linear { ws, bs };
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
