//! DemoNet: the isotropic sum-vs-star ablation network of "Rewrite the Stars" (reference `demonet.py`).
//!
//! ```text
//! stem   Conv2d(in_chans -> width, kernel = stride = patch)       -> tokens, channels last (B, H, W, C)
//! block  x + drop_path(gamma * g(merge(f(dwconv7x7(norm(x))))))  x depth
//!        norm = LayerNorm(width); dwconv = depthwise 7x7 (pad 3, applied channels-first);
//!        f = Linear(width -> 6 width), split in halves x1, x2; merge = layers::Mode (sum/star/...)
//!        g = Linear(3 width -> width); gamma = layer scale (init 1e-6)
//! head   mean over tokens -> LayerNorm(width) -> Linear(width -> num_classes)
//! ```
//! Variable names are the reference's state-dict names (`stem.weight`, `blocks.3.dwconv.weight`,
//! `blocks.3.gamma`, `norm.bias`, `head.weight`, ...), so its checkpoints load with
//! `VarStore::load`. Counting parameters and MACs by formula: `cost.rs`.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

use layers::{Act, Conv, ConvConfig, Mode, conv2d, drop_path, drop_path_rates, layer_norm, linear, star};

/// Every knob of the image DemoNet. The defaults are the paper's ImageNet model at width 192.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Channels of the token grid (the reference's `dim`).
    pub width: i64,
    /// Number of blocks.
    pub depth: i64,
    /// Stem kernel size, which is also its stride: a `S x S` image gives `(S / patch)^2` tokens.
    pub patch: i64,
    /// Input image channels.
    pub in_chans: i64,
    /// Output classes.
    pub num_classes: i64,
    /// How the two halves of `f`'s output are merged (`sum`, `star`, `star_both`, `star_after`).
    pub mode: Mode,
    /// The activation inside the merge.
    pub act: Act,
    /// Initial value of the per-channel layer scale `gamma`; `0` removes `gamma` (as the reference).
    pub layer_scale_init: f64,
    /// Stochastic depth: the drop-path rate of the last block, rising linearly from 0 in the first.
    pub drop_path: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config::imagenet(192, Mode::Star)
    }
}

impl Config {
    /// The paper's ImageNet DemoNet: 3 x 224 x 224 input, patch 16, 1000 classes, depth 12, GELU.
    pub fn imagenet(width: i64, mode: Mode) -> Self {
        Config {
            width,
            depth: 12,
            patch: 16,
            in_chans: 3,
            num_classes: 1000,
            mode,
            act: Act::Gelu,
            layer_scale_init: 1e-6,
            drop_path: 0.0,
        }
    }

    /// A DemoNet for 28 x 28 grey images with 10 classes (Fashion-MNIST): patch 4 gives a 7 x 7 grid.
    pub fn fashion_mnist(width: i64, mode: Mode) -> Self {
        Config {
            patch: 4,
            in_chans: 1,
            num_classes: 10,
            ..Config::imagenet(width, mode)
        }
    }

    /// An error naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("width", self.width),
            ("depth", self.depth),
            ("patch", self.patch),
            ("in_chans", self.in_chans),
            ("num_classes", self.num_classes),
        ] {
            if v < 1 {
                bail!("demonet config: `{name}` must be at least 1, got {v}");
            }
        }
        if !(0.0..1.0).contains(&self.drop_path) {
            bail!(
                "demonet config: `drop_path` must be in [0, 1), got {}",
                self.drop_path
            );
        }
        if !self.layer_scale_init.is_finite() || self.layer_scale_init < 0.0 {
            bail!(
                "demonet config: `layer_scale_init` must be >= 0, got {}",
                self.layer_scale_init
            );
        }
        Ok(())
    }
}

/// One block; field names are the reference's module names.
#[derive(Debug)]
struct Block {
    norm: nn::LayerNorm,
    dwconv: Conv,
    f: nn::Linear,
    g: nn::Linear,
    /// Layer scale; absent when `layer_scale_init` is 0.
    gamma: Option<Tensor>,
    drop_path: f64,
    mode: Mode,
    act: Act,
}

impl Block {
    fn new(p: &nn::Path, cfg: &Config, drop_path: f64) -> Block {
        let d = cfg.width;
        let depthwise = ConvConfig {
            padding: 3,
            groups: d,
            ..ConvConfig::default()
        };
        let gamma_init = nn::Init::Const(cfg.layer_scale_init);
        // Field order is creation order, and so the order of the init draws.
        Block {
            norm: layer_norm(p / "norm", d),
            dwconv: conv2d(p / "dwconv", d, d, 7, depthwise),
            f: linear(p / "f", d, 6 * d),
            g: linear(p / "g", 3 * d, d),
            gamma: (cfg.layer_scale_init > 0.0).then(|| p.var("gamma", &[d], gamma_init)),
            drop_path,
            mode: cfg.mode,
            act: cfg.act,
        }
    }

