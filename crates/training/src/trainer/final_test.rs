//! The [`Trainer`]'s test evaluations once all epochs are done: the final weights' and the
//! weights of the epoch selected on validation.

use super::Trainer;
use crate::data::Split;
use crate::evaluation::{Evaluation, evaluate};
use crate::metrics::EpochMetrics;

impl Trainer<'_> {
    /// `record.final_test` and `record.selected_test`, evaluating the test split only where an
    /// epoch did not already (at most twice: the final weights, the selected epoch's).
    pub(super) fn test_at_the_end(&mut self, test: &Split) {
        let tested = |m: &EpochMetrics| {
            Some(Evaluation {
                loss: m.test_loss?,
                top1: m.test_top1?,
                top5: m.test_top5,
            })
        };
        let last = self.record.last.clone();
        let final_test = last
            .as_ref()
            .and_then(tested)
            .unwrap_or_else(|| self.evaluate(test));
        let selected = self.record.selected.clone();
        let selected_test = match (&selected, &self.selected_weights) {
            (Some(s), _) if Some(s.epoch) == last.as_ref().map(|l| l.epoch) => Some(final_test),
            (Some(s), _) if tested(s).is_some() => tested(s),
            (Some(_), Some(weights)) => {
                let (device, kind) = (self.vs.device(), self.stepper.compute_kind);
                let (model, loader) = (self.model, &self.eval_loader);
                Some(weights.with_loaded(self.vs, || evaluate(model, test, loader, device, kind)))
            }
            // resumed from a checkpoint without the selected weights: not measurable
            _ => None,
        };
        self.record.final_test = Some(final_test);
        self.record.selected_test = selected_test;
    }
}
