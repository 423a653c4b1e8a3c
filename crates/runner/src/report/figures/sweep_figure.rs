//! The sweep figure: a line plot over a numeric axis, else a dot plot of every point.

use std::collections::BTreeMap;

use plots::{DiffPanel, DotGroup, DotPlot, DotRow, Estimate, Frame, Line, LinePlot, Look, RefPanel};
use serde_json::Value;

use config::Experiment;
use config::sweep::short;
use sweep::EXTRA;

use super::common::{Colors, Inputs, color_key, estimate, interval, look, n_text, values_by_point};
use crate::report::labels::{
    axis_label, difference_name, key_name, mode_field, point_name, scale, title, value_name, x_axis,
};
use crate::report::stats::Paired;

const INTERVALS: &str = "markers: mean, bars: 95% t-interval of the mean, small dots: single seeds";

/// What the markers and bars are, for the caption.
fn intervals(counts: &[usize], marker: &str) -> String {
    if counts.iter().all(|&n| n <= 1) {
        format!("{marker}: the single run (no interval with n = 1)")
    } else {
        INTERVALS.replace("markers", marker)
    }
}

/// The line plot over `x` and its name, when the sweep has a numeric axis.
pub fn line_plot(inputs: Inputs<'_>) -> Option<(String, LinePlot)> {
    let exp = inputs.exp;
    let x = x_axis(exp)?;
    let metric = &exp.output.metric;
    let k = scale(metric);
    let by_point = values_by_point(inputs, metric);
    // A line per combination of the other fields (e.g. per mode).
    let mut lines: Vec<(BTreeMap<String, Value>, Line)> = Vec::new();
    let mut colors = Colors::default();
    for (point, values) in &by_point {
        let Some(xv) = point.get(&x).and_then(Value::as_f64) else {
            continue;
        };
        let mut key = point.clone();
        key.remove(&x);
        let pos = lines.iter().position(|(k, _)| *k == key).unwrap_or_else(|| {
            // Lines that differ only in the compared mode leave colour to the x values.
            let rest = color_key(exp, &key);
            let line = Line {
                name: if key.is_empty() {
                    exp.experiment.name.clone()
                } else {
                    point_name(exp, &key)
                },
                color: (!rest.is_empty()).then(|| colors.of(rest)),
                look: look(exp, &key),
                points: Vec::new(),
            };
            lines.push((key, line));
            lines.len() - 1
        });
        lines[pos].1.points.push((xv, estimate(values, k)));
    }
    if lines.is_empty() {
        return None;
    }
    let mut lines: Vec<Line> = lines.into_iter().map(|(_, l)| l).collect();
    for l in &mut lines {
        l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let difference = inputs.paired.and_then(|p| difference_panel(inputs, p, &x, k));
    let counts: Vec<usize> = by_point.iter().map(|(_, v)| v.len()).collect();
    let mut caption = format!(
        "{}{}; {}",
        budget(inputs).map_or_else(String::new, |e| format!("{e} epochs; ")),
        n_text(exp, counts.iter().copied()),
        intervals(&counts, "markers")
    );
    if let Some(p) = inputs.paired {
        caption.push_str(&format!(
            "; difference: {} paired by seed",
            difference_name(exp, p)
        ));
    }
    let baseline = baseline(inputs, &by_point, k);
    if let Some((name, _)) = &baseline {
        caption.push_str(&format!(
            "; dotted level and band: {name}, mean and 95% t-interval"
        ));
    }
    let x_values: Vec<f64> = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)).collect();
    let x_min = x_values.iter().copied().fold(f64::INFINITY, f64::min);
    let x_max = x_values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let plot = LinePlot {
        frame: Frame {
            title: title(exp),
            caption,
        },
        x_label: key_name(exp, &x),
        y_label: axis_label(metric),
        // Doubling widths read best on a log axis (and the trend is fitted against ln x).
        x_log: x_min > 0.0 && x_max / x_min >= 4.0,
        lines,
        difference,
        reference: reference(inputs, k),
        baseline,
        zero_line: false,
    };
    Some((x, plot))
}

/// The training budget every run of the sweep shares (`train.epochs`), when it is one: a figure
/// of a sweep says how long its runs trained.
fn budget(inputs: Inputs<'_>) -> Option<u64> {
    let mut epochs = inputs
        .records
        .iter()
        .map(|(spec, _)| spec.config.to_json()["train"]["epochs"].as_u64());
    let first = epochs.next()??;
    epochs.all(|e| e == Some(first)).then_some(first)
}

/// `[output] baseline`'s extra (e.g. the linear classifier) as a level across the plot.
fn baseline(
    inputs: Inputs<'_>,
    by_point: &[(BTreeMap<String, Value>, Vec<f64>)],
    k: f64,
) -> Option<(String, Estimate)> {
    let label = Value::from(inputs.exp.output.baseline.as_deref()?);
    let (_, values) = by_point.iter().find(|(p, _)| p.get(EXTRA) == Some(&label))?;
    Some((value_name(inputs.exp, &label), estimate(values, k)))
}

