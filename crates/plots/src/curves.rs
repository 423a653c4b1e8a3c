//! Training curves: training loss and evaluation accuracy against epoch, one line per point
//! (mean over seeds). Colour is the swept quantity and the look the compared mode, so "sum w16"
//! and "star w16" share a colour and differ in dash; epochs tick at integers.

use std::path::Path;

use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Figure, Frame, Look, PlotFiles, framed, save, style};
use plotters::series::DashedLineSeries;

/// One epoch of one point (mean over its seeds). NaN in a field (e.g. an epoch without
/// evaluation) skips that point; a NaN bound leaves the band out there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    /// 0-based, as the records and `selected_epoch` count.
    pub epoch: f64,
    pub train_loss: f64,
    pub eval_top1: f64,
    /// 95% intervals over seeds, `[lo, hi]`, drawn as bands around the lines.
    pub train_loss_ci: [f64; 2],
    pub eval_top1_ci: [f64; 2],
}

impl CurvePoint {
    /// A point without intervals (one seed).
    pub fn new(epoch: f64, train_loss: f64, eval_top1: f64) -> CurvePoint {
        CurvePoint {
            epoch,
            train_loss,
            eval_top1,
            train_loss_ci: [f64::NAN; 2],
            eval_top1_ci: [f64::NAN; 2],
        }
    }
}

/// One point of the sweep (mean over its seeds): its legend name, colour, look and epochs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Curve {
    pub name: String,
    pub color: usize,
    pub look: Look,
    pub epochs: Vec<CurvePoint>,
}

/// The figure: loss (left) and accuracy (right) against epoch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Curves {
    pub frame: Frame,
    /// The right panel's y axis, e.g. "test top-1 (%)".
    pub accuracy_label: String,
    pub curves: Vec<Curve>,
}

/// Writes `<stem>.svg` and `<stem>.png`. Errors if no curve has a single finite loss or
/// accuracy point.
pub fn training_curves(figure: &Curves, stem: &Path) -> Result<PlotFiles> {
    let any = |f: fn(&CurvePoint) -> f64| {
        figure
            .curves
            .iter()
            .flat_map(|c| &c.epochs)
            .any(|p| p.epoch.is_finite() && f(p).is_finite())
    };
    if !any(|p| p.train_loss) && !any(|p| p.eval_top1) {
        bail!(
            "plot {}: no curve has a finite loss or accuracy point to draw ({} curves given)",
            stem.display(),
            figure.curves.len()
        );
    }
    save(figure, stem).with_context(|| format!("plot {}", stem.display()))
}

/// Legend rows are this tall; the figure grows with the number of curves so none is cut off.
const LEGEND_ROW: u32 = 20;
const LEGEND_WIDTH: u32 = 240;

impl Figure for Curves {
    fn size(&self) -> (u32, u32) {
        let h = 500.max(60 + LEGEND_ROW * self.curves.len() as u32);
        (1340, h + super::TITLE_H + self.frame.caption_h())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = framed(root, &self.frame)?;
        let (plots, legend) = body.split_horizontally(self.size().0 - LEGEND_WIDTH);
        let (left, right) = plots.split_horizontally((self.size().0 - LEGEND_WIDTH) / 2);
        let loss = draw_panel(
            &left,
            "training loss",
            |p| (p.train_loss, p.train_loss_ci),
            &self.curves,
        )?;
        let accuracy = draw_panel(
            &right,
            &self.accuracy_label,
            |p| (p.eval_top1, p.eval_top1_ci),
            &self.curves,
        )?;
        // One shared legend beside the panels: with tens of runs it would cover the lines.
        for (i, curve) in self.curves.iter().enumerate() {
            let y = 24 + (i as u32 * LEGEND_ROW) as i32;
            let stroke = style::color(curve.color).stroke_width(2);
            match curve.look {
                Look::Solid => legend.draw(&PathElement::new([(4, y), (32, y)], stroke))?,
                Look::Dashed => {
                    legend.draw(&PathElement::new([(4, y), (12, y)], stroke))?;
                    legend.draw(&PathElement::new([(24, y), (32, y)], stroke))?;
                }
            }
            let name = style::legend_name(&curve.name, loss[i] + accuracy[i]);
            legend.draw(&Text::new(name, (40, y - 8), style::text(style::LEGEND_SIZE)))?;
        }
        Ok(())
    }
}

