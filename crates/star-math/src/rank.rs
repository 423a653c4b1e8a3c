//! Numerical rank from singular values (faer), with a documented tolerance rule.
//!
//! Two routes give the rule's count: [`numerical_rank`] from the SVD (the reference), and
//! [`fast_rank`], which takes the certified Gram route ([`certified_gram_rank`], several times
//! faster on large matrices) wherever its error bounds prove the same count, and the SVD
//! elsewhere.
//!
//! **Tolerance rule.** Singular values σ_1 >= σ_2 >= ... of an m x n matrix; σ_i counts when
//! `σ_i > tol`, `tol = rel_tol * σ_1` with `rel_tol = max(m, n) * f64::EPSILON` unless set (the
//! rule of LAPACK-based `numpy.linalg.matrix_rank`). A rank is only *trusted* when the kept and
//! dropped singular values are separated by a clear gap `σ_r / σ_{r+1} >= min_gap`: without a gap,
//! the count depends on the tolerance and is not a property of the matrix.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::svd::{self, ComputeSvdVectors};
use faer::{Mat, MatRef, Par};
use serde::{Deserialize, Serialize};

mod gram;
pub use gram::{MARGIN, certified_gram_rank};

/// Below this smaller side [`fast_rank`] computes the SVD: it takes milliseconds there, and
/// small matrices keep their exact `σ_r / σ_(r+1)`.
pub const GRAM_MIN_SIDE: usize = 256;

/// How singular values are turned into a rank, and when that rank is trusted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankRule {
    /// Relative tolerance; `None` = `max(m, n) * f64::EPSILON`.
    pub rel_tol: Option<f64>,
    /// Smallest accepted gap `σ_r / σ_{r+1}` for a trusted rank.
    pub min_gap: f64,
}

impl Default for RankRule {
    fn default() -> Self {
        Self {
            rel_tol: None,
            min_gap: 1e3,
        }
    }
}

/// The rank of one matrix and the numbers that say how far to trust it.
#[derive(Debug, Clone, PartialEq)]
pub struct RankReport {
    pub rank: usize,
    pub nrows: usize,
    pub ncols: usize,
    /// The absolute threshold that was applied.
    pub tol: f64,
    /// σ_r / σ_1: how small the smallest kept direction is (1 / condition number of the span).
    pub kept_ratio: f64,
    /// σ_r / σ_{r+1}; `None` when nothing was dropped (r = min(m, n)) or the rank is 0. From
    /// the Gram route a certified lower bound (σ_{r+1} is bounded from above, not computed).
    pub gap: Option<f64>,
    /// Which route computed it.
    pub method: RankMethod,
}

/// How a [`RankReport`] was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RankMethod {
    /// faer's singular values ([`numerical_rank`]).
    Svd,
    /// The certified Gram route ([`certified_gram_rank`]).
    Gram,
}

impl RankReport {
    /// Whether the rank is strictly below `min(m, n)`: some direction was found to be absent.
    pub fn has_null_space(&self) -> bool {
        self.rank < self.nrows.min(self.ncols)
    }
}

/// A failure of the SVD iteration.
#[derive(Debug, thiserror::Error)]
#[error("SVD of a {nrows} x {ncols} matrix did not converge")]
pub struct SvdFailed {
    pub nrows: usize,
    pub ncols: usize,
}

/// The singular values of `a`, largest first, computed by faer without singular vectors.
///
/// `par` chooses the threads (`Par::rayon(0)` = all threads of the current rayon pool).
pub fn singular_values(a: MatRef<'_, f64>, par: Par) -> Result<Vec<f64>, SvdFailed> {
    let (m, n) = a.shape();
    let fail = || SvdFailed { nrows: m, ncols: n };
    if m == 0 || n == 0 {
        return Ok(Vec::new());
    }
    if !a.col_iter().all(|c| c.iter().all(|x| x.is_finite())) {
        return Err(fail());
    }
    let mut s = faer::diag::Diag::<f64>::zeros(m.min(n));
    let req = svd::svd_scratch::<f64>(
        m,
        n,
        ComputeSvdVectors::No,
        ComputeSvdVectors::No,
        par,
        Default::default(),
    );
    let mut buf = MemBuffer::new(req);
    svd::svd(
        a,
        s.as_mut(),
        None,
        None,
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .map_err(|_| fail())?;
    let mut out: Vec<f64> = s.column_vector().iter().copied().collect();
    // faer returns them sorted already; sorting again costs nothing and makes the rule independent of that.
    out.sort_by(|a, b| b.total_cmp(a));
    Ok(out)
}

/// Apply `rule` to the singular values `sv` (largest first) of an `nrows x ncols` matrix.
pub fn rank_from_singular_values(sv: &[f64], nrows: usize, ncols: usize, rule: RankRule) -> RankReport {
    let sigma_max = sv.first().copied().unwrap_or(0.0);
    let rel = rule.rel_tol.unwrap_or(nrows.max(ncols) as f64 * f64::EPSILON);
    let tol = rel * sigma_max;
    let rank = if sigma_max > 0.0 {
        sv.iter().take_while(|&&s| s > tol).count()
    } else {
        0
    };
    let kept_ratio = if rank > 0 { sv[rank - 1] / sigma_max } else { 0.0 };
    let gap = if rank > 0 && rank < sv.len() {
        Some(sv[rank - 1] / sv[rank].max(f64::MIN_POSITIVE))
    } else {
        None
    };
    RankReport {
        rank,
        nrows,
        ncols,
        tol,
        kept_ratio,
        gap,
        method: RankMethod::Svd,
    }
}

/// The numerical rank of `a` under `rule`, from its singular values (the reference route).
pub fn numerical_rank(a: MatRef<'_, f64>, rule: RankRule, par: Par) -> Result<RankReport, SvdFailed> {
    let sv = singular_values(a, par)?;
    Ok(rank_from_singular_values(&sv, a.nrows(), a.ncols(), rule))
}

/// The numerical rank of `a` under `rule`, by the fastest route that gives the rule's count:
/// the certified Gram route when the smaller side is at least [`GRAM_MIN_SIDE`] and its bounds
/// hold, else the SVD ([`numerical_rank`]; also for non-finite input, which is its error).
pub fn fast_rank(a: MatRef<'_, f64>, rule: RankRule, par: Par) -> Result<RankReport, SvdFailed> {
    if a.nrows().min(a.ncols()) >= GRAM_MIN_SIDE
        && let Some(report) = certified_gram_rank(a, rule, par)
    {
        return Ok(report);
    }
    numerical_rank(a, rule, par)
}

/// Scale every column, then every row, to unit Euclidean norm (zero lines stay zero).
///
/// Rank is invariant under this scaling, but the SVD's absolute error is relative to σ_1, so a
/// few huge rows or columns (points far out, functions with large weights) would otherwise hide
/// small but real directions below the tolerance.
pub fn equilibrate(a: &mut Mat<f64>) {
    for j in 0..a.ncols() {
        let norm = a.col(j).norm_l2();
        if norm > 0.0 {
            a.col_mut(j).iter_mut().for_each(|x| *x /= norm);
        }
    }
    let mut row_sq = vec![0.0f64; a.nrows()];
    for j in 0..a.ncols() {
        for (acc, x) in row_sq.iter_mut().zip(a.col(j).iter()) {
            *acc += x * x;
        }
    }
    for j in 0..a.ncols() {
        for (x, sq) in a.col_mut(j).iter_mut().zip(&row_sq) {
            if *sq > 0.0 {
                *x /= sq.sqrt();
            }
        }
    }
}
