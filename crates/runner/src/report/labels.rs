//! How a report names things, shared by its tables and figures: fields and values under
//! `[output] labels`, points, the compared field, the x axis, metric scales and units.

use std::collections::BTreeMap;

use config::Experiment;
use config::sweep::short;
use serde_json::Value;
use sweep::EXTRA;

use super::stats::Paired;

/// The x axis: `[output] x`, else the first swept non-seed axis with numeric values that is not
/// the compared field.
pub fn x_axis(exp: &Experiment) -> Option<String> {
    if let Some(x) = &exp.output.x {
        return Some(x.clone());
    }
    let compared = exp.output.compare.as_ref().map(|c| c.field.as_str());
    exp.axes
        .iter()
        .find(|a| !a.is_seed() && Some(a.key.as_str()) != compared && a.values.iter().all(Value::is_number))
        .map(|a| a.key.clone())
}

/// The budget axis: a swept `train.epochs` that is not the compared field. Paired differences
/// are followed along it seed by seed (`Paired::changes`) and drawn against it.
pub fn budget_axis(exp: &Experiment) -> Option<String> {
    let compared = exp.output.compare.as_ref().map(|c| c.field.as_str());
    exp.axes
        .iter()
        .find(|a| a.path == ["train", "epochs"] && Some(a.key.as_str()) != compared)
        .map(|a| a.key.clone())
}

/// The compared field and its base value: `[output] compare`, else a swept `mode` with "sum".
pub fn mode_field(exp: &Experiment) -> Option<(String, Value)> {
    if let Some(c) = &exp.output.compare {
        return Some((c.field.clone(), c.base.clone()));
    }
    let key = exp.output.group.clone().or_else(|| {
        exp.axes
            .iter()
            .find(|a| a.path.last().is_some_and(|f| f == "mode"))
            .map(|a| a.key.clone())
    })?;
    Some((key, Value::from("sum")))
}

/// A field's display name: `[output] labels`, else its last path segment (`train.seed` -> `seed`).
pub fn key_name(exp: &Experiment, key: &str) -> String {
    exp.output
        .labels
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.rsplit('.').next().unwrap_or(key).to_string())
}

/// A value's display name: `[output] labels` (by its text), else the text itself.
pub fn value_name(exp: &Experiment, v: &Value) -> String {
    let text = short(v);
    exp.output.labels.get(&text).cloned().unwrap_or(text)
}

/// A point for legends and rows, in axis order: the compared mode and strings renamed by
/// `[output] labels` by value alone, numbers as "width 16"; extra points by their label.
pub fn point_name(exp: &Experiment, point: &BTreeMap<String, Value>) -> String {
    let mode = mode_field(exp).map(|m| m.0);
    let mut parts = Vec::new();
    if let Some(v) = point.get(EXTRA) {
        parts.push(value_name(exp, v));
    }
    for axis in &exp.axes {
        let Some(v) = point.get(&axis.key) else { continue };
        let renamed = exp.output.labels.contains_key(&short(v));
        if Some(&axis.key) == mode.as_ref() || renamed {
            parts.push(value_name(exp, v));
        } else {
            parts.push(format!("{} {}", key_name(exp, &axis.key), value_name(exp, v)));
        }
    }
    parts.join(" ")
}

/// Accuracies are stored as fractions; figures and tables show percent.
pub fn scale(metric: &str) -> f64 {
    if metric.contains("top1") || metric.contains("top5") || metric.contains("acc") {
        100.0
    } else {
        1.0
    }
}

/// The metric's axis label: accuracies say they are in percent.
pub fn axis_label(metric: &str) -> String {
    if scale(metric) == 100.0 {
        format!("{metric} (%)")
    } else {
        metric.to_string()
    }
}

/// "experiment: description" (the title names experiment and data).
pub fn title(exp: &Experiment) -> String {
    if exp.experiment.description.is_empty() {
        exp.experiment.name.clone()
    } else {
        format!("{}: {}", exp.experiment.name, exp.experiment.description)
    }
}

/// "star - sum" in display names.
pub fn difference_name(exp: &Experiment, p: &Paired) -> String {
    format!("{} - {}", value_name(exp, &p.treatment), value_name(exp, &p.base))
}
