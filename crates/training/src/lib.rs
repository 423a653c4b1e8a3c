//! Shared by every model crate: data sets (readers, batching) and the training loop.
//!
//! - [`data`]: data sets and seeded batching.
//! - [`train_loop`]: [`train`], its [`TrainConfig`], [`Observer`] and errors.
//! - [`metrics`]: what a run records ([`TrainRecord`], [`EpochMetrics`]).
//! - [`optim`], [`schedule`], [`ema`], [`flat`]: optimizer, learning-rate schedule, weight
//!   averaging, flat parameter groups. [`checkpoint`]: safetensors checkpoints.
//! - [`seed`]: seeding libtorch's process-wide RNG safely when runs share a process.
//! - [`malloc`]: glibc malloc settings that keep freed activations for reuse (call first in a binary).

pub mod checkpoint;
pub mod data;
pub mod device;
pub mod ema;
pub mod flat;
pub mod malloc;
pub mod metrics;
pub mod optim;
pub mod schedule;
pub mod seed;
pub mod train_loop;

pub use metrics::{EpochMetrics, TrainRecord};
pub use optim::OptimizerKind;
pub use schedule::LrUpdate;
pub use train_loop::{
    Observer, RunInfo, RunOptions, StepInfo, Stepper, TrainConfig, TrainError, evaluate, train,
};
