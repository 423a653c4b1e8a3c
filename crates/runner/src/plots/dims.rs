//! Implicit dimension against input width d: the measured rank per family as markers, the
//! exact count as a solid line and the paper's formula as a dashed line in the same colour.
//! Both axes are logarithmic: d doubles (2..64) and the counts grow like d^2 or faster.

use std::path::Path;

use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::series::DashedLineSeries;

use super::{Figure, PlotFiles, save, style};

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

/// One family (e.g. "star + bias", "case II per channel", "star, 2 layers").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DimSeries {
    pub family: String,
    pub points: Vec<DimPoint>,
}

/// Writes `<stem>.svg` and `<stem>.png`. Values that are not finite and > 0 cannot sit on a log
/// axis and are skipped. Errors if nothing at all can be drawn.
pub fn implicit_dim(title: &str, families: &[DimSeries], stem: &Path) -> Result<PlotFiles> {
    let figure = DimFigure::new(title, families).with_context(|| format!("plot {}", stem.display()))?;
    save(&figure, stem)
}

struct DimFigure<'a> {
    title: &'a str,
    families: &'a [DimSeries],
    x: (f64, f64),
    y: (f64, f64),
}

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

impl<'a> DimFigure<'a> {
    fn new(title: &'a str, families: &'a [DimSeries]) -> Result<Self> {
        let all: Vec<(f64, f64)> = families
            .iter()
            .flat_map(|s| {
                [
                    pairs(s, |p| p.measured),
                    pairs(s, |p| p.paper),
                    pairs(s, |p| p.exact),
                ]
            })
            .flatten()
            .collect();
        let (Some(x), Some(y)) = (
            style::log_range(all.iter().map(|p| p.0), 1.25),
            style::log_range(all.iter().map(|p| p.1), 2.0),
        ) else {
            bail!(
                "no family has a positive, finite (d, value) point to draw ({} families given)",
                families.len()
            );
        };
        Ok(Self {
            title,
            families,
            x,
            y,
        })
    }
}

/// Tick labels that stay short from 1 to 1e300.
fn count_label(v: &f64) -> String {
    if *v >= 1e4 {
        format!("{v:.0e}")
    } else {
        format!("{}", v.round())
    }
}

impl Figure for DimFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (900, 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let (plot, footer) = root.split_vertically(606);
        footer.draw(&Text::new(
            "markers: measured rank (hollow: unreliable; missing: withheld); solid: exact count; dashed: paper formula",
            (12, 6),
            style::text(style::TICK_SIZE),
        ))?;
        let mut chart = ChartBuilder::on(&plot)
            .caption(self.title, style::text(style::TITLE_SIZE))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(
                (self.x.0..self.x.1).log_scale().base(2.0),
                (self.y.0..self.y.1).log_scale(),
            )?;
        chart
            .configure_mesh()
            .x_desc("input width d")
            .y_desc("implicit dimension")
            .x_label_formatter(&count_label)
            .y_label_formatter(&count_label)
            .axis_desc_style(style::text(style::LABEL_SIZE))
            .label_style(style::text(style::TICK_SIZE))
            .bold_line_style(style::GRID)
            .light_line_style(TRANSPARENT)
            .draw()?;

        for (i, family) in self.families.iter().enumerate() {
            let color = style::color(i);
            let exact = pairs(family, |p| p.exact);
            let paper = pairs(family, |p| p.paper);
            chart.draw_series(LineSeries::new(exact, color.stroke_width(2)))?;
            chart.draw_series(DashedLineSeries::new(paper, 7, 5, color.stroke_width(2)))?;
            let measured = pairs(family, |p| p.measured.filter(|_| p.reliable));
            let unreliable = pairs(family, |p| p.measured.filter(|_| !p.reliable));
            let shown = measured.len() + unreliable.len();
            chart
                .draw_series(measured.into_iter().map(|p| Circle::new(p, 5, color.filled())))?
                .label(style::legend_name(&family.family, shown))
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new([(0, 0), (20, 0)], color.stroke_width(2))
                        + Circle::new((10, 0), 5, color.filled())
                });
            chart.draw_series(
                unreliable
                    .into_iter()
                    .map(|p| Circle::new(p, 5, color.stroke_width(2))),
            )?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(style::text(style::LEGEND_SIZE))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .draw()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::tests_support::{assert_png, assert_svg_has};

    fn family(name: &str, count: fn(f64) -> f64, formula: fn(f64) -> f64) -> DimSeries {
        let points = [2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
            .iter()
            .map(|&d| DimPoint {
                d,
                measured: Some(count(d)),
                reliable: d < 64.0,
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
    fn writes_log_log_plot_with_families() {
        let dir = tempfile::tempdir().unwrap();
        let star = family(
            "star + bias",
            |d| (d + 2.0) * (d + 1.0) / 2.0,
            |d| (d + 2.0) * (d + 1.0) / 2.0,
        );
        let mut case2 = family("case II", |d| 2.0 * d, |d| 2.0 * d);
        case2.points[0].measured = None; // withheld
        case2.points[1].paper = Some(f64::NAN);
        let stacked = family("star, 4 layers", |d| d.powi(16), |d| (d / 2f64.sqrt()).powi(16));
        let files = implicit_dim(
            "implicit dimension",
            &[star, case2, stacked],
            &dir.path().join("dims"),
        )
        .unwrap();
        assert_png(
            &files.png,
            (900, 640),
            &[style::color(0), style::color(1), style::color(2)],
        );
        assert_svg_has(
            &files.svg,
            &[
                "star + bias",
                "case II",
                "star, 4 layers",
                "input width d",
                "implicit dimension",
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
        let err = implicit_dim(
            "t",
            &[DimSeries {
                family: "f".into(),
                points: vec![p],
            }],
            &dir.path().join("d"),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("no family"), "{err:#}");
    }

    #[test]
    fn count_labels_stay_short() {
        assert_eq!(count_label(&64.0), "64");
        assert_eq!(count_label(&3e26), "3e26");
    }
}
