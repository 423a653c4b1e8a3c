//! The helpers every kind uses, in one module:
//! - `model.rs`: [`build`], a model built under its own seed (and the test builds' init hook);
//! - `data.rs`: [`load_cached`] (a sweep's runs share one loaded `[data]`) and [`on_device`];
//! - `checkpoints.rs`: [`with_checkpoints`], resuming and Ctrl-C for a training run;
//! - `record.rs`: [`outcome`], the training loop's record as a run outcome, and
//!   [`epoch_metrics`], each epoch under names that say which split they were computed on;
//! - `progress.rs`: [`Progress`], the loop's observer that shows a run's progress.

mod checkpoints;
mod data;
mod model;
mod progress;
mod record;

pub use checkpoints::{latest_checkpoint, with_checkpoints};
pub use data::{load_cached, on_device};
pub use model::build;
pub use progress::Progress;
pub use record::{epoch_metrics, outcome};
