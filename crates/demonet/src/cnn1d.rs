//! The MNIST-1D paper's small CNN, one of its table's anchors (`ConvBase` in greydanus/mnist1d,
//! `notebooks/models.py`): three 1-D convs with ReLU, then a linear classifier on the flattened
//! features. For a `1 x 40` signal: conv1 1 -> 25 (kernel 5, stride 2, padding 1; length 19),
//! conv2 25 -> 25 (kernel 3, stride 2, padding 1; length 10), conv3 the same (length 5), linear
//! 25 * 5 = 125 -> 10 (5,210 parameters). PyTorch's default initialisation, state-dict names
//! `conv1.weight`, `conv1.bias`, ... `linear.weight`, `linear.bias`.
//!
//! The published recipe is the MLP's ([`crate::mlp1d`]): Adam, lr 1e-2, no weight decay, batch
//! 100 in order, 6,000 steps; test accuracy 94% in the README's table.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

use crate::torch_default::{Conv1d, linear};

/// The CNN's sizes; the default is the published one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Cnn1dConfig {
    /// Length of the input signals (MNIST-1D: 40); sets the classifier's input size.
    pub length: i64,
    /// Channels of every conv. Published: 25.
    pub channels: i64,
    /// Output classes.
    pub num_classes: i64,
}

impl Default for Cnn1dConfig {
    fn default() -> Self {
        Cnn1dConfig {
            length: 40,
            channels: 25,
            num_classes: 10,
        }
    }
}

/// (kernel, stride, padding) of conv1, conv2, conv3.
const CONVS: [(i64, i64, i64); 3] = [(5, 2, 1), (3, 2, 1), (3, 2, 1)];

impl Cnn1dConfig {
    /// The length after the three convs (the published model's `linear_in / channels`), or `None`
    /// when the signal is too short for them.
    pub fn features_length(&self) -> Option<i64> {
        CONVS.iter().try_fold(self.length, |len, &(k, s, p)| {
            let span = len + 2 * p - k;
            (span >= 0).then(|| span / s + 1)
        })
    }

    pub fn params(&self) -> Option<i64> {
        let c = self.channels;
        let convs = (5 + 1) * c + 2 * (c * 3 * c + c);
        Some(convs + (c * self.features_length()? + 1) * self.num_classes)
    }
}

#[derive(Debug)]
pub struct Cnn1d {
    conv1: Conv1d,
    conv2: Conv1d,
    conv3: Conv1d,
    linear: nn::Linear,
    length: i64,
}

impl Cnn1d {
    pub fn new(p: &nn::Path, cfg: &Cnn1dConfig) -> Result<Cnn1d> {
        for (name, v) in [
            ("length", cfg.length),
            ("channels", cfg.channels),
            ("num_classes", cfg.num_classes),
        ] {
            if v < 1 {
                bail!("cnn1d: {name} must be at least 1, got {v}");
            }
        }
        let Some(out_len) = cfg.features_length() else {
            bail!(
                "cnn1d: signals of length {} are too short for the three convs (at least 3)",
                cfg.length
            );
        };
        let c = cfg.channels;
        let [(k1, s1, p1), (k2, s2, p2), (k3, s3, p3)] = CONVS;
        Ok(Cnn1d {
            conv1: Conv1d::new(p / "conv1", 1, c, k1, s1, p1),
            conv2: Conv1d::new(p / "conv2", c, c, k2, s2, p2),
            conv3: Conv1d::new(p / "conv3", c, c, k3, s3, p3),
            linear: linear(p / "linear", c * out_len, cfg.num_classes),
            length: cfg.length,
        })
    }
}

impl nn::ModuleT for Cnn1d {
    fn forward_t(&self, xs: &Tensor, _train: bool) -> Tensor {
        let h = xs.reshape([-1, 1, self.length]);
        let h = h
            .apply(&self.conv1)
            .relu()
            .apply(&self.conv2)
            .relu()
            .apply(&self.conv3)
            .relu();
        h.flatten(1, -1).apply(&self.linear)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind, nn::ModuleT};

    #[test]
    fn maps_signals_to_logits_with_the_published_parameter_count() {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = Cnn1dConfig::default();
        let model = Cnn1d::new(&vs.root(), &cfg).unwrap();
        let x = Tensor::randn([6, 1, 40], (Kind::Float, Device::Cpu));
        assert_eq!(model.forward_t(&x, false).size(), [6, 10]);
        // Lengths 40 -> 19 -> 10 -> 5, so the classifier reads 25 * 5 = 125 (ConvBase's linear_in).
        let h = x.apply(&model.conv1);
        assert_eq!(h.size(), [6, 25, 19]);
        let h = h.apply(&model.conv2);
        assert_eq!(h.size(), [6, 25, 10]);
        assert_eq!(h.apply(&model.conv3).size(), [6, 25, 5]);
        assert_eq!(cfg.features_length(), Some(5));
        let counted: i64 = vs.trainable_variables().iter().map(|t| t.numel() as i64).sum();
        // conv1 25*1*5 + 25, conv2 25*25*3 + 25, conv3 the same, linear 125*10 + 10; ConvBase prints 5210.
        assert_eq!(counted, 150 + 1900 + 1900 + 1260);
        assert_eq!((counted, cfg.params()), (5210, Some(5210)));
        let mut names: Vec<String> = vs.variables().into_keys().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "conv1.bias",
                "conv1.weight",
                "conv2.bias",
                "conv2.weight",
                "conv3.bias",
                "conv3.weight",
                "linear.bias",
                "linear.weight"
            ]
        );
        assert_eq!(vs.variables()["conv1.weight"].size(), [25, 1, 5]);
        assert_eq!(vs.variables()["linear.weight"].size(), [10, 125]);
    }

    #[test]
    fn flat_signals_are_read_as_one_channel() {
        let vs = nn::VarStore::new(Device::Cpu);
        let model = Cnn1d::new(&vs.root(), &Cnn1dConfig::default()).unwrap();
        let x = Tensor::randn([4, 40], (Kind::Float, Device::Cpu));
        let flat = model.forward_t(&x, false);
        assert!(flat.allclose(&model.forward_t(&x.view([4, 1, 40]), false), 0.0, 0.0, false));
    }

    #[test]
    fn other_lengths_resize_the_classifier_and_too_short_ones_are_refused() {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = Cnn1dConfig {
            length: 50,
            ..Cnn1dConfig::default()
        };
        // 50 -> 24 -> 12 -> 6
        assert_eq!(cfg.features_length(), Some(6));
        let model = Cnn1d::new(&vs.root(), &cfg).unwrap();
        assert_eq!(vs.variables()["linear.weight"].size(), [10, 150]);
        let x = Tensor::zeros([2, 1, 50], (Kind::Float, Device::Cpu));
        assert_eq!(model.forward_t(&x, false).size(), [2, 10]);
        for (field, cfg) in [
            (
                "too short",
                Cnn1dConfig {
                    length: 2,
                    ..Cnn1dConfig::default()
                },
            ),
            (
                "channels",
                Cnn1dConfig {
                    channels: 0,
                    ..Cnn1dConfig::default()
                },
            ),
        ] {
            let err = Cnn1d::new(&nn::VarStore::new(Device::Cpu).root(), &cfg)
                .unwrap_err()
                .to_string();
            assert!(err.contains(field), "{err}");
        }
        assert_eq!(
            Cnn1dConfig {
                length: 3,
                ..Cnn1dConfig::default()
            }
            .features_length(),
            Some(1)
        );
    }
}
