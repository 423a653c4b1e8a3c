//! Decision boundaries of 2-D classifiers: one panel per model, class-1 probability as a banded
//! colour map (the look of matplotlib's `contourf`), the 0.5 boundary as a dark line, and the
//! training points on top.
//!
//! The probability image is rasterised once per panel at the panel's pixel size and drawn as a
//! bitmap on both backends (the SVG embeds it as a PNG), so a 250 x 225 grid costs one image, not
//! 56,000 rectangles, and the SVG stays small.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Figure, PlotFiles, save, style};

/// A regular grid of evaluation points: `nx` columns at `x0 + i * step` by `ny` rows at
/// `y0 + j * step` (numpy's `meshgrid(arange(...), arange(...))`). The caller says where its
/// model was evaluated; this crate knows no preset grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    pub x0: f64,
    pub y0: f64,
    pub step: f64,
    pub nx: usize,
    pub ny: usize,
}

impl Grid {
    /// Number of grid points along x and along y, after checking the grid can be drawn.
    pub fn shape(&self) -> Result<(usize, usize)> {
        ensure!(
            self.x0.is_finite() && self.y0.is_finite() && self.step.is_finite() && self.step > 0.0,
            "grid needs a finite origin and a finite step > 0, got {self:?}"
        );
        ensure!(
            self.nx >= 2 && self.ny >= 2,
            "grid needs at least 2 x 2 points, got {} x {}",
            self.nx,
            self.ny
        );
        Ok((self.nx, self.ny))
    }

    /// The x and y coordinates of grid point (i, j): what the caller evaluates the model at.
    pub fn point(&self, i: usize, j: usize) -> (f64, f64) {
        (self.x0 + i as f64 * self.step, self.y0 + j as f64 * self.step)
    }
}

/// One model's panel.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundaryPanel {
    pub title: String,
    pub grid: Grid,
    /// P(class 1) at each grid point, row-major with y outer: index `j * nx + i` for
    /// `Grid::point(i, j)`. NaN draws grey.
    pub probs: Vec<f32>,
    /// Training points `(x, y, class)`; class 0 blue, class 1 red, others from the palette.
    pub points: Vec<(f64, f64, usize)>,
}

/// Writes `<stem>.svg` and `<stem>.png` with the panels in a near-square grid. Errors if there
/// is no panel or a panel's `probs` does not match its grid.
pub fn decision_boundaries(title: &str, panels: &[BoundaryPanel], stem: &Path) -> Result<PlotFiles> {
    let figure = BoundaryFigure::new(title, panels).with_context(|| format!("plot {}", stem.display()))?;
    save(&figure, stem)
}

const PANEL: (u32, u32) = (420, 400);
const FOOTER: u32 = 34;
const HEADER: u32 = 40;
const CLASS_COLORS: [RGBColor; 2] = [RGBColor(31, 119, 180), RGBColor(214, 39, 40)];
/// Probability bands, as matplotlib's default contourf levels.
const BANDS: f32 = 10.0;

struct BoundaryFigure<'a> {
    title: &'a str,
    panels: Vec<(&'a BoundaryPanel, (usize, usize))>,
    cols: usize,
}

impl<'a> BoundaryFigure<'a> {
    fn new(title: &'a str, panels: &'a [BoundaryPanel]) -> Result<Self> {
        if panels.is_empty() {
            bail!("no decision-boundary panels to draw");
        }
        let panels = panels
            .iter()
            .map(|p| {
                let (nx, ny) = p.grid.shape().with_context(|| format!("panel {:?}", p.title))?;
                ensure!(
                    p.probs.len() == nx * ny,
                    "panel {:?}: probs has {} values, its grid has {nx} x {ny} = {} points",
                    p.title,
                    p.probs.len(),
                    nx * ny
                );
                Ok((p, (nx, ny)))
            })
            .collect::<Result<Vec<_>>>()?;
        let cols = (panels.len() as f64).sqrt().ceil() as usize;
        Ok(Self { title, panels, cols })
    }

    fn rows(&self) -> usize {
        self.panels.len().div_ceil(self.cols)
    }
}

