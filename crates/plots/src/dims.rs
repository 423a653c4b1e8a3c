//! Implicit dimension against input width d, as small multiples: one panel per family (or per
//! layer count), each variant (bias or not, per channel or across) in its own colour. Within a
//! variant the three numbers differ in form, not only in colour: the exact count is a wide pale
//! band, the paper's formula a thin dashed line, the measured rank a marker (hollow where the
//! rank is unreliable). Both axes are logarithmic; x ticks sit at the measured widths.

use std::path::Path;

use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::series::DashedLineSeries;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Figure, Frame, PlotFiles, framed, save, style};

/// One measurement at input width `d`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DimPoint {
    pub d: f64,
    /// Measured numerical rank; None when there is no number to show (not measured, or
    /// withheld as untrustworthy).
    pub measured: Option<f64>,
    /// False: the rank did not saturate or conditioning was poor; drawn as a hollow marker.
    pub reliable: bool,
    pub paper: Option<f64>,
    pub exact: Option<f64>,
}

/// One variant within a panel (e.g. "+ bias", "across channels").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DimSeries {
    pub family: String,
    pub points: Vec<DimPoint>,
}

/// One small multiple: a family (e.g. "star: (W1x + b1) * (W2x + b2)") and its variants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DimPanel {
    pub title: String,
    pub series: Vec<DimSeries>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dims {
    pub frame: Frame,
    pub panels: Vec<DimPanel>,
}

/// Writes `<stem>.svg` and `<stem>.png`. Values that are not finite and > 0 cannot sit on a log
/// axis and are skipped. Errors if nothing at all can be drawn.
pub fn implicit_dim(figure: &Dims, stem: &Path) -> Result<PlotFiles> {
    if !figure.panels.iter().any(|p| !all_pairs(p).is_empty()) {
        bail!(
            "plot {}: no family has a positive, finite (d, value) point to draw ({} panels given)",
            stem.display(),
            figure.panels.len()
        );
    }
    save(figure, stem).with_context(|| format!("plot {}", stem.display()))
}

const PANEL: (u32, u32) = (440, 380);

fn positive(v: f64) -> Option<f64> {
    (v.is_finite() && v > 0.0).then_some(v)
}

/// `(d, value)` pairs of one kind (measured, paper or exact) that fit on log-log axes.
fn pairs(series: &DimSeries, value: impl Fn(&DimPoint) -> Option<f64>) -> Vec<(f64, f64)> {
    series
        .points
        .iter()
        .filter_map(|p| Some((positive(p.d)?, positive(value(p)?)?)))
        .collect()
}

fn all_pairs(panel: &DimPanel) -> Vec<(f64, f64)> {
    panel
        .series
        .iter()
        .flat_map(|s| {
            [
                pairs(s, |p| p.measured),
                pairs(s, |p| p.paper),
                pairs(s, |p| p.exact),
            ]
        })
        .flatten()
        .collect()
}

/// Tick labels that stay short from 1 to 1e300.
fn count_label(v: &f64) -> String {
    if *v >= 1e4 {
        format!("{v:.0e}")
    } else {
        format!("{}", v.round())
    }
}

/// Powers of ten in `[lo, hi]` (with 2x and 5x when fewer than three fit), as log10 positions.
fn decade_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let decades: Vec<f64> = (lo.log10().ceil() as i32..=hi.log10().floor() as i32)
        .map(|e| 10f64.powi(e))
        .collect();
    let values: Vec<f64> = if decades.len() >= 3 {
        decades
    } else {
        let lo_e = lo.log10().floor() as i32;
        (lo_e..=hi.log10().ceil() as i32)
            .flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)))
            .filter(|v| *v >= lo && *v <= hi)
            .collect()
    };
    let step = values.len().div_ceil(7).max(1);
    values
        .iter()
        .step_by(step)
        .map(|v| (v.log10(), count_label(v)))
        .collect()
}

impl Dims {
    fn cols(&self) -> usize {
        self.panels.len().clamp(1, 3)
    }

    fn rows(&self) -> usize {
        self.panels.len().div_ceil(self.cols()).max(1)
    }
}

