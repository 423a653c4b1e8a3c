//! Training curves: per point (mean over its seeds, with a 95% t-interval band) the training loss
//! and held-out accuracy per epoch, epochs from 0, coloured by the swept quantity and dashed for
//! the base mode.

use plots::{Curve, CurvePoint, Curves, Frame};

use kinds::KindName;

use super::common::{Colors, Inputs, color_key, look, n_text};
use crate::report::labels::{key_name, mode_field, point_name, title, value_name};
use crate::report::stats::MeanCi;
use crate::results::RunRecord;

/// Per-epoch names of the held-out accuracy, newest first: `test_top1` (when the test split was
/// evaluated every epoch), else `val_top1`, or on moons (no test set) `eval_top1`, eval mode on
/// the training points; records before schema 2 say `top1`.
fn accuracy_keys(kind: KindName) -> &'static [&'static str] {
    match kind {
        KindName::Moons => &["eval_top1", "top1"],
        _ => &["test_top1", "top1", "val_top1"],
    }
}

pub fn curves(inputs: Inputs<'_>) -> Option<Curves> {
    let exp = inputs.exp;
    let mut groups: Vec<(
        std::collections::BTreeMap<String, serde_json::Value>,
        Vec<&RunRecord>,
    )> = Vec::new();
    for (spec, record) in inputs.records {
        let point = spec.group_point(exp);
        match groups.iter_mut().find(|(p, _)| *p == point) {
            Some((_, rs)) => rs.push(record),
            None => groups.push((point, vec![record])),
        }
    }
    let accuracy_key = accuracy_keys(exp.experiment.kind).iter().copied().find(|k| {
        inputs
            .records
            .iter()
            .any(|(_, r)| r.outcome.epochs.iter().any(|e| e.contains_key(*k)))
    })?;
    let mut colors = Colors::default();
    let curves: Vec<Curve> = groups
        .iter()
        .map(|(point, runs)| {
            let epochs = runs.iter().map(|r| r.outcome.epochs.len()).min().unwrap_or(0);
            // Mean over the seeds and its 95% t-interval (NaN bounds with fewer than 2 seeds).
            let over_seeds = |e: usize, key: &str, k: f64| {
                let vs: Vec<f64> = runs
                    .iter()
                    .filter_map(|r| r.outcome.epochs[e].get(key).copied())
                    .collect();
                if vs.is_empty() {
                    return (f64::NAN, [f64::NAN; 2]);
                }
                let m = MeanCi::of(&vs);
                let [lo, hi] = m.ci95.unwrap_or([f64::NAN; 2]);
                (m.mean * k, [lo * k, hi * k])
            };
            let name = if point.is_empty() {
                exp.experiment.name.clone()
            } else {
                point_name(exp, point)
            };
            Curve {
                name,
                color: colors.of(color_key(exp, point)),
                look: look(exp, point),
                // Epochs from 0, as the records and `selected_epoch` count them.
                epochs: (0..epochs)
                    .map(|e| {
                        let (train_loss, train_loss_ci) = over_seeds(e, "train_loss", 1.0);
                        let (eval_top1, eval_top1_ci) = over_seeds(e, accuracy_key, 100.0);
                        CurvePoint {
                            epoch: e as f64,
                            train_loss,
                            eval_top1,
                            train_loss_ci,
                            eval_top1_ci,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    // Name what colour and dash stand for: the swept fields other than the mode, and the base.
    let mode = mode_field(exp);
    let swept: Vec<String> = exp
        .axes
        .iter()
        .filter(|a| !a.is_seed() && Some(&a.key) != mode.as_ref().map(|m| &m.0))
        .map(|a| key_name(exp, &a.key))
        .collect();
    let mut styles = if swept.is_empty() {
        String::new()
    } else {
        format!("; colour: {}", swept.join(" and "))
    };
    if let Some((_, base)) = &mode {
        styles.push_str(&format!("; dashed, hollow: {}", value_name(exp, base)));
    }
    Some(Curves {
        frame: Frame {
            title: format!("{}: training curves", title(exp)),
            caption: format!(
                "mean over seeds, bands: 95% t-interval, epochs from 0; {}{styles}",
                n_text(exp, groups.iter().map(|(_, r)| r.len()))
            ),
        },
        // On two-moons the evaluation split is the training points themselves.
        accuracy_label: if exp.experiment.kind == KindName::Moons {
            "eval-mode top-1 on the training points (%)".into()
        } else if accuracy_key == "val_top1" {
            // the test split was evaluated only at the end (train.eval_test_every_epoch = false)
            "validation top-1 (%)".into()
        } else {
            "test top-1 (%)".into()
        },
        curves,
    })
}
