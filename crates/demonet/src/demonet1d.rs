//! DemoNet on 1-D signals (MNIST-1D): the image DemoNet's block along a sequence instead of a grid.
//!
//! ```text
//! stem   Conv1d(in_chans -> width, kernel = stride = patch)      -> tokens, channels last (B, T, C)
//! block  x + drop_path(gamma * g(merge(f(dwconv7(norm(x))))))   x depth
//!        norm = LayerNorm(width); dwconv = depthwise kernel 7 (pad 3) along the tokens;
//!        f = Linear(width -> 6 width), its halves merged by `layers::split_star` (sum/star/...)
//!        g = Linear(3 width -> width); gamma = layer scale
//! head   mean over tokens -> LayerNorm(width) -> Linear(width -> num_classes)
//! ```
//! The knobs are the image DemoNet's [`Config`] (`patch` is a length here: a signal of length `L`
//! gives `(L - patch) / patch + 1` tokens), the init is its init (trunc-normal std 0.02 weights,
//! zero biases, unit norms, `gamma = layer_scale_init`), and the variable names are its names
//! (`stem.weight` is `width x in_chans x patch`, `blocks.0.dwconv.weight` is `width x 1 x 7`).
//! Only the token mixing differs (a 1-D depthwise conv); the merge is the shared one in `layers`.

use anyhow::{Result, bail};
use tch::{Tensor, nn};

use layers::{Act, Mode, drop_path, drop_path_rates, layer_norm, linear, split_star, trunc_normal};

use crate::demonet::Config;

/// Kernel of the depthwise conv along the tokens (the image block's 7 x 7, in one dimension).
pub const DWCONV_KERNEL: i64 = 7;

/// A 1-D convolution with bias (timm's init: trunc-normal std 0.02 weight, zero bias).
#[derive(Debug)]
struct Conv1d {
    weight: Tensor,
    bias: Tensor,
    stride: i64,
    padding: i64,
    groups: i64,
}

impl Conv1d {
    fn new(
        p: &nn::Path,
        c_in: i64,
        c_out: i64,
        kernel: i64,
        stride: i64,
        padding: i64,
        groups: i64,
    ) -> Conv1d {
        Conv1d {
            weight: trunc_normal(p, "weight", &[c_out, c_in / groups, kernel], 0.02),
            bias: p.zeros("bias", &[c_out]),
            stride,
            padding,
            groups,
        }
    }
}

impl nn::Module for Conv1d {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.conv1d(
            &self.weight,
            Some(&self.bias),
            [self.stride],
            [self.padding],
            [1],
            self.groups,
        )
    }
}

/// One block on `(B, T, C)` tokens; field names are the image block's.
#[derive(Debug)]
struct Block1d {
    norm: nn::LayerNorm,
    dwconv: Conv1d,
    f: nn::Linear,
    g: nn::Linear,
    gamma: Option<Tensor>,
    drop_path: f64,
    mode: Mode,
    act: Act,
}

impl Block1d {
    fn new(p: &nn::Path, cfg: &Config, drop_path: f64) -> Block1d {
        let d = cfg.width;
        let pad = DWCONV_KERNEL / 2;
        // Field order is creation order, and so the order of the init draws (as the image block).
        Block1d {
            norm: layer_norm(p / "norm", d),
            dwconv: Conv1d::new(&(p / "dwconv"), d, d, DWCONV_KERNEL, 1, pad, d),
            f: linear(p / "f", d, 6 * d),
            g: linear(p / "g", 3 * d, d),
            gamma: (cfg.layer_scale_init > 0.0)
                .then(|| p.var("gamma", &[d], nn::Init::Const(cfg.layer_scale_init))),
            drop_path,
            mode: cfg.mode,
            act: cfg.act,
        }
    }

    /// The features after the merge, `(B, T, 3 width)`: what `g` projects back to the width.
    fn merged(&self, x: &Tensor) -> Tensor {
        // (B, T, C) -> (B, C, T) for the conv along the tokens, and back.
        let y = x.apply(&self.norm).transpose(1, 2);
        let y = y.apply(&self.dwconv).transpose(1, 2);
        split_star(&y.apply(&self.f), self.mode, self.act)
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        let y = self.merged(x).apply(&self.g);
        let y = match &self.gamma {
            Some(gamma) => y * gamma,
            None => y,
        };
        x + drop_path(&y, self.drop_path, train)
    }
}

