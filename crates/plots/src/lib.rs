//! starlab's figures, written as SVG and PNG with the same file stem.
//!
//! Every function here takes plain data (small structs defined in this crate, no types from the
//! other crates): the runner's `figures` module turns its typed results into these inputs once,
//! and this crate knows nothing of configs, runs or records.
//!
//! Text renders the same on every machine: the PNG backend draws glyphs with an embedded
//! DejaVu Sans (`assets/DejaVuSans.ttf`, registered once through `ab_glyph`), never with system
//! fonts or fontconfig. SVG files keep their text as `<text>` elements (searchable, selectable);
//! the viewer picks a sans-serif font for them.
//!
//! The grammar every figure follows: colour = the swept quantity (width, depth, variant), line
//! style and marker = the compared mode ([`Look`]: the treatment, e.g. star, solid with filled
//! markers; the base, e.g. sum, dashed with hollow ones); ticks at the measured values; a title
//! that names experiment and data and a caption that says n and what the intervals are.
//!
//! Missing data: non-finite values (NaN, inf) are skipped point by point; on log axes, values
//! `<= 0` are skipped too. A plot with no drawable point at all is an error (naming the file),
//! never a blank image. A series that is empty after skipping still gets a legend entry,
//! marked "(no data)", so a reader sees that it was expected.

mod boundary;
mod curves;
mod dims;
mod dots;
mod lines;
pub mod style;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

pub use boundary::{BoundaryPanel, Grid, decision_boundaries};
pub use curves::{Curve, CurvePoint, Curves, training_curves};
pub use dims::{DimPanel, DimPoint, DimSeries, Dims, implicit_dim};
pub use dots::{DotGroup, DotPlot, DotRow, dot_plot};
pub use lines::{DiffPanel, Line, LinePlot, RefPanel, line_plot};

/// A mean with its interval (e.g. a 95% t-interval over seeds) and the single values behind it.
/// A non-finite `lo` or `hi` draws no interval; `values` are drawn as small dots.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
    pub values: Vec<f64>,
}

impl Estimate {
    /// A number without spread (e.g. the paper's).
    pub fn exact(mean: f64) -> Self {
        Estimate {
            mean,
            lo: f64::NAN,
            hi: f64::NAN,
            values: Vec::new(),
        }
    }
}

/// How a compared mode looks, the same in every figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Look {
    /// The treatment (star) and anything not compared: solid lines, filled markers.
    #[default]
    Solid,
    /// The base (sum): dashed lines, hollow markers.
    Dashed,
}

/// Title above, caption (n, what the intervals are) below: what every figure carries. A caption
/// may have several lines (`\n`); the figure grows by one line height for each line after the first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    pub title: String,
    pub caption: String,
}

const TITLE_H: u32 = 40;
const CAPTION_H: u32 = 30;
const CAPTION_LINE_H: u32 = 18;

impl Frame {
    /// The height of the caption strip: one line in 30 px, each further line 18 px more.
    fn caption_h(&self) -> u32 {
        let lines = self.caption.lines().count().max(1) as u32;
        CAPTION_H + CAPTION_LINE_H * (lines - 1)
    }
}

/// Draws the frame's title and caption and returns the area between them.
fn framed<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, frame: &Frame) -> Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (_, h) = root.dim_in_pixel();
    let (head, rest) = root.split_vertically(TITLE_H);
    let (body, foot) = rest.split_vertically(h - TITLE_H - frame.caption_h());
    let (w, _) = head.dim_in_pixel();
    head.draw(&Text::new(
        frame.title.clone(),
        (12, 10),
        style::text(title_size(&head, &frame.title, w.saturating_sub(24))?),
    ))?;
    for (i, line) in frame.caption.lines().enumerate() {
        foot.draw(&Text::new(
            line.to_string(),
            (12, 6 + CAPTION_LINE_H as i32 * i as i32),
            style::text(style::CAPTION_SIZE).color(&style::MUTED),
        ))?;
    }
    Ok(body)
}

