//! Training curves: training loss and evaluation accuracy against epoch, one line per run.

use std::path::Path;

use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Figure, PlotFiles, save, style};

/// One epoch of one run. NaN in a field (e.g. an epoch without evaluation) skips that point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    pub epoch: f64,
    pub train_loss: f64,
    pub eval_top1: f64,
}

/// One run (or one mean over seeds): its legend name and its epochs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Curve {
    pub name: String,
    pub epochs: Vec<CurvePoint>,
}

/// Writes `<stem>.svg` and `<stem>.png`: loss (left) and accuracy (right) against epoch.
/// `accuracy_label` names the right y axis, e.g. "test top-1 (%)". Errors if no curve has a
/// single finite loss or accuracy point.
pub fn training_curves(
    title: &str,
    accuracy_label: &str,
    curves: &[Curve],
    stem: &Path,
) -> Result<PlotFiles> {
    let figure = CurvesFigure::new(title, accuracy_label, curves)
        .with_context(|| format!("plot {}", stem.display()))?;
    save(&figure, stem)
}

struct CurvesFigure<'a> {
    title: &'a str,
    accuracy_label: &'a str,
    curves: &'a [Curve],
}

impl<'a> CurvesFigure<'a> {
    fn new(title: &'a str, accuracy_label: &'a str, curves: &'a [Curve]) -> Result<Self> {
        let any = |f: fn(&CurvePoint) -> f64| {
            curves
                .iter()
                .flat_map(|c| &c.epochs)
                .any(|p| p.epoch.is_finite() && f(p).is_finite())
        };
        if !any(|p| p.train_loss) && !any(|p| p.eval_top1) {
            bail!(
                "no curve has a finite loss or accuracy point to draw ({} curves given)",
                curves.len()
            );
        }
        Ok(Self {
            title,
            accuracy_label,
            curves,
        })
    }
}

/// Legend rows are this tall; the figure grows with the number of curves so none is cut off.
const LEGEND_ROW: u32 = 20;
const LEGEND_WIDTH: u32 = 240;

impl Figure for CurvesFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1340, 560.max(120 + LEGEND_ROW * self.curves.len() as u32))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let body = root.titled(self.title, style::text(style::TITLE_SIZE))?;
        let (plots, legend) = body.split_horizontally(self.size().0 - LEGEND_WIDTH);
        let (left, right) = plots.split_horizontally((self.size().0 - LEGEND_WIDTH) / 2);
        let loss = draw_panel(&left, "training loss", |p| p.train_loss, self.curves)?;
        let accuracy = draw_panel(&right, self.accuracy_label, |p| p.eval_top1, self.curves)?;
        // One shared legend beside the panels: with tens of runs it would cover the lines.
        for (i, curve) in self.curves.iter().enumerate() {
            let y = 24 + (i as u32 * LEGEND_ROW) as i32;
            let stroke = style::color(i).stroke_width(2);
            legend.draw(&PathElement::new([(4, y), (28, y)], stroke))?;
            let name = style::legend_name(&curve.name, loss[i] + accuracy[i]);
            legend.draw(&Text::new(name, (36, y - 8), style::text(style::LEGEND_SIZE)))?;
        }
        Ok(())
    }
}

/// Draws one panel; returns how many points of each curve it drew.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y_label: &str,
    value: fn(&CurvePoint) -> f64,
    curves: &[Curve],
) -> Result<Vec<usize>>
where
    DB::ErrorType: 'static,
{
    let lines: Vec<Vec<(f64, f64)>> = curves
        .iter()
        .map(|c| {
            c.epochs
                .iter()
                .map(|p| (p.epoch, value(p)))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect()
        })
        .collect();
    let drawn = lines.iter().map(Vec::len).collect();
    let all = || lines.iter().flatten();
    let (Some((x0, x1)), Some((y0, y1))) = (
        style::padded_range(all().map(|p| p.0), 0.03),
        style::padded_range(all().map(|p| p.1), 0.06),
    ) else {
        area.draw(&Text::new(
            format!("{y_label}: no data"),
            (60, 60),
            style::text(style::LABEL_SIZE),
        ))?;
        return Ok(drawn);
    };
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_label)
        .axis_desc_style(style::text(style::LABEL_SIZE))
        .label_style(style::text(style::TICK_SIZE))
        .x_label_formatter(&style::tick)
        .y_label_formatter(&style::tick)
        .bold_line_style(style::GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;
    for (i, line) in lines.iter().enumerate() {
        let stroke = style::color(i).stroke_width(2);
        chart.draw_series(LineSeries::new(line.iter().copied(), stroke).point_size(3))?;
    }
    Ok(drawn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::tests_support::{assert_png, assert_svg_has};

    fn curve(name: &str, scale: f64) -> Curve {
        let epochs = (1..=5)
            .map(|e| {
                let e = e as f64;
                CurvePoint {
                    epoch: e,
                    train_loss: scale / e,
                    eval_top1: 100.0 - 20.0 * scale / e,
                }
            })
            .collect();
        Curve {
            name: name.into(),
            epochs,
        }
    }

    #[test]
    fn writes_loss_and_accuracy_panels() {
        let dir = tempfile::tempdir().unwrap();
        let mut star = curve("star w=16 seed 0", 0.8);
        star.epochs[2].eval_top1 = f64::NAN; // an epoch without evaluation
        let files = training_curves(
            "DemoNet width sweep",
            "test top-1 (%)",
            &[curve("sum w=16 seed 0", 1.0), star],
            &dir.path().join("curves"),
        )
        .unwrap();
        assert_png(&files.png, (1340, 560), &[style::color(0), style::color(1)]);
        assert_svg_has(
            &files.svg,
            &[
                "sum w=16 seed 0",
                "star w=16 seed 0",
                "epoch",
                "training loss",
                "test top-1 (%)",
            ],
        );
    }

    #[test]
    fn curves_without_points_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let nan = CurvePoint {
            epoch: 1.0,
            train_loss: f64::NAN,
            eval_top1: f64::NAN,
        };
        let err = training_curves(
            "t",
            "acc",
            &[Curve {
                name: "a".into(),
                epochs: vec![nan],
            }],
            &dir.path().join("c"),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("no curve"), "{err:#}");
    }
}
