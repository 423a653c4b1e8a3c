//! A metric per sweep point as a dot plot: one row per point, the mean as a dot, its interval as
//! a whisker and the single seeds as small dots, rows grouped under headers as the paper's tables
//! are. No bars: a bar's length claims a zero baseline, and an axis cut at 85% made a 1.6-point
//! difference look like a factor of three. An optional second panel shows paired differences
//! (treatment - base) with a zero line; the paper's numbers, when given, sit in a column.

use std::path::Path;

use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Estimate, Figure, Frame, PlotFiles, framed, save, style};

/// One row: a point of the sweep.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DotRow {
    pub label: String,
    pub color: usize,
    /// Filled dot (the treatment, or not compared) or hollow (the base).
    pub filled: bool,
    pub estimate: Estimate,
    /// Text in the right-hand column, e.g. the paper's number for this row.
    pub note: String,
}

/// Rows under one header (e.g. "star or sum per stage (Table 7)").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DotGroup {
    pub name: String,
    pub rows: Vec<DotRow>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DotPlot {
    pub frame: Frame,
    pub x_label: String,
    pub groups: Vec<DotGroup>,
    /// Header of the note column (e.g. "paper (S4, ImageNet)"); empty: no column.
    pub note_header: String,
    /// Paired differences, one group per compared pair of rows.
    pub difference: Option<(String, Vec<DotGroup>)>,
}

/// Writes `<stem>.svg` and `<stem>.png`. Errors if no row has a finite mean.
pub fn dot_plot(plot: &DotPlot, stem: &Path) -> Result<PlotFiles> {
    let finite = |g: &[DotGroup]| {
        g.iter()
            .flat_map(|g| &g.rows)
            .any(|r| r.estimate.mean.is_finite())
    };
    if !finite(&plot.groups) {
        let n: usize = plot.groups.iter().map(|g| g.rows.len()).sum();
        bail!(
            "plot {}: no row has a finite value ({n} rows given)",
            stem.display()
        );
    }
    save(plot, stem).with_context(|| format!("plot {}", stem.display()))
}

const ROW: u32 = 34;
const HEADER: u32 = 30;
const AXIS: u32 = 56;
const PANEL_W: u32 = 560;
const GAP: u32 = 24;

fn rows_height(groups: &[DotGroup]) -> u32 {
    groups
        .iter()
        .map(|g| g.rows.len() as u32 * ROW + if g.name.is_empty() { 0 } else { HEADER })
        .sum::<u32>()
        + 16
}

impl DotPlot {
    /// Room for the longest row label (the figure widens rather than cutting labels off).
    fn label_px(&self) -> u32 {
        let all = self
            .groups
            .iter()
            .chain(self.difference.iter().flat_map(|d| &d.1));
        let chars = all
            .flat_map(|g| &g.rows)
            .map(|r| r.label.chars().count())
            .max()
            .unwrap_or(4) as u32;
        (chars * 9 + 24).clamp(120, 700)
    }

    fn note_px(&self) -> u32 {
        if self.note_header.is_empty() {
            0
        } else {
            let chars = self
                .groups
                .iter()
                .flat_map(|g| &g.rows)
                .map(|r| r.note.chars().count());
            (chars.chain([self.note_header.chars().count()]).max().unwrap_or(0) as u32 * 8 + 24).max(120)
        }
    }
}

