//! [`Sabotage`]: the kinds' [`Tamper`] hooks, each doing what its fault says when `STARLAB_FAULTS`
//! names it (see the crate doc), so that a test can show `runner check` catches each kind of
//! regression without any change to a config or a run id.

use demonet::Mode;

use kinds::Tamper;
use tch::nn::VarStore;
use training::TrainConfig;
use training::data::Split;

use crate::env::active;

/// The test builds' [`Tamper`].
pub struct Sabotage;

impl Tamper for Sabotage {
    fn mode(&self, mode: &mut Mode) {
        if active("star_to_sum") && *mode == Mode::Star {
            *mode = Mode::Sum;
        }
    }

    fn train(&self, cfg: &mut TrainConfig) {
        if active("no_warmup") {
            cfg.warmup_epochs = 0;
        }
    }

    fn training_split(&self, split: &mut Split) {
        if active("drop_image") {
            let keep = tch::Tensor::arange(split.x.size()[0] - 1, (tch::Kind::Int64, tch::Device::Cpu));
            *split = split.select(&keep);
        }
    }

    fn init(&self, vs: &VarStore) {
        if active("init_scale") {
            tch::no_grad(|| {
                for mut v in vs.trainable_variables() {
                    let _ = v.f_mul_scalar_(1.5);
                }
            });
        }
    }
}
