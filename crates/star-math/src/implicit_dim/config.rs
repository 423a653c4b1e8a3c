//! What an implicit-dimension run measures: the probe list ([`ProbeSet`]) and the run's knobs
//! ([`ImplicitDimConfig`]), with their checks.

use serde::{Deserialize, Serialize};

use crate::families::{Activation, Family, Probe, Scope};
use crate::rank::RankRule;

/// One group of probes: the cross product of its lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSet {
    /// Required: `"star"`, `"sum"`, `"case1"`, `"case2"` or `"case3"`.
    pub family: Family,
    /// Input dimensions (= layer width). Default `[2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]`.
    #[serde(default = "default_d")]
    pub d: Vec<usize>,
    /// Numbers of stacked layers (star and sum only; the cases take `[1]`). Default `[1]`.
    #[serde(default = "default_layers")]
    pub layers: Vec<usize>,
    /// With bias on both branches, without, or both. Default `[true, false]`.
    #[serde(default = "default_bias")]
    pub bias: Vec<bool>,
    /// Case I activations (ignored by the other families). Default `["relu", "gelu", "tanh", "square"]`.
    #[serde(default = "default_activations")]
    pub activations: Vec<Activation>,
    /// Case II/III scopes (ignored by the other families). Default `["channel", "across"]`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<Scope>,
}

fn default_d() -> Vec<usize> {
    vec![2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]
}
fn default_layers() -> Vec<usize> {
    vec![1]
}
fn default_bias() -> Vec<bool> {
    vec![true, false]
}
fn default_activations() -> Vec<Activation> {
    vec![
        Activation::Relu,
        Activation::Gelu,
        Activation::Tanh,
        Activation::Square,
    ]
}
fn default_scopes() -> Vec<Scope> {
    vec![Scope::Channel, Scope::Across]
}

impl ProbeSet {
    /// A set for `family` with every list at its default.
    pub fn new(family: Family) -> Self {
        Self {
            family,
            d: default_d(),
            layers: default_layers(),
            bias: default_bias(),
            activations: default_activations(),
            scopes: default_scopes(),
        }
    }

    /// The probes of this set, in a fixed order (d outermost).
    pub fn probes(&self) -> Vec<Probe> {
        let acts: Vec<Option<Activation>> = match self.family {
            Family::Case1 => self.activations.iter().copied().map(Some).collect(),
            _ => vec![None],
        };
        let scopes: Vec<Scope> = match self.family {
            Family::Case2 | Family::Case3 => self.scopes.clone(),
            _ => vec![Scope::Channel],
        };
        let mut out = Vec::new();
        for &d in &self.d {
            for &layers in &self.layers {
                for &bias in &self.bias {
                    for &activation in &acts {
                        for &scope in &scopes {
                            out.push(Probe {
                                family: self.family,
                                d,
                                layers,
                                bias,
                                activation,
                                scope,
                            });
                        }
                    }
                }
            }
        }
        out
    }
}

/// Everything the implicit-dimension experiment needs. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImplicitDimConfig {
    /// Base seed of points and members. Default 0.
    pub seed: u64,
    /// What to measure. Default: [`ImplicitDimConfig::default_probes`].
    pub probes: Vec<ProbeSet>,
    /// Points and functions per probe = `ceil(oversample * E) + extra`. Default 1.5.
    pub oversample: f64,
    /// Default 16.
    pub extra: usize,
    /// The saturation re-check uses the leading `subset_fraction` of points and functions. Default 0.75.
    pub subset_fraction: f64,
    /// Probes that would need more points (or functions) than this are skipped and reported as
    /// not measured. Default 4000.
    pub max_side: usize,
    /// Relative rank tolerance; absent = `max(rows, cols) * f64::EPSILON` (numpy's rule). Default absent.
    pub rel_tol: Option<f64>,
    /// Smallest gap `σ_r / σ_{r+1}` for a reliable rank. Default 1000.
    pub min_gap: f64,
    /// Threads for filling and SVD; 0 = rayon's default (`RAYON_NUM_THREADS` or all cores). Default 0.
    pub threads: usize,
}

impl Default for ImplicitDimConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            probes: Self::default_probes(),
            oversample: 1.5,
            extra: 16,
            subset_fraction: 0.75,
            max_side: 4000,
            rel_tol: None,
            min_gap: 1e3,
            threads: 0,
        }
    }
}

