//! The linear classifier the no-activation ablation is read against (`arch = "linear"`).
//!
//! Fashion-MNIST is almost linearly separable (a linear model reaches about 84%), so a DemoNet
//! without activations can only be said to "collapse" relative to this line.
//! `flatten -> Linear(in_chans * image_size^2 -> num_classes)`; names `head.weight`, `head.bias`.
//! For 1-D signals (MNIST-1D, where the published table's logistic regression is this model) set
//! `length`: the input is then `in_chans x length`.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use tch::{Tensor, nn};

use layers::linear;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinearConfig {
    /// Input image channels.
    pub in_chans: i64,
    /// Side of the square input images (not read when `length` is set).
    pub image_size: i64,
    /// Output classes.
    pub num_classes: i64,
    /// 1-D signals of this length instead of images. Left out of the record when unset, so that
    /// image runs keep their ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<i64>,
}

impl Default for LinearConfig {
    /// Fashion-MNIST: 1 x 28 x 28, 10 classes.
    fn default() -> Self {
        LinearConfig {
            in_chans: 1,
            image_size: 28,
            num_classes: 10,
            length: None,
        }
    }
}

impl LinearConfig {
    pub fn in_features(&self) -> i64 {
        match self.length {
            Some(length) => self.in_chans * length,
            None => self.in_chans * self.image_size * self.image_size,
        }
    }

    pub fn params(&self) -> i64 {
        (self.in_features() + 1) * self.num_classes
    }
}

#[derive(Debug)]
pub struct LinearClassifier {
    head: nn::Linear,
    in_features: i64,
}

impl LinearClassifier {
    pub fn new(p: &nn::Path, cfg: &LinearConfig) -> Result<LinearClassifier> {
        for (name, v) in [
            ("in_chans", cfg.in_chans),
            ("image_size", cfg.image_size),
            ("num_classes", cfg.num_classes),
            ("length", cfg.length.unwrap_or(1)),
        ] {
            if v < 1 {
                bail!("linear baseline: {name} must be at least 1, got {v}");
            }
        }
        let in_features = cfg.in_features();
        let head = linear(p / "head", in_features, cfg.num_classes);
        Ok(LinearClassifier { head, in_features })
    }
}

impl nn::ModuleT for LinearClassifier {
    fn forward_t(&self, xs: &Tensor, _train: bool) -> Tensor {
        xs.reshape([-1, self.in_features]).apply(&self.head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind, nn::ModuleT};

    #[test]
    fn maps_images_to_logits_with_the_counted_parameters() {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = LinearConfig::default();
        let model = LinearClassifier::new(&vs.root(), &cfg).unwrap();
        let out = model.forward_t(&Tensor::ones([5, 1, 28, 28], (Kind::Float, Device::Cpu)), false);
        assert_eq!(out.size(), [5, 10]);
        let counted: i64 = vs.trainable_variables().iter().map(|t| t.numel() as i64).sum();
        assert_eq!(counted, cfg.params());
        assert_eq!(cfg.params(), 7850);
    }

    #[test]
    fn reads_signals_when_given_a_length() {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = LinearConfig {
            length: Some(40),
            ..LinearConfig::default()
        };
        let model = LinearClassifier::new(&vs.root(), &cfg).unwrap();
        let out = model.forward_t(&Tensor::ones([3, 1, 40], (Kind::Float, Device::Cpu)), false);
        assert_eq!(out.size(), [3, 10]);
        assert_eq!(vs.variables()["head.weight"].size(), [10, 40]);
        assert_eq!(cfg.params(), 410);
        // Unset, it is not written, so an image run's resolved config (and id) is unchanged.
        let json = serde_json::to_value(LinearConfig::default()).unwrap();
        assert!(json.get("length").is_none(), "{json}");
        assert_eq!(serde_json::to_value(&cfg).unwrap()["length"], 40);
    }

    #[test]
    fn rejects_empty_shapes() {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = LinearConfig {
            image_size: 0,
            ..LinearConfig::default()
        };
        let err = LinearClassifier::new(&vs.root(), &cfg).unwrap_err().to_string();
        assert!(err.contains("image_size"), "{err}");
    }
}
