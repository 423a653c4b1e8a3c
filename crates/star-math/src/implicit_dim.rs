//! The implicit-dimension experiment: for every probe, the numerical rank of `[f_k(x_n)]` over
//! random members `f_k` of a family and sample points `x_n`, next to the paper's formula and the
//! exact count. The runner calls [`run`] with an [`ImplicitDimConfig`] and writes the
//! [`Record`]s as JSON.
//!
//! **Sampling.** Points have i.i.d. coordinates from the arcsine (Chebyshev) density on [-1, 1],
//! `x = cos(πu)`, which keeps polynomial evaluation matrices well conditioned up to high degree.
//! Member weights are i.i.d. N(0, 1/(d+1)). Everything is seeded per probe from `seed` and the
//! probe's description, so a probe's numbers do not depend on the other probes or thread count.
//!
//! **Size and saturation.** A probe of expected span `E` (the exact count, or for Case I with a
//! non-polynomial activation the paper's count `(d+2)(d+1)/2`) uses
//! `n = ceil(oversample * E) + extra` points and as many functions. Its rank is recomputed on the
//! leading `subset_fraction` block (fewer points and functions). The rank is *saturated* when the
//! two agree and lie strictly below the matrix size; it is *reliable* when it is saturated, the
//! singular values show a gap of at least `min_gap` at the rank, and the family's span is finite.

use std::hash::{Hash, Hasher};
use std::time::Instant;

use faer::{Mat, MatRef, Par};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::families::{Activation, Family, Probe, Scope};
use crate::rank::{RankMethod, RankReport, equilibrate, fast_rank};

mod config;
pub use config::{ConfigError, ImplicitDimConfig, ProbeSet, RunError};

/// One measurement. Serialised as one element of `results/implicit_dim/records.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// `"star"`, `"sum"`, `"case1"`, `"case2"` or `"case3"`.
    pub family: Family,
    pub d: usize,
    pub layers: usize,
    pub bias: bool,
    /// Case I only (`null` elsewhere).
    pub activation: Option<Activation>,
    /// `"channel"` or `"across"` (always `"channel"` outside Case II/III).
    pub scope: Scope,
    /// The numerical rank of the probe matrix. Kept even when `reliable` is false (then it is a
    /// lower bound or tolerance-dependent, see `note`); `null` only when nothing was measured
    /// (matrix above `max_side`, or the SVD failed).
    pub measured_rank: Option<usize>,
    /// The paper's count (`null` where the paper states none: the sum op).
    pub paper_formula: Option<f64>,
    /// The span's dimension derived by hand (`null`: infinite-dimensional). An `f64` so huge counts
    /// fit; exact below 2^53.
    pub exact_count: Option<f64>,
    /// Sample points (rows) and random members (columns) of the probe matrix.
    pub samples: usize,
    pub functions: usize,
    /// Rank of the leading `subset_fraction` block (the saturation re-check).
    pub subset_rank: Option<usize>,
    pub subset_samples: usize,
    pub subset_functions: usize,
    /// σ_r / σ_1 of the (equilibrated) probe matrix.
    pub kept_ratio: Option<f64>,
    /// σ_r / σ_{r+1}; `null` when the rank is the full matrix size. A lower bound where
    /// `rank_method` is `"gram"`.
    pub gap: Option<f64>,
    /// How the probe matrix's rank was computed: `"svd"` (singular values) or `"gram"` (the
    /// certified Gram route, same count); `null` when nothing was measured.
    #[serde(default)]
    pub rank_method: Option<RankMethod>,
    /// Real parameters of one member's network (the family's own dimension is at most this; its
    /// span is not bounded by it).
    pub params: usize,
    pub reliable: bool,
    /// Plain words: how the exact count is derived, how it compares, and why a number is unreliable.
    pub note: String,
    /// Wall-clock seconds of this probe.
    pub seconds: f64,
}

/// Measure every probe of `cfg`; `progress(done, total)` is called after each probe.
pub fn run(cfg: &ImplicitDimConfig, progress: &mut dyn FnMut(usize, usize)) -> Result<Vec<Record>, RunError> {
    cfg.validate()?;
    let probes: Vec<Probe> = cfg.probes.iter().flat_map(ProbeSet::probes).collect();
    let pool = match cfg.threads {
        0 => None,
        n => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|source| RunError::Threads { threads: n, source })?,
        ),
    };
    let total = probes.len();
    let mut records = Vec::with_capacity(total);
    for (i, p) in probes.iter().enumerate() {
        records.push(match &pool {
            Some(pool) => pool.install(|| measure(cfg, p)),
            None => measure(cfg, p),
        });
        progress(i + 1, total);
    }
    Ok(records)
}

/// The seed of one probe: from the base seed and the probe's description only.
fn probe_seed(base: u64, p: &Probe) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        base,
        p.family.name(),
        p.d,
        p.layers,
        p.bias,
        p.activation.map(Activation::name),
        p.scope == Scope::Across,
    )
        .hash(&mut h);
    h.finish()
}

