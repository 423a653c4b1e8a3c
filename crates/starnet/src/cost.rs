//! Parameter and MAC counts of any [`Config`] at any input size, computed from the architecture
//! (no network is built).
//!
//! MACs count the multiply-accumulates of convolutions and the classifier: the convention of
//! fvcore and of `torch.utils.flop_counter` (which reports 2 FLOPs per MAC). BatchNorm,
//! activations, the star's element-wise product and residual adds are not counted; the
//! paper's "FLOPs" column is MACs in this sense (timm's S1 at 224 px: 421.9M counted here, 425M
//! in the paper; the paper's counter evidently added a few element-wise ops; see the crate
//! README for the per-variant comparison).

use crate::config::{Config, STEM_DIM};
use anyhow::{Result, ensure};
use serde::{Deserialize, Serialize};

/// Size of a network and of one forward pass on one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    /// Trainable parameters (BN running statistics are buffers, not parameters, as in PyTorch).
    pub params: u64,
    /// Multiply-accumulates for one `in_chans x img_size x img_size` image.
    pub macs: u64,
}

/// Params and MACs of a named variant (`starnet_s1` ...) at `img_size` px, 3 channels, 1000 classes.
pub fn describe(name: &str, img_size: i64) -> Result<Cost> {
    cost(&Config::from_name(name)?, img_size, img_size)
}

/// Params and MACs of `config` for one `height x width` image.
pub fn cost(config: &Config, height: i64, width: i64) -> Result<Cost> {
    config.validate()?;
    ensure!(
        height >= 1 && width >= 1,
        "image size must be at least 1 x 1 px, got {height} x {width}"
    );
    let mut acc = Counter {
        params: 0,
        macs: 0,
        h: height,
        w: width,
    };
    acc.conv(config.in_chans, STEM_DIM, 3, 2, 1, true);
    let mut prev = STEM_DIM;
    for (i, &depth) in config.depths.iter().enumerate() {
        let dim = config.stage_dim(i);
        acc.conv(prev, dim, 3, 2, 1, true);
        let hidden = config.mlp_ratio * dim;
        for _ in 0..depth {
            acc.conv(dim, dim, 7, 1, dim, true); // dwconv
            acc.conv(dim, hidden, 1, 1, 1, false); // f1
            acc.conv(dim, hidden, 1, 1, 1, false); // f2
            acc.conv(hidden, dim, 1, 1, 1, true); // g
            acc.conv(dim, dim, 7, 1, dim, false); // dwconv2
        }
        prev = dim;
    }
    acc.params += 2 * prev; // norm
    acc.params += prev * config.num_classes + config.num_classes; // head
    acc.macs += prev * config.num_classes;
    Ok(Cost {
        params: acc.params as u64,
        macs: acc.macs as u64,
    })
}

struct Counter {
    params: i64,
    macs: i64,
    h: i64,
    w: i64,
}

impl Counter {
    /// A conv with bias and "same" padding `k / 2` (+ BN), updating the feature-map size.
    fn conv(&mut self, c_in: i64, c_out: i64, k: i64, stride: i64, groups: i64, bn: bool) {
        let pad = k / 2;
        self.h = (self.h + 2 * pad - k) / stride + 1;
        self.w = (self.w + 2 * pad - k) / stride + 1;
        let weights = c_out * (c_in / groups) * k * k;
        self.params += weights + c_out + if bn { 2 * c_out } else { 0 };
        self.macs += weights * self.h * self.w;
    }
}