/// DemoNet on `B x in_chans x L` signals; build with [`DemoNet1d::new`].
#[derive(Debug)]
pub struct DemoNet1d {
    cfg: Config,
    stem: Conv1d,
    blocks: Vec<Block1d>,
    norm: nn::LayerNorm,
    head: nn::Linear,
}

impl DemoNet1d {
    /// Creates the variables under `p`, drawing from tch's global RNG.
    pub fn new(p: &nn::Path, cfg: &Config) -> Result<DemoNet1d> {
        cfg.validate()?;
        let d = cfg.width;
        let stem = Conv1d::new(&(p / "stem"), cfg.in_chans, d, cfg.patch, cfg.patch, 0, 1);
        let blocks = drop_path_rates(cfg.drop_path, cfg.depth as usize)
            .into_iter()
            .enumerate()
            .map(|(i, rate)| Block1d::new(&(p / "blocks" / i), cfg, rate))
            .collect();
        Ok(DemoNet1d {
            cfg: cfg.clone(),
            stem,
            blocks,
            norm: layer_norm(p / "norm", d),
            head: linear(p / "head", d, cfg.num_classes),
        })
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Tokens for a signal of length `length` (the stem has no padding), or an error when the
    /// signal is shorter than one patch.
    pub fn tokens(cfg: &Config, length: i64) -> Result<i64> {
        if length < cfg.patch {
            bail!(
                "signals of length {length} are shorter than the patch {}",
                cfg.patch
            );
        }
        Ok((length - cfg.patch) / cfg.patch + 1)
    }

    /// Number of parameters, by formula.
    pub fn params(cfg: &Config) -> i64 {
        let d = cfg.width;
        let stem = d * cfg.in_chans * cfg.patch + d;
        let gamma = if cfg.layer_scale_init > 0.0 { d } else { 0 };
        let block = 2 * d + (d * DWCONV_KERNEL + d) + (d * 6 * d + 6 * d) + (3 * d * d + d) + gamma;
        stem + cfg.depth * block + 2 * d + d * cfg.num_classes + cfg.num_classes
    }

    /// Each block's features after the merge, before `g` (`B x T x 3 width`), in eval mode.
    pub fn merged_features(&self, xs: &Tensor) -> Vec<Tensor> {
        let mut x = self.tokens_of(xs);
        let mut features = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            features.push(block.merged(&x));
            x = block.forward_t(&x, false);
        }
        features
    }

    fn tokens_of(&self, xs: &Tensor) -> Tensor {
        xs.apply(&self.stem).transpose(1, 2)
    }
}