impl ImplicitDimConfig {
    /// One layer for d = 2..64 (star, sum, Case I-III) and the stacked star/sum nets that fit.
    pub fn default_probes() -> Vec<ProbeSet> {
        let small = |d: &[usize]| d.to_vec();
        vec![
            ProbeSet::new(Family::Star),
            ProbeSet::new(Family::Sum),
            ProbeSet {
                d: small(&[2, 3, 4, 6, 8, 12, 16, 24, 32]),
                bias: vec![true],
                ..ProbeSet::new(Family::Case1)
            },
            ProbeSet::new(Family::Case2),
            ProbeSet::new(Family::Case3),
            ProbeSet {
                d: small(&[2, 3, 4, 6, 8, 12]),
                layers: vec![2],
                ..ProbeSet::new(Family::Star)
            },
            ProbeSet {
                d: small(&[2, 3, 4]),
                layers: vec![3],
                ..ProbeSet::new(Family::Star)
            },
            ProbeSet {
                d: small(&[2, 3]),
                layers: vec![4],
                ..ProbeSet::new(Family::Star)
            },
            ProbeSet {
                d: small(&[2, 3, 4, 8]),
                layers: vec![2, 3, 4],
                ..ProbeSet::new(Family::Sum)
            },
        ]
    }

    /// Check every field; the error names the field and the problem.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: String, problem: &str| {
            Err(ConfigError {
                field,
                problem: problem.to_string(),
            })
        };
        if !(self.oversample.is_finite() && self.oversample >= 1.0) {
            return bad(
                "oversample".into(),
                "must be a finite number >= 1 (the probe must exceed the span)",
            );
        }
        if !(self.subset_fraction > 0.0 && self.subset_fraction < 1.0) {
            return bad("subset_fraction".into(), "must lie strictly between 0 and 1");
        }
        if self.oversample * self.subset_fraction <= 1.0 {
            return bad(
                "subset_fraction".into(),
                "times oversample must exceed 1, or the saturation re-check is smaller than the span",
            );
        }
        if self.max_side == 0 {
            return bad("max_side".into(), "must be at least 1");
        }
        if let Some(t) = self.rel_tol
            && !(t > 0.0 && t < 1.0)
        {
            return bad("rel_tol".into(), "must lie strictly between 0 and 1");
        }
        if !(self.min_gap.is_finite() && self.min_gap >= 1.0) {
            return bad("min_gap".into(), "must be a finite number >= 1");
        }
        if self.probes.is_empty() {
            return bad("probes".into(), "is empty: nothing to measure");
        }
        for (i, set) in self.probes.iter().enumerate() {
            let f = |name: &str| format!("probes[{i}].{name}");
            if set.d.is_empty() || set.d.contains(&0) {
                return bad(f("d"), "must be a non-empty list of dimensions >= 1");
            }
            if set.layers.is_empty() || set.layers.iter().any(|&l| l == 0 || l > 6) {
                return bad(f("layers"), "must be a non-empty list of layer counts in 1..=6");
            }
            if !matches!(set.family, Family::Star | Family::Sum) && set.layers != [1] {
                return bad(f("layers"), "only star and sum stack layers; the cases take [1]");
            }
            if set.bias.is_empty() {
                return bad(f("bias"), "must list at least one of true, false");
            }
            if set.family == Family::Case1 && set.activations.is_empty() {
                return bad(f("activations"), "case1 needs at least one activation");
            }
            if matches!(set.family, Family::Case2 | Family::Case3) && set.scopes.is_empty() {
                return bad(f("scopes"), "case2/case3 need at least one scope");
            }
        }
        Ok(())
    }

    /// The rank rule every probe is measured with (`rel_tol`, `min_gap`).
    pub fn rule(&self) -> RankRule {
        RankRule {
            rel_tol: self.rel_tol,
            min_gap: self.min_gap,
        }
    }
}

/// A config field with a bad value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("implicit_dim config: field `{field}` {problem}")]
pub struct ConfigError {
    pub field: String,
    pub problem: String,
}

/// Why [`run`] failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("implicit_dim: could not start a rayon pool of {threads} threads: {source}")]
    Threads {
        threads: usize,
        source: rayon::ThreadPoolBuildError,
    },
}
