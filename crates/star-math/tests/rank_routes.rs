//! The certified Gram route against the SVD rule: the same count wherever it answers, and no
//! answer (so `fast_rank` falls back to the SVD) where squaring hides what the rule counts.

use faer::{Mat, Par};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use star_math::implicit_dim::{probe_matrix, probe_side};
use star_math::rank::{
    GRAM_MIN_SIDE, MARGIN, RankMethod, RankReport, RankRule, certified_gram_rank, equilibrate, fast_rank,
    numerical_rank,
};
use star_math::{Family, ImplicitDimConfig, Probe, Scope};

/// `m x n` with exactly the singular values `sigma` (the rest zero, up to rounding):
/// `U diag(σ) Vᵀ` with random orthonormal `U`, `V`.
fn with_singular_values(m: usize, n: usize, sigma: &[f64], seed: u64) -> Mat<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let k = sigma.len();
    let mut gaussian = |rows: usize| {
        Mat::<f64>::from_fn(rows, k, |_, _| StandardNormal.sample(&mut rng))
            .qr()
            .compute_thin_Q()
    };
    let (u, v) = (gaussian(m), gaussian(n));
    let us = Mat::<f64>::from_fn(m, k, |i, j| u[(i, j)] * sigma[j]);
    &us * v.transpose()
}

/// `count` values spread geometrically from 1 down to `smallest`.
fn spread(count: usize, smallest: f64) -> Vec<f64> {
    (0..count)
        .map(|i| smallest.powf(i as f64 / (count - 1) as f64))
        .collect()
}

fn svd(a: &Mat<f64>, rule: RankRule) -> RankReport {
    numerical_rank(a.as_ref(), rule, Par::Seq).expect("finite input")
}

fn gram(a: &Mat<f64>, rule: RankRule) -> Option<RankReport> {
    certified_gram_rank(a.as_ref(), rule, Par::Seq)
}

/// Where the Gram route answers, it must agree with the SVD on everything the rule decides.
fn assert_agrees(g: &RankReport, s: &RankReport, rule: RankRule, what: &str) {
    assert_eq!(g.method, RankMethod::Gram, "{what}");
    assert_eq!(g.rank, s.rank, "{what}: rank");
    let trusted = |r: &RankReport| r.gap.is_none_or(|x| x >= rule.min_gap);
    assert_eq!(
        trusted(g),
        trusted(s),
        "{what}: gap flag ({:?} vs {:?})",
        g.gap,
        s.gap
    );
    assert_eq!(g.gap.is_some(), s.gap.is_some(), "{what}: null space");
    assert!(
        (g.kept_ratio / s.kept_ratio - 1.0).abs() < 1e-6,
        "{what}: kept ratio {} vs {}",
        g.kept_ratio,
        s.kept_ratio
    );
}

#[test]
fn a_clear_gap_is_certified_with_the_svd_count() {
    let rule = RankRule::default();
    let mut sigma = spread(200, 1e-3);
    // Tall, wide, and one value far below the others but far above the tolerance (8e-14 here).
    for (m, n, extra) in [(400, 300, None), (300, 400, None), (400, 300, Some(1e-5))] {
        sigma.truncate(200);
        sigma.extend(extra);
        let a = with_singular_values(m, n, &sigma, 1);
        let s = svd(&a, rule);
        assert_eq!(s.rank, sigma.len(), "the matrix is built with this rank");
        let g = gram(&a, rule).expect("clear gap: the Gram route answers");
        assert_agrees(&g, &s, rule, &format!("{m}x{n}, extra {extra:?}"));
        assert!(g.gap.expect("null space") >= MARGIN * rule.min_gap);
    }
}

#[test]
fn full_rank_is_certified_down_to_the_gram_resolution() {
    let rule = RankRule::default();
    let a = with_singular_values(350, 300, &spread(300, 1e-4), 2);
    let g = gram(&a, rule).expect("σ_min = 1e-4 is resolved by the Gram matrix");
    assert_agrees(&g, &svd(&a, rule), rule, "full rank");
    assert_eq!((g.rank, g.gap), (300, None));
    // σ_min = 1e-8: σ² = 1e-16 drowns in the Gram matrix's rounding; the rule still counts it.
    let a = with_singular_values(350, 300, &spread(300, 1e-8), 2);
    assert!(gram(&a, rule).is_none(), "must not guess below its resolution");
    let f = fast_rank(a.as_ref(), rule, Par::Seq).unwrap();
    assert_eq!((f.rank, f.method), (300, RankMethod::Svd));
}

