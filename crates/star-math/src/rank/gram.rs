//! The certified Gram route: the same rank as the SVD rule, from the eigenvalues of the Gram
//! matrix, accepted only where error bounds prove that the SVD rule would count the same.
//!
//! **Why it is faster.** An SVD reduces the matrix to bidiagonal form, and half of that is
//! matrix-vector work, bound by memory bandwidth. Here the expensive steps are blocked matrix
//! products: the Gram matrix `G = AᵀA` of the smaller side `k`, its pivoted Cholesky (which
//! finds the `r` columns that carry the span), and, when `r < k`, one Householder QR of `A`
//! with those columns first. The only half-matrix-vector step left is a symmetric eigenvalue
//! problem of size `r` (or `k` at full rank), half the work of a bidiagonalization of that size.
//!
//! **Why the count is the SVD rule's.** Squaring doubles the dynamic range: the eigenvalues
//! of the computed `Ĝ` are `σ_i² ± ν` with an absolute error `ν` of about `(m + k) u ‖A‖_F²`
//! (unit roundoff `u`), so the Gram matrix alone cannot tell singular values below
//! `√ν ≈ 1e-6 σ_1` from zero, while the SVD rule's tolerance is `max(m, n) ε σ_1 ≈ 1e-12 σ_1`.
//! Two bounds close that hole:
//! - *kept*: Weyl's inequality puts every `σ_i²` within `λ_i ± ν`; a value counts when
//!   `√(λ_i − ν)` clears `MARGIN × tol`, and every other Gram value must certainly stay below
//!   `tol / MARGIN`;
//! - *dropped*: with the `r` pivot columns first, `A P = Q [R11 R12; 0 R22]` and, by Weyl
//!   again, `σ_(r+1) ≤ ‖R22‖₂`. The QR works on `A` itself (no squaring; backward error
//!   `~u ‖A‖`, as the SVD's), so `‖R22‖₂` resolves the band that the Gram matrix cannot: it
//!   must lie below `tol / MARGIN`.
//!
//! Anything else (a singular value the Gram matrix cannot resolve, a pivot choice that leaves
//! a real direction in `R22`, a gap bound below `MARGIN × min_gap`) returns `None`, and
//! [`super::fast_rank`] computes the SVD. The bounds are first-order a priori ones (no
//! machine-dependent constant): an accepted count cannot change with the CPU, only whether
//! the route is accepted could, and then the SVD decides as before.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt_pivoting::factor as piv_llt;
use faer::linalg::evd::{self, ComputeEigenvectors};
use faer::linalg::matmul::triangular::{BlockStructure, matmul};
use faer::linalg::qr::no_pivoting::factor as qr;
use faer::{Accum, Mat, MatRef, Par};

use super::{RankMethod, RankReport, RankRule, singular_values};

/// How far every accepted quantity must sit from its threshold, in factors: kept singular
/// values above `MARGIN × tol`, `‖R22‖₂` below `tol / MARGIN`, the gap bound above
/// `MARGIN × min_gap`. It absorbs the constants of the first-order bounds.
pub const MARGIN: f64 = 8.0;

