//! The [`Trainer`]'s evaluations once all epochs are done, with the final weights and with the
//! weights of the epoch selected on validation: the test split (the reported accuracy) and the
//! training split in eval mode (how well the model fits what it was trained on).

use super::Trainer;
use crate::data::Split;
use crate::evaluation::{Evaluation, evaluate};
use crate::metrics::EpochMetrics;

impl Trainer<'_> {
    /// `record.final_test`, `record.selected_test`, `record.final_fit` and `record.selected_fit`.
    /// The test split is evaluated only where an epoch did not already; the training split once
    /// per set of weights (once when the last epoch is the selected one, else twice).
    pub(super) fn test_at_the_end(&mut self, train: &Split, test: &Split) {
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
        let final_fit = self.evaluate(train);
        let selected = self.record.selected.clone();
        let (selected_test, selected_fit) = match (&selected, &self.selected_weights) {
            (Some(s), _) if Some(s.epoch) == last.as_ref().map(|l| l.epoch) => {
                (Some(final_test), Some(final_fit))
            }
            (Some(s), Some(weights)) => {
                let (device, kind) = (self.vs.device(), self.stepper.compute_kind);
                let (model, loader) = (self.model, &self.eval_loader);
                let on = |split: &Split| evaluate(model, split, loader, device, kind);
                weights.with_loaded(self.vs, || {
                    (Some(tested(s).unwrap_or_else(|| on(test))), Some(on(train)))
                })
            }
            // resumed from a checkpoint without the selected weights: only what the epoch measured
            (Some(s), None) => (tested(s), None),
            (None, _) => (None, None),
        };
        self.record.final_test = Some(final_test);
        self.record.selected_test = selected_test;
        self.record.final_fit = Some(final_fit);
        self.record.selected_fit = selected_fit;
    }
}
