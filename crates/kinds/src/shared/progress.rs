//! [`Progress`]: what a training run shows while it runs.

use std::time::Instant;

use training::{EpochMetrics, Observer, RunInfo, StepInfo};

use super::record::epoch_metrics;
use crate::context::ShowProgress;
use crate::metrics::Evaluated;

/// The loop's observer: forwards to the run's progress bar or log, and times the first step.
pub struct Progress<'a> {
    progress: &'a dyn ShowProgress,
    batch: i64,
    started: Instant,
    epoch_started: Instant,
    epochs: usize,
    evaluated: Evaluated,
    pub first_step_s: Option<f64>,
}

impl<'a> Progress<'a> {
    pub fn new(progress: &'a dyn ShowProgress, batch: i64, started: Instant, evaluated: Evaluated) -> Self {
        Progress {
            progress,
            batch,
            started,
            epoch_started: Instant::now(),
            epochs: 0,
            evaluated,
            first_step_s: None,
        }
    }
}

impl Observer for Progress<'_> {
    fn on_start(&mut self, info: &RunInfo) {
        self.epochs = info.epochs;
        self.progress.set_epochs(info.epochs as u64);
        self.epoch_started = Instant::now();
    }

    fn on_step(&mut self, step: &StepInfo) {
        if self.first_step_s.is_none() {
            self.first_step_s = Some(self.started.elapsed().as_secs_f64());
        }
        if step.step == 0 {
            self.epoch_started = Instant::now();
        }
        self.progress.optimiser_step(step);
        let seen = ((step.step + 1) as i64 * self.batch) as f64;
        let rate = seen / self.epoch_started.elapsed().as_secs_f64().max(1e-9);
        if let Some(loss) = step.loss {
            self.progress
                .step(step.epoch, step.step, step.steps_per_epoch, loss, rate);
        }
    }

    fn on_epoch(&mut self, m: &EpochMetrics) {
        let shown = epoch_metrics(m, self.evaluated);
        self.progress.epoch(m.epoch, self.epochs, &shown);
    }
}