/// The title's font size: [`style::TITLE_SIZE`], or smaller (down to the caption's) so that a long
/// experiment description fits the figure's width instead of running off its edge.
fn title_size<DB: DrawingBackend>(head: &DrawingArea<DB, Shift>, title: &str, room: u32) -> Result<u32>
where
    DB::ErrorType: 'static,
{
    let mut size = style::TITLE_SIZE;
    while size > style::CAPTION_SIZE && head.estimate_text_size(title, &style::text(size))?.0 > room {
        size -= 1;
    }
    Ok(size)
}

/// The two files one plot call writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotFiles {
    pub svg: PathBuf,
    pub png: PathBuf,
}

impl PlotFiles {
    /// `results/x/width` -> `results/x/width.svg` and `results/x/width.png`.
    pub fn for_stem(stem: &Path) -> Self {
        let with_ext = |ext: &str| {
            let mut name = stem.as_os_str().to_owned();
            name.push(".");
            name.push(ext);
            PathBuf::from(name)
        };
        Self {
            svg: with_ext("svg"),
            png: with_ext("png"),
        }
    }
}

/// A figure that can draw itself on any plotters backend; `save` renders it twice.
trait Figure {
    /// Size in pixels (the SVG uses the same numbers as its viewport).
    fn size(&self) -> (u32, u32);

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static;
}

/// Renders `figure` to `<stem>.svg` and `<stem>.png`, creating the parent folder if needed.
fn save(figure: &impl Figure, stem: &Path) -> Result<PlotFiles> {
    style::register_font()?;
    let files = PlotFiles::for_stem(stem);
    if let Some(dir) = stem.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating plot folder {}", dir.display()))?;
    }
    let size = figure.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        figure.draw(&root).and_then(|()| Ok(root.present()?))
    }
    .with_context(|| format!("drawing {}", files.svg.display()))?;
    // plotters-svg labels embedded bitmaps "data:png", which is not a media type (RFC 2397 wants
    // "image/png"); librsvg sniffs the bytes anyway, but viewers should not have to guess.
    let svg = svg.replace("href=\"data:png;base64,", "href=\"data:image/png;base64,");
    // Temp + rename: a reader (or a killed run) never sees half a figure.
    durable::write_atomic(&files.svg, svg.as_bytes())?;
    durable::write_with(&files.png, |tmp| {
        let root = BitMapBackend::new(tmp, size).into_drawing_area();
        figure.draw(&root).and_then(|()| Ok(root.present()?))
    })
    .with_context(|| format!("drawing {}", files.png.display()))?;
    Ok(files)
}

/// Checks shared by the plot tests: real decoding of the written files.
#[cfg(test)]
mod tests_support {
    use std::path::Path;

    use plotters::style::{Color, RGBColor};

    /// The PNG decodes, has the expected size, is not blank, and shows each colour somewhere
    /// (within a small tolerance for anti-aliasing).
    pub fn assert_png(path: &Path, size: (u32, u32), colors: &[RGBColor]) {
        let img = image::open(path)
            .unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()))
            .to_rgb8();
        assert_eq!(img.dimensions(), size, "{}", path.display());
        let first = img.get_pixel(0, 0);
        assert!(
            img.pixels().any(|p| p != first),
            "{} is a single colour",
            path.display()
        );
        for color in colors {
            let (r, g, b) = color.rgb();
            let hits = img
                .pixels()
                .filter(|p| p.0.iter().zip([r, g, b]).all(|(&a, b)| a.abs_diff(b) <= 12))
                .count();
            assert!(
                hits >= 20,
                "{}: colour {:?} appears on {hits} pixels",
                path.display(),
                (r, g, b)
            );
        }
    }

    /// The contents of the SVG's `<text>` elements (XML-escaped, trimmed).
    pub fn svg_texts(path: &Path) -> Vec<String> {
        let svg = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        svg.split("<text")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim().to_string()))
            .collect()
    }

    /// Each text appears as the whole content of an SVG `<text>` element.
    pub fn assert_svg_has(path: &Path, texts: &[&str]) {
        let found = svg_texts(path);
        for text in texts {
            let escaped = text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            assert!(
                found.contains(&escaped),
                "{} lacks the text {text:?}; has {found:?}",
                path.display()
            );
        }
    }
}
