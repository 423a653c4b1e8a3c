//! The feature-dimension figure, `feature_dim_difference_vs_<x>`: star - sum in the participation
//! ratio of each block's merged features (percent of the 3d features there are; the train kind's
//! `feat_pr_pct_block<i>`), with 95% intervals over seed pairs, against the swept width, a line
//! per block and one for their mean (`feat_pr_pct`), and a zero line. Drawn when `[output]
//! also_compare` pairs those metrics along a numeric axis and nothing else is swept beside it.

use plots::{Frame, Line, LinePlot, Look};

use super::common::{Inputs, interval, n_text};
use crate::report::labels::{difference_name, key_name, title, x_axis};
use crate::report::stats::Paired;

/// The record metric of the mean over blocks; the blocks' are `<MEAN>_block<i>`.
const MEAN: &str = "feat_pr_pct";

/// What the figure does and does not show: the caption's last line.
const WHAT: &str = "The dimension trained features use (at most 3d), not the implicit dimension \
     of the functions a layer can reach ((d+1)(d+2)/2).";

/// The figure and the axis it is drawn against.
pub fn difference_vs_x(inputs: Inputs<'_>) -> Option<(String, LinePlot)> {
    let exp = inputs.exp;
    let x = x_axis(exp)?;
    let along_x_only = |p: &Paired| {
        p.points
            .iter()
            .all(|pp| pp.point.len() == 1 && pp.point.contains_key(&x))
    };
    let mut blocks: Vec<(usize, &Paired)> = inputs
        .also_paired
        .iter()
        .filter(|p| along_x_only(p))
        .filter_map(|p| {
            Some((
                p.metric
                    .strip_prefix(MEAN)?
                    .strip_prefix("_block")?
                    .parse()
                    .ok()?,
                p,
            ))
        })
        .collect();
    blocks.sort_by_key(|(i, _)| *i);
    let mean = inputs
        .also_paired
        .iter()
        .find(|p| p.metric == MEAN && along_x_only(p));
    let first = blocks.first().map(|(_, p)| *p).or(mean)?;
    let line = |name: String, color: usize, p: &Paired| Line {
        name,
        color: Some(color),
        look: Look::Solid,
        points: p
            .points
            .iter()
            .filter_map(|pp| Some((pp.point[&x].as_f64()?, interval(&pp.stat, &pp.differences, 1.0))))
            .collect(),
    };
    let mut lines: Vec<Line> = blocks
        .iter()
        .map(|(i, p)| line(format!("block {i}"), *i, p))
        .collect();
    if let Some(p) = mean {
        lines.push(line("mean over blocks".into(), blocks.len(), p));
    }
    for l in &mut lines {
        l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    if lines.iter().all(|l| l.points.len() < 2) {
        return None;
    }
    let xs: Vec<f64> = lines.iter().flat_map(|l| l.points.iter().map(|q| q.0)).collect();
    let (lo, hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
        (a.min(v), b.max(v))
    });
    let diff = difference_name(exp, first);
    let caption = format!(
        "{}; markers: mean {diff} paired by seed, bars: 95% t-interval, small dots: single pairs; \
         dashed: 0\nParticipation ratio of each block's merged features on the test split, tokens \
         pooled, final weights.\n{WHAT}",
        n_text(exp, first.points.iter().map(|pp| pp.stat.n)),
    );
    let plot = LinePlot {
        frame: Frame {
            title: title(exp),
            caption,
        },
        x_label: key_name(exp, &x),
        y_label: format!("{diff} in participation ratio (% of 3d)"),
        x_log: lo > 0.0 && hi / lo >= 4.0,
        lines,
        difference: None,
        reference: None,
        baseline: None,
        zero_line: true,
    };
    Some((x, plot))
}