impl Figure for Dims {
    fn size(&self) -> (u32, u32) {
        (
            PANEL.0 * self.cols() as u32,
            PANEL.1 * self.rows() as u32 + super::TITLE_H + self.frame.caption_h(),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = framed(root, &self.frame)?;
        let cells = body.split_evenly((self.rows(), self.cols()));
        for (area, panel) in cells.iter().zip(&self.panels) {
            draw_panel(area, panel)?;
        }
        Ok(())
    }
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &DimPanel) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let all = all_pairs(panel);
    let (Some(x), Some(y)) = (
        style::log_range(all.iter().map(|p| p.0), 1.2),
        style::log_range(all.iter().map(|p| p.1), 2.0),
    ) else {
        area.draw(&Text::new(
            format!("{}: no data", panel.title),
            (20, 20),
            style::text(style::LABEL_SIZE),
        ))?;
        return Ok(());
    };
    let pos = |(d, v): (f64, f64)| (d.log2(), v.log10());
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, style::text(style::LEGEND_SIZE + 1))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(x.0.log2()..x.1.log2(), y.0.log10()..y.1.log10())?;
    chart
        .configure_mesh()
        .x_labels(0)
        .y_labels(0)
        .disable_mesh()
        .x_desc("input width d")
        .axis_desc_style(style::text(style::TICK_SIZE))
        .draw()?;
    let ds: Vec<f64> = all.iter().map(|p| p.0).collect();
    style::draw_x_ticks(&mut chart, &style::ticks_at(&ds, 12, f64::log2))?;
    draw_y_ticks(&mut chart, &decade_ticks(y.0, y.1))?;

    for (i, series) in panel.series.iter().enumerate() {
        let color = style::color(i);
        let exact: Vec<_> = pairs(series, |p| p.exact).into_iter().map(pos).collect();
        let paper: Vec<_> = pairs(series, |p| p.paper).into_iter().map(pos).collect();
        chart.draw_series(LineSeries::new(exact, color.mix(0.35).stroke_width(7)))?;
        chart.draw_series(DashedLineSeries::new(paper, 6, 4, color.stroke_width(2)))?;
        let reliable = pairs(series, |p| p.measured.filter(|_| p.reliable));
        let unreliable = pairs(series, |p| p.measured.filter(|_| !p.reliable));
        let shown = reliable.len() + unreliable.len();
        chart
            .draw_series(
                reliable
                    .into_iter()
                    .map(|p| Circle::new(pos(p), 4, color.filled())),
            )?
            .label(style::legend_name(&series.family, shown))
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new([(0, 0), (20, 0)], color.mix(0.35).stroke_width(7))
                    + Circle::new((10, 0), 4, color.filled())
            });
        chart.draw_series(
            unreliable
                .into_iter()
                .map(|p| Circle::new(pos(p), 4, color.stroke_width(2))),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(style::text(style::TICK_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()?;
    Ok(())
}

/// Labels left of the y axis at the given (log10) positions, with faint grid lines.
fn draw_y_ticks<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    ticks: &[(f64, String)],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (xr, yr) = (chart.x_range(), chart.y_range());
    let inside: Vec<&(f64, String)> = ticks
        .iter()
        .filter(|(v, _)| *v >= yr.start && *v <= yr.end)
        .collect();
    chart.draw_series(
        inside
            .iter()
            .map(|(v, _)| PathElement::new([(xr.start, *v), (xr.end, *v)], style::GRID)),
    )?;
    let label = style::text(style::TICK_SIZE).pos(Pos::new(HPos::Right, VPos::Center));
    chart.draw_series(inside.iter().map(|(v, l)| {
        EmptyElement::at((xr.start, *v))
            + PathElement::new([(0, 0), (-5, 0)], BLACK.stroke_width(1))
            + Text::new(l.clone(), (-8, 0), label.clone())
    }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests_support::{assert_png, assert_svg_has};

    fn family(name: &str, count: fn(f64) -> f64, formula: fn(f64) -> f64) -> DimSeries {
        let points = [2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0]
            .iter()
            .map(|&d| DimPoint {
                d,
                measured: Some(count(d)),
                reliable: d < 16.0,
                paper: Some(formula(d)),
                exact: Some(count(d)),
            })
            .collect();
        DimSeries {
            family: name.into(),
            points,
        }
    }

    #[test]
    fn writes_one_panel_per_family_with_ticks_at_the_widths() {
        let dir = tempfile::tempdir().unwrap();
        let star = family(
            "+ bias",
            |d| (d + 2.0) * (d + 1.0) / 2.0,
            |d| (d + 2.0) * (d + 1.0) / 2.0,
        );
        let mut case2 = family("per channel", |d| 2.0 * d, |d| 2.0 * d);
        case2.points[0].measured = None; // withheld
        case2.points[1].paper = Some(f64::NAN);
        let stacked = family("4 layers", |d| d.powi(16), |d| (d / 2f64.sqrt()).powi(16));
        let figure = Dims {
            frame: Frame {
                title: "implicit dimension".into(),
                caption: "band: exact count; dashed: paper; dots: measured".into(),
            },
            panels: vec![
                DimPanel {
                    title: "star".into(),
                    series: vec![star],
                },
                DimPanel {
                    title: "case II".into(),
                    series: vec![case2],
                },
                DimPanel {
                    title: "stacked".into(),
                    series: vec![stacked],
                },
                DimPanel {
                    title: "empty".into(),
                    series: vec![],
                },
            ],
        };
        let files = implicit_dim(&figure, &dir.path().join("dims")).unwrap();
        assert_eq!(figure.size(), (3 * PANEL.0, 2 * PANEL.1 + 70));
        assert_png(&files.png, figure.size(), &[style::color(0)]);
        assert_svg_has(
            &files.svg,
            &[
                "+ bias",
                "per channel",
                "4 layers",
                "case II",
                "input width d",
                "3",
                "6",
                "12",
                "empty: no data",
            ],
        );
    }

    #[test]
    fn non_positive_values_alone_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = DimPoint {
            d: 0.0,
            measured: Some(3.0),
            reliable: true,
            paper: Some(-1.0),
            exact: None,
        };
        let figure = Dims {
            panels: vec![DimPanel {
                title: "f".into(),
                series: vec![DimSeries {
                    family: "f".into(),
                    points: vec![p],
                }],
            }],
            ..Dims::default()
        };
        let err = implicit_dim(&figure, &dir.path().join("d")).unwrap_err();
        assert!(format!("{err:#}").contains("no family"), "{err:#}");
    }

    #[test]
    fn labels_and_decades_stay_short() {
        assert_eq!(count_label(&64.0), "64");
        assert_eq!(count_label(&3e26), "3e26");
        let labels: Vec<String> = decade_ticks(0.5, 2000.0).into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["1", "10", "100", "1000"]);
        let labels: Vec<String> = decade_ticks(2.0, 40.0).into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["2", "5", "10", "20"]);
    }
}
