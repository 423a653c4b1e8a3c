//! The function families whose span is measured, how a random member is drawn and evaluated,
//! and the counts derived by hand for each (exact span dimension and the paper's formula).
//!
//! Every family maps `x ∈ R^d` to one scalar (one output channel). "With bias" means *both*
//! branches carry a bias, as in the star op `(W1ᵀx + b1) * (W2ᵀx + b2)`; Case II is that op with
//! `W2 = I` and Case III with `W1 = W2 = I`.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::monomials::{binomial, feature_count};

/// A family of functions of x.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// `l` stacked star layers of width d; the probed function is output channel 0.
    Star,
    /// `l` stacked sum layers `(W1ᵀh + b1) + (W2ᵀh + b2)` of width d (the control).
    Sum,
    /// Case I: `act(w1ᵀx + b1) * (w2ᵀx + b2)`.
    Case1,
    /// Case II: `(w1ᵀx + b1) * (x_c + b2)` (the star op with `W2 = I`).
    Case2,
    /// Case III: `(x_c + b1) * (x_c + b2)` (the star op with `W1 = W2 = I`).
    Case3,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Star => "star",
            Family::Sum => "sum",
            Family::Case1 => "case1",
            Family::Case2 => "case2",
            Family::Case3 => "case3",
        }
    }
}

/// The activation on the first branch of Case I.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Relu,
    Relu6,
    /// GELU in its tanh form (PyTorch `approximate="tanh"`); analytic like the erf form.
    Gelu,
    Tanh,
    /// `z²`: a polynomial control, so Case I has a finite span (all cubics).
    Square,
}

impl Activation {
    pub fn apply(self, z: f64) -> f64 {
        match self {
            Activation::Relu => z.max(0.0),
            Activation::Relu6 => z.clamp(0.0, 6.0),
            Activation::Gelu => {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * z * (1.0 + (c * (z + 0.044715 * z * z * z)).tanh())
            }
            Activation::Tanh => z.tanh(),
            Activation::Square => z * z,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Relu6 => "relu6",
            Activation::Gelu => "gelu",
            Activation::Tanh => "tanh",
            Activation::Square => "square",
        }
    }
}

/// Which functions of a Case II/III layer are pooled into one span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// One fixed output channel (channel 0) of every random member.
    #[default]
    Channel,
    /// All output channels: member k contributes channel `k mod d`. The span equals that of random
    /// linear read-outs of the whole layer (what a following linear layer can combine).
    Across,
}

/// One family at one size: what a single measurement probes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probe {
    pub family: Family,
    pub d: usize,
    pub layers: usize,
    pub bias: bool,
    /// Case I only.
    pub activation: Option<Activation>,
    /// Meaningful for Case II/III; `Channel` elsewhere (their channels are i.i.d. copies).
    pub scope: Scope,
}

impl Probe {
    /// The dimension of the span of the family, derived by hand (see the crate docs and
    /// `experiments/implicit_dim.md`); `None` when the span is infinite-dimensional.
    ///
    /// Exact as an integer (`u128`); `None` also on overflow, which no sensible size reaches.
    pub fn exact_count(&self) -> Option<u128> {
        let d = self.d as u128;
        let b = u128::from(self.bias);
        match self.family {
            // Polynomials of degree <= 2^l in x (bias) or forms of degree exactly 2^l (no bias).
            Family::Star => feature_count(self.d, 1usize.checked_shl(self.layers as u32)?, self.bias),
            // Affine (bias) or linear (no bias) in x, however deep.
            Family::Sum => Some(d + b),
            Family::Case1 => match self.activation? {
                // (w1ᵀz)²(w2ᵀz) spans every cubic form in z (cubes of linear forms already do).
                Activation::Square => feature_count(self.d, 3, self.bias),
                _ => None,
            },
            Family::Case2 => match (self.scope, self.bias) {
                // x_c·x_j (d), x_j (d), 1.
                (Scope::Channel, true) => Some(2 * d + 1),
                (Scope::Channel, false) => Some(d),
                // Union over c: every x_i x_j, every x_j, and 1.
                (Scope::Across, true) => binomial(d + 2, 2),
                (Scope::Across, false) => binomial(d + 1, 2),
            },
            Family::Case3 => match (self.scope, self.bias) {
                // x_c², x_c, 1.
                (Scope::Channel, true) => Some(3),
                (Scope::Channel, false) => Some(1),
                (Scope::Across, true) => Some(2 * d + 1),
                (Scope::Across, false) => Some(d),
            },
        }
    }

