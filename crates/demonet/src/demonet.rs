//! DemoNet: the isotropic sum-vs-star ablation network of "Rewrite the Stars" (reference `demonet.py`).
//!
//! ```text
//! stem   Conv2d(in_chans -> width, kernel = stride = patch)       -> tokens, channels last (B, H, W, C)
//! block  x + drop_path(gamma * g(merge(f(dwconv7x7(norm(x))))))  x depth
//!        norm = LayerNorm(width); dwconv = depthwise 7x7 (pad 3, applied channels-first);
//!        f = Linear(width -> 6 width), split in halves x1, x2; merge = star::Mode (sum/star/...)
//!        g = Linear(3 width -> width); gamma = layer scale (init 1e-6)
//! head   mean over tokens -> LayerNorm(width) -> Linear(width -> num_classes)
//! ```
//! Variable names are the reference's state-dict names (`stem.weight`, `blocks.3.dwconv.weight`,
//! `blocks.3.gamma`, `norm.bias`, `head.weight`, ...), so its checkpoints load with
//! `VarStore::load`. Counting: see [`params`] and [`macs`].

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

use crate::init::trunc_normal;
use crate::star::{Act, Mode, star};

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

/// Number of parameters (every trainable scalar), as the reference model has them.
pub fn params(cfg: &Config) -> i64 {
    let d = cfg.width;
    let stem = d * cfg.in_chans * cfg.patch * cfg.patch + d;
    let gamma = if cfg.layer_scale_init > 0.0 { d } else { 0 };
    let block = 2 * d + (d * 49 + d) + (d * 6 * d + 6 * d) + (3 * d * d + d) + gamma;
    let head = 2 * d + d * cfg.num_classes + cfg.num_classes;
    stem + cfg.depth * block + head
}

/// Tokens per side for an `img_size` input: the stem conv has no padding.
pub fn grid(cfg: &Config, img_size: i64) -> Result<i64> {
    if img_size < cfg.patch {
        bail!("image size {img_size} is smaller than the patch {}", cfg.patch);
    }
    Ok((img_size - cfg.patch) / cfg.patch + 1)
}

/// Multiply-accumulates of one forward pass on one `img_size x img_size` image, counting the
/// convolutions and linear layers (weights only, as fvcore/thop do; norms, activations, the merge
/// and the residual adds are not counted).
pub fn macs(cfg: &Config, img_size: i64) -> Result<i64> {
    cfg.validate()?;
    let d = cfg.width;
    let tokens = grid(cfg, img_size)?.pow(2);
    let stem = tokens * d * cfg.in_chans * cfg.patch * cfg.patch;
    let block = tokens * (d * 49 + d * 6 * d + 3 * d * d);
    Ok(stem + cfg.depth * block + d * cfg.num_classes)
}

#[derive(Debug)]
struct Block {
    norm_w: Tensor,
    norm_b: Tensor,
    dw_w: Tensor,
    dw_b: Tensor,
    f_w: Tensor,
    f_b: Tensor,
    g_w: Tensor,
    g_b: Tensor,
    gamma: Option<Tensor>,
    drop_path: f64,
}

/// The image DemoNet; build with [`DemoNet::new`], run with `forward_t` (input `B x C x H x W`).
#[derive(Debug)]
pub struct DemoNet {
    cfg: Config,
    stem_w: Tensor,
    stem_b: Tensor,
    blocks: Vec<Block>,
    norm_w: Tensor,
    norm_b: Tensor,
    head_w: Tensor,
    head_b: Tensor,
}

/// Linear-layer weight and zero bias with the reference's init.
fn linear_vars(p: &nn::Path, in_dim: i64, out_dim: i64) -> (Tensor, Tensor) {
    (
        trunc_normal(p, "weight", &[out_dim, in_dim], 0.02),
        p.zeros("bias", &[out_dim]),
    )
}

fn layer_norm_vars(p: &nn::Path, d: i64) -> (Tensor, Tensor) {
    (p.ones("weight", &[d]), p.zeros("bias", &[d]))
}

