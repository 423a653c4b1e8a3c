//! Progress callbacks of a `Trainer` (progress bars, logging).

use crate::metrics::EpochMetrics;

/// What the observer learns at the start of a run.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub epochs: usize,
    /// First epoch this process runs (> 0 after a resume).
    pub start_epoch: usize,
    pub steps_per_epoch: usize,
    pub params: i64,
}

/// One optimizer step, as the observer sees it.
#[derive(Debug, Clone)]
pub struct StepInfo {
    pub epoch: usize,
    /// Step within the epoch, 0-based.
    pub step: usize,
    pub steps_per_epoch: usize,
    /// The batch's training loss; `None` on steps that skip the host sync (`log_every`).
    pub loss: Option<f64>,
    pub lr: f64,
}

/// Every method has a do-nothing default.
pub trait Observer {
    fn on_start(&mut self, _info: &RunInfo) {}
    fn on_step(&mut self, _step: &StepInfo) {}
    fn on_epoch(&mut self, _metrics: &EpochMetrics) {}
}

/// An observer that ignores everything.
impl Observer for () {}
