//! StarNet's configuration: timm's presets S050..S4 plus the paper's ablation switches.

use anyhow::{Result, bail, ensure};
use layers::{Act, InitScheme, Mode, drop_path_rates};
use serde::{Deserialize, Serialize};

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
    /// `timm` (conv weights trunc-normal std 0.02) or `official` (the official code's: convs keep
    /// PyTorch's default, U(+-1/sqrt(fan_in))); see `layers::InitScheme`. The official S4 also
    /// trains with `drop_path_rate = 0.1`.
    pub init: InitScheme,
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
            init: InitScheme::Timm,
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
        let blocks: i64 = self.depths.iter().sum();
        drop_path_rates(self.drop_path_rate, blocks as usize)
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