impl DemoNet {
    /// Creates the variables under `p` (trunc-normal std 0.02 weights, zero biases, unit norms,
    /// `gamma = layer_scale_init`), drawing from tch's global RNG.
    pub fn new(p: &nn::Path, cfg: &Config) -> Result<DemoNet> {
        cfg.validate()?;
        let d = cfg.width;
        let stem = p / "stem";
        let stem_w = trunc_normal(&stem, "weight", &[d, cfg.in_chans, cfg.patch, cfg.patch], 0.02);
        let stem_b = stem.zeros("bias", &[d]);
        let blocks_p = p / "blocks";
        let blocks = (0..cfg.depth)
            .map(|i| {
                let b = &blocks_p / i;
                let (norm_w, norm_b) = layer_norm_vars(&(&b / "norm"), d);
                let dw = &b / "dwconv";
                let dw_w = trunc_normal(&dw, "weight", &[d, 1, 7, 7], 0.02);
                let dw_b = dw.zeros("bias", &[d]);
                let (f_w, f_b) = linear_vars(&(&b / "f"), d, 6 * d);
                let (g_w, g_b) = linear_vars(&(&b / "g"), 3 * d, d);
                let gamma = (cfg.layer_scale_init > 0.0)
                    .then(|| b.var("gamma", &[d], nn::Init::Const(cfg.layer_scale_init)));
                // torch.linspace(0, rate, depth)[i]
                let drop_path = if cfg.depth > 1 {
                    cfg.drop_path * i as f64 / (cfg.depth - 1) as f64
                } else {
                    0.0
                };
                Block {
                    norm_w,
                    norm_b,
                    dw_w,
                    dw_b,
                    f_w,
                    f_b,
                    g_w,
                    g_b,
                    gamma,
                    drop_path,
                }
            })
            .collect();
        let (norm_w, norm_b) = layer_norm_vars(&(p / "norm"), d);
        let (head_w, head_b) = linear_vars(&(p / "head"), d, cfg.num_classes);
        Ok(DemoNet {
            cfg: cfg.clone(),
            stem_w,
            stem_b,
            blocks,
            norm_w,
            norm_b,
            head_w,
            head_b,
        })
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }
}

/// Stochastic depth on a residual branch: zero whole samples with probability `rate` and scale the
/// kept ones by `1 / (1 - rate)` (timm's `drop_path`, `scale_by_keep=True`).
pub fn drop_path(x: &Tensor, rate: f64, train: bool) -> Tensor {
    if !train || rate <= 0.0 {
        return x.shallow_clone();
    }
    let keep = 1.0 - rate;
    let mut shape = vec![1i64; x.dim()];
    shape[0] = x.size()[0];
    let mask = Tensor::empty(&shape, (x.kind(), x.device())).bernoulli_float_(keep);
    x * (mask / keep)
}

impl Block {
    fn forward(&self, x: &Tensor, cfg: &Config, train: bool) -> Tensor {
        let d = cfg.width;
        let y = x.layer_norm([d], Some(&self.norm_w), Some(&self.norm_b), 1e-5, true);
        // (B, H, W, C) -> channels-first view for the depthwise conv (memory stays channels last).
        let y = y
            .permute([0, 3, 1, 2])
            .conv2d(&self.dw_w, Some(&self.dw_b), [1, 1], [3, 3], [1, 1], d);
        // `f` as two half-width linears on views of its weight: the same numbers as splitting its
        // output, but x1 and x2 come out contiguous, and backward accumulates two small weight
        // slices instead of re-assembling a (B, H, W, 6d) gradient.
        let y = y.permute([0, 2, 3, 1]);
        let half = |t: &Tensor, i: i64| t.narrow(0, i * 3 * d, 3 * d);
        let x1 = y.linear(&half(&self.f_w, 0), Some(&half(&self.f_b, 0)));
        let x2 = y.linear(&half(&self.f_w, 1), Some(&half(&self.f_b, 1)));
        let y = star(&x1, &x2, cfg.mode, cfg.act).linear(&self.g_w, Some(&self.g_b));
        match (&self.gamma, train && self.drop_path > 0.0) {
            (Some(gamma), false) => x.addcmul(gamma, &y),
            (Some(gamma), true) => x + drop_path(&(y * gamma), self.drop_path, train),
            (None, _) => x + drop_path(&y, self.drop_path, train),
        }
    }
}

