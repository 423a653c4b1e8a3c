//! Kernel SVMs beside the 2-D DemoNet, as the reference's `2D_visual/svc.py` (scikit-learn `SVC`,
//! C = 1) does it, here with linfa-svm.
//!
//! scikit-learn's kernels map onto linfa's like this:
//! - polynomial `(gamma <x, y> + coef0)^degree`: linfa has `(<x, y> + c)^d`, so the points are
//!   scaled by `sqrt(gamma)` first (`gamma = "scale" = 1 / (n_features * X.var())`).
//! - RBF `exp(-gamma |x - y|^2)`: linfa's Gaussian kernel is `exp(-|x - y|^2 / eps)`, `eps = 1 / gamma`.

use anyhow::{Context, Result, bail};
use linfa::prelude::*;
use linfa_svm::Svm;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// Which kernel, with scikit-learn's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kernel", rename_all = "snake_case", deny_unknown_fields)]
pub enum SvmKernel {
    /// `(gamma <x, y> + coef0)^degree`; `gamma: None` is scikit-learn's `"scale"`.
    Poly {
        degree: u32,
        coef0: f64,
        gamma: Option<f64>,
    },
    /// `exp(-gamma |x - y|^2)`.
    Rbf { gamma: f64 },
}

impl SvmKernel {
    /// The reference's polynomial SVM: degree 4, coef0 4, gamma "scale".
    pub fn reference_poly() -> Self {
        SvmKernel::Poly {
            degree: 4,
            coef0: 4.0,
            gamma: None,
        }
    }

    /// The reference's RBF SVM: gamma 4.
    pub fn reference_rbf() -> Self {
        SvmKernel::Rbf { gamma: 4.0 }
    }
}

/// A fitted SVM; predicts class 0/1 for points the same way the fit saw them.
pub struct SvmBaseline {
    model: Svm<f64, bool>,
    /// Points are multiplied by this before the kernel (`sqrt(gamma)` for the polynomial kernel).
    scale: f64,
}

/// scikit-learn's `gamma="scale"`: `1 / (n_features * X.var())`, the variance over all entries.
pub fn gamma_scale(x: &Array2<f64>) -> f64 {
    1.0 / (x.ncols() as f64 * x.var(0.0))
}

impl SvmBaseline {
    /// Fits with C = 1 on `x` (`N x F`) and binary labels `y` (0 or 1).
    pub fn fit(x: &Array2<f64>, y: &[i64], kernel: SvmKernel) -> Result<SvmBaseline> {
        if x.nrows() != y.len() || y.is_empty() {
            bail!("svm: {} points but {} labels", x.nrows(), y.len());
        }
        if let Some(bad) = y.iter().find(|&&l| l != 0 && l != 1) {
            bail!("svm: labels must be 0 or 1, found {bad}");
        }
        let (scale, params) = match kernel {
            SvmKernel::Poly { degree, coef0, gamma } => {
                let gamma = gamma.unwrap_or_else(|| gamma_scale(x));
                (
                    gamma.sqrt(),
                    Svm::<f64, bool>::params().polynomial_kernel(coef0, degree as f64),
                )
            }
            SvmKernel::Rbf { gamma } => (1.0, Svm::<f64, bool>::params().gaussian_kernel(1.0 / gamma)),
        };
        let targets: Array1<bool> = y.iter().map(|&l| l == 1).collect();
        let data = Dataset::new(x * scale, targets);
        let model = params
            .pos_neg_weights(1.0, 1.0)
            .fit(&data)
            .context("svm: fitting failed")?;
        Ok(SvmBaseline { model, scale })
    }

    /// Predicted classes (0 or 1) of `x`'s rows.
    pub fn predict(&self, x: &Array2<f64>) -> Vec<i64> {
        let pred: Array1<bool> = self.model.predict(&(x * self.scale));
        pred.iter().map(|&p| p as i64).collect()
    }

    /// Fraction of `x`'s rows classified as `y`.
    pub fn accuracy(&self, x: &Array2<f64>, y: &[i64]) -> f64 {
        let p = self.predict(x);
        p.iter().zip(y).filter(|(a, b)| a == b).count() as f64 / y.len().max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// XOR-like quadrants: not linearly separable, easy for both kernels.
    fn quadrants() -> (Array2<f64>, Vec<i64>) {
        let mut pts = vec![];
        let mut y = vec![];
        for i in 0..8 {
            for j in 0..8 {
                let (a, b) = (i as f64 - 3.5, j as f64 - 3.5);
                pts.extend([a / 2.0, b / 2.0]);
                y.push(((a > 0.0) ^ (b > 0.0)) as i64);
            }
        }
        (Array2::from_shape_vec((64, 2), pts).unwrap(), y)
    }

    #[test]
    fn gamma_scale_is_sklearns() {
        // entries 0, 1, 2, 3: variance 1.25, 2 features -> 1 / 2.5
        let x = Array2::from_shape_vec((2, 2), vec![0.0, 1.0, 2.0, 3.0]).unwrap();
        assert!((gamma_scale(&x) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn both_kernels_fit_xor() {
        let (x, y) = quadrants();
        for k in [SvmKernel::reference_poly(), SvmKernel::reference_rbf()] {
            let svm = SvmBaseline::fit(&x, &y, k).unwrap();
            assert!(svm.accuracy(&x, &y) >= 0.95, "{k:?}: {}", svm.accuracy(&x, &y));
        }
    }

    #[test]
    fn bad_labels_are_an_error() {
        let (x, mut y) = quadrants();
        y[3] = 2;
        let err = SvmBaseline::fit(&x, &y, SvmKernel::reference_rbf())
            .err()
            .unwrap();
        assert!(err.to_string().contains("0 or 1"), "{err}");
    }
}