impl Figure for DotPlot {
    fn size(&self) -> (u32, u32) {
        let diff = self
            .difference
            .as_ref()
            .map_or(0, |d| GAP + HEADER + rows_height(&d.1) + AXIS);
        let h = rows_height(&self.groups) + AXIS + diff;
        let w = self.label_px() + PANEL_W + self.note_px();
        // Wide enough for the title and the caption line (about 11 and 8 px per character).
        let text = (self.frame.title.chars().count() as u32 * 11).max(
            self.frame
                .caption
                .lines()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0) as u32
                * 8,
        );
        (
            w.max(text + 24).max(720),
            h + super::TITLE_H + self.frame.caption_h(),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = framed(root, &self.frame)?;
        let main_h = rows_height(&self.groups) + AXIS;
        let (top, bottom) = body.split_vertically(main_h);
        let (panel_area, notes) = top.split_horizontally(self.label_px() + PANEL_W);
        let layout = draw_panel(&panel_area, self.label_px(), &self.x_label, &self.groups, None)?;
        if !self.note_header.is_empty() {
            let bold = style::text(style::LEGEND_SIZE).color(&style::MUTED);
            notes.draw(&Text::new(self.note_header.clone(), (8, 0), bold))?;
            for (y, row) in layout {
                let t = style::text(style::TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
                notes.draw(&Text::new(row.note.clone(), (8, y), t))?;
            }
        }
        if let Some((title, groups)) = &self.difference {
            let (_, rest) = bottom.split_vertically(GAP);
            let (head, area) = rest.split_vertically(HEADER);
            head.draw(&Text::new(title.clone(), (12, 6), style::text(style::LABEL_SIZE)))?;
            let (area, _) = area.split_horizontally(self.label_px() + PANEL_W);
            draw_panel(&area, self.label_px(), &self.x_label_diff(), groups, Some(0.0))?;
        }
        Ok(())
    }
}

impl DotPlot {
    fn x_label_diff(&self) -> String {
        format!("difference in {}", self.x_label.replace(" (%)", " (points)"))
    }
}

/// One panel of rows; returns each row's pixel centre (relative to `area`) with the row.
fn draw_panel<'r, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    label_px: u32,
    x_label: &str,
    groups: &'r [DotGroup],
    zero: Option<f64>,
) -> Result<Vec<(i32, &'r DotRow)>>
where
    DB::ErrorType: 'static,
{
    let rows = || groups.iter().flat_map(|g| &g.rows);
    let extra: Vec<f64> = zero.into_iter().collect();
    let Some((x0, x1)) = style::estimate_range(rows().map(|r| &r.estimate), &extra, 0.06) else {
        area.draw(&Text::new(
            "no data",
            (label_px as i32, 20),
            style::text(style::LABEL_SIZE),
        ))?;
        return Ok(Vec::new());
    };
    let h = rows_height(groups) as f64;
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .margin_right(20)
        .x_label_area_size(AXIS - 8)
        .y_label_area_size(label_px)
        .build_cartesian_2d(x0..x1, 0.0..h)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc(x_label)
        .axis_desc_style(style::text(style::LABEL_SIZE))
        .label_style(style::text(style::TICK_SIZE))
        .x_label_formatter(&style::tick)
        .bold_line_style(style::GRID)
        .light_line_style(TRANSPARENT)
        .draw()?;
    if let Some(z) = zero {
        chart.draw_series([PathElement::new([(z, 0.0), (z, h)], style::MUTED.stroke_width(1))])?;
    }
    // Rows from the top: y runs up, so row centres count down from h.
    let mut y = h - 8.0;
    let mut layout = Vec::new();
    let label_style = style::text(style::TICK_SIZE).pos(Pos::new(HPos::Right, VPos::Center));
    let header_style = style::text(style::LEGEND_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    for group in groups {
        if !group.name.is_empty() {
            y -= HEADER as f64 / 2.0;
            let left = -(label_px as i32) + 6;
            chart
                .draw_series([EmptyElement::at((x0, y))
                    + Text::new(group.name.clone(), (left, 0), header_style.clone())])?;
            y -= HEADER as f64 / 2.0;
        }
        for row in &group.rows {
            y -= ROW as f64 / 2.0;
            chart.draw_series([
                EmptyElement::at((x0, y)) + Text::new(row.label.clone(), (-10, 0), label_style.clone())
            ])?;
            chart.draw_series([PathElement::new([(x0, y), (x1, y)], style::GRID.stroke_width(1))])?;
            if row.estimate.mean.is_finite() {
                style::whisker(
                    &mut chart,
                    y,
                    &row.estimate,
                    style::color(row.color),
                    row.filled,
                    false,
                )?;
                let value = Text::new(
                    value_text(&row.estimate),
                    (0, -9),
                    style::text(12).pos(Pos::new(HPos::Center, VPos::Bottom)),
                );
                chart.draw_series([EmptyElement::at((row.estimate.mean, y)) + value])?;
            } else {
                chart.draw_series([Text::new(
                    "(no data)",
                    (x0, y),
                    label_style.clone().pos(Pos::new(HPos::Left, VPos::Center)),
                )])?;
            }
            layout.push((chart.backend_coord(&(x0, y)).1 - area.get_base_pixel().1, row));
            y -= ROW as f64 / 2.0;
        }
    }
    Ok(layout)
}

/// "87.25 [85.10, 89.40]", or the mean alone without an interval.
fn value_text(e: &Estimate) -> String {
    if e.lo.is_finite() && e.hi.is_finite() {
        format!("{:.2} [{:.2}, {:.2}]", e.mean, e.lo, e.hi)
    } else {
        format!("{:.2}", e.mean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests_support::{assert_png, assert_svg_has};

    fn row(label: &str, color: usize, mean: f64, note: &str) -> DotRow {
        DotRow {
            label: label.into(),
            color,
            filled: color != 0,
            estimate: Estimate {
                mean,
                lo: mean - 0.8,
                hi: mean + 0.8,
                values: vec![mean - 0.3, mean + 0.3],
            },
            note: note.into(),
        }
    }

    #[test]
    fn draws_grouped_rows_with_values_notes_and_a_difference_panel() {
        let dir = tempfile::tempdir().unwrap();
        let plot = DotPlot {
            frame: Frame {
                title: "StarNet ablation, Fashion-MNIST 64 px".into(),
                caption: "n = 2 seeds".into(),
            },
            x_label: "test top-1 (%)".into(),
            groups: vec![
                DotGroup {
                    name: "star or sum per stage".into(),
                    rows: vec![row("all star", 1, 87.5, "78.4"), row("all sum", 0, 86.0, "75.3")],
                },
                DotGroup {
                    name: "baselines".into(),
                    rows: vec![row("linear", 2, 80.5, "")],
                },
            ],
            note_header: "paper (S4)".into(),
            difference: Some((
                "star - sum, paired by seed".into(),
                vec![DotGroup {
                    name: String::new(),
                    rows: vec![row("all stages", 1, 1.5, "")],
                }],
            )),
        };
        let files = dot_plot(&plot, &dir.path().join("dots")).unwrap();
        assert_png(&files.png, plot.size(), &[style::color(1), style::color(2)]);
        assert_svg_has(
            &files.svg,
            &[
                "all star",
                "linear",
                "star or sum per stage",
                "87.50 [86.70, 88.30]",
                "paper (S4)",
                "78.4",
                "star - sum, paired by seed",
                "difference in test top-1 (points)",
            ],
        );
    }

    #[test]
    fn nothing_finite_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let plot = DotPlot {
            groups: vec![DotGroup {
                name: String::new(),
                rows: vec![row("a", 0, f64::NAN, "")],
            }],
            ..DotPlot::default()
        };
        let err = dot_plot(&plot, &dir.path().join("b")).unwrap_err();
        assert!(err.to_string().contains("no row"), "{err}");
        assert!(!dir.path().join("b.png").exists());
    }
}
