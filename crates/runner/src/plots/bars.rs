//! A metric per sweep point as horizontal bars (mean, error bar over seeds), for sweeps with no
//! numeric axis: ablations such as "sum/star x gelu/none + a linear baseline". Bars share a
//! colour per group (e.g. the mode) and carry their value, so the table can be read off the plot.

use std::path::Path;

use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Figure, PlotFiles, save, style};

/// One bar: `mean` and `std` over seeds (NaN std: no error bar); bars of one `group` share a colour.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub group: String,
    pub mean: f64,
    pub std: f64,
}

/// Writes `<stem>.svg` and `<stem>.png`, bars in the given order from the top. Bars with a
/// non-finite mean are listed with "(no data)"; an error if none is finite.
pub fn bars(title: &str, x_label: &str, bars: &[Bar], stem: &Path) -> Result<PlotFiles> {
    if !bars.iter().any(|b| b.mean.is_finite()) {
        bail!(
            "plot {}: no bar has a finite value ({} bars given)",
            stem.display(),
            bars.len()
        );
    }
    save(&BarFigure { title, x_label, bars }, stem).with_context(|| format!("plot {}", stem.display()))
}

struct BarFigure<'a> {
    title: &'a str,
    x_label: &'a str,
    bars: &'a [Bar],
}

impl BarFigure<'_> {
    /// Room for the longest bar label (the figure widens rather than cutting labels off).
    fn label_px(&self) -> u32 {
        let chars = self
            .bars
            .iter()
            .map(|b| b.label.chars().count())
            .max()
            .unwrap_or(4) as u32;
        (chars * 8 + 24).clamp(120, 900)
    }
}

impl Figure for BarFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (560 + self.label_px(), 120 + 42 * self.bars.len() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let finite = self.bars.iter().filter(|b| b.mean.is_finite());
        let spread = |b: &Bar| if b.std.is_finite() { b.std.abs() } else { 0.0 };
        let lows = finite.clone().map(|b| b.mean - spread(b));
        let highs: Vec<f64> = finite.map(|b| b.mean + spread(b)).collect();
        // Zoom in on the values (accuracies cluster) but keep room for the value text on the right.
        let (x0, x1) = style::padded_range(lows.chain(highs.iter().copied()), 0.25)
            .context("finite bars must give a range")?;
        let n = self.bars.len() as i32;
        let label_px = self.label_px();
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, style::text(style::TITLE_SIZE))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(label_px)
            .build_cartesian_2d(x0..x1, (0..n - 1).into_segmented())?; // an i32 range is inclusive here: n rows
        let labels: Vec<&str> = self.bars.iter().map(|b| b.label.as_str()).collect();
        // Bar i is drawn at row n - 1 - i so the first bar is on top.
        let row_label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(r) if (0..n).contains(r) => labels[(n - 1 - r) as usize].to_string(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .x_desc(self.x_label)
            .axis_desc_style(style::text(style::LABEL_SIZE))
            .label_style(style::text(style::TICK_SIZE))
            .x_label_formatter(&style::tick)
            .y_label_formatter(&row_label)
            .y_labels(self.bars.len())
            .disable_y_mesh()
            .bold_line_style(style::GRID)
            .light_line_style(TRANSPARENT)
            .draw()?;

        let mut groups: Vec<&str> = Vec::new();
        for (i, bar) in self.bars.iter().enumerate() {
            let row = n - 1 - i as i32;
            let g = groups.iter().position(|g| *g == bar.group).unwrap_or_else(|| {
                groups.push(&bar.group);
                groups.len() - 1
            });
            let color = style::color(g);
            if !bar.mean.is_finite() {
                chart.draw_series([Text::new(
                    "(no data)",
                    (x0, SegmentValue::CenterOf(row)),
                    style::text(style::TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center)),
                )])?;
                continue;
            }
            let mut rect = Rectangle::new(
                [
                    (x0, SegmentValue::Exact(row)),
                    (bar.mean, SegmentValue::Exact(row + 1)),
                ],
                color.mix(0.75).filled(),
            );
            rect.set_margin(5, 5, 0, 0);
            chart.draw_series([rect])?;
            let s = spread(bar);
            if s > 0.0 {
                let whisker = BLACK.stroke_width(2);
                let y = SegmentValue::CenterOf(row);
                chart.draw_series([PathElement::new(
                    [(bar.mean - s, y.clone()), (bar.mean + s, y)],
                    whisker,
                )])?;
            }
            let value = if s > 0.0 {
                format!("{:.2} ± {:.2}", bar.mean, s)
            } else {
                format!("{:.2}", bar.mean)
            };
            chart.draw_series([Text::new(
                value,
                (bar.mean + s + (x1 - x0) * 0.01, SegmentValue::CenterOf(row)),
                style::text(style::TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center)),
            )])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::tests_support::{assert_png, assert_svg_has};

    fn bar(label: &str, group: &str, mean: f64, std: f64) -> Bar {
        Bar {
            label: label.into(),
            group: group.into(),
            mean,
            std,
        }
    }

    #[test]
    fn draws_one_labelled_bar_per_point_coloured_by_group() {
        let dir = tempfile::tempdir().unwrap();
        let data = [
            bar("sum act=gelu", "sum", 84.2, 0.3),
            bar("sum act=none", "sum", 82.0, 0.5),
            bar("star act=gelu", "star", 85.1, 0.2),
            bar("linear", "linear", 80.5, f64::NAN),
            bar("broken", "star", f64::NAN, 0.0),
        ];
        let files = bars(
            "no-activation ablation",
            "best_top1 (%)",
            &data,
            &dir.path().join("bars"),
        )
        .unwrap();
        assert_png(
            &files.png,
            (560 + 13 * 8 + 24, 120 + 42 * 5),
            &[style::color(0), style::color(1), style::color(2)].map(|c| {
                // Bars are drawn at 75% over white.
                let (r, g, b) = c.rgb();
                let mix = |v: u8| ((v as f64) * 0.75 + 255.0 * 0.25).round() as u8;
                RGBColor(mix(r), mix(g), mix(b))
            }),
        );
        assert_svg_has(
            &files.svg,
            &[
                "sum act=gelu",
                "linear",
                "84.20 ± 0.30",
                "80.50",
                "(no data)",
                "best_top1 (%)",
            ],
        );
    }

    #[test]
    fn nothing_finite_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = bars("t", "x", &[bar("a", "a", f64::NAN, 0.0)], &dir.path().join("b")).unwrap_err();
        assert!(err.to_string().contains("no bar"), "{err}");
        assert!(!dir.path().join("b.png").exists());
    }
}
