//! The MNIST-1D paper's MLP, one of its table's anchors (`MLPBase` in greydanus/mnist1d,
//! `notebooks/models.py`): `h = relu(linear1(x)); h = h + relu(linear2(h)); linear3(h)`, a
//! residual hidden layer, 40 -> 100 -> 100 -> 10 (15,210 parameters). PyTorch's default
//! initialisation (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases), state-dict names
//! `linear1.weight`, `linear1.bias`, ... `linear3.bias`.
//!
//! The published recipe (`notebooks/train.py` `get_model_args` and `train_model`, run by
//! `notebooks/mnist1d-classification.ipynb` with `total_steps = 6000`): Adam, lr 1e-2, no weight
//! decay, batch 100 taken in order (no shuffle) from the 4,000 training signals, 6,000 steps
//! (150 epochs), cross-entropy, test accuracy 68% in the README's table.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

use crate::torch_default::linear;

/// The MLP's sizes; the default is the published one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mlp1dConfig {
    /// Values per input signal (MNIST-1D: 40; a `1 x 40` input is flattened).
    pub input_size: i64,
    /// Width of both hidden layers. Published: 100 (`MLPBase`'s default, which the benchmark
    /// notebook uses; `get_model_args`' `hidden_size = 256` is not passed to it).
    pub hidden_size: i64,
    /// Output classes.
    pub num_classes: i64,
}

impl Default for Mlp1dConfig {
    fn default() -> Self {
        Mlp1dConfig {
            input_size: 40,
            hidden_size: 100,
            num_classes: 10,
        }
    }
}

impl Mlp1dConfig {
    pub fn params(&self) -> i64 {
        let (i, h, o) = (self.input_size, self.hidden_size, self.num_classes);
        (i + 1) * h + (h + 1) * h + (h + 1) * o
    }
}

#[derive(Debug)]
pub struct Mlp1d {
    linear1: nn::Linear,
    linear2: nn::Linear,
    linear3: nn::Linear,
    input_size: i64,
}

impl Mlp1d {
    pub fn new(p: &nn::Path, cfg: &Mlp1dConfig) -> Result<Mlp1d> {
        for (name, v) in [
            ("input_size", cfg.input_size),
            ("hidden_size", cfg.hidden_size),
            ("num_classes", cfg.num_classes),
        ] {
            if v < 1 {
                bail!("mlp1d: {name} must be at least 1, got {v}");
            }
        }
        Ok(Mlp1d {
            linear1: linear(p / "linear1", cfg.input_size, cfg.hidden_size),
            linear2: linear(p / "linear2", cfg.hidden_size, cfg.hidden_size),
            linear3: linear(p / "linear3", cfg.hidden_size, cfg.num_classes),
            input_size: cfg.input_size,
        })
    }
}

impl nn::ModuleT for Mlp1d {
    fn forward_t(&self, xs: &Tensor, _train: bool) -> Tensor {
        let h = xs.reshape([-1, self.input_size]).apply(&self.linear1).relu();
        let h = &h + h.apply(&self.linear2).relu();
        h.apply(&self.linear3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind, nn::ModuleT};

    #[test]
    fn maps_signals_to_logits_with_the_published_parameter_count() {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = Mlp1dConfig::default();
        let model = Mlp1d::new(&vs.root(), &cfg).unwrap();
        let out = model.forward_t(&Tensor::ones([7, 1, 40], (Kind::Float, Device::Cpu)), false);
        assert_eq!(out.size(), [7, 10]);
        let counted: i64 = vs.trainable_variables().iter().map(|t| t.numel() as i64).sum();
        // linear1 40*100 + 100, linear2 100*100 + 100, linear3 100*10 + 10; MLPBase prints 15210.
        assert_eq!(counted, 4000 + 100 + 10_000 + 100 + 1000 + 10);
        assert_eq!((counted, cfg.params()), (15_210, 15_210));
        let mut names: Vec<String> = vs.variables().into_keys().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "linear1.bias",
                "linear1.weight",
                "linear2.bias",
                "linear2.weight",
                "linear3.bias",
                "linear3.weight"
            ]
        );
        assert_eq!(vs.variables()["linear2.weight"].size(), [100, 100]);
    }

    #[test]
    fn the_hidden_layer_is_residual() {
        // linear2 zeroed: relu(linear2(h)) = 0, so the output is linear3(relu(linear1(x))).
        let vs = nn::VarStore::new(Device::Cpu);
        let mut model = Mlp1d::new(&vs.root(), &Mlp1dConfig::default()).unwrap();
        tch::no_grad(|| {
            let _ = model.linear2.ws.zero_();
            let _ = model.linear2.bs.as_mut().unwrap().zero_();
        });
        let x = Tensor::randn([3, 40], (Kind::Float, Device::Cpu));
        let direct = x.apply(&model.linear1).relu().apply(&model.linear3);
        let out = model.forward_t(&x, false);
        assert!(out.allclose(&direct, 1e-6, 1e-6, false));
        // and with linear2 back, the residual adds relu(linear2(h)) to h.
        tch::no_grad(|| {
            let _ = model.linear2.bs.as_mut().unwrap().fill_(1.0);
        });
        let h = x.apply(&model.linear1).relu();
        let want = (&h + 1.0).apply(&model.linear3);
        assert!(model.forward_t(&x, false).allclose(&want, 1e-5, 1e-5, false));
    }

    #[test]
    fn rejects_empty_sizes() {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = Mlp1dConfig {
            hidden_size: 0,
            ..Mlp1dConfig::default()
        };
        let err = Mlp1d::new(&vs.root(), &cfg).unwrap_err().to_string();
        assert!(err.contains("hidden_size"), "{err}");
    }
}
