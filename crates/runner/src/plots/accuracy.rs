//! Accuracy against a swept knob (width, depth): one line per model with error bars over seeds,
//! and the paper's numbers beside them.
//!
//! The paper's numbers are ImageNet-1k top-1 at widths 96..448, ours are Fashion-MNIST at much
//! smaller widths: neither the x nor the y range is shared, so an overlay (even with a second y
//! axis) would squash one of the two. Reference series therefore get their own panel on the
//! right, with the same colour order, so "star above sum, gap shrinking" can be compared by shape.

use std::path::Path;

use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::series::DashedLineSeries;

use super::{Figure, PlotFiles, save, style};

/// One line: `(x, mean, std)` per point; `std` is over seeds (0 or NaN: no error bar).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64, f64)>,
    /// The paper's numbers, not a measurement: drawn dashed with hollow markers, in the
    /// right-hand panel. Colours follow the order within each panel, so list the reference
    /// series in the same order as the measured ones (e.g. sum, star) to match colours.
    pub reference: bool,
}

/// Texts of an accuracy plot.
#[derive(Debug, Clone, PartialEq)]
pub struct AccuracyLabels {
    pub title: String,
    pub x: String,
    pub y: String,
    /// Title of the reference panel (drawn only when a series has `reference: true`).
    pub reference_title: String,
    pub reference_y: String,
}

impl Default for AccuracyLabels {
    fn default() -> Self {
        Self {
            title: "accuracy".into(),
            x: "width".into(),
            y: "test top-1 (%)".into(),
            reference_title: "paper (ImageNet-1k)".into(),
            reference_y: "ImageNet-1k top-1 (%)".into(),
        }
    }
}

/// Writes `<stem>.svg` and `<stem>.png`: measured series with error bars on the left, the
/// paper's reference series (if any) dashed on the right. Errors if no series has a finite point.
pub fn accuracy_vs(labels: &AccuracyLabels, series: &[Series], stem: &Path) -> Result<PlotFiles> {
    let figure = AccuracyFigure::new(labels, series).with_context(|| format!("plot {}", stem.display()))?;
    save(&figure, stem)
}

struct AccuracyFigure<'a> {
    labels: &'a AccuracyLabels,
    measured: Vec<&'a Series>,
    reference: Vec<&'a Series>,
}

impl<'a> AccuracyFigure<'a> {
    fn new(labels: &'a AccuracyLabels, series: &'a [Series]) -> Result<Self> {
        if !series
            .iter()
            .any(|s| s.points.iter().any(|p| drawable(*p).is_some()))
        {
            bail!(
                "no series has a finite (x, mean) point to draw ({} series given)",
                series.len()
            );
        }
        let (reference, measured) = series.iter().partition(|s| s.reference);
        Ok(Self {
            labels,
            measured,
            reference,
        })
    }
}

/// The point with a usable error bar, or None if it cannot be drawn.
fn drawable((x, mean, std): (f64, f64, f64)) -> Option<(f64, f64, f64)> {
    (x.is_finite() && mean.is_finite()).then_some((x, mean, if std.is_finite() { std.abs() } else { 0.0 }))
}

