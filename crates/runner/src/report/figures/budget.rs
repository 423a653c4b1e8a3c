//! The budget figure, `<metric>_difference_vs_<budget>`: the paired difference (star - sum) with
//! its 95% interval against the training budget, one line per width in the width's colour of the
//! main figure, and a zero line. Drawn when the sweep has a budget axis (a swept `train.epochs`,
//! [`budget_axis`]) and `[output] compare` is set.

use std::collections::BTreeMap;

use plots::{Frame, Line, LinePlot, Look};
use serde_json::Value;

use super::common::{Inputs, interval, n_text};
use crate::report::labels::{budget_axis, difference_name, key_name, point_name, scale, title, x_axis};

/// What the paper's reading and the alternative expect: the caption's last two lines.
const EXPECTATION: &str = "Paper: star's lead is capacity (an implicit space of very high dimension), \
     so the gap stays above 0\nas the budget grows, largest at the narrowest width. If star only \
     learns faster, the gap shrinks toward 0.";

/// The figure and the budget axis it is drawn against.
pub fn difference_vs_budget(inputs: Inputs<'_>) -> Option<(String, LinePlot)> {
    let exp = inputs.exp;
    let p = inputs.paired?;
    let budget = budget_axis(exp)?;
    let k = scale(&p.metric);
    // The width's colour is its rank among the measured widths, as the main figure colours them.
    let x = x_axis(exp).filter(|x| *x != budget);
    let mut widths: Vec<f64> = p
        .points
        .iter()
        .filter_map(|pp| pp.point.get(x.as_deref()?)?.as_f64())
        .collect();
    widths.sort_by(f64::total_cmp);
    widths.dedup();
    let mut lines: Vec<(BTreeMap<String, Value>, Line)> = Vec::new();
    for pp in &p.points {
        let Some(b) = pp.point.get(&budget).and_then(Value::as_f64) else {
            continue;
        };
        let mut rest = pp.point.clone();
        rest.remove(&budget);
        let pos = lines.iter().position(|(r, _)| *r == rest).unwrap_or_else(|| {
            let width = x.as_deref().and_then(|x| rest.get(x)?.as_f64());
            let line = Line {
                name: if rest.is_empty() {
                    difference_name(exp, p)
                } else {
                    point_name(exp, &rest)
                },
                color: width.and_then(|w| widths.iter().position(|v| *v == w)),
                look: Look::Solid,
                points: Vec::new(),
            };
            lines.push((rest, line));
            lines.len() - 1
        });
        lines[pos]
            .1
            .points
            .push((b, interval(&pp.stat, &pp.differences, k)));
    }
    if lines.iter().all(|(_, l)| l.points.len() < 2) {
        return None; // one budget per line: nothing to draw against it
    }
    let mut lines: Vec<Line> = lines.into_iter().map(|(_, l)| l).collect();
    for l in &mut lines {
        l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let unit = if k == 100.0 { "points" } else { "units" };
    let diff = difference_name(exp, p);
    let caption = format!(
        "{}; markers: mean {diff} paired by seed, bars: 95% t-interval, small dots: single pairs; \
         dashed: 0\n{EXPECTATION}",
        n_text(exp, p.points.iter().map(|pp| pp.stat.n)),
    );
    let budgets: Vec<f64> = lines.iter().flat_map(|l| l.points.iter().map(|q| q.0)).collect();
    let (lo, hi) = budgets
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let plot = LinePlot {
        frame: Frame {
            title: title(exp),
            caption,
        },
        x_label: key_name(exp, &budget),
        y_label: format!("{diff} in {} ({unit})", p.metric),
        x_log: lo > 0.0 && hi / lo >= 4.0,
        lines,
        difference: None,
        reference: None,
        baseline: None,
        zero_line: true,
    };
    Some((budget, plot))
}