/// Draws one panel; returns how many points of each curve it drew.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y_label: &str,
    value: fn(&CurvePoint) -> (f64, [f64; 2]),
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
                .map(|p| (p.epoch, value(p).0))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect()
        })
        .collect();
    // (epoch, lo, hi) where a point has a finite interval
    let bands: Vec<Vec<(f64, f64, f64)>> = curves
        .iter()
        .map(|c| {
            c.epochs
                .iter()
                .map(|p| (p.epoch, value(p).1))
                .filter(|(x, [lo, hi])| x.is_finite() && lo.is_finite() && hi.is_finite())
                .map(|(x, [lo, hi])| (x, lo, hi))
                .collect()
        })
        .collect();
    let drawn = lines.iter().map(Vec::len).collect();
    let all = || lines.iter().flatten();
    let bounds = bands.iter().flatten().flat_map(|b| [b.1, b.2]);
    let (Some((x0, x1)), Some((y0, y1))) = (
        style::padded_range(all().map(|p| p.0), 0.03),
        style::padded_range(all().map(|p| p.1).chain(bounds), 0.06),
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
        .x_labels(0)
        .disable_x_mesh()
        .y_label_formatter(&style::tick)
        .bold_line_style(style::GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;
    style::draw_x_ticks(&mut chart, &style::integer_ticks(x0, x1, 15))?;
    for (curve, band) in curves.iter().zip(&bands) {
        if band.len() >= 2 {
            let outline = band
                .iter()
                .map(|b| (b.0, b.2))
                .chain(band.iter().rev().map(|b| (b.0, b.1)));
            let color = style::color(curve.color);
            chart.draw_series([Polygon::new(
                outline.collect::<Vec<_>>(),
                color.mix(0.12).filled(),
            )])?;
        }
    }
    for (curve, line) in curves.iter().zip(&lines) {
        let color = style::color(curve.color);
        let stroke = color.stroke_width(2);
        let pts = line.iter().copied();
        match curve.look {
            Look::Solid => chart.draw_series(LineSeries::new(pts, stroke))?,
            Look::Dashed => chart.draw_series(DashedLineSeries::new(pts, 8, 5, stroke))?,
        };
        let fill = if curve.look == Look::Solid {
            color.filled()
        } else {
            WHITE.filled()
        };
        chart.draw_series(
            line.iter()
                .flat_map(|&p| [Circle::new(p, 3, fill), Circle::new(p, 3, color.stroke_width(1))]),
        )?;
    }
    Ok(drawn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests_support::{assert_png, assert_svg_has};

    fn curve(name: &str, color: usize, look: Look, scale: f64) -> Curve {
        let epochs = (0..3)
            .map(|e| {
                let e = e as f64;
                let (loss, top1) = (scale / (e + 1.0), 100.0 - 20.0 * scale / (e + 1.0));
                CurvePoint {
                    train_loss_ci: [loss - 0.05, loss + 0.05],
                    eval_top1_ci: [top1 - 1.0, top1 + 1.0],
                    ..CurvePoint::new(e, loss, top1)
                }
            })
            .collect();
        Curve {
            name: name.into(),
            color,
            look,
            epochs,
        }
    }

    #[test]
    fn writes_loss_and_accuracy_panels_with_integer_epochs() {
        let dir = tempfile::tempdir().unwrap();
        let mut star = curve("star w16", 1, Look::Solid, 0.8);
        star.epochs[2].eval_top1 = f64::NAN; // an epoch without evaluation
        let figure = Curves {
            frame: Frame {
                title: "DemoNet width sweep".into(),
                caption: "mean over 2 seeds".into(),
            },
            accuracy_label: "test top-1 (%)".into(),
            curves: vec![
                curve("sum w16", 1, Look::Dashed, 1.0),
                star,
                curve("star w32", 2, Look::Solid, 0.5),
            ],
        };
        let files = training_curves(&figure, &dir.path().join("curves")).unwrap();
        assert_png(&files.png, figure.size(), &[style::color(1), style::color(2)]);
        assert_svg_has(
            &files.svg,
            &[
                "sum w16",
                "star w16",
                "epoch",
                "training loss",
                "test top-1 (%)",
                "0",
                "1",
                "2",
            ],
        );
        let svg = std::fs::read_to_string(&files.svg).unwrap();
        assert!(
            !svg.contains(">0.5<") && !svg.contains(">1.5<"),
            "epochs tick at integers only"
        );
        assert!(svg.contains("<polygon"), "the 95% bands are drawn");
    }

    #[test]
    fn curves_without_points_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let nan = CurvePoint::new(1.0, f64::NAN, f64::NAN);
        let figure = Curves {
            curves: vec![Curve {
                name: "a".into(),
                epochs: vec![nan],
                ..Curve::default()
            }],
            ..Curves::default()
        };
        let err = training_curves(&figure, &dir.path().join("c")).unwrap_err();
        assert!(format!("{err:#}").contains("no curve"), "{err:#}");
    }
}
