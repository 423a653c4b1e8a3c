//! The decision grid a moons run saves beside its record, and the training points it was fitted
//! on: [`MoonsExtra`] (in the record's `outcome.extra`) and the 8-bit greyscale PNG it names.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// What a moons run keeps beside its metrics (`outcome.extra`): where its decision grid is and
/// the training points, so figures redraw from the record alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoonsExtra {
    pub grid: GridRecord,
    /// `(x, y, class)` per training point (float32, as the model saw them).
    pub points: Vec<(f32, f32, usize)>,
}

/// The evaluated grid: `nx` x `ny` points from `(x0, y0)` spaced `step`, stored in `file` (beside
/// the record) as 8-bit grey, enough for probability bands of 0.1 and the 0.5 line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridRecord {
    pub file: String,
    pub x0: f64,
    pub y0: f64,
    pub step: f64,
    pub nx: usize,
    pub ny: usize,
}

/// `runs/<id>.grid.png`.
pub fn grid_path(stem: &Path) -> PathBuf {
    let mut name = stem.as_os_str().to_owned();
    name.push(".grid.png");
    PathBuf::from(name)
}

/// Probabilities (x-major, as `class1_probability` returns them) as 8-bit grey, x along the
/// image's columns and y up (row 0 = highest y).
pub(super) fn save_grid(path: &Path, grid: &GridRecord, prob: &[f32]) -> Result<()> {
    let (nx, ny) = (grid.nx, grid.ny);
    anyhow::ensure!(
        prob.len() == nx * ny,
        "{} probabilities for a {nx} x {ny} grid",
        prob.len()
    );
    let mut img = image::GrayImage::new(nx as u32, ny as u32);
    for i in 0..nx {
        for j in 0..ny {
            let p = prob[i * ny + j].clamp(0.0, 1.0);
            img.put_pixel(
                i as u32,
                (ny - 1 - j) as u32,
                image::Luma([(p * 255.0).round() as u8]),
            );
        }
    }
    durable::write_with(path, |tmp| Ok(img.save(tmp)?))
}

/// Reads a grid saved by [`save_grid`] as probabilities in rows of increasing y (`j * nx + i`
/// for the point `(x0 + i step, y0 + j step)`), checking its size against the record.
pub fn load_grid(path: &Path, grid: &GridRecord) -> Result<Vec<f32>> {
    let img = image::open(path)
        .with_context(|| format!("reading {}", path.display()))?
        .to_luma8();
    let (nx, ny) = (grid.nx, grid.ny);
    anyhow::ensure!(
        (img.width() as usize, img.height() as usize) == (nx, ny),
        "{} is {} x {} pixels, its record says a {nx} x {ny} grid",
        path.display(),
        img.width(),
        img.height()
    );
    let mut prob = Vec::with_capacity(nx * ny);
    for j in 0..ny {
        for i in 0..nx {
            prob.push(img.get_pixel(i as u32, (ny - 1 - j) as u32).0[0] as f32 / 255.0);
        }
    }
    Ok(prob)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_round_trips_through_its_file_in_plot_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.grid.png");
        let grid = GridRecord {
            file: "g.grid.png".into(),
            x0: 0.0,
            y0: 0.0,
            step: 1.0,
            nx: 3,
            ny: 2,
        };
        // x-major: (i, j) at i * ny + j; P = 0 everywhere but (2, 1), the top right corner.
        let prob = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0];
        save_grid(&path, &grid, &prob).unwrap();
        let back = load_grid(&path, &grid).unwrap();
        assert_eq!(back, vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        let wrong = GridRecord { nx: 4, ..grid };
        let err = load_grid(&path, &wrong).unwrap_err().to_string();
        assert!(
            err.contains("3 x 2 pixels") && err.contains("4 x 2 grid"),
            "{err}"
        );
    }
}