impl nn::ModuleT for DemoNet1d {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let mut x = self.tokens_of(xs);
        for block in &self.blocks {
            x = block.forward_t(&x, train);
        }
        x.mean_dim(&[1i64][..], false, None)
            .apply(&self.norm)
            .apply(&self.head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::ModuleT;
    use tch::{Device, Kind};

    fn mnist1d(width: i64, mode: Mode) -> Config {
        Config {
            depth: 2,
            patch: 4,
            in_chans: 1,
            num_classes: 10,
            ..Config::imagenet(width, mode)
        }
    }

    #[test]
    fn names_and_shapes_follow_the_image_demonet_in_one_dimension() {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = mnist1d(8, Mode::Star);
        DemoNet1d::new(&vs.root(), &cfg).unwrap();
        let vars = vs.variables();
        for (name, shape) in [
            ("stem.weight", vec![8, 1, 4]),
            ("stem.bias", vec![8]),
            ("blocks.1.dwconv.weight", vec![8, 1, 7]),
            ("blocks.1.f.weight", vec![48, 8]),
            ("blocks.0.g.weight", vec![8, 24]),
            ("blocks.0.gamma", vec![8]),
            ("norm.weight", vec![8]),
            ("head.weight", vec![10, 8]),
        ] {
            assert_eq!(vars.get(name).map(|t| t.size()), Some(shape), "{name}");
        }
        let counted: i64 = vs.trainable_variables().iter().map(|t| t.numel() as i64).sum();
        // stem 32 + 8; per block: norm 16, dwconv 56 + 8, f 384 + 48, g 192 + 8, gamma 8; head 16 + 80 + 10
        assert_eq!(counted, 40 + 2 * 720 + 106);
        assert_eq!(DemoNet1d::params(&cfg), counted);
        let std = vars["blocks.0.f.weight"].std(true).double_value(&[]);
        assert!((std - 0.02).abs() < 0.004, "f.weight std {std}");
        assert_eq!(vars["stem.bias"].abs().sum(Kind::Float).double_value(&[]), 0.0);
    }

    #[test]
    fn a_signal_becomes_tokens_then_logits() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let net = DemoNet1d::new(&vs.root(), &mnist1d(8, Mode::Sum)).unwrap();
        let x = Tensor::randn([3, 1, 40], (Kind::Float, Device::Cpu));
        // 40 / patch 4 = 10 tokens of width 8, and the blocks keep that shape.
        let tokens = net.tokens_of(&x);
        assert_eq!(tokens.size(), [3, 10, 8]);
        assert_eq!(net.blocks[0].merged(&tokens).size(), [3, 10, 24]);
        assert_eq!(net.blocks[0].forward_t(&tokens, false).size(), [3, 10, 8]);
        assert_eq!(net.forward_t(&x, false).size(), [3, 10]);
        assert_eq!(DemoNet1d::tokens(net.config(), 40).unwrap(), 10);
        assert_eq!(DemoNet1d::tokens(net.config(), 42).unwrap(), 10);
        let err = DemoNet1d::tokens(net.config(), 3).unwrap_err().to_string();
        assert!(err.contains("shorter than the patch 4"), "{err}");
    }

    #[test]
    fn the_depthwise_conv_mixes_neighbouring_tokens_only() {
        // A change at token 0 reaches tokens 0..=3 after one block (kernel 7: 3 on each side), not 4.
        tch::manual_seed(2);
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = Config {
            depth: 1,
            layer_scale_init: 1.0,
            ..mnist1d(8, Mode::Star)
        };
        let net = DemoNet1d::new(&vs.root(), &cfg).unwrap();
        let x = Tensor::randn([1, 1, 40], (Kind::Float, Device::Cpu));
        let bumped = x.copy();
        let _ = bumped.narrow(2, 0, 4).g_add_scalar_(1.0);
        let (a, b) = (net.tokens_of(&x), net.tokens_of(&bumped));
        let changed = (net.blocks[0].forward_t(&a, false) - net.blocks[0].forward_t(&b, false))
            .abs()
            .amax(&[0i64, 2][..], false);
        let changed = Vec::<f32>::try_from(changed).unwrap();
        assert!(changed[..4].iter().all(|&c| c > 0.0), "{changed:?}");
        assert!(changed[4..].iter().all(|&c| c == 0.0), "{changed:?}");
    }

    #[test]
    fn the_merge_is_the_shared_star_operation() {
        // Without activation: star merges the halves of f's output as x1 * x2, sum as x1 + x2.
        let tokens = Tensor::randn([2, 10, 8], (Kind::Float, Device::Cpu));
        for mode in [Mode::Star, Mode::Sum] {
            tch::manual_seed(1);
            let vs = nn::VarStore::new(Device::Cpu);
            let cfg = Config {
                act: Act::None,
                ..mnist1d(8, mode)
            };
            let net = DemoNet1d::new(&vs.root(), &cfg).unwrap();
            let b = &net.blocks[0];
            let y = tokens.apply(&b.norm).transpose(1, 2).apply(&b.dwconv);
            let y = y.transpose(1, 2).apply(&b.f);
            let (x1, x2) = (y.narrow(-1, 0, 24), y.narrow(-1, 24, 24));
            let want = if mode == Mode::Star { &x1 * &x2 } else { &x1 + &x2 };
            assert!(b.merged(&tokens).allclose(&want, 1e-6, 1e-7, false), "{mode}");
        }
    }

    #[test]
    fn a_bad_config_names_the_field() {
        let err = DemoNet1d::new(
            &nn::VarStore::new(Device::Cpu).root(),
            &Config {
                patch: 0,
                ..mnist1d(8, Mode::Star)
            },
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`patch`"), "{err}");
    }
}