/// Treatment - base per x, when every paired point differs only in x.
fn difference_panel(inputs: Inputs<'_>, p: &Paired, x: &str, k: f64) -> Option<DiffPanel> {
    let exp = inputs.exp;
    let only_x = p.points.iter().all(|pp| pp.point.keys().all(|key| key == x));
    if !only_x || p.points.is_empty() {
        return None;
    }
    let points = p
        .points
        .iter()
        .filter_map(|pp| Some((pp.point.get(x)?.as_f64()?, interval(&pp.stat, &pp.differences, k))))
        .collect();
    let unit = if k == 100.0 { "points" } else { "units" };
    let note = match p.trends.first() {
        Some(t) => {
            let per = |v: f64| v * std::f64::consts::LN_2 * k;
            let ci = t.fit.ci95.map_or_else(
                || "no interval".to_string(),
                |[lo, hi]| format!("95% CI [{:+.2}, {:+.2}]", per(lo), per(hi)),
            );
            format!(
                "trend: {:+.2} {unit} per doubling of {} ({ci}; OLS on ln {}, {} pairs)",
                per(t.fit.slope),
                key_name(exp, x),
                key_name(exp, x),
                t.fit.n
            )
        }
        None => String::new(),
    };
    Some(DiffPanel {
        title: format!("{}, paired by seed (95% t-interval)", difference_name(exp, p)),
        y_label: format!("difference ({unit})"),
        points,
        note,
    })
}

/// The paper's numbers from `[output] paper` (series name -> x -> value), in the same looks.
fn reference(inputs: Inputs<'_>, k: f64) -> Option<RefPanel> {
    let exp = inputs.exp;
    if exp.output.paper.is_empty() {
        return None;
    }
    let base = mode_field(exp).map(|m| short(&m.1));
    let lines = exp
        .output
        .paper
        .iter()
        .map(|(name, values)| {
            let mut points: Vec<(f64, Estimate)> = values
                .iter()
                .filter_map(|(xs, &y)| Some((xs.trim().parse::<f64>().ok()?, Estimate::exact(y))))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Line {
                name: name.clone(),
                color: None,
                look: if Some(name) == base.as_ref() {
                    Look::Dashed
                } else {
                    Look::Solid
                },
                points,
            }
        })
        .collect();
    let unit = if k == 100.0 { " (%)" } else { "" };
    Some(RefPanel {
        title: exp.output.paper_label.clone(),
        y_label: format!("paper's number{unit}"),
        lines,
    })
}

/// The row key `[output] groups` lists: an extra's label, else the point's values joined by " ".
pub fn row_key(exp: &Experiment, point: &BTreeMap<String, Value>) -> String {
    if let Some(v) = point.get(EXTRA) {
        return short(v);
    }
    exp.axes
        .iter()
        .filter_map(|a| point.get(&a.key).map(short))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A row per point (grouped as `[output] groups` lists them, the rest after), and the paired
/// differences below.
pub fn dot_plot(inputs: Inputs<'_>) -> Option<DotPlot> {
    let exp = inputs.exp;
    let metric = &exp.output.metric;
    let k = scale(metric);
    let by_point = values_by_point(inputs, metric);
    if by_point.len() < 2 {
        return None;
    }
    let mut colors = Colors::default();
    let mut rows: Vec<(String, DotRow)> = by_point
        .iter()
        .map(|(point, values)| {
            let key = row_key(exp, point);
            let paper: Vec<String> = exp
                .output
                .paper
                .iter()
                .filter_map(|(name, vs)| vs.get(&key).map(|v| (name, v)))
                .map(|(name, &v)| {
                    // 78 is printed 78.0, as the paper's tables do.
                    let v = if v.fract() == 0.0 {
                        format!("{v:.1}")
                    } else {
                        format!("{v}")
                    };
                    if exp.output.paper.len() == 1 {
                        v
                    } else {
                        format!("{name} {v}")
                    }
                })
                .collect();
            let row = DotRow {
                label: point_name(exp, point),
                color: colors.of(color_key(exp, point)),
                filled: look(exp, point) == Look::Solid,
                estimate: estimate(values, k),
                note: paper.join(", "),
            };
            (key, row)
        })
        .collect();
    let mut groups: Vec<DotGroup> = Vec::new();
    for g in &exp.output.groups {
        let picked: Vec<DotRow> = g
            .rows
            .iter()
            .filter_map(|r| {
                rows.iter()
                    .position(|(key, _)| key == r)
                    .map(|i| rows.remove(i).1)
            })
            .collect();
        groups.push(DotGroup {
            name: g.name.clone(),
            rows: picked,
        });
    }
    if !rows.is_empty() {
        let name = if groups.is_empty() {
            String::new()
        } else {
            "other".to_string()
        };
        groups.push(DotGroup {
            name,
            rows: rows.into_iter().map(|(_, r)| r).collect(),
        });
    }
    let difference = inputs.paired.filter(|p| !p.points.is_empty()).map(|p| {
        let rows = p
            .points
            .iter()
            .map(|pp| {
                let label = if pp.point.is_empty() {
                    difference_name(exp, p)
                } else {
                    point_name(exp, &pp.point)
                };
                DotRow {
                    label,
                    color: colors.of(color_key(exp, &pp.point)),
                    filled: true,
                    estimate: interval(&pp.stat, &pp.differences, k),
                    note: String::new(),
                }
            })
            .collect();
        let title = format!("{}, paired by seed (95% t-interval)", difference_name(exp, p));
        (
            title,
            vec![DotGroup {
                name: String::new(),
                rows,
            }],
        )
    });
    let counts: Vec<usize> = by_point.iter().map(|(_, v)| v.len()).collect();
    let mut caption = format!(
        "{}; {}",
        n_text(exp, counts.iter().copied()),
        intervals(&counts, "dots")
    );
    if let Some(p) = inputs.paired {
        caption.push_str(&format!("; below: {} per seed pair", difference_name(exp, p)));
    }
    Some(DotPlot {
        frame: Frame {
            title: title(exp),
            caption,
        },
        x_label: axis_label(metric),
        groups,
        note_header: if exp.output.paper.is_empty() {
            String::new()
        } else {
            exp.output.paper_label.clone()
        },
        difference,
    })
}