    /// `f` as two half-width linears on views of its weight: the same numbers as splitting its
    /// output, but x1 and x2 come out contiguous, and backward accumulates two small weight
    /// slices instead of re-assembling a (B, H, W, 6d) gradient.
    fn f_halves(&self, y: &Tensor) -> (Tensor, Tensor) {
        let h = self.f.ws.size()[0] / 2;
        let half = |i: i64| {
            let bias = self.f.bs.as_ref().map(|b| b.narrow(0, i * h, h));
            y.linear(&self.f.ws.narrow(0, i * h, h), bias.as_ref())
        };
        (half(0), half(1))
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Tensor {
        // (B, H, W, C) -> channels-first view for the depthwise conv (memory stays channels last).
        let y = x.apply(&self.norm).permute([0, 3, 1, 2]);
        let y = y.apply(&self.dwconv).permute([0, 2, 3, 1]);
        let (x1, x2) = self.f_halves(&y);
        let y = star(&x1, &x2, self.mode, self.act).apply(&self.g);
        match (&self.gamma, train && self.drop_path > 0.0) {
            (Some(gamma), false) => x.addcmul(gamma, &y),
            (Some(gamma), true) => x + drop_path(&(y * gamma), self.drop_path, train),
            (None, _) => x + drop_path(&y, self.drop_path, train),
        }
    }
}

/// The image DemoNet; build with [`DemoNet::new`], run with `forward_t` (input `B x C x H x W`).
#[derive(Debug)]
pub struct DemoNet {
    cfg: Config,
    stem: Conv,
    blocks: Vec<Block>,
    norm: nn::LayerNorm,
    head: nn::Linear,
}

impl DemoNet {
    /// Creates the variables under `p` (trunc-normal std 0.02 weights, zero biases, unit norms,
    /// `gamma = layer_scale_init`), drawing from tch's global RNG.
    pub fn new(p: &nn::Path, cfg: &Config) -> Result<DemoNet> {
        cfg.validate()?;
        let d = cfg.width;
        let patchify = ConvConfig {
            stride: cfg.patch,
            ..ConvConfig::default()
        };
        let stem = conv2d(p / "stem", cfg.in_chans, d, cfg.patch, patchify);
        let blocks = drop_path_rates(cfg.drop_path, cfg.depth as usize)
            .into_iter()
            .enumerate()
            .map(|(i, rate)| Block::new(&(p / "blocks" / i), cfg, rate))
            .collect();
        let norm = layer_norm(p / "norm", d);
        let head = linear(p / "head", d, cfg.num_classes);
        Ok(DemoNet {
            cfg: cfg.clone(),
            stem,
            blocks,
            norm,
            head,
        })
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Each block's features after the merge, before `g` (`B x H x W x 3 width`), in eval mode:
    /// what the effective dimension of trained features is measured on.
    pub fn merged_features(&self, xs: &Tensor) -> Vec<Tensor> {
        let mut x = xs.apply(&self.stem).permute([0, 2, 3, 1]);
        let mut features = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            let y = x.apply(&block.norm).permute([0, 3, 1, 2]);
            let (x1, x2) = block.f_halves(&y.apply(&block.dwconv).permute([0, 2, 3, 1]));
            features.push(star(&x1, &x2, block.mode, block.act));
            x = block.forward_t(&x, false);
        }
        features
    }
}

impl nn::ModuleT for DemoNet {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let mut x = xs.apply(&self.stem).permute([0, 2, 3, 1]);
        for block in &self.blocks {
            x = block.forward_t(&x, train);
        }
        let pooled = x.mean_dim(&[1i64, 2][..], false, None);
        pooled.apply(&self.norm).apply(&self.head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::ModuleT;

    #[test]
    fn state_dict_names_follow_the_reference() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        DemoNet::new(
            &vs.root(),
            &Config {
                depth: 2,
                ..Config::fashion_mnist(8, Mode::Star)
            },
        )
        .unwrap();
        let vars = vs.variables();
        for (name, shape) in [
            ("stem.weight", vec![8, 1, 4, 4]),
            ("blocks.1.dwconv.weight", vec![8, 1, 7, 7]),
            ("blocks.1.f.weight", vec![48, 8]),
            ("blocks.0.g.weight", vec![8, 24]),
            ("blocks.0.gamma", vec![8]),
            ("blocks.0.norm.bias", vec![8]),
            ("norm.weight", vec![8]),
            ("head.bias", vec![10]),
        ] {
            assert_eq!(vars.get(name).map(|t| t.size()), Some(shape), "{name}");
        }
        assert_eq!(vars.len(), 4 + 2 * 9 + 2);
        let gamma = Vec::<f32>::try_from(&vars["blocks.1.gamma"]).unwrap();
        assert!(gamma.iter().all(|&g| g == 1e-6));
        assert_eq!(
            vars["head.bias"].abs().sum(tch::Kind::Float).double_value(&[]),
            0.0
        );
        let std = vars["blocks.1.f.weight"].std(true).double_value(&[]);
        assert!((std - 0.02).abs() < 0.004, "f.weight std {std}");
    }