/// The rank of `a` under `rule` by the certified Gram route, or `None` where the bounds do not
/// prove that the SVD rule would count the same (then compute the SVD).
///
/// The report's `gap` is a lower bound on `σ_r / σ_(r+1)` (`√(λ_r − ν)` over the upper bound
/// of `σ_(r+1)`), `kept_ratio` is `√(λ_r / λ_1)` and `tol` is `rel_tol × √λ_1`.
pub fn certified_gram_rank(a: MatRef<'_, f64>, rule: RankRule, par: Par) -> Option<RankReport> {
    let (nrows, ncols) = a.shape();
    // Work on the tall orientation: the rank and the rule are the same for the transpose.
    let a = if nrows >= ncols { a } else { a.transpose() };
    let (m, k) = a.shape();
    if k == 0 || !a.col_iter().all(|c| c.iter().all(|x| x.is_finite())) {
        return None;
    }
    let fro2 = a.squared_norm_l2();
    if !(fro2 > 0.0 && fro2.is_finite()) {
        return None;
    }

    let gram = gram_lower(a, par);
    let max_diag = (0..k).map(|i| gram[(i, i)]).fold(0.0, f64::max);
    let mut chol = gram.clone();
    let perm = pivoted_cholesky(&mut chol, par)?;
    let r = perm.rank;
    if r == 0 {
        return None;
    }
    // Eigenvalues of the kept part: of Ĝ itself at full rank, else of LᵀL (r x r), whose
    // nonzero spectrum is that of L Lᵀ = P Ĝ Pᵀ minus the Schur complement left over.
    let lambda = if r == k {
        sym_eigenvalues(gram.as_ref(), par)?
    } else {
        let l = chol.get(.., ..r);
        let mut ltl = Mat::<f64>::zeros(r, r);
        matmul(
            ltl.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Replace,
            l.transpose(),
            BlockStructure::Rectangular,
            l,
            BlockStructure::Rectangular,
            1.0,
            par,
        );
        sym_eigenvalues(ltl.as_ref(), par)?
    };
    drop(gram);
    drop(chol);

    // ν: the Gram product (γ_m ‖A‖_F²), the Cholesky, the LᵀL product and the eigensolver
    // (each ~k u ‖Ĝ‖₂ <= k u ‖A‖_F²), all doubled; plus the Schur complement the pivoted
    // Cholesky left (every diagonal below its stop threshold, so its norm is below their sum).
    let u = f64::EPSILON / 2.0;
    let stop = k as f64 * f64::EPSILON * max_diag;
    let nu = 2.0 * u * (m + 3 * k) as f64 * fro2 + (k - r) as f64 * stop;
    let lambda_1 = lambda[0];
    let rel = rule.rel_tol.unwrap_or(m as f64 * f64::EPSILON);
    let tol_hi = rel * (lambda_1 + nu).sqrt();
    let tol_lo = rel * (lambda_1 - nu).max(0.0).sqrt();
    // σ_i² lies in λ_i ± ν: count the values that certainly clear the tolerance; every other
    // one must certainly stay below it (the largest of them is the next one, sorted).
    let lower = |l: f64| (l - nu).max(0.0).sqrt();
    let rank = lambda
        .iter()
        .take_while(|&&l| lower(l) >= MARGIN * tol_hi)
        .count();
    if rank == 0 || tol_lo == 0.0 {
        return None;
    }
    let next_hi = lambda.get(rank).map_or(0.0, |&l| (l + nu).sqrt());
    if MARGIN * next_hi > tol_lo {
        return None;
    }
    let sigma_kept_lo = lower(lambda[rank - 1]);
    let report = |gap| RankReport {
        rank,
        nrows,
        ncols,
        tol: rel * lambda_1.sqrt(),
        kept_ratio: (lambda[rank - 1] / lambda_1).sqrt(),
        gap,
        method: RankMethod::Gram,
    };
    if rank == k {
        return Some(report(None));
    }
    // An upper bound on σ_(rank+1) and the gap bound it gives, if both clear their margins.
    let accept = |sigma_next_hi: f64| {
        let gap = sigma_kept_lo / sigma_next_hi.max(f64::MIN_POSITIVE);
        (MARGIN * sigma_next_hi <= tol_lo && gap >= MARGIN * rule.min_gap).then_some(gap)
    };
    if r == k {
        return accept(next_hi).map(|gap| report(Some(gap)));
    }
    let r22 = trailing_triangle(a, &perm.order, r, par);
    // ‖R22‖_F bounds ‖R22‖₂ for free; only when it is too loose is the exact norm computed.
    let gap = accept(next_hi.max(r22.norm_l2())).or_else(|| {
        let s22 = singular_values(r22.as_ref(), par).ok()?.first().copied()?;
        accept(next_hi.max(s22))
    })?;
    Some(report(Some(gap)))
}

/// The lower triangle of `AᵀA` (upper triangle zero).
fn gram_lower(a: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let k = a.ncols();
    let mut g = Mat::<f64>::zeros(k, k);
    matmul(
        g.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        a.transpose(),
        BlockStructure::Rectangular,
        a,
        BlockStructure::Rectangular,
        1.0,
        par,
    );
    g
}

/// The pivot order of a pivoted Cholesky and its rank (pivots above `k ε max diag`).
struct Pivots {
    order: Vec<usize>,
    rank: usize,
}

/// Pivoted Cholesky of the lower triangle of `g`, in place (`L` in the leading `rank` columns).
fn pivoted_cholesky(g: &mut Mat<f64>, par: Par) -> Option<Pivots> {
    let k = g.nrows();
    let params = piv_llt::PivLltParams::default();
    let mut order = vec![0usize; k];
    let mut inverse = vec![0usize; k];
    let mut buf = MemBuffer::new(piv_llt::cholesky_in_place_scratch::<usize, f64>(k, par, params));
    let (info, _) = piv_llt::cholesky_in_place(
        g.as_mut(),
        &mut order,
        &mut inverse,
        par,
        MemStack::new(&mut buf),
        params,
    )
    .ok()?;
    Some(Pivots {
        order,
        rank: info.rank,
    })
}

/// The eigenvalues of the symmetric matrix whose lower triangle is `g`, largest first.
fn sym_eigenvalues(g: MatRef<'_, f64>, par: Par) -> Option<Vec<f64>> {
    let n = g.nrows();
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    let req = evd::self_adjoint_evd_scratch::<f64>(n, ComputeEigenvectors::No, par, Default::default());
    let mut buf = MemBuffer::new(req);
    evd::self_adjoint_evd(
        g,
        s.as_mut(),
        None,
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .ok()?;
    let mut out: Vec<f64> = s.column_vector().iter().copied().collect();
    out.sort_by(|a, b| b.total_cmp(a));
    Some(out)
}

/// `R22` of the Householder QR of `A` with its columns in `order`: the part of the columns
/// after the first `r` that their span does not explain.
fn trailing_triangle(a: MatRef<'_, f64>, order: &[usize], r: usize, par: Par) -> Mat<f64> {
    let (m, k) = a.shape();
    let mut b = Mat::<f64>::zeros(m, k);
    for (j, &p) in order.iter().enumerate() {
        b.col_mut(j).copy_from(a.col(p));
    }
    let bs = qr::recommended_blocksize::<f64>(m, k);
    let mut householder = Mat::<f64>::zeros(bs, k);
    let mut buf = MemBuffer::new(qr::qr_in_place_scratch::<f64>(m, k, bs, par, Default::default()));
    qr::qr_in_place(
        b.as_mut(),
        householder.as_mut(),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    );
    Mat::from_fn(k - r, k - r, |i, j| if i <= j { b[(r + i, r + j)] } else { 0.0 })
}