#[test]
fn a_singular_value_hidden_from_the_gram_matrix_is_still_counted() {
    // The SVD rule's tolerance is max(m, n) ε σ_1 ≈ 8.9e-14; the Gram matrix cannot resolve
    // anything below ~1e-6. A value in between is counted by the rule, and a Gram-only count
    // would miss it: the route must decline, and fast_rank must count it through the SVD.
    let rule = RankRule::default();
    let tol = 400.0 * f64::EPSILON;
    for hidden in [1e-8, 1e-11, 3.0 * tol, tol / 3.0] {
        let mut sigma = spread(200, 1e-2);
        sigma.push(hidden);
        let a = with_singular_values(400, 300, &sigma, 3);
        let s = svd(&a, rule);
        let expected = if hidden > tol { 201 } else { 200 };
        assert_eq!(s.rank, expected, "σ = {hidden:e}: the SVD rule");
        assert!(
            gram(&a, rule).is_none(),
            "σ = {hidden:e} is within the route's blind band"
        );
        let f = fast_rank(a.as_ref(), rule, Par::Seq).unwrap();
        assert_eq!((f.rank, f.method), (expected, RankMethod::Svd), "σ = {hidden:e}");
    }
}

#[test]
fn a_looser_tolerance_is_certified_too() {
    // rel_tol = 1e-6: 50 values at 1e-9 are dropped by the rule, and the QR residual proves it.
    let rule = RankRule {
        rel_tol: Some(1e-6),
        min_gap: 1e3,
    };
    let mut sigma = spread(150, 1e-2);
    sigma.extend([1e-9; 50]);
    let a = with_singular_values(400, 300, &sigma, 4);
    let s = svd(&a, rule);
    assert_eq!(s.rank, 150);
    assert_agrees(&gram(&a, rule).expect("certified"), &s, rule, "rel_tol 1e-6");
}

#[test]
fn gram_route_matches_the_svd_on_star_and_sum_probes() {
    // The experiment's own matrices, equilibrated as it does; sized as the config sizes them, but
    // at least GRAM_MIN_SIDE (below it fast_rank takes the SVD, and the rule's max(m, n) ε
    // tolerance comes within MARGIN of the QR's rounding, so the route rightly declines).
    let cfg = ImplicitDimConfig::default();
    let rule = RankRule::default();
    let probe = |family, d, layers, bias, scope| Probe {
        family,
        d,
        layers,
        bias,
        activation: None,
        scope,
    };
    let probes = [
        probe(Family::Star, 24, 1, true, Scope::Channel),
        probe(Family::Star, 24, 1, false, Scope::Channel),
        probe(Family::Star, 8, 2, true, Scope::Channel),
        probe(Family::Star, 3, 3, true, Scope::Channel),
        probe(Family::Case2, 16, 1, true, Scope::Across),
        probe(Family::Sum, 64, 1, true, Scope::Channel),
        probe(Family::Sum, 8, 3, false, Scope::Channel),
    ];
    for (i, p) in probes.iter().enumerate() {
        let n = (probe_side(&cfg, p) as usize).max(GRAM_MIN_SIDE + 50);
        for (seed, rows) in [(10 + i as u64, n), (20 + i as u64, n * 3 / 4)] {
            let mut a = probe_matrix(p, rows, n, seed);
            equilibrate(&mut a);
            let what = format!(
                "{:?} d={} l={} bias={} {rows}x{n}",
                p.family, p.d, p.layers, p.bias
            );
            let g = gram(&a, rule).unwrap_or_else(|| panic!("{what}: the Gram route declined"));
            assert_agrees(&g, &svd(&a, rule), rule, &what);
            assert_eq!(Some(g.rank as u128), p.exact_count(), "{what}: the hand count");
        }
    }
}

#[test]
fn fast_rank_takes_the_svd_below_the_size_threshold_and_on_bad_input() {
    let rule = RankRule::default();
    let small = with_singular_values(GRAM_MIN_SIDE - 1, GRAM_MIN_SIDE + 10, &spread(100, 1e-3), 5);
    let f = fast_rank(small.as_ref(), rule, Par::Seq).unwrap();
    assert_eq!((f.rank, f.method), (100, RankMethod::Svd));
    assert_eq!(f, svd(&small, rule), "small matrices keep the SVD's exact report");
    let large = with_singular_values(GRAM_MIN_SIDE, GRAM_MIN_SIDE, &spread(100, 1e-3), 5);
    let f = fast_rank(large.as_ref(), rule, Par::Seq).unwrap();
    assert_eq!((f.rank, f.method), (100, RankMethod::Gram));
    // The zero matrix has rank 0; non-finite input is the SVD's error, not a panic.
    let zero = Mat::<f64>::zeros(300, 300);
    assert_eq!(fast_rank(zero.as_ref(), rule, Par::Seq).unwrap().rank, 0);
    let mut bad = large.clone();
    bad[(3, 4)] = f64::NAN;
    assert!(gram(&bad, rule).is_none());
    assert!(fast_rank(bad.as_ref(), rule, Par::Seq).is_err());
}