impl Figure for BoundaryFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (
            PANEL.0 * self.cols as u32,
            PANEL.1 * self.rows() as u32 + HEADER + FOOTER,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let (header, rest) = root.split_vertically(HEADER);
        let (body, footer) = rest.split_vertically(PANEL.1 * self.rows() as u32);
        header.draw(&Text::new(self.title, (12, 8), style::text(style::TITLE_SIZE)))?;
        footer.draw(&Text::new(
            "background: P(class 1) in bands of 0.1, blue = 0, red = 1; dark line: P = 0.5; dots: training points",
            (12, 8),
            style::text(style::TICK_SIZE),
        ))?;
        let cells = body.split_evenly((self.rows(), self.cols));
        for (area, (panel, shape)) in cells.iter().zip(&self.panels) {
            draw_panel(area, panel, *shape)?;
        }
        Ok(())
    }
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &BoundaryPanel,
    (nx, ny): (usize, usize),
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let g = &panel.grid;
    // The axes span the grid points themselves, so each point sits at the centre of its pixels.
    let (x_max, y_max) = g.point(nx - 1, ny - 1);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, style::text(style::LABEL_SIZE))
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(36)
        .build_cartesian_2d(g.x0..x_max, g.y0..y_max)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .label_style(style::text(style::TICK_SIZE))
        .x_label_formatter(&style::tick)
        .y_label_formatter(&style::tick)
        .x_labels(6)
        .y_labels(6)
        .draw()?;

    let (w, h) = chart.plotting_area().dim_in_pixel();
    let image = rasterise(panel, (nx, ny), (w as usize, h as usize));
    let bitmap = BitMapElement::with_owned_buffer((g.x0, y_max), (w, h), image)
        .context("bitmap buffer size must match the plotting area")?;
    chart.plotting_area().draw(&bitmap)?;

    for class in 0..=panel.points.iter().map(|p| p.2).max().unwrap_or(0) {
        let color = CLASS_COLORS
            .get(class)
            .copied()
            .unwrap_or_else(|| style::color(class + 2));
        let points = panel
            .points
            .iter()
            .filter(|p| p.2 == class && p.0.is_finite() && p.1.is_finite());
        chart.draw_series(points.map(|&(x, y, _)| {
            EmptyElement::at((x, y)) + Circle::new((0, 0), 4, color.filled()) + Circle::new((0, 0), 4, WHITE)
        }))?;
    }
    Ok(())
}

/// RGB pixels (row 0 at the top) of the banded probability map, with the 0.5 boundary darkened.
fn rasterise(panel: &BoundaryPanel, (nx, ny): (usize, usize), (w, h): (usize, usize)) -> Vec<u8> {
    // Nearest grid point for each pixel column and row (pixel rows run top-down, grid rows up).
    let col: Vec<usize> = (0..w).map(|px| nearest(px, w, nx)).collect();
    let row: Vec<usize> = (0..h).map(|py| ny - 1 - nearest(py, h, ny)).collect();
    let prob = |px: usize, py: usize| panel.probs[row[py] * nx + col[px]];
    let mut image = vec![0u8; w * h * 3];
    for py in 0..h {
        for px in 0..w {
            let p = prob(px, py);
            let class = p >= 0.5;
            let edge = (px + 1 < w && (prob(px + 1, py) >= 0.5) != class)
                || (py + 1 < h && (prob(px, py + 1) >= 0.5) != class);
            let rgb = if p.is_nan() {
                [200, 200, 200]
            } else if edge {
                [40, 40, 40]
            } else {
                band_color(p)
            };
            image[(py * w + px) * 3..][..3].copy_from_slice(&rgb);
        }
    }
    image
}

/// Pixel `i` of `pixels` maps to the nearest of `points` evenly spread grid points.
fn nearest(i: usize, pixels: usize, points: usize) -> usize {
    let t = (i as f64 + 0.5) / pixels as f64; // pixel centre in [0, 1]
    ((t * (points - 1) as f64).round() as usize).min(points - 1)
}

