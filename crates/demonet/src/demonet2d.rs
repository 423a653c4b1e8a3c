//! The 2-D DemoNet of the reference's two-moons toy (`2D_visual/demonet_2d.py`).
//!
//! ```text
//! stem   Linear(2 -> width)
//! block  x + g(merge(f(norm(x))))      x depth; f = Linear(width -> 6 width), g = Linear(3 width -> width)
//! head   LayerNorm(width) -> Linear(width -> num_classes)
//! ```
//! No depthwise conv, no layer scale, no drop path. Variable names follow the reference
//! (`stem.weight`, `blocks.0.norm.weight`, `blocks.0.f.weight`, `blocks.0.g.bias`, `norm.weight`,
//! `head.weight`).

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor, nn};

use layers::{Act, Mode, layer_norm, linear, split_star};

/// The 2-D DemoNet's knobs; the default is the reference's (width 100, depth 4, ReLU, star).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config2d {
    /// Input features (2 for points in the plane).
    pub in_features: i64,
    pub width: i64,
    pub depth: i64,
    pub num_classes: i64,
    pub mode: Mode,
    pub act: Act,
}

impl Default for Config2d {
    fn default() -> Self {
        Config2d {
            in_features: 2,
            width: 100,
            depth: 4,
            num_classes: 2,
            mode: Mode::Star,
            act: Act::Relu,
        }
    }
}

impl Config2d {
    /// The reference model with the given merge mode.
    pub fn reference(mode: Mode) -> Self {
        Config2d {
            mode,
            ..Config2d::default()
        }
    }

    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("in_features", self.in_features),
            ("width", self.width),
            ("depth", self.depth),
            ("num_classes", self.num_classes),
        ] {
            if v < 1 {
                bail!("demonet 2-D config: `{name}` must be at least 1, got {v}");
            }
        }
        Ok(())
    }
}

/// Number of parameters of the 2-D DemoNet.
pub fn params_2d(cfg: &Config2d) -> i64 {
    let d = cfg.width;
    let block = 2 * d + (d * 6 * d + 6 * d) + (3 * d * d + d);
    (cfg.in_features * d + d) + cfg.depth * block + 2 * d + (d * cfg.num_classes + cfg.num_classes)
}

/// One block; field names are the reference's module names.
#[derive(Debug)]
struct Block2d {
    norm: nn::LayerNorm,
    f: nn::Linear,
    g: nn::Linear,
}

/// The 2-D DemoNet; input `N x in_features`, output logits `N x num_classes`.
#[derive(Debug)]
pub struct DemoNet2d {
    cfg: Config2d,
    stem: nn::Linear,
    blocks: Vec<Block2d>,
    norm: nn::LayerNorm,
    head: nn::Linear,
}

impl DemoNet2d {
    /// Creates the variables under `p` from tch's global RNG (seed it first).
    pub fn new(p: &nn::Path, cfg: &Config2d) -> Result<DemoNet2d> {
        cfg.validate()?;
        let d = cfg.width;
        let stem = linear(p / "stem", cfg.in_features, d);
        let blocks = (0..cfg.depth)
            .map(|i| {
                let b = p / "blocks" / i;
                Block2d {
                    norm: layer_norm(&b / "norm", d),
                    f: linear(&b / "f", d, 6 * d),
                    g: linear(&b / "g", 3 * d, d),
                }
            })
            .collect();
        let norm = layer_norm(p / "norm", d);
        let head = linear(p / "head", d, cfg.num_classes);
        Ok(DemoNet2d {
            cfg: cfg.clone(),
            stem,
            blocks,
            norm,
            head,
        })
    }

    pub fn config(&self) -> &Config2d {
        &self.cfg
    }
}

impl nn::ModuleT for DemoNet2d {
    fn forward_t(&self, xs: &Tensor, _train: bool) -> Tensor {
        let mut x = xs.apply(&self.stem);
        for b in &self.blocks {
            let y = x.apply(&b.norm).apply(&b.f);
            // A new tensor, not `+=`: layer_norm saved `x` for the backward pass.
            x = &x + split_star(&y, self.cfg.mode, self.cfg.act).apply(&b.g);
        }
        x.apply(&self.norm).apply(&self.head)
    }
}

