//! Shared by every model crate: data sets (readers, batching) and the training loop.
//!
//! - [`data`]: data sets and seeded batching.
//! - [`trainer`]: the loop, [`Trainer`] (`fit`, `train_epoch`, `evaluate`) and its [`TrainError`];
//!   [`config`]: its [`TrainConfig`]; [`observer`]: progress callbacks ([`Observer`]).
//! - [`stepper`]: one optimizer step ([`Stepper`], what benchmarks time); [`evaluation`]: a model
//!   on a split in eval mode ([`evaluate`]).
//! - [`snapshot`]: a copy of the weights kept aside (the epoch selected on validation).
//! - [`checkpoint`]: safetensors checkpoints, saving and restoring a run, atomic writes;
//!   [`interrupted`]: a run stopped mid-epoch on request (Ctrl-C) and what it keeps to resume.
//! - [`metrics`]: what a run records ([`TrainRecord`], [`EpochMetrics`]).
//! - [`optim`], [`schedule`], [`ema`], [`flat`]: optimizer, learning-rate schedule, weight
//!   averaging, flat parameter groups.
//! - [`kernels`]: which CPU kernels libtorch runs (native, or reproducible across CPU vendors).
//! - [`seed`]: seeding libtorch's process-wide RNG safely when runs share a process.
//! - [`malloc`]: glibc malloc settings that keep freed activations for reuse (call first in a binary).

pub mod checkpoint;
pub mod config;
pub mod data;
pub mod device;
pub mod ema;
pub mod evaluation;
pub mod flat;
pub mod interrupted;
pub mod kernels;
pub mod malloc;
pub mod metrics;
pub mod observer;
pub mod optim;
pub mod schedule;
pub mod seed;
pub mod snapshot;
pub mod stepper;
pub mod trainer;

pub use config::TrainConfig;
pub use evaluation::{Evaluation, evaluate};
pub use interrupted::Interrupted;
pub use metrics::{EpochMetrics, TrainRecord};
pub use observer::{Observer, RunInfo, StepInfo};
pub use optim::OptimizerKind;
pub use schedule::LrUpdate;
pub use stepper::Stepper;
pub use trainer::{EpochTraining, TrainError, Trainer};
