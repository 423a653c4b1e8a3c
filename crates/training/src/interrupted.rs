//! A run stopped between two steps of an epoch (`Trainer::stop_when`): what it had
//! summed so far in that epoch ([`PartialEpoch`], stored in its checkpoint), and the error that
//! ends `fit` ([`Interrupted`]).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The mid-epoch checkpoint's name in a run's checkpoint folder.
pub const FILE: &str = "interrupted.safetensors";

/// The training-side sums of an epoch after its first `steps` steps: a resumed epoch starts
/// from them (and skips those batches), so it ends with the numbers of one that never stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialEpoch {
    pub epoch: usize,
    /// Steps done in `epoch`.
    pub steps: usize,
    /// Sum of the steps' losses (as the epoch's loss tensor held it, in f64).
    pub loss_sum: f64,
    /// Correct top-1 predictions so far.
    pub correct: i64,
    /// Images seen so far.
    pub seen: i64,
    /// Seconds spent on those steps.
    pub seconds: f64,
    /// Learning rate of the last step done.
    pub lr: f64,
}

impl PartialEpoch {
    /// Nothing done yet in `epoch`.
    pub fn start(epoch: usize, lr: f64) -> PartialEpoch {
        PartialEpoch {
            epoch,
            steps: 0,
            loss_sum: 0.0,
            correct: 0,
            seen: 0,
            seconds: 0.0,
            lr,
        }
    }
}

/// `fit` stopped on request after a step; `checkpoint` (when the trainer had a folder for it)
/// holds everything needed to continue exactly (`Trainer::resume`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("interrupted after step {step}/{steps_per_epoch} of epoch {}/{epochs}{}", .epoch + 1, saved_in(.checkpoint))]
pub struct Interrupted {
    /// The epoch in progress (from 0).
    pub epoch: usize,
    pub epochs: usize,
    /// Steps done in that epoch.
    pub step: usize,
    pub steps_per_epoch: usize,
    pub checkpoint: Option<PathBuf>,
}

fn saved_in(checkpoint: &Option<PathBuf>) -> String {
    match checkpoint {
        Some(p) => format!(" (state saved in {})", p.display()),
        None => " (no checkpoint folder: its state is lost)".to_string(),
    }
}
