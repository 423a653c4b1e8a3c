//! The kernel view of one star-op output channel (paper §3.1).
//!
//! With `z = (x, 1)` (bias folded into the weights, `w~ = (w, b)`), one output channel is
//! `(w~1ᵀz)(w~2ᵀz) = Σ_{i<=j} α_ij z_i z_j` with `α_ii = w1_i w2_i` and
//! `α_ij = w1_i w2_j + w1_j w2_i` for `i < j`: a linear functional on the degree-2 feature map
//! [`crate::monomials::phi2`]. The sum op `(w~1 + w~2)ᵀz` is affine in x instead.

use crate::monomials::enumerate;

/// The two branches of one output channel: `w1ᵀx + b1` and `w2ᵀx + b2`.
///
/// `b1`/`b2` are `None` for the bias-free star op.
#[derive(Debug, Clone, PartialEq)]
pub struct Branches {
    pub w1: Vec<f64>,
    pub b1: Option<f64>,
    pub w2: Vec<f64>,
    pub b2: Option<f64>,
}

impl Branches {
    /// Whether both branches carry a bias (the kernel view needs both or neither).
    pub fn has_bias(&self) -> bool {
        self.b1.is_some() && self.b2.is_some()
    }

    fn folded(w: &[f64], b: Option<f64>) -> Vec<f64> {
        w.iter().copied().chain(b).collect()
    }

    /// `w1ᵀx + b1`.
    pub fn first(&self, x: &[f64]) -> f64 {
        dot(&self.w1, x) + self.b1.unwrap_or(0.0)
    }

    /// `w2ᵀx + b2`.
    pub fn second(&self, x: &[f64]) -> f64 {
        dot(&self.w2, x) + self.b2.unwrap_or(0.0)
    }

    /// The star op `(w1ᵀx + b1) * (w2ᵀx + b2)`, computed directly in d dimensions.
    pub fn star(&self, x: &[f64]) -> f64 {
        self.first(x) * self.second(x)
    }

    /// The sum op `(w1ᵀx + b1) + (w2ᵀx + b2)`.
    pub fn sum(&self, x: &[f64]) -> f64 {
        self.first(x) + self.second(x)
    }

    /// The coefficient vector α(W1, W2, b1, b2) of the star op on φ(x) = (z_i z_j)_{i<=j}, in the
    /// order of [`crate::monomials::phi2`] with `bias = self.has_bias()`.
    pub fn alpha(&self) -> Vec<f64> {
        let u = Self::folded(&self.w1, self.b1);
        let v = Self::folded(&self.w2, self.b2);
        enumerate(u.len(), 2)
            .iter()
            .map(|m| {
                let (i, j) = (m[0], m[1]);
                if i == j {
                    u[i] * v[i]
                } else {
                    u[i] * v[j] + u[j] * v[i]
                }
            })
            .collect()
    }

    /// The coefficients `(w1 + w2, b1 + b2)` of the sum op on the affine basis `(x, 1)`.
    pub fn sum_affine(&self) -> Vec<f64> {
        let mut c: Vec<f64> = self.w1.iter().zip(&self.w2).map(|(a, b)| a + b).collect();
        c.push(self.b1.unwrap_or(0.0) + self.b2.unwrap_or(0.0));
        c
    }
}

/// `Σ a_i b_i`.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