impl Figure for AccuracyFigure<'_> {
    fn size(&self) -> (u32, u32) {
        if self.reference.is_empty() {
            (800, 540)
        } else {
            (1240, 540)
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let l = self.labels;
        if self.reference.is_empty() {
            return draw_panel(root, &l.title, &l.x, &l.y, &self.measured, false);
        }
        let (left, right) = root.split_horizontally(760);
        draw_panel(&left, &l.title, &l.x, &l.y, &self.measured, false)?;
        draw_panel(
            &right,
            &l.reference_title,
            &l.x,
            &l.reference_y,
            &self.reference,
            true,
        )
    }
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[&Series],
    reference: bool,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let points: Vec<Vec<(f64, f64, f64)>> = series
        .iter()
        .map(|s| s.points.iter().filter_map(|p| drawable(*p)).collect())
        .collect();
    let all = || points.iter().flatten();
    let Some((x0, x1)) = style::padded_range(all().map(|p| p.0), 0.05) else {
        // Only reachable for a panel whose series are all empty: say so inside the panel.
        area.titled(title, style::text(style::TITLE_SIZE))?
            .draw(&Text::new("no data", (40, 40), style::text(style::LABEL_SIZE)))?;
        return Ok(());
    };
    let (y0, y1) = style::padded_range(all().flat_map(|p| [p.1 - p.2, p.1 + p.2]), 0.08)
        .context("finite points must give a y range")?;

    let mut chart = ChartBuilder::on(area)
        .caption(title, style::text(style::TITLE_SIZE))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style(style::text(style::LABEL_SIZE))
        .label_style(style::text(style::TICK_SIZE))
        .x_label_formatter(&style::tick)
        .y_label_formatter(&style::tick)
        .bold_line_style(style::GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;

    for (i, (s, pts)) in series.iter().zip(&points).enumerate() {
        let color = style::color(i);
        let line = color.stroke_width(2);
        let xy = pts.iter().map(|&(x, m, _)| (x, m));
        if reference {
            chart
                .draw_series(DashedLineSeries::new(xy.clone(), 8, 5, line))?
                .label(style::legend_name(&s.name, pts.len()))
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new([(0, 0), (8, 0)], line)
                        + PathElement::new([(12, 0), (20, 0)], line)
                });
        } else {
            chart
                .draw_series(LineSeries::new(xy, line))?
                .label(style::legend_name(&s.name, pts.len()))
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new([(0, 0), (20, 0)], line)
                        + Circle::new((10, 0), 4, color.filled())
                });
        }
        // Markers: an error bar (with its dot) where seeds disagree, a plain dot elsewhere.
        let marker = if reference {
            color.stroke_width(2)
        } else {
            color.filled().stroke_width(2)
        };
        let (with_bar, without): (Vec<_>, Vec<_>) = pts.iter().partition(|p| p.2 > 0.0);
        chart.draw_series(
            with_bar
                .iter()
                .map(|&&(x, m, s)| ErrorBar::new_vertical(x, m - s, m, m + s, marker, 9)),
        )?;
        chart.draw_series(without.iter().map(|&&(x, m, _)| Circle::new((x, m), 4, marker)))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(style::text(style::LEGEND_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::tests_support::{assert_png, assert_svg_has};

    fn series(name: &str, reference: bool, points: Vec<(f64, f64, f64)>) -> Series {
        Series {
            name: name.into(),
            points,
            reference,
        }
    }

    #[test]
    fn writes_both_files_with_measured_and_paper_panels() {
        let dir = tempfile::tempdir().unwrap();
        let data = [
            series(
                "sum",
                false,
                vec![(8.0, 80.1, 0.4), (16.0, 84.0, 0.3), (32.0, 86.5, f64::NAN)],
            ),
            series(
                "star",
                false,
                vec![(8.0, 83.0, 0.5), (16.0, 86.0, 0.2), (32.0, 87.5, 0.1)],
            ),
            series(
                "paper sum (ImageNet)",
                true,
                vec![(96.0, 51.1, 0.0), (288.0, 72.5, 0.0)],
            ),
            series(
                "paper star (ImageNet)",
                true,
                vec![(96.0, 57.6, 0.0), (288.0, 76.1, 0.0)],
            ),
        ];
        let labels = AccuracyLabels {
            title: "DemoNet width sweep".into(),
            ..Default::default()
        };
        let files = accuracy_vs(&labels, &data, &dir.path().join("width")).unwrap();
        assert_eq!(files.svg, dir.path().join("width.svg"));
        assert_png(&files.png, (1240, 540), &[style::color(0), style::color(1)]);
        assert_svg_has(
            &files.svg,
            &[
                "sum",
                "star",
                "paper sum (ImageNet)",
                "paper star (ImageNet)",
                "width",
                "test top-1 (%)",
            ],
        );
    }

    #[test]
    fn single_panel_without_reference_and_nan_points_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let data = [
            series(
                "sum",
                false,
                vec![(10.0, 0.8, 0.01), (f64::NAN, 0.9, 0.0), (12.0, f64::NAN, 0.0)],
            ),
            series("star", false, vec![]),
        ];
        let labels = AccuracyLabels {
            x: "depth".into(),
            ..Default::default()
        };
        let files = accuracy_vs(&labels, &data, &dir.path().join("depth")).unwrap();
        assert_png(&files.png, (800, 540), &[style::color(0)]);
        assert_svg_has(&files.svg, &["sum", "star (no data)", "depth"]);
    }

    #[test]
    fn no_finite_point_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("empty");
        let err = accuracy_vs(
            &AccuracyLabels::default(),
            &[series("sum", false, vec![(1.0, f64::NAN, 0.0)])],
            &stem,
        )
        .unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("empty") && msg.contains("no series"), "{msg}");
        assert!(accuracy_vs(&AccuracyLabels::default(), &[], &stem).is_err());
        assert!(!dir.path().join("empty.png").exists());
    }
}
