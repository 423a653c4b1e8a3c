//! Test-only sabotage of the code that computes results, so that a test can show `runner check`
//! catches each kind of regression without any change to a config or a run id. Every hook is a
//! no-op unless the build has fault injection (the `faults` crate's `inject` feature, on only in
//! test builds) and `STARLAB_FAULTS` names the fault:
//!
//! - `star_to_sum`: models merge their branches with the sum where the config says star;
//! - `init_scale`: initial weights are scaled by 1.5;
//! - `drop_image`: the last training sample is left out;
//! - `no_warmup`: the learning rate starts without warm-up.

use demonet::Mode;
use tch::nn::VarStore;
use training::TrainConfig;
use training::data::Split;

use super::train::ModelConfig;

fn star_to_sum(mode: &mut Mode) {
    if *mode == Mode::Star {
        *mode = Mode::Sum;
    }
}

pub fn model(cfg: &mut ModelConfig) {
    if faults::active("star_to_sum") {
        match cfg {
            ModelConfig::Demonet(c) => star_to_sum(&mut c.mode),
            ModelConfig::Starnet(c) => c.stage_modes.iter_mut().for_each(star_to_sum),
            ModelConfig::Linear(_) => {}
        }
    }
}

pub fn model2d(cfg: &mut demonet::Config2d) {
    if faults::active("star_to_sum") {
        star_to_sum(&mut cfg.mode);
    }
}

pub fn train(cfg: &mut TrainConfig) {
    if faults::active("no_warmup") {
        cfg.warmup_epochs = 0;
    }
}

pub fn training_split(split: &mut Split) {
    if faults::active("drop_image") {
        let keep = tch::Tensor::arange(split.x.size()[0] - 1, (tch::Kind::Int64, tch::Device::Cpu));
        *split = split.select(&keep);
    }
}

pub fn init(vs: &VarStore) {
    if faults::active("init_scale") {
        tch::no_grad(|| {
            for mut v in vs.trainable_variables() {
                let _ = v.f_mul_scalar_(1.5);
            }
        });
    }
}
