//! What a run gets besides its config: [`RunContext`]. The runner fills it in; a kind only reads it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use demonet::Mode;
use tch::nn::VarStore;
use training::TrainConfig;
use training::data::Split;

/// Everything a run may use besides its config.
pub struct RunContext<'a> {
    pub device: tch::Device,
    /// Intra-op threads this run gets (threads / jobs on CPU).
    pub threads: usize,
    pub progress: &'a dyn ShowProgress,
    /// Path prefix for files a run writes beside its record (`results/<name>/runs/<id>`).
    pub artifacts: PathBuf,
    /// Where a training run keeps its checkpoints (`runs/<id>.ckpt/`), and resumes from.
    pub checkpoints: PathBuf,
    /// Whether the user asked the runner to stop (Ctrl-C): a training run then saves its state
    /// and stops after its current step.
    pub stop_requested: fn() -> bool,
    /// What a test build changes ([`NoTamper`] in every other build).
    pub tamper: &'a dyn Tamper,
}

/// Where a run shows how far it is: the runner's progress bar or log lines.
pub trait ShowProgress {
    /// The run has this many epochs (0: it is not epoch-based).
    fn set_epochs(&self, epochs: u64);
    /// Within an epoch: the running loss and speed.
    fn step(&self, epoch: usize, step: usize, steps: usize, loss: f64, samples_per_s: f64);
    /// End of an epoch: the epoch's metrics (`train_loss`, `test_top1`, `img_per_s`, ...).
    fn epoch(&self, epoch: usize, epochs: usize, metrics: &BTreeMap<String, f64>);
    /// A free-form status line (e.g. "probe 3/40").
    fn message(&self, text: &str);
    /// Every optimiser step, with its position and learning rate (`step` above only sees steps
    /// with a loss, and no learning rate). For event logs (TensorBoard); bars ignore it.
    fn optimiser_step(&self, _step: &training::StepInfo) {}
}

/// Where a test build changes what a run computes, to show that `runner check` catches each such
/// regression without any change to a config or a run id. The runner's `faults` feature (on only
/// in its tests) installs the one implementation that does something (`crates/faults`); every
/// method here is a no-op, and [`NoTamper`] is what every other build passes.
pub trait Tamper: Sync {
    /// Each merge mode a model is built with.
    fn mode(&self, _mode: &mut Mode) {}
    /// The training recipe, before the run starts.
    fn train(&self, _cfg: &mut TrainConfig) {}
    /// The training split, once loaded.
    fn training_split(&self, _split: &mut Split) {}
    /// The model's variables, once initialised.
    fn init(&self, _vs: &VarStore) {}
}

/// The product's [`Tamper`]: changes nothing.
pub struct NoTamper;

impl Tamper for NoTamper {}
