//! What a run records: per-epoch metrics, the best and last epochs, and why a run stopped.

use serde::{Deserialize, Serialize};

use crate::evaluation::Evaluation;

/// The metrics of one epoch. Accuracies are fractions in [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 0-based epoch index.
    pub epoch: usize,
    /// Learning rate at the epoch's last step.
    pub lr: f64,
    /// Mean training loss over the epoch's steps (with label smoothing, as optimised).
    pub train_loss: f64,
    /// Top-1 accuracy on the training batches as they were seen (train mode, during the epoch).
    pub train_top1: f64,
    /// Cross-entropy (no smoothing) on the validation split, in eval mode, when the run has one.
    #[serde(default)]
    pub val_loss: Option<f64>,
    /// Top-1 accuracy on the validation split: what selects the reported epoch.
    #[serde(default)]
    pub val_top1: Option<f64>,
    /// Top-5 accuracy on the validation split, when there are more than 5 classes.
    #[serde(default)]
    pub val_top5: Option<f64>,
    /// Cross-entropy (no smoothing) on the held-out test split, in eval mode, when the test split
    /// was evaluated this epoch (always without a validation split, else only with
    /// `eval_test_every_epoch`). Checkpoints written before the rename say `eval_*`.
    #[serde(default, alias = "eval_loss")]
    pub test_loss: Option<f64>,
    /// Top-1 accuracy on the test split, in eval mode, when evaluated this epoch.
    #[serde(default, alias = "eval_top1")]
    pub test_top1: Option<f64>,
    /// Top-5 accuracy on the test split, when evaluated and there are more than 5 classes.
    #[serde(default, alias = "eval_top5")]
    pub test_top5: Option<f64>,
    /// Seconds spent on this epoch's training steps (not evaluation).
    pub train_s: f64,
    /// Training images per second over the epoch.
    pub train_img_per_s: f64,
}

/// Everything a run leaves behind; serialised with the results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainRecord {
    /// One entry per finished epoch, including those before a resume.
    pub epochs: Vec<EpochMetrics>,
    /// The epoch the run reports: the highest `val_top1` (the first one on ties) when there is a
    /// validation split, else the last epoch. Never chosen on the test split.
    #[serde(alias = "best")]
    pub selected: Option<EpochMetrics>,
    /// The last finished epoch.
    pub last: Option<EpochMetrics>,
    /// The test split with the selected epoch's weights (set when all epochs are done).
    #[serde(default)]
    pub selected_test: Option<Evaluation>,
    /// The test split with the final weights (set when all epochs are done).
    #[serde(default)]
    pub final_test: Option<Evaluation>,
    /// How well the selected epoch's weights fit the training split: plain cross-entropy and
    /// accuracy over all of it in eval mode, unlike `train_loss`/`train_top1` (a running,
    /// label-smoothed mean over batches seen in train mode while the weights moved). Set when all
    /// epochs are done; records written before it lack it.
    #[serde(default)]
    pub selected_fit: Option<Evaluation>,
    /// The training split in eval mode with the final weights (set when all epochs are done).
    #[serde(default)]
    pub final_fit: Option<Evaluation>,
    /// Why the run stopped early (NaN loss, ...); `None` when it ran all epochs.
    pub stopped: Option<String>,
    /// Wall-clock seconds of this process's part of the run (training and evaluation).
    pub wall_s: f64,
    /// Training images per second over all epochs of this process.
    pub train_img_per_s: f64,
    /// Optimizer steps taken in total.
    pub steps: u64,
    /// The epoch this process resumed at, if it resumed from a checkpoint.
    pub resumed_at_epoch: Option<usize>,
    /// Where the model was trained ("cpu", "cuda:0").
    pub device: String,
    /// Trainable parameters.
    pub params: i64,
}

impl TrainRecord {
    /// Appends an epoch and updates `selected` and `last`; true when `m` is now the selected one.
    pub fn push(&mut self, m: EpochMetrics) -> bool {
        let better = match (&self.selected, m.val_top1) {
            (Some(s), Some(v)) => s.val_top1.is_none_or(|b| v > b),
            _ => true, // the first epoch, or no validation split: the last epoch
        };
        if better {
            self.selected = Some(m.clone());
        }
        self.last = Some(m.clone());
        self.epochs.push(m);
        better
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(epoch: usize, val_top1: Option<f64>, test_top1: f64) -> EpochMetrics {
        EpochMetrics {
            epoch,
            lr: 0.0,
            train_loss: 0.0,
            train_top1: 0.0,
            val_loss: val_top1.map(|_| 0.0),
            val_top1,
            val_top5: None,
            test_loss: Some(0.0),
            test_top1: Some(test_top1),
            test_top5: None,
            train_s: 0.0,
            train_img_per_s: 0.0,
        }
    }

    #[test]
    fn selected_is_highest_val_top1_first_on_ties_never_highest_test() {
        // (val, test): test peaks at epoch 4, val at epochs 1 and 2 (a tie: the first wins)
        let mut r = TrainRecord::default();
        let mut now_selected = vec![];
        for (e, (v, t)) in [(0.5, 0.5), (0.7, 0.6), (0.7, 0.65), (0.6, 0.7), (0.65, 0.9)]
            .into_iter()
            .enumerate()
        {
            now_selected.push(r.push(m(e, Some(v), t)));
        }
        assert_eq!(r.selected.unwrap().epoch, 1);
        assert_eq!(now_selected, [true, true, false, false, false]);
        assert_eq!(r.last.unwrap().epoch, 4);
        assert_eq!(r.epochs.len(), 5);
    }

    #[test]
    fn without_validation_the_last_epoch_is_selected() {
        let mut r = TrainRecord::default();
        for (e, t) in [0.5, 0.9, 0.6].into_iter().enumerate() {
            assert!(r.push(m(e, None, t)));
        }
        assert_eq!(r.selected.unwrap().epoch, 2);
    }

    #[test]
    fn records_written_with_the_old_eval_names_still_read() {
        let old = r#"{"epoch": 2, "lr": 0.1, "train_loss": 0.5, "train_top1": 0.8, "eval_loss": 0.4,
            "eval_top1": 0.875, "eval_top5": null, "train_s": 1.0, "train_img_per_s": 100.0}"#;
        let m: EpochMetrics = serde_json::from_str(old).unwrap();
        assert_eq!(
            (m.test_loss, m.test_top1, m.test_top5),
            (Some(0.4), Some(0.875), None)
        );
        assert_eq!(m.val_top1, None);
        let now = serde_json::to_string(&m).unwrap();
        assert!(
            now.contains("\"test_top1\":0.875") && !now.contains("eval_"),
            "{now}"
        );
    }
}
