//! Which figures an experiment gets: typed results in, the `plots` crate's inputs out, drawn as
//! SVG + PNG with the same stem in the results folder (`common.rs` holds what the builders share).
//!
//! - a sweep with a numeric axis: `<metric>_vs_<x>` (a line per compared mode, intervals over
//!   seeds, the paired difference below it when `[output] compare` is set, the paper's numbers
//!   beside): [`sweep_figure::line_plot`];
//! - sweeps without one (ablations, `[[sweep.extra]]` baselines): `<metric>_dots`, a dot plot
//!   grouped as `[output] groups` says: [`sweep_figure::dot_plot`];
//! - a sweep over the training budget (`train.epochs`) with `[output] compare`:
//!   `<metric>_difference_vs_train_epochs`, the paired difference against the budget, a line per
//!   width: [`budget::difference_vs_budget`];
//! - `[output] also_compare` pairing the feature dimensions (`feat_pr_pct_block<i>`) along a
//!   width: `feature_dim_difference_vs_<x>`, a line per block: [`feature_dim::difference_vs_x`];
//! - training kinds: `curves` (loss and test accuracy per epoch, mean over seeds);
//! - moons: `boundaries`; implicit_dim: `implicit_dim` and `implicit_dim_stacked`.
//!
//! The grammar (see the `plots` crate): colour = the swept quantity, look = the compared mode.
//! Each builder is a plain function from results to plot input, so tests read what a figure
//! shows without decoding pixels.

use std::path::{Path, PathBuf};

use anyhow::Result;
use kinds::KindName;

pub mod budget;
pub mod common;
pub mod curves;
pub mod feature_dim;
pub mod implicit_dim;
pub mod moons;
pub mod sweep_figure;

pub use common::Inputs;

pub fn draw(inputs: Inputs<'_>, results: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if inputs.records.is_empty() {
        return Ok(files);
    }
    let exp = inputs.exp;
    let metric = &exp.output.metric;
    let sweep_figure = || -> Result<Option<PathBuf>> {
        if let Some((x, plot)) = sweep_figure::line_plot(inputs) {
            let stem = results.join(format!("{metric}_vs_{}", x.replace('.', "_")));
            return Ok(Some(plots::line_plot(&plot, &stem)?.png));
        }
        match sweep_figure::dot_plot(inputs) {
            Some(plot) => Ok(Some(
                plots::dot_plot(&plot, &results.join(format!("{metric}_dots")))?.png,
            )),
            None => Ok(None),
        }
    };
    match exp.experiment.kind {
        KindName::Train | KindName::Moons => {
            files.extend(sweep_figure()?);
            if let Some((budget, plot)) = budget::difference_vs_budget(inputs) {
                let stem = results.join(format!("{metric}_difference_vs_{}", budget.replace('.', "_")));
                files.push(plots::line_plot(&plot, &stem)?.png);
            }
            if let Some((x, plot)) = feature_dim::difference_vs_x(inputs) {
                let stem = results.join(format!("feature_dim_difference_vs_{}", x.replace('.', "_")));
                files.push(plots::line_plot(&plot, &stem)?.png);
            }
            if let Some(c) = curves::curves(inputs) {
                files.push(plots::training_curves(&c, &results.join("curves"))?.png);
            }
            if exp.experiment.kind == KindName::Moons {
                files.extend(moons::boundaries(exp, inputs.records, results)?);
            }
        }
        KindName::ImplicitDim => files.extend(implicit_dim::draw(exp, inputs.records, results)?),
        KindName::Latency => files.extend(sweep_figure()?),
    }
    Ok(files)
}