    #[test]
    fn forward_shape_and_modes_differ() {
        tch::manual_seed(0);
        let x = Tensor::randn([2, 1, 28, 28], tch::kind::FLOAT_CPU);
        let mut outs = vec![];
        for mode in [Mode::Sum, Mode::Star] {
            tch::manual_seed(1);
            let vs = nn::VarStore::new(tch::Device::Cpu);
            let cfg = Config {
                depth: 2,
                layer_scale_init: 1.0,
                ..Config::fashion_mnist(8, mode)
            };
            let net = DemoNet::new(&vs.root(), &cfg).unwrap();
            let y = net.forward_t(&x, false);
            assert_eq!(y.size(), vec![2, 10]);
            outs.push(y);
        }
        assert!(
            !outs[0].allclose(&outs[1], 1e-6, 1e-6, false),
            "sum and star gave the same logits"
        );
    }

    #[test]
    fn drop_path_acts_in_train_mode_only() {
        tch::manual_seed(0);
        let x = Tensor::randn([8, 1, 8, 8], tch::kind::FLOAT_CPU);
        for (rate, dropped) in [(0.0, false), (0.5, true)] {
            let vs = nn::VarStore::new(tch::Device::Cpu);
            let cfg = Config {
                depth: 3,
                patch: 2,
                layer_scale_init: 1.0,
                drop_path: rate,
                ..Config::fashion_mnist(8, Mode::Star)
            };
            let net = DemoNet::new(&vs.root(), &cfg).unwrap();
            let (train, eval) = (net.forward_t(&x, true), net.forward_t(&x, false));
            assert_eq!(!train.equal(&eval), dropped, "drop_path {rate}");
            assert!(eval.equal(&net.forward_t(&x, false)), "eval is deterministic");
        }
    }

    #[test]
    fn bad_config_names_the_field() {
        let err = DemoNet::new(
            &nn::VarStore::new(tch::Device::Cpu).root(),
            &Config {
                width: 0,
                ..Config::default()
            },
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("`width`"), "{err}");
        let err = Config {
            drop_path: 1.5,
            ..Config::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("`drop_path`"), "{err}");
    }

    /// The block computes `f` as two half-width linears; the reference splits one linear's output.
    /// Same halves, and the same gradients for `f`'s weight and bias and for the input.
    #[test]
    fn f_halves_equal_the_split_linear_with_gradients() {
        tch::manual_seed(3);
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let block = Block::new(&vs.root(), &Config::fashion_mnist(8, Mode::Star), 0.0);
        let y = Tensor::randn([2, 3, 3, 8], tch::kind::FLOAT_CPU).set_requires_grad(true);
        let (x1, x2) = block.f_halves(&y);
        let whole = y.apply(&block.f);
        let (r1, r2) = (whole.narrow(-1, 0, 24), whole.narrow(-1, 24, 24));
        assert!(x1.allclose(&r1, 1e-6, 1e-7, false) && x2.allclose(&r2, 1e-6, 1e-7, false));
        let inputs = [&block.f.ws, block.f.bs.as_ref().unwrap(), &y];
        let grads = |a: &Tensor, b: &Tensor| {
            let loss = star(a, b, Mode::Star, Act::Gelu).square().sum(tch::Kind::Float);
            Tensor::run_backward(&[loss], &inputs, true, false)
        };
        for (a, b) in grads(&x1, &x2).iter().zip(grads(&r1, &r2)) {
            assert!(a.allclose(&b, 1e-5, 1e-7, false), "a gradient differs");
        }
    }
}