/// The probe size: `ceil(oversample * E) + extra`.
pub fn probe_side(cfg: &ImplicitDimConfig, p: &Probe) -> f64 {
    let target = match p.exact_count() {
        Some(e) => e as f64,
        None => ((p.d + 2) * (p.d + 1) / 2) as f64,
    };
    (cfg.oversample * target).ceil() + cfg.extra as f64
}

/// `n` points with i.i.d. arcsine coordinates on [-1, 1].
pub fn sample_points(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(0);
    Array2::from_shape_fn((n, d), |_| (std::f64::consts::PI * rng.random::<f64>()).cos())
}

/// The rank benchmark's matrix (issue 3 §5, shared by the criterion bench and the timing
/// example): one star layer with bias at d = 64, 4000 points x 2145 members, equilibrated.
pub fn benchmark_matrix() -> Mat<f64> {
    let p = Probe {
        family: Family::Star,
        d: 64,
        layers: 1,
        bias: true,
        activation: None,
        scope: Scope::Channel,
    };
    let mut m = probe_matrix(&p, 4000, 2145, 42);
    equilibrate(&mut m);
    m
}

/// The `n x k` matrix `[f_j(x_i)]` (column-major: one column per member), filled in parallel.
pub fn probe_matrix(p: &Probe, n: usize, k: usize, seed: u64) -> Mat<f64> {
    let points = sample_points(n, p.d, seed);
    let mut data = vec![0.0f64; n * k];
    data.par_chunks_mut(n.max(1)).enumerate().for_each(|(j, col)| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(j as u64 + 1);
        let channel = match p.scope {
            Scope::Across => j % p.d,
            Scope::Channel => 0,
        };
        p.eval_member(&mut rng, points.view(), channel, col);
    });
    MatRef::from_column_major_slice(&data, n, k).to_owned()
}

fn rank_of(mut m: Mat<f64>, cfg: &ImplicitDimConfig) -> Option<RankReport> {
    equilibrate(&mut m);
    fast_rank(m.as_ref(), cfg.rule(), Par::rayon(0)).ok()
}

