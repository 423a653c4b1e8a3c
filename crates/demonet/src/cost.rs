//! What a DemoNet costs: parameters and multiply-accumulates of any [`Config`], by formula.

use anyhow::{Result, bail};

use crate::demonet::Config;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demonet::DemoNet;
    use layers::Mode;
    use tch::nn;

    fn numel(vs: &nn::VarStore) -> i64 {
        vs.trainable_variables().iter().map(|t| t.numel() as i64).sum()
    }

    /// The formula against the network itself.
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
    fn paper_param_counts() {
        // Hand count, width 96: stem 3*16*16*96 + 96 = 73_824; block = norm 192 + dwconv 4_800
        // + f 55_872 + g 27_744 + gamma 96 = 88_704 (x12 = 1_064_448); norm 192 + head 97_000.
        assert_eq!(params(&Config::imagenet(96, Mode::Star)), 1_235_464);
        // Width 288: 221_472 + 12 * 763_776 + 576 + 289_000 (the paper's 9.68M).
        assert_eq!(params(&Config::imagenet(288, Mode::Sum)), 9_676_360);
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
}
