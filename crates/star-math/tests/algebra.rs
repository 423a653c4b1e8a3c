//! The kernel view and the counts, checked against independent computations.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use star_math::implicit_dim::sample_points;
use star_math::kernel::Branches;
use star_math::monomials::{count_homogeneous, enumerate, feature_count, phi, phi2};
use star_math::rank::{RankRule, numerical_rank, rank_from_singular_values};

/// C(n, k) from Pascal's triangle: additions only, independent of the crate's product formula.
fn pascal(n: usize, k: usize) -> u128 {
    let mut row = vec![1u128];
    for _ in 0..n {
        let mut next = vec![1u128; row.len() + 1];
        for i in 1..row.len() {
            next[i] = row[i - 1] + row[i];
        }
        row = next;
    }
    row.get(k).copied().unwrap_or(0)
}

fn random_vec(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

fn random_branches(rng: &mut ChaCha8Rng, d: usize, bias: bool) -> Branches {
    let w1 = random_vec(rng, d);
    let w2 = random_vec(rng, d);
    let (b1, b2) = if bias {
        (
            Some(rng.random_range(-1.0..1.0)),
            Some(rng.random_range(-1.0..1.0)),
        )
    } else {
        (None, None)
    };
    Branches { w1, b1, w2, b2 }
}

#[test]
fn enumeration_matches_closed_form_and_pascal() {
    for n in 1..=6 {
        for k in 0..=5 {
            let listed = enumerate(n, k).len() as u128;
            assert_eq!(listed, pascal(n + k - 1, k), "n={n} k={k}");
            assert_eq!(count_homogeneous(n, k), Some(listed), "n={n} k={k}");
        }
    }
    // With the bias coordinate, degree-k monomials of (x, 1) = monomials of degree <= k in x.
    for d in 1..=5 {
        for k in 0..=4 {
            let at_most_k: u128 = (0..=k).map(|j| enumerate(d, j).len() as u128).sum();
            assert_eq!(feature_count(d, k, true), Some(at_most_k), "d={d} k={k}");
        }
    }
    // The paper's one-layer count.
    for d in 1..=10 {
        assert_eq!(phi2(&vec![0.5; d], true).len(), (d + 2) * (d + 1) / 2);
        assert_eq!(phi2(&vec![0.5; d], false).len(), d * (d + 1) / 2);
    }
}

#[test]
fn phi_evaluates_monomials() {
    // x = (2, 3) with bias: degree-2 monomials of (2, 3, 1) in lexicographic order.
    assert_eq!(phi2(&[2.0, 3.0], true), vec![4.0, 6.0, 2.0, 9.0, 3.0, 1.0]);
    assert_eq!(phi(&[2.0, 3.0], 3, false), vec![8.0, 12.0, 18.0, 27.0]);
}

#[test]
fn star_op_equals_alpha_dot_phi() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for d in [1, 2, 5, 17] {
        for bias in [true, false] {
            for _ in 0..20 {
                let br = random_branches(&mut rng, d, bias);
                let x: Vec<f64> = random_vec(&mut rng, d).iter().map(|v| 3.0 * v).collect();
                let direct = br.star(&x);
                let kernel: f64 = br.alpha().iter().zip(phi2(&x, bias)).map(|(a, p)| a * p).sum();
                let scale = br.first(&x).abs() * br.second(&x).abs() + 1.0;
                assert!(
                    (direct - kernel).abs() <= 1e-13 * scale,
                    "d={d} bias={bias}: {direct} vs {kernel}"
                );
            }
        }
    }
}