fn measure(cfg: &ImplicitDimConfig, p: &Probe) -> Record {
    let start = Instant::now();
    let exact = p.exact_count();
    let side = probe_side(cfg, p);
    let too_big = side > cfg.max_side as f64;
    let n = if too_big { 0 } else { side as usize };
    let n_sub = ((n as f64) * cfg.subset_fraction).round() as usize;
    let (main, sub) = if too_big {
        (None, None)
    } else {
        let seed = probe_seed(cfg.seed, p);
        let m = probe_matrix(p, n, n, seed);
        let s = m.as_ref().submatrix(0, 0, n_sub, n_sub).to_owned();
        (rank_of(m, cfg), rank_of(s, cfg))
    };
    let verdict = judge(cfg, p, main.as_ref(), sub.as_ref());
    let mut note = derivation(p);
    if too_big {
        note.push_str(&format!(
            " Not measured: the probe needs {side} points and functions, above max_side = {}.",
            cfg.max_side
        ));
    } else if let Some(m) = &main {
        note.push(' ');
        note.push_str(&verdict.sentence(p, m, sub.as_ref()));
    } else {
        note.push_str(" Not measured: the SVD did not converge.");
    }
    Record {
        family: p.family,
        d: p.d,
        layers: p.layers,
        bias: p.bias,
        activation: p.activation,
        scope: p.scope,
        measured_rank: main.as_ref().map(|m| m.rank),
        paper_formula: p.paper_formula(),
        exact_count: exact.map(|e| e as f64),
        samples: n,
        functions: n,
        subset_rank: sub.as_ref().map(|s| s.rank),
        subset_samples: n_sub,
        subset_functions: n_sub,
        kept_ratio: main.as_ref().map(|m| m.kept_ratio),
        gap: main.as_ref().and_then(|m| m.gap),
        rank_method: main.as_ref().map(|m| m.method),
        params: p.params(),
        reliable: verdict.reliable,
        note,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The reliability decision and its reasons.
struct Verdict {
    reliable: bool,
    reasons: Vec<String>,
}

fn judge(cfg: &ImplicitDimConfig, p: &Probe, main: Option<&RankReport>, sub: Option<&RankReport>) -> Verdict {
    let mut reasons = Vec::new();
    let (Some(m), Some(s)) = (main, sub) else {
        return Verdict {
            reliable: false,
            reasons: vec!["not measured".into()],
        };
    };
    if !m.has_null_space() {
        reasons.push(format!(
            "the rank {} equals the probe size {}: the span is at least this large and the probe did not saturate",
            m.rank,
            m.nrows.min(m.ncols)
        ));
    } else if s.rank != m.rank {
        reasons.push(format!(
            "the rank grew from {} ({}x{}) to {} ({}x{}): not saturated",
            s.rank, s.nrows, s.ncols, m.rank, m.nrows, m.ncols
        ));
    }
    if let Some(g) = m.gap
        && g < cfg.min_gap
    {
        reasons.push(format!(
            "no clear gap in the singular values (σ_r/σ_(r+1) = {g:.1e} < {:.0e}): the count depends on the tolerance",
            cfg.min_gap
        ));
    }
    if p.exact_count().is_none() {
        reasons.push(
            "the true span is infinite-dimensional, so any finite rank is a property of the probe and the tolerance"
                .into(),
        );
    }
    Verdict {
        reliable: reasons.is_empty(),
        reasons,
    }
}

impl Verdict {
    fn sentence(&self, p: &Probe, m: &RankReport, sub: Option<&RankReport>) -> String {
        let mut s = String::new();
        if self.reliable {
            match p.exact_count() {
                Some(e) if e == m.rank as u128 => s.push_str("Measured rank = exact count."),
                Some(e) => s.push_str(&format!(
                    "MEASURED RANK {} DIFFERS FROM THE EXACT COUNT {e}: the derivation above is wrong or the network does not reach the whole space.",
                    m.rank
                )),
                None => {}
            }
            if let Some(pf) = p.paper_formula() {
                let r = m.rank as f64;
                if (pf - r).abs() < 0.5 {
                    s.push_str(" The paper's formula gives the same number.");
                } else {
                    let (ratio, word) = if pf > r {
                        (pf / r, "above")
                    } else {
                        (r / pf, "below")
                    };
                    s.push_str(&format!(
                        " The paper's formula ({pf:.4}) is {word} the measured rank by a factor {ratio:.3}."
                    ));
                }
            }
        } else {
            s.push_str(&format!("UNRELIABLE (rank {} shown as measured", m.rank));
            if let Some(sr) = sub {
                s.push_str(&format!("; subset rank {}", sr.rank));
            }
            s.push_str("): ");
            s.push_str(&self.reasons.join("; "));
            s.push('.');
        }
        s
    }
}

/// How the exact count of `p` follows, in words.
pub fn derivation(p: &Probe) -> String {
    let d = p.d;
    let k = 1usize << p.layers.min(20);
    match (p.family, p.bias) {
        (Family::Star, true) if p.layers == 1 => format!(
            "Star, bias: all monomials of degree <= 2 in x, C(d+2,2) = (d+2)(d+1)/2 = {} (the paper's count).",
            (d + 2) * (d + 1) / 2
        ),
        (Family::Star, false) if p.layers == 1 => format!(
            "Star, no bias: only the quadratic forms x_i x_j, d(d+1)/2 = {}; the paper's (d+2)(d+1)/2 also counts the d+1 terms x_i and 1 that need the bias.",
            d * (d + 1) / 2
        ),
        (Family::Star, true) => format!(
            "{l} star layers, bias: polynomials of degree <= 2^l = {k} in d = {d} variables, C(d+{k},{k}); the paper's (d/√2)^(2^l) is an approximation of it, not a count.",
            l = p.layers
        ),
        (Family::Star, false) => format!(
            "{l} star layers, no bias: forms of degree exactly 2^l = {k} in d = {d} variables, C(d+{k}-1,{k}); the paper's (d/√2)^(2^l) is an approximation, not a count.",
            l = p.layers
        ),
        (Family::Sum, b) => format!(
            "Sum: affine in x at any depth ({}); the paper states no count for the sum op.",
            if b { "d+1 with bias" } else { "d without bias" }
        ),
        (Family::Case1, _) => match p.activation {
            Some(Activation::Square) => {
                "Case I with act(z) = z² (polynomial control): all cubics in (x, 1), C(d+3,3) with bias, more than the paper's star count.".into()
            }
            Some(a) => format!(
                "Case I with {}: not a polynomial, so the span of the family is infinite-dimensional; the paper's 'still about d²/2' (plotted as (d+2)(d+1)/2) is not a span dimension.",
                a.name()
            ),
            None => "Case I without an activation.".into(),
        },
        (Family::Case2, b) => match (p.scope, b) {
            (Scope::Channel, true) => "Case II, one channel, bias: x_c·x_j (d terms), x_j (d) and 1, so 2d+1: the paper's 'about 2d'.".into(),
            (Scope::Channel, false) => "Case II, one channel, no bias: only x_c·x_j, so d (half the paper's 2d).".into(),
            (Scope::Across, true) => "Case II across channels, bias: every x_i x_j, x_j and 1 appear, so C(d+2,2), the full star count, not 2d.".into(),
            (Scope::Across, false) => "Case II across channels, no bias: every x_i x_j, so d(d+1)/2, not 2d.".into(),
        },
        (Family::Case3, b) => match (p.scope, b) {
            (Scope::Channel, true) => "Case III, one channel, bias: x_c², x_c and 1, so 3.".into(),
            (Scope::Channel, false) => "Case III, one channel, no bias: every member is x_c², so 1.".into(),
            (Scope::Across, true) => "Case III across channels, bias: x_i², x_i and 1, so 2d+1.".into(),
            (Scope::Across, false) => "Case III across channels, no bias: {x_i²}, so d (the paper's count).".into(),
        },
    }
}
