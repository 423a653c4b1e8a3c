//! A metric against a numeric swept knob (width, depth): one line per compared mode, markers
//! with intervals over seeds; below it the paired difference (treatment - base with its 95%
//! interval and a zero line); beside it the paper's numbers in their own panel, since neither
//! their x nor their y range is ours (ImageNet at widths 96..448 against Fashion-MNIST at 8..64).
//! An optional baseline (a point outside the sweep, e.g. a linear classifier) is a dotted level
//! with its interval as a band.

use std::path::Path;

use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::series::DashedLineSeries;

use super::{Estimate, Figure, Frame, Look, PlotFiles, framed, save, style};

/// One line: a mode (or another combination of the non-x fields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Line {
    pub name: String,
    /// Palette index of the line; None: a neutral line whose markers take the x value's colour.
    pub color: Option<usize>,
    pub look: Look,
    /// `(x, estimate)` per point.
    pub points: Vec<(f64, Estimate)>,
}

/// The paper's numbers: drawn like ours (same looks), without intervals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RefPanel {
    pub title: String,
    pub y_label: String,
    pub lines: Vec<Line>,
}

/// Treatment - base per x: the mean difference with its interval and the single pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiffPanel {
    pub title: String,
    pub y_label: String,
    pub points: Vec<(f64, Estimate)>,
    /// A line under the panel, e.g. the slope of the difference against ln(x).
    pub note: String,
}

/// Everything a line figure shows; what the tests look at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinePlot {
    pub frame: Frame,
    pub x_label: String,
    pub y_label: String,
    /// A log2 x axis (for doubling widths); ticks sit at the measured x values either way.
    pub x_log: bool,
    pub lines: Vec<Line>,
    pub difference: Option<DiffPanel>,
    pub reference: Option<RefPanel>,
    /// A level across the whole x range (e.g. a linear classifier trained beside the sweep): its
    /// mean as a dotted line, its interval as a band.
    pub baseline: Option<(String, Estimate)>,
    /// A dashed line at y = 0 in the main panel, for a plot of differences.
    pub zero_line: bool,
}

impl LinePlot {
    /// The x values measured (sorted, distinct): the ticks, and the colour index of each x.
    pub fn xs(&self) -> Vec<f64> {
        let mut xs: Vec<f64> = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .filter(|x| x.is_finite())
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        xs
    }

    fn pos(&self, x: f64) -> f64 {
        if self.x_log { x.log2() } else { x }
    }
}

/// Writes `<stem>.svg` and `<stem>.png`. Errors if no line has a finite point.
pub fn line_plot(plot: &LinePlot, stem: &Path) -> Result<PlotFiles> {
    let drawable = |l: &Line| l.points.iter().any(|(x, e)| x.is_finite() && e.mean.is_finite());
    if !plot.lines.iter().any(drawable) {
        bail!(
            "plot {}: no line has a finite point to draw ({} lines given)",
            stem.display(),
            plot.lines.len()
        );
    }
    if plot.x_log && plot.xs().iter().any(|x| *x <= 0.0) {
        bail!("plot {}: a log x axis needs x > 0", stem.display());
    }
    save(plot, stem).with_context(|| format!("plot {}", stem.display()))
}

const MAIN: (u32, u32) = (780, 470);
const DIFF_H: u32 = 300;
const REF_W: u32 = 470;

