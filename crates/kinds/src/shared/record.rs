//! What a training run (train or moons) records: the loop's record as a run outcome, and each
//! epoch's metrics under names that say which split they were computed on.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde_json::Value;
use training::{EpochMetrics, TrainRecord};

use crate::metrics::Evaluated;
use crate::outcome::{RunOutcome, best_of};

/// Turns the loop's record into an outcome; a run stopped by a NaN keeps its epochs. A run
/// stopped by Ctrl-C has no outcome: the error is its [`training::Interrupted`], which the
/// runner reports as such (not as a failure, and with no record).
pub fn outcome(
    result: std::result::Result<TrainRecord, training::TrainError>,
    timings: BTreeMap<String, f64>,
    evaluated: Evaluated,
) -> Result<RunOutcome> {
    if let Err(e) = &result
        && let Some(i) = &e.interrupted
    {
        return Err(anyhow::Error::new(i.clone()));
    }
    let (record, stopped) = match result {
        Ok(r) => (r, None),
        // A loss that became NaN or infinite is a result (the run diverged), even in epoch 0;
        // the Trainer says so in its message (any other stop before an epoch is a failure).
        Err(e) if !e.record.epochs.is_empty() || e.message.contains("loss became") => {
            (*e.record, Some(e.message))
        }
        Err(e) => bail!("training failed before the first epoch ended: {}", e.message),
    };
    let epochs: Vec<BTreeMap<String, f64>> = record
        .epochs
        .iter()
        .map(|m| epoch_metrics(m, evaluated))
        .collect();
    let mut final_metrics = epochs.last().cloned().unwrap_or_default();
    if epochs.is_empty() {
        // Diverged before an epoch ended: its only measurement is that the loss was not finite.
        final_metrics.insert("train_loss".to_string(), f64::NAN);
    }
    let mut best = best_of(&epochs);
    best.remove("train_s");
    let mut other = BTreeMap::from([("params".to_string(), record.params as f64)]);
    if evaluated == Evaluated::TestSet {
        // The headline: the test split at the epoch selected on validation (README, "Metrics").
        if let Some(t) = record.final_test {
            insert_test(&mut final_metrics, &t);
        }
        if let (Some(s), Some(t)) = (&record.selected, record.selected_test) {
            insert_test(&mut other, &t);
            other.insert("selected_epoch".to_string(), s.epoch as f64);
        }
        // The fit to the training split in eval mode, beside the test numbers of the same weights:
        // `eval_*` at the selected epoch, `final_eval_*` at the last (the moons kind's names for
        // eval-mode numbers on training points).
        if let Some(f) = record.final_fit {
            insert_fit(&mut final_metrics, &f);
        }
        if let (Some(_), Some(f)) = (&record.selected, record.selected_fit) {
            insert_fit(&mut other, &f);
        }
    }
    Ok(RunOutcome {
        final_metrics,
        best,
        other,
        samples_per_s: Some(record.train_img_per_s),
        stopped: stopped.or(record.stopped),
        timings,
        extra: Value::Null,
        epochs,
    })
}

fn insert_test(into: &mut BTreeMap<String, f64>, t: &training::Evaluation) {
    into.insert("test_loss".to_string(), t.loss);
    into.insert("test_top1".to_string(), t.top1);
    if let Some(t5) = t.top5 {
        into.insert("test_top5".to_string(), t5);
    }
}

fn insert_fit(into: &mut BTreeMap<String, f64>, f: &training::Evaluation) {
    into.insert("eval_loss".to_string(), f.loss);
    into.insert("eval_top1".to_string(), f.top1);
}

/// One epoch as flat metrics: `train_*` are running means over the epoch's training batches,
/// `val_*` are on the validation split, `<prefix>_*` on the evaluation split (see [`Evaluated`]),
/// each when that split was evaluated this epoch.
pub fn epoch_metrics(m: &EpochMetrics, evaluated: Evaluated) -> BTreeMap<String, f64> {
    let held = evaluated.prefix();
    let mut out = BTreeMap::from([
        ("epoch".to_string(), m.epoch as f64),
        ("lr".to_string(), m.lr),
        ("train_loss".to_string(), m.train_loss),
        ("train_top1".to_string(), m.train_top1),
        ("train_s".to_string(), m.train_s),
        ("img_per_s".to_string(), m.train_img_per_s),
    ]);
    let evaluated = [
        ("val_loss".to_string(), m.val_loss),
        ("val_top1".to_string(), m.val_top1),
        ("val_top5".to_string(), m.val_top5),
        (format!("{held}_loss"), m.test_loss),
        (format!("{held}_top1"), m.test_top1),
        (format!("{held}_top5"), m.test_top5),
    ];
    out.extend(evaluated.into_iter().filter_map(|(k, v)| Some((k, v?))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use training::Evaluation;

    fn epoch(e: usize) -> EpochMetrics {
        EpochMetrics {
            epoch: e,
            lr: 0.0,
            train_loss: 0.9,
            train_top1: 0.6,
            val_loss: Some(0.5),
            val_top1: Some(0.8),
            val_top5: None,
            test_loss: None,
            test_top1: None,
            test_top5: None,
            train_s: 1.0,
            train_img_per_s: 10.0,
        }
    }

    #[test]
    fn the_training_fit_is_reported_beside_the_test_numbers_of_the_same_weights() {
        let fit = |loss, top1| {
            Some(Evaluation {
                loss,
                top1,
                top5: Some(1.0),
            })
        };
        let mut record = TrainRecord::default();
        record.push(epoch(0));
        record.push(epoch(1));
        record.selected_test = fit(0.7, 0.75);
        record.final_test = fit(0.6, 0.78);
        record.selected_fit = fit(0.4, 0.85);
        record.final_fit = fit(0.3, 0.9);
        let out = outcome(Ok(record.clone()), BTreeMap::new(), Evaluated::TestSet).unwrap();
        let m = out.summary_metrics();
        assert_eq!((m["eval_loss"], m["eval_top1"]), (0.4, 0.85));
        assert_eq!((m["final_eval_loss"], m["final_eval_top1"]), (0.3, 0.9));
        assert_eq!((m["test_top1"], m["final_test_top1"]), (0.75, 0.78));
        assert!(!m.contains_key("eval_top5") && !m.contains_key("best_eval_loss"));
        // records written before the fit was measured have none of its names
        record.selected_fit = None;
        record.final_fit = None;
        let old = outcome(Ok(record), BTreeMap::new(), Evaluated::TestSet).unwrap();
        assert!(old.summary_metrics().keys().all(|k| !k.contains("eval_")));
    }
}
