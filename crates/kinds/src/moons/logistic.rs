//! Logistic regression beside the 2-D DemoNet and the SVMs: what a linear boundary achieves on the
//! same points, so "star separates the moons" is read against the linear line, not against 50%.
//! linfa-logistic with its defaults (L2 penalty alpha = 1, intercept, L-BFGS).

use anyhow::{Context, Result, bail};
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};

/// Fits on `x` (`N x F`) with binary labels `y` (0 or 1) and returns the training accuracy (the
/// reference reports its baselines on the points they were fitted on).
pub fn logistic_accuracy(x: &Array2<f64>, y: &[i64]) -> Result<f64> {
    if x.nrows() != y.len() || y.is_empty() {
        bail!("logistic regression: {} points but {} labels", x.nrows(), y.len());
    }
    if let Some(bad) = y.iter().find(|&&l| l != 0 && l != 1) {
        bail!("logistic regression: labels must be 0 or 1, found {bad}");
    }
    let targets: Array1<bool> = y.iter().map(|&l| l == 1).collect();
    let model = LogisticRegression::default()
        .max_iterations(500)
        .fit(&Dataset::new(x.clone(), targets))
        .context("logistic regression: fitting failed")?;
    let pred: Array1<bool> = model.predict(x);
    let right = pred.iter().zip(y).filter(|&(&p, &l)| p == (l == 1)).count();
    Ok(right as f64 / y.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(label: impl Fn(f64, f64) -> bool) -> (Array2<f64>, Vec<i64>) {
        let (mut pts, mut y) = (vec![], vec![]);
        for i in 0..8 {
            for j in 0..8 {
                let (a, b) = (i as f64 - 3.5, j as f64 - 3.5);
                pts.extend([a / 2.0, b / 2.0]);
                y.push(label(a, b) as i64);
            }
        }
        (Array2::from_shape_vec((64, 2), pts).unwrap(), y)
    }

    #[test]
    fn separates_a_linear_split_and_not_xor() {
        let (x, y) = points(|a, b| a + 0.5 * b > 0.0);
        assert_eq!(logistic_accuracy(&x, &y).unwrap(), 1.0);
        // XOR quadrants: no line does better than about half.
        let (x, y) = points(|a, b| (a > 0.0) ^ (b > 0.0));
        let acc = logistic_accuracy(&x, &y).unwrap();
        assert!(acc <= 0.6, "{acc}");
    }

    #[test]
    fn bad_labels_are_an_error() {
        let (x, mut y) = points(|a, _| a > 0.0);
        y[0] = 3;
        let err = logistic_accuracy(&x, &y).unwrap_err();
        assert!(err.to_string().contains("0 or 1"), "{err}");
    }
}
