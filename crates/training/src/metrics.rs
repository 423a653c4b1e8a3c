//! What a run records: per-epoch metrics, the best and last epochs, and why a run stopped.

use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

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
    /// Cross-entropy (no smoothing) on the held-out test split, in eval mode. (`val_*` is kept
    /// for a validation split; checkpoints written before the rename say `eval_*`.)
    #[serde(alias = "eval_loss")]
    pub test_loss: f64,
    /// Top-1 accuracy on the test split, in eval mode.
    #[serde(alias = "eval_top1")]
    pub test_top1: f64,
    /// Top-5 accuracy on the test split, when there are more than 5 classes.
    #[serde(alias = "eval_top5")]
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
    /// The epoch with the highest `test_top1` (the first one on ties).
    pub best: Option<EpochMetrics>,
    /// The last finished epoch.
    pub last: Option<EpochMetrics>,
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
    /// Appends an epoch and updates `best` and `last`.
    pub fn push(&mut self, m: EpochMetrics) {
        if self.best.as_ref().is_none_or(|b| m.test_top1 > b.test_top1) {
            self.best = Some(m.clone());
        }
        self.last = Some(m.clone());
        self.epochs.push(m);
    }
}

/// How many of `logits`' rows have the label among their `k` highest entries (a 0-dim tensor,
/// left on the device so that no host sync happens per batch).
pub fn correct_topk(logits: &Tensor, labels: &Tensor, k: i64) -> Tensor {
    let k = k.min(logits.size()[1]);
    let (_, idx) = logits.topk(k, 1, true, false);
    idx.eq_tensor(&labels.unsqueeze(1))
        .any_dim(1, false)
        .sum(Kind::Int64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topk_counts_by_hand() {
        let logits = Tensor::from_slice(&[0.1f32, 0.5, 0.4, 3.0, 2.0, 1.0, 0.0, 0.2, 0.1]).view([3, 3]);
        let labels = Tensor::from_slice(&[2i64, 0, 0]);
        // row 0: top1 = 1, top2 = {1, 2}; row 1: top1 = 0; row 2: top1 = 1, top2 = {1, 2}
        assert_eq!(correct_topk(&logits, &labels, 1).int64_value(&[]), 1);
        assert_eq!(correct_topk(&logits, &labels, 2).int64_value(&[]), 2);
        assert_eq!(correct_topk(&logits, &labels, 5).int64_value(&[]), 3);
    }

    #[test]
    fn best_is_highest_test_top1_first_on_ties() {
        let m = |epoch, test_top1| EpochMetrics {
            epoch,
            lr: 0.0,
            train_loss: 0.0,
            train_top1: 0.0,
            test_loss: 0.0,
            test_top1,
            test_top5: None,
            train_s: 0.0,
            train_img_per_s: 0.0,
        };
        let mut r = TrainRecord::default();
        for (e, a) in [(0, 0.5), (1, 0.7), (2, 0.7), (3, 0.6)] {
            r.push(m(e, a));
        }
        assert_eq!(r.best.unwrap().epoch, 1);
        assert_eq!(r.last.unwrap().epoch, 3);
        assert_eq!(r.epochs.len(), 4);
    }

    #[test]
    fn records_written_with_the_old_eval_names_still_read() {
        let old = r#"{"epoch": 2, "lr": 0.1, "train_loss": 0.5, "train_top1": 0.8, "eval_loss": 0.4,
            "eval_top1": 0.875, "eval_top5": null, "train_s": 1.0, "train_img_per_s": 100.0}"#;
        let m: EpochMetrics = serde_json::from_str(old).unwrap();
        assert_eq!((m.test_loss, m.test_top1, m.test_top5), (0.4, 0.875, None));
        let now = serde_json::to_string(&m).unwrap();
        assert!(
            now.contains("\"test_top1\":0.875") && !now.contains("eval_"),
            "{now}"
        );
    }
}