impl Figure for LinePlot {
    fn size(&self) -> (u32, u32) {
        let w = MAIN.0 + if self.reference.is_some() { REF_W } else { 0 };
        let h = MAIN.1 + if self.difference.is_some() { DIFF_H } else { 0 };
        (w, h + super::TITLE_H + self.frame.caption_h())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = framed(root, &self.frame)?;
        let (left, right) = body.split_horizontally(MAIN.0);
        let (top, bottom) = left.split_vertically(MAIN.1);
        let xs = self.xs();
        let color_of_x = |x: f64| xs.iter().position(|v| *v == x).map_or(style::INK, style::color);
        let ticks = style::ticks_at(&xs, 10, |x| self.pos(x));
        let x_range = style::padded_range(xs.iter().map(|&x| self.pos(x)), 0.06).context("finite x")?;

        // The measured panel.
        let estimates = self.lines.iter().flat_map(|l| l.points.iter().map(|p| &p.1));
        let level: Vec<f64> = self
            .baseline
            .iter()
            .flat_map(|(_, e)| [e.lo, e.mean, e.hi])
            .chain(self.zero_line.then_some(0.0))
            .filter(|v| v.is_finite())
            .collect();
        let y_range = style::estimate_range(estimates, &level, 0.08).context("finite y")?;
        let mut chart = panel(&top, x_range, y_range, &self.x_label, &self.y_label, "")?;
        style::draw_x_ticks(&mut chart, &ticks)?;
        if self.zero_line {
            chart.draw_series(DashedLineSeries::new(
                [(x_range.0, 0.0), (x_range.1, 0.0)],
                6,
                4,
                style::MUTED.stroke_width(1),
            ))?;
        }
        if let Some((name, e)) = self.baseline.as_ref().filter(|(_, e)| e.mean.is_finite()) {
            draw_baseline(&mut chart, x_range, name, e)?;
        }
        // Lines side by side at each x (a small dodge) so their intervals do not hide each other.
        let n = self.lines.len() as f64;
        let dodge = |i: usize| (i as f64 - (n - 1.0) / 2.0) * 0.012 * (x_range.1 - x_range.0);
        for (i, line) in self.lines.iter().enumerate() {
            let pts: Vec<&(f64, Estimate)> = line
                .points
                .iter()
                .filter(|(x, e)| x.is_finite() && e.mean.is_finite())
                .collect();
            let stroke = line.color.map_or(style::INK, style::color);
            let at = |x: f64| self.pos(x) + dodge(i);
            draw_path(
                &mut chart,
                pts.iter().map(|(x, e)| (at(*x), e.mean)),
                stroke,
                line.look,
            )?;
            for (x, e) in &pts {
                let c = line.color.map_or_else(|| color_of_x(*x), style::color);
                style::whisker(&mut chart, at(*x), e, c, line.look == Look::Solid, true)?;
            }
            legend_entry(
                &mut chart,
                &style::legend_name(&line.name, pts.len()),
                stroke,
                line.look,
            )?;
        }
        let marks: Vec<(f64, f64)> = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter())
            .flat_map(|(x, e)| [(self.pos(*x), e.lo), (self.pos(*x), e.mean), (self.pos(*x), e.hi)])
            .collect();
        legend_at(&mut chart, emptiest_corner(&marks, x_range, y_range))?;

        if let Some(diff) = &self.difference {
            let ests = diff.points.iter().map(|p| &p.1);
            let y = style::estimate_range(ests, &[0.0], 0.1).context("finite differences")?;
            let (area, note) = bottom.split_vertically(DIFF_H - 26);
            let mut chart = panel(&area, x_range, y, &self.x_label, &diff.y_label, &diff.title)?;
            chart.draw_series(DashedLineSeries::new(
                [(x_range.0, 0.0), (x_range.1, 0.0)],
                6,
                4,
                style::MUTED.stroke_width(1),
            ))?;
            style::draw_x_ticks(&mut chart, &ticks)?;
            for (x, e) in diff.points.iter().filter(|(x, _)| x.is_finite()) {
                style::whisker(&mut chart, self.pos(*x), e, color_of_x(*x), true, true)?;
            }
            note.draw(&Text::new(
                diff.note.clone(),
                (72, 4),
                style::text(style::TICK_SIZE),
            ))?;
        }

        if let Some(reference) = &self.reference {
            let (area, _) = right.split_vertically(MAIN.1);
            draw_reference(&area, reference, &self.x_label)?;
        }
        Ok(())
    }
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A panel with y labels from plotters and x ticks left to the caller.
fn panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: (f64, f64),
    y: (f64, f64),
    x_label: &str,
    y_label: &str,
    caption: &str,
) -> Result<Chart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let mut builder = ChartBuilder::on(area);
    if !caption.is_empty() {
        builder.caption(caption, style::text(style::LEGEND_SIZE + 1));
    }
    let mut chart = builder
        .margin(12)
        .margin_right(24)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)?;
    chart
        .configure_mesh()
        .x_labels(0)
        .disable_x_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style(style::text(style::LABEL_SIZE))
        .label_style(style::text(style::TICK_SIZE))
        .y_label_formatter(&style::tick)
        .bold_line_style(style::GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;
    Ok(chart)
}

/// The baseline's band (its interval, where it has one) and its dotted mean, with a legend entry.
fn draw_baseline<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    (x0, x1): (f64, f64),
    name: &str,
    e: &Estimate,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    if e.lo.is_finite() && e.hi.is_finite() {
        chart.draw_series([Rectangle::new(
            [(x0, e.lo), (x1, e.hi)],
            style::MUTED.mix(0.18).filled(),
        )])?;
    }
    let n = e.values.len();
    chart
        .draw_series(DashedLineSeries::new(
            [(x0, e.mean), (x1, e.mean)],
            3,
            3,
            style::MUTED.stroke_width(2),
        ))?
        .label(style::legend_name(name, n))
        .legend(|(x, y)| {
            // Dotted like the level itself, on its band.
            let stroke = style::MUTED.stroke_width(2);
            EmptyElement::at((x, y))
                + Rectangle::new([(0, -5), (20, 5)], style::MUTED.mix(0.18).filled())
                + PathElement::new([(0, 0), (4, 0)], stroke)
                + PathElement::new([(8, 0), (12, 0)], stroke)
                + PathElement::new([(16, 0), (20, 0)], stroke)
        });
    Ok(())
}