impl nn::ModuleT for DemoNet {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let p = self.cfg.patch;
        let mut x = xs
            .conv2d(&self.stem_w, Some(&self.stem_b), [p, p], [0, 0], [1, 1], 1)
            .permute([0, 2, 3, 1]);
        for block in &self.blocks {
            x = block.forward(&x, &self.cfg, train);
        }
        let x = x.mean_dim(&[1i64, 2][..], false, None).layer_norm(
            [self.cfg.width],
            Some(&self.norm_w),
            Some(&self.norm_b),
            1e-5,
            true,
        );
        x.linear(&self.head_w, Some(&self.head_b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::ModuleT;

    fn numel(vs: &nn::VarStore) -> i64 {
        vs.trainable_variables().iter().map(|t| t.numel() as i64).sum()
    }

    #[test]
    fn paper_param_counts() {
        // Hand count, width 96: stem 3*16*16*96 + 96 = 73_824; block = norm 192 + dwconv 4_800
        // + f 55_872 + g 27_744 + gamma 96 = 88_704 (x12 = 1_064_448); norm 192 + head 97_000.
        assert_eq!(params(&Config::imagenet(96, Mode::Star)), 1_235_464);
        // Width 288: 221_472 + 12 * 763_776 + 576 + 289_000 (the paper's 9.68M).
        assert_eq!(params(&Config::imagenet(288, Mode::Sum)), 9_676_360);
    }

    #[test]
    fn params_match_the_var_store_for_odd_configs() {
        for cfg in [
            Config {
                depth: 2,
                layer_scale_init: 0.0,
                ..Config::fashion_mnist(8, Mode::Sum)
            },
            Config {
                depth: 3,
                in_chans: 2,
                patch: 3,
                num_classes: 7,
                ..Config::fashion_mnist(12, Mode::Star)
            },
        ] {
            let vs = nn::VarStore::new(tch::Device::Cpu);
            DemoNet::new(&vs.root(), &cfg).unwrap();
            assert_eq!(numel(&vs), params(&cfg), "{cfg:?}");
        }
    }

    #[test]
    fn macs_by_hand() {
        // width 8, depth 1, patch 4, 1 channel, 10 classes, 28 px: 49 tokens.
        // stem 49*8*16 = 6272; block 49*(8*49 + 8*48 + 24*8) = 49*968 = 47432; head 80.
        let cfg = Config {
            depth: 1,
            ..Config::fashion_mnist(8, Mode::Star)
        };
        assert_eq!(macs(&cfg, 28).unwrap(), 6272 + 47432 + 80);
        assert!(macs(&cfg, 3).is_err());
    }

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
    fn drop_path_zeroes_whole_samples_and_keeps_the_mean() {
        tch::manual_seed(3);
        let x = Tensor::ones([4000, 3], tch::kind::FLOAT_CPU);
        let y = drop_path(&x, 0.25, true);
        let rows = Vec::<f32>::try_from(y.sum_dim_intlist(1, false, tch::Kind::Float)).unwrap();
        // every row is either all 0 or all 1/(1-0.25)
        assert!(rows.iter().all(|&r| r == 0.0 || (r - 4.0).abs() < 1e-5));
        let kept = rows.iter().filter(|&&r| r > 0.0).count() as f64 / 4000.0;
        assert!((kept - 0.75).abs() < 0.03, "kept {kept}");
        assert!(drop_path(&x, 0.25, false).equal(&x));
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
    /// Same logits and the same gradients for every weight, in every mode.
    #[test]
    fn two_half_linears_equal_the_split_linear_with_gradients() {
        for mode in [Mode::Sum, Mode::Star, Mode::StarBoth, Mode::StarAfter] {
            tch::manual_seed(3);
            let cfg = Config {
                width: 8,
                depth: 2,
                patch: 2,
                in_chans: 1,
                num_classes: 3,
                mode,
                act: Act::Gelu,
                layer_scale_init: 0.3,
                drop_path: 0.0,
            };
            let vs = nn::VarStore::new(tch::Device::Cpu);
            let net = DemoNet::new(&vs.root(), &cfg).unwrap();
            let x = Tensor::randn([4, 1, 6, 6], (tch::Kind::Float, tch::Device::Cpu));
            let ours = net.forward_t(&x, true);
            // The reference's way, written out: one linear, then split its output.
            let mut h = x
                .conv2d(&net.stem_w, Some(&net.stem_b), [2, 2], [0, 0], [1, 1], 1)
                .permute([0, 2, 3, 1]);
            for b in &net.blocks {
                let y = h.layer_norm([8], Some(&b.norm_w), Some(&b.norm_b), 1e-5, true);
                let y = y
                    .permute([0, 3, 1, 2])
                    .conv2d(&b.dw_w, Some(&b.dw_b), [1, 1], [3, 3], [1, 1], 8);
                let y = y.permute([0, 2, 3, 1]).linear(&b.f_w, Some(&b.f_b));
                let y = crate::star::split_star(&y, mode, Act::Gelu).linear(&b.g_w, Some(&b.g_b));
                h = &h + b.gamma.as_ref().unwrap() * y;
            }
            let h = h.mean_dim(&[1i64, 2][..], false, None);
            let h = h.layer_norm([8], Some(&net.norm_w), Some(&net.norm_b), 1e-5, true);
            let reference = h.linear(&net.head_w, Some(&net.head_b));
            assert!(
                ours.allclose(&reference, 1e-5, 1e-6, false),
                "{mode}: logits differ"
            );

            let grads = |out: &Tensor| -> Vec<Tensor> {
                let vars = vs.trainable_variables();
                Tensor::run_backward(&[out.square().sum(tch::Kind::Float)], &vars, true, false)
            };
            for (a, b) in grads(&ours).iter().zip(grads(&reference)) {
                assert!(a.allclose(&b, 1e-4, 1e-6, false), "{mode}: a gradient differs");
            }
        }
    }
}