/// Light blue (P = 0) through white (P = 0.5) to light red (P = 1), in bands of 0.1.
fn band_color(p: f32) -> [u8; 3] {
    let p = p.clamp(0.0, 1.0);
    let band = ((p * BANDS).floor().min(BANDS - 1.0) + 0.5) / BANDS; // band centre
    let (base, strength) = if band < 0.5 {
        (CLASS_COLORS[0], 1.0 - 2.0 * band)
    } else {
        (CLASS_COLORS[1], 2.0 * band - 1.0)
    };
    let mix = |c: u8| (255.0 + (c as f32 - 255.0) * 0.7 * strength).round() as u8;
    [mix(base.0), mix(base.1), mix(base.2)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests_support::{assert_png, assert_svg_has};

    /// The two-moons reference grid's shape: x in [-2, 3), y in [-2, 2.5), step 0.02.
    const MOONS: Grid = Grid {
        x0: -2.0,
        y0: -2.0,
        step: 0.02,
        nx: 250,
        ny: 225,
    };

    /// A panel whose classifier says class 1 above the line y = x / 2.
    fn panel(title: &str) -> BoundaryPanel {
        let grid = MOONS;
        let (nx, ny) = grid.shape().unwrap();
        let mut probs = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            for i in 0..nx {
                let (x, y) = grid.point(i, j);
                probs.push(1.0 / (1.0 + (-4.0 * (y - x / 2.0)).exp()) as f32);
            }
        }
        let points = vec![
            (0.0, 1.0, 1),
            (1.0, 1.5, 1),
            (-1.0, 0.5, 1),
            (0.0, -1.0, 0),
            (1.0, -0.5, 0),
            (2.0, 0.0, 0),
        ];
        BoundaryPanel {
            title: title.into(),
            grid,
            probs,
            points,
        }
    }

    #[test]
    fn grids_that_cannot_be_drawn_are_errors() {
        assert_eq!(MOONS.shape().unwrap(), (250, 225));
        assert_eq!(MOONS.point(249, 224).0, -2.0 + 249.0 * 0.02);
        assert!(Grid { step: 0.0, ..MOONS }.shape().is_err());
        assert!(
            Grid {
                step: f64::NAN,
                ..MOONS
            }
            .shape()
            .is_err()
        );
        assert!(Grid { nx: 1, ..MOONS }.shape().is_err());
    }

    #[test]
    fn band_colors_run_blue_white_red() {
        let [r0, _, b0] = band_color(0.0);
        let [r1, _, b1] = band_color(1.0);
        assert!(b0 > r0 && r1 > b1, "P=0 bluish, P=1 reddish");
        assert_eq!(band_color(0.49), band_color(0.41), "same band");
        assert_ne!(
            band_color(0.49),
            band_color(0.51),
            "the 0.5 boundary separates bands"
        );
    }

    #[test]
    fn rasterised_boundary_follows_the_probabilities() {
        // 4 x 2 grid: left half class 0, right half class 1.
        let grid = Grid {
            x0: 0.0,
            y0: 0.0,
            step: 1.0,
            nx: 4,
            ny: 2,
        };
        let p = BoundaryPanel {
            title: "t".into(),
            grid,
            probs: vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0],
            points: vec![],
        };
        let img = rasterise(&p, (4, 2), (8, 2));
        let px = |x: usize, y: usize| {
            [
                img[(y * 8 + x) * 3],
                img[(y * 8 + x) * 3 + 1],
                img[(y * 8 + x) * 3 + 2],
            ]
        };
        assert_eq!(px(0, 0), band_color(0.0));
        assert_eq!(px(7, 1), band_color(1.0));
        assert_eq!(
            px(3, 0),
            [40, 40, 40],
            "last class-0 column before the switch is the boundary"
        );
        assert_eq!(px(4, 0), band_color(1.0));
    }

    #[test]
    fn writes_a_grid_of_panels_with_points() {
        let dir = tempfile::tempdir().unwrap();
        let panels: Vec<_> = ["sum relu", "star relu", "sum none", "star none", "SVM poly"]
            .iter()
            .map(|t| panel(t))
            .collect();
        let files = decision_boundaries("two moons", &panels, &dir.path().join("boundaries")).unwrap();
        // 5 panels -> 3 columns x 2 rows.
        assert_png(
            &files.png,
            (3 * PANEL.0, 2 * PANEL.1 + HEADER + FOOTER),
            &CLASS_COLORS,
        );
        assert_svg_has(&files.svg, &["two moons", "sum relu", "star none", "SVM poly"]);
        // The probability map is one embedded PNG per panel, not a rectangle per grid point.
        let svg = std::fs::read_to_string(&files.svg).unwrap();
        assert_eq!(svg.matches("data:image/png;base64,").count(), panels.len());
        assert!(svg.len() < 1_000_000, "SVG is {} bytes", svg.len());
    }

    #[test]
    fn mismatched_probs_name_the_panel() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = panel("star relu");
        p.probs.pop();
        let err = decision_boundaries("x", &[p], &dir.path().join("b")).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("star relu") && msg.contains("56249"), "{msg}");
        assert!(decision_boundaries("x", &[], &dir.path().join("b")).is_err());
    }
}