fn draw_path<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    pts: impl Iterator<Item = (f64, f64)> + Clone,
    color: RGBColor,
    look: Look,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let stroke = color.stroke_width(2);
    match look {
        Look::Solid => chart.draw_series(LineSeries::new(pts, stroke))?,
        Look::Dashed => chart.draw_series(DashedLineSeries::new(pts, 8, 5, stroke))?,
    };
    Ok(())
}

/// A legend-only series: the line's look and a marker in its colour.
fn legend_entry<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    name: &str,
    color: RGBColor,
    look: Look,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label(name)
        .legend(move |(x, y)| {
            let stroke = color.stroke_width(2);
            // Dashed: two short strokes either side of the marker; solid: one through it.
            let (a, b) = if look == Look::Solid { (20, 0) } else { (4, 16) };
            let fill = if look == Look::Solid {
                color.filled()
            } else {
                WHITE.filled()
            };
            EmptyElement::at((x, y))
                + PathElement::new([(0, 0), (a, 0)], stroke)
                + PathElement::new([(b, 0), (20, 0)], stroke)
                + Circle::new((10, 0), 4, fill)
                + Circle::new((10, 0), 4, stroke)
        });
    Ok(())
}

fn legend<'a, DB: DrawingBackend + 'a>(chart: &mut Chart<'a, DB>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    legend_at(chart, SeriesLabelPosition::LowerRight)
}

/// The corner of the panel whose quarter holds the fewest of `marks` (means and interval ends),
/// so the legend hides as little data as it can; lower right on ties, as before.
fn emptiest_corner(marks: &[(f64, f64)], x: (f64, f64), y: (f64, f64)) -> SeriesLabelPosition {
    let (xm, ym) = ((x.0 + x.1) / 2.0, (y.0 + y.1) / 2.0);
    let count = |right: bool, upper: bool| {
        marks
            .iter()
            .filter(|(px, py)| (*px > xm) == right && (*py > ym) == upper)
            .count()
    };
    [
        (SeriesLabelPosition::LowerRight, count(true, false)),
        (SeriesLabelPosition::UpperRight, count(true, true)),
        (SeriesLabelPosition::LowerLeft, count(false, false)),
        (SeriesLabelPosition::UpperLeft, count(false, true)),
    ]
    .into_iter()
    .min_by_key(|(_, n)| *n)
    .map_or(SeriesLabelPosition::LowerRight, |(p, _)| p)
}

fn legend_at<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    position: SeriesLabelPosition,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font(style::text(style::LEGEND_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()?;
    Ok(())
}

fn draw_reference<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    r: &RefPanel,
    x_label: &str,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let all: Vec<(f64, f64)> = r
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|(x, e)| (*x, e.mean)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let (Some(x), Some(y)) = (
        style::padded_range(all.iter().map(|p| p.0), 0.06),
        style::padded_range(all.iter().map(|p| p.1), 0.08),
    ) else {
        area.draw(&Text::new(
            "paper: no data",
            (40, 40),
            style::text(style::LABEL_SIZE),
        ))?;
        return Ok(());
    };
    let titled = area.titled(&r.title, style::text(style::LABEL_SIZE))?;
    let mut chart = panel(&titled, x, y, x_label, &r.y_label, "")?;
    let xs: Vec<f64> = all.iter().map(|p| p.0).collect();
    style::draw_x_ticks(&mut chart, &style::ticks_at(&xs, 6, |v| v))?;
    for line in &r.lines {
        let color = line.color.map_or(style::INK, style::color);
        let pts: Vec<(f64, f64)> = line
            .points
            .iter()
            .map(|(x, e)| (*x, e.mean))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        draw_path(&mut chart, pts.iter().copied(), color, line.look)?;
        for &(px, py) in &pts {
            let e = Estimate::exact(py);
            style::whisker(&mut chart, px, &e, color, line.look == Look::Solid, true)?;
        }
        legend_entry(
            &mut chart,
            &style::legend_name(&line.name, pts.len()),
            color,
            line.look,
        )?;
    }
    legend(&mut chart)
}

#[cfg(test)]
mod tests;