/// The reference's evaluation grid (`ValDataset`): x in [-2, 3) and y in [-2, 2.5), step 0.02.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grid {
    /// Grid coordinates along x (250 values).
    pub xs: Vec<f32>,
    /// Grid coordinates along y (225 values).
    pub ys: Vec<f32>,
}

impl Grid {
    /// The reference grid's spacing (both axes); figures read it from here.
    pub const STEP: f64 = 0.02;

    /// The reference grid; values computed as `start + i * step` like `torch.arange`.
    pub fn reference() -> Grid {
        let axis = |start: f64, end: f64| -> Vec<f32> {
            let n = ((end - start) / Self::STEP).ceil() as usize;
            (0..n).map(|i| (start + i as f64 * Self::STEP) as f32).collect()
        };
        Grid {
            xs: axis(-2.0, 3.0),
            ys: axis(-2.0, 2.5),
        }
    }

    /// All points, x-major (`meshgrid(xs, ys, indexing='ij')` flattened), as an `N x 2` tensor.
    pub fn points(&self) -> Tensor {
        let mut v = Vec::with_capacity(self.xs.len() * self.ys.len() * 2);
        for &x in &self.xs {
            for &y in &self.ys {
                v.extend([x, y]);
            }
        }
        Tensor::from_slice(&v).view([-1, 2])
    }
}

/// A trained model's class-1 probability on `grid`, x-major: entry `i * ys.len() + j` is at
/// `(xs[i], ys[j])`. Runs in eval mode, without gradients, on the model's `device`.
pub fn class1_probability(model: &dyn nn::ModuleT, grid: &Grid, device: tch::Device) -> Vec<f32> {
    tch::no_grad(|| {
        let logits = model.forward_t(&grid.points().to_device(device), false);
        let p = logits
            .to_kind(Kind::Float)
            .softmax(-1, Kind::Float)
            .select(1, 1)
            .to_device(tch::Device::Cpu);
        Vec::<f32>::try_from(p).expect("probabilities are float32")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::ModuleT;

    #[test]
    fn reference_shapes_and_count() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        DemoNet2d::new(&vs.root(), &Config2d::default()).unwrap();
        let vars = vs.variables();
        assert_eq!(vars["stem.weight"].size(), [100, 2]);
        assert_eq!(vars["blocks.3.f.weight"].size(), [600, 100]);
        assert_eq!(vars["blocks.0.g.weight"].size(), [100, 300]);
        assert_eq!(vars["head.weight"].size(), [2, 100]);
        let n: i64 = vs.trainable_variables().iter().map(|t| t.numel() as i64).sum();
        // stem 300 + 4 * (200 + 60_600 + 30_100) + norm 200 + head 202
        assert_eq!(n, 300 + 4 * 90_900 + 200 + 202);
        assert_eq!(params_2d(&Config2d::default()), n);
    }

    #[test]
    fn grid_is_the_reference_grid() {
        let g = Grid::reference();
        assert_eq!((g.xs.len(), g.ys.len()), (250, 225));
        assert_eq!(g.xs[0], -2.0);
        assert!((g.xs[249] - 2.98).abs() < 1e-5 && (g.ys[224] - 2.48).abs() < 1e-5);
        let p = Vec::<f32>::try_from(g.points().narrow(0, 224, 2).flatten(0, -1)).unwrap();
        // ij order: the 225th point is (x0, y224), the 226th is (x1, y0)
        assert!((p[0] + 2.0).abs() < 1e-6 && (p[1] - 2.48).abs() < 1e-5);
        assert!((p[2] + 1.98).abs() < 1e-6 && (p[3] + 2.0).abs() < 1e-6);
    }

    #[test]
    fn probability_grid_matches_forward() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let net = DemoNet2d::new(
            &vs.root(),
            &Config2d {
                width: 8,
                depth: 1,
                ..Config2d::default()
            },
        )
        .unwrap();
        let grid = Grid {
            xs: vec![-1.0, 0.5],
            ys: vec![2.0],
        };
        let p = class1_probability(&net, &grid, tch::Device::Cpu);
        assert_eq!(p.len(), 2);
        let logits = net.forward_t(&Tensor::from_slice(&[0.5f32, 2.0]).view([1, 2]), false);
        let l = Vec::<f32>::try_from(logits.flatten(0, -1)).unwrap();
        let expect = 1.0 / (1.0 + (l[0] - l[1]).exp());
        assert!((p[1] - expect).abs() < 1e-6);
    }
}