#[test]
fn sum_op_stays_in_the_affine_span() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let d = 4;
    let points = sample_points(40, d, 3);
    // Basis 1, x_1..x_d, then sum-op columns: the rank must stay d + 1.
    let br: Vec<Branches> = (0..5).map(|_| random_branches(&mut rng, d, true)).collect();
    let build = |extra: &dyn Fn(&[f64], usize) -> f64, k: usize| {
        faer::Mat::from_fn(points.nrows(), d + 1 + k, |i, j| {
            let x: Vec<f64> = points.row(i).to_vec();
            if j == 0 {
                1.0
            } else if j <= d {
                x[j - 1]
            } else {
                extra(&x, j - d - 1)
            }
        })
    };
    let with_sum = build(&|x, k| br[k].sum(x), br.len());
    let r = numerical_rank(with_sum.as_ref(), RankRule::default(), faer::Par::Seq).unwrap();
    assert_eq!(r.rank, d + 1);
    for (k, b) in br.iter().enumerate() {
        let x = points.row(k).to_vec();
        let affine: f64 = b
            .sum_affine()
            .iter()
            .zip(x.iter().chain([1.0].iter()))
            .map(|(c, v)| c * v)
            .sum();
        assert!((affine - b.sum(&x)).abs() < 1e-14);
    }
    // Control: star-op columns leave the affine span (so the check above can fail).
    let with_star = build(&|x, k| br[k].star(x), br.len());
    let r = numerical_rank(with_star.as_ref(), RankRule::default(), faer::Par::Seq).unwrap();
    assert_eq!(r.rank, d + 1 + br.len());
}

#[test]
fn monomial_basis_matrix_has_full_rank() {
    // The rank code on the explicit basis [φ_k(x_n)] must return the closed-form count.
    for (d, k, n) in [(3, 2, 30), (3, 4, 60), (2, 8, 80), (5, 3, 90)] {
        let points = sample_points(n, d, 7);
        let cols = pascal(d + k, k) as usize;
        let m = faer::Mat::from_fn(n, cols, |i, j| phi(&points.row(i).to_vec(), k, true)[j]);
        let r = numerical_rank(m.as_ref(), RankRule::default(), faer::Par::Seq).unwrap();
        assert_eq!(r.rank, cols, "d={d} k={k}");
    }
}

#[test]
fn alpha_vectors_span_the_whole_kernel_space() {
    // Kernel view, no sampling: the coefficient vectors of random members span every
    // degree-2 monomial of (x, 1) with bias, and every x_i x_j without.
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for d in [2, 3, 6] {
        for bias in [true, false] {
            let k = 3 * d * d + 10;
            let alphas: Vec<Vec<f64>> = (0..k)
                .map(|_| random_branches(&mut rng, d, bias).alpha())
                .collect();
            let m = faer::Mat::from_fn(k, alphas[0].len(), |i, j| alphas[i][j]);
            let r = numerical_rank(m.as_ref(), RankRule::default(), faer::Par::Seq).unwrap();
            let expected = if bias { pascal(d + 2, 2) } else { pascal(d + 1, 2) };
            assert_eq!(r.rank as u128, expected, "d={d} bias={bias}");
        }
    }
}

#[test]
fn rank_rule_counts_values_above_the_tolerance() {
    let sv = [1.0, 1e-3, 1e-9, 1e-20];
    let r = rank_from_singular_values(&sv, 10, 4, RankRule::default());
    assert_eq!(r.rank, 3);
    assert_eq!(r.gap, Some(1e-9 / 1e-20));
    assert!(r.has_null_space());
    // An explicit tolerance moves the cut.
    let r = rank_from_singular_values(
        &sv,
        10,
        4,
        RankRule {
            rel_tol: Some(1e-6),
            min_gap: 1e3,
        },
    );
    assert_eq!(r.rank, 2);
    // Full rank: no gap and no null space.
    let r = rank_from_singular_values(&[2.0, 1.0], 2, 2, RankRule::default());
    assert_eq!((r.rank, r.gap, r.has_null_space()), (2, None, false));
    // The zero matrix has rank 0.
    assert_eq!(
        rank_from_singular_values(&[0.0, 0.0], 2, 2, RankRule::default()).rank,
        0
    );
}

#[test]
fn singular_values_of_a_known_matrix() {
    // diag(3, 2, 0) rotated by a permutation: singular values 3, 2, 0.
    let m = faer::mat![[0.0, 2.0, 0.0], [0.0, 0.0, 0.0], [3.0, 0.0, 0.0]];
    let sv = star_math::rank::singular_values(m.as_ref(), faer::Par::Seq).unwrap();
    assert!(
        (sv[0] - 3.0).abs() < 1e-14 && (sv[1] - 2.0).abs() < 1e-14 && sv[2].abs() < 1e-14,
        "{sv:?}"
    );
    // Non-finite input is an error, not a panic.
    let bad = faer::mat![[f64::NAN, 1.0], [0.0, 1.0]];
    assert!(star_math::rank::singular_values(bad.as_ref(), faer::Par::Seq).is_err());
}
