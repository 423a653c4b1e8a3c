//! Two interleaving half circles, built exactly as scikit-learn's `make_moons` builds them.
//!
//! `n_out = n / 2` points on the upper half circle `(cos t, sin t)`, `n_in = n - n_out` on the lower
//! one `(1 - cos t, 1 - sin t - 0.5)`, `t = linspace(0, pi)`; labels 0 (outer) and 1 (inner). Then,
//! as sklearn does with `shuffle=True`, the points are shuffled, and Gaussian noise with standard
//! deviation `noise` is added to both coordinates. The random numbers come from ChaCha8 seeded by
//! `seed`, so the points differ from numpy's for the same seed, but not in distribution.

use rand::seq::SliceRandom;
use rand_distr::{Distribution, Normal};
use tch::Tensor;

use super::Split;
use super::error::{DataError, Result};

/// `n` points and their labels, before they become tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct Moons {
    pub points: Vec<[f64; 2]>,
    pub labels: Vec<i64>,
}

/// `num` evenly spaced values from `start` to `stop` inclusive, like `numpy.linspace`.
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    match num {
        0 => vec![],
        1 => vec![start],
        _ => {
            let step = (stop - start) / (num - 1) as f64;
            let mut v: Vec<f64> = (0..num).map(|i| start + i as f64 * step).collect();
            v[num - 1] = stop;
            v
        }
    }
}

/// The two moons: `n_samples` points, noise standard deviation `noise`, seeded.
pub fn make_moons(n_samples: usize, noise: f64, seed: u64) -> Result<Moons> {
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(DataError::spec(
            "moons_noise",
            format!("{noise} is not a finite number >= 0"),
        ));
    }
    let n_out = n_samples / 2;
    let n_in = n_samples - n_out;
    let mut points = Vec::with_capacity(n_samples);
    points.extend(
        linspace(0.0, std::f64::consts::PI, n_out)
            .into_iter()
            .map(|t| [t.cos(), t.sin()]),
    );
    points.extend(
        linspace(0.0, std::f64::consts::PI, n_in)
            .into_iter()
            .map(|t| [1.0 - t.cos(), 1.0 - t.sin() - 0.5]),
    );
    let mut labels: Vec<i64> = std::iter::repeat_n(0, n_out)
        .chain(std::iter::repeat_n(1, n_in))
        .collect();

    let mut rng = super::rng(seed, super::Stream::Moons, 0, 0);
    let mut order: Vec<usize> = (0..n_samples).collect();
    order.shuffle(&mut rng);
    points = order.iter().map(|&i| points[i]).collect();
    labels = order.iter().map(|&i| labels[i]).collect();

    let normal = Normal::new(0.0, noise).map_err(|e| DataError::spec("moons_noise", e.to_string()))?;
    for p in &mut points {
        p[0] += normal.sample(&mut rng);
        p[1] += normal.sample(&mut rng);
    }
    Ok(Moons { points, labels })
}

impl Moons {
    /// `x`: `float32 N x 2`, `y`: `int64 N`.
    pub fn to_split(&self) -> Split {
        let flat: Vec<f32> = self
            .points
            .iter()
            .flat_map(|p| [p[0] as f32, p[1] as f32])
            .collect();
        Split {
            x: Tensor::from_slice(&flat).view([self.points.len() as i64, 2]),
            y: Tensor::from_slice(&self.labels),
            num_classes: 2,
        }
    }
}