    /// The count the paper states for this family (`None`: the paper gives none).
    ///
    /// Star: `(d+2)(d+1)/2` for one layer (the paper counts the bias coordinate, also when probed
    /// without bias), `(d/√2)^(2^l)` for `l >= 2`. Case I: the paper says it stays at the star
    /// count, so `(d+2)(d+1)/2`. Case II: "about 2d". Case III: `d`. Sum: none.
    pub fn paper_formula(&self) -> Option<f64> {
        let d = self.d as f64;
        match self.family {
            Family::Star if self.layers == 1 => Some((d + 2.0) * (d + 1.0) / 2.0),
            Family::Star => Some((d / 2f64.sqrt()).powf(2f64.powi(self.layers as i32))),
            Family::Sum => None,
            Family::Case1 => Some((d + 2.0) * (d + 1.0) / 2.0),
            Family::Case2 => Some(2.0 * d),
            Family::Case3 => Some(d),
        }
    }

    /// The number of real parameters of the network that computes one member.
    ///
    /// The span can exceed this (a curve can span a high-dimensional space); the *dimension of
    /// the family itself* (a manifold of functions) cannot.
    pub fn params(&self) -> usize {
        let (d, b) = (self.d, usize::from(self.bias));
        match self.family {
            Family::Star | Family::Sum => self.layers * 2 * d * (d + b),
            Family::Case1 => 2 * d * (d + b),
            Family::Case2 => d * d + 2 * b * d,
            Family::Case3 => 2 * b * d,
        }
    }

    /// Draw one member with `rng` and write its output channel `channel` at every row of `points`
    /// into `out`. `channel` matters for Case II/III only: the channels of the other families are
    /// i.i.d. copies of each other, so the last layer is drawn for one channel.
    ///
    /// Weights and biases are i.i.d. N(0, 1/(fan_in + 1)), so every coefficient of the kernel view
    /// has the same scale and the outputs stay O(1) for inputs in [-1, 1].
    pub fn eval_member<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        points: ArrayView2<'_, f64>,
        channel: usize,
        out: &mut [f64],
    ) {
        let d = self.d;
        let normal = Normal::new(0.0, 1.0 / ((d + 1) as f64).sqrt()).expect("finite std");
        let vec = |len: usize, rng: &mut R| Array1::from_shape_fn(len, |_| normal.sample(rng));
        let bias = self.bias;
        let scalar_bias = |rng: &mut R| if bias { normal.sample(rng) } else { 0.0 };
        let result: Array1<f64> = match self.family {
            Family::Star | Family::Sum => {
                // Hidden layers (none for l = 1, where the points are used as they are).
                let mut hidden: Option<Array2<f64>> = None;
                for _ in 1..self.layers {
                    let h = hidden.as_ref().map_or(points.view(), |a| a.view());
                    let mat = |rng: &mut R| Array2::from_shape_fn((d, d), |_| normal.sample(rng));
                    let (w1, w2) = (mat(rng), mat(rng));
                    let (b1, b2) = (vec(d, rng), vec(d, rng));
                    let mut a = h.dot(&w1);
                    let mut c = h.dot(&w2);
                    if bias {
                        a += &b1.insert_axis(Axis(0));
                        c += &b2.insert_axis(Axis(0));
                    }
                    hidden = Some(if self.family == Family::Star { a * c } else { a + c });
                }
                let h = hidden.as_ref().map_or(points.view(), |a| a.view());
                // The last layer: only the columns of W1, W2 that feed the probed channel matter.
                let (w1, w2) = (vec(d, rng), vec(d, rng));
                let (b1, b2) = (scalar_bias(rng), scalar_bias(rng));
                let a = h.dot(&w1) + b1;
                let c = h.dot(&w2) + b2;
                if self.family == Family::Star { a * c } else { a + c }
            }
            Family::Case1 => {
                let act = self.activation.unwrap_or(Activation::Relu);
                let (w1, w2) = (vec(d, rng), vec(d, rng));
                let (b1, b2) = (scalar_bias(rng), scalar_bias(rng));
                (points.dot(&w1) + b1).mapv(|z| act.apply(z)) * (points.dot(&w2) + b2)
            }
            Family::Case2 => {
                let w1 = vec(d, rng);
                let (b1, b2) = (scalar_bias(rng), scalar_bias(rng));
                (points.dot(&w1) + b1) * (points.column(channel).to_owned() + b2)
            }
            Family::Case3 => {
                let (b1, b2) = (scalar_bias(rng), scalar_bias(rng));
                let xc = points.column(channel);
                xc.mapv(|x| (x + b1) * (x + b2))
            }
        };
        out.iter_mut().zip(result.iter()).for_each(|(o, r)| *o = *r);
    }
}
