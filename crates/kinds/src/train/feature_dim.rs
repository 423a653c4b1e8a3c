//! The effective dimension of a trained DemoNet's hidden features (issue 26, item 4): per block,
//! the features after the star or sum and before the 3d -> d projection, on up to 2,000 test
//! inputs (`FEATURE_INPUTS`, evenly strided over the test split), every token one sample, with the
//! weights the run ends with (the train kind measures after the last epoch, not at the epoch
//! selected on validation). Of their covariance
//! spectrum (eigenvalues l_1 >= l_2 ...) the record keeps, each as a percentage of the 3d features
//! there are (a fraction in percent, so that summary tables show it with two decimals):
//! - the participation ratio (sum l)^2 / sum l^2, between 1 (one direction) and 3d (all equal);
//! - the numerical rank: eigenvalues above [`RANK_TOL`] times the largest.
//!
//! This is the dimension the trained features use, at most 3d; it is not the implicit dimension
//! star-math counts ((d+1)(d+2)/2 at width d: the functions a layer can reach).

use std::collections::BTreeMap;

use tch::{Kind, Tensor};
use training::data::{LoaderConfig, Split};

/// Relative tolerance of the numerical rank on covariance eigenvalues (1e-3 on singular values).
pub const RANK_TOL: f64 = 1e-6;

/// Running sums of one block's features, in float64: count, sum and sum of outer products.
struct Moments {
    n: f64,
    sum: Tensor,
    outer: Tensor,
}

impl Moments {
    fn add(&mut self, features: &Tensor) {
        let f = features.flatten(0, -2).to_kind(Kind::Double);
        self.n += f.size()[0] as f64;
        self.sum += f.sum_dim_intlist(&[0i64][..], false, Kind::Double);
        self.outer += f.transpose(0, 1).matmul(&f);
    }

    /// (participation ratio, numerical rank), both in percent of the feature count.
    fn dimension(&self) -> (f64, f64) {
        let mean = &self.sum / self.n;
        let cov = (&self.outer - self.n * mean.outer(&mean)) / (self.n - 1.0).max(1.0);
        // A diverged run's features are not finite: no spectrum, and NaN says so.
        let Ok(eig) = cov.f_linalg_eigvalsh("L") else {
            return (f64::NAN, f64::NAN);
        };
        let eig = Vec::<f64>::try_from(eig.clamp_min(0.0).to_device(tch::Device::Cpu)).unwrap_or_default();
        let total: f64 = eig.iter().sum();
        let squares: f64 = eig.iter().map(|l| l * l).sum();
        let width = eig.len().max(1) as f64;
        let largest = eig.iter().cloned().fold(0.0, f64::max);
        if largest <= 0.0 {
            return (0.0, 0.0);
        }
        let rank = eig.iter().filter(|&&l| l > RANK_TOL * largest).count() as f64;
        (100.0 * total * total / squares / width, 100.0 * rank / width)
    }
}

/// `feat_pr_pct_block<i>` and `feat_rank_pct_block<i>` for each block, and their means over the
/// blocks (`feat_pr_pct`, `feat_rank_pct`), from `features` (one tensor per block, features last) on every batch
/// of `split` as `loader` prepares it. Empty when `features` gives `None` (a model without
/// DemoNet blocks): then no batch is read past the first.
pub fn feature_dimensions(
    features: &dyn Fn(&Tensor) -> Option<Vec<Tensor>>,
    split: &Split,
    loader: &LoaderConfig,
) -> BTreeMap<String, f64> {
    let mut blocks: Vec<Moments> = Vec::new();
    tch::no_grad(|| {
        for (x, _) in split.batches(0, loader) {
            let Some(per_block) = features(&x) else {
                return;
            };
            for (i, f) in per_block.iter().enumerate() {
                if blocks.len() == i {
                    let c = *f.size().last().unwrap_or(&0);
                    let zeros = |dims: &[i64]| Tensor::zeros(dims, (Kind::Double, f.device()));
                    blocks.push(Moments {
                        n: 0.0,
                        sum: zeros(&[c]),
                        outer: zeros(&[c, c]),
                    });
                }
                blocks[i].add(f);
            }
        }
    });
    let mut out = BTreeMap::new();
    let dims: Vec<(f64, f64)> = blocks.iter().map(Moments::dimension).collect();
    for (i, (pr, rank)) in dims.iter().enumerate() {
        out.insert(format!("feat_pr_pct_block{i}"), *pr);
        out.insert(format!("feat_rank_pct_block{i}"), *rank);
    }
    if !dims.is_empty() {
        let n = dims.len() as f64;
        out.insert(
            "feat_pr_pct".to_string(),
            dims.iter().map(|d| d.0).sum::<f64>() / n,
        );
        out.insert(
            "feat_rank_pct".to_string(),
            dims.iter().map(|d| d.1).sum::<f64>() / n,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(x: Tensor) -> Split {
        let n = x.size()[0];
        Split {
            x,
            y: Tensor::zeros([n], (Kind::Int64, tch::Device::Cpu)),
            num_classes: 1,
        }
    }

    #[test]
    fn known_spectra_give_their_participation_ratio_and_rank() {
        tch::manual_seed(0);
        // Features in 6 dimensions: 2 independent directions with variances 4 and 1, the rest 0.
        // PR = (4 + 1)^2 / (16 + 1) = 25 / 17 of 6; rank 2 of 6.
        let z = Tensor::randn([20_000, 2], (Kind::Float, tch::Device::Cpu));
        let scale = Tensor::from_slice(&[2.0f32, 1.0]);
        let basis = Tensor::from_slice(&[1.0f32, 0., 0., 0., 0., 0., 0., 0., 0., 0., 1., 0.]).view([2, 6]);
        let features = (z * scale).matmul(&basis) + 3.0;
        let loader = LoaderConfig {
            batch_size: 3000,
            shuffle: false,
            ..LoaderConfig::default()
        };
        // Two "blocks": the features themselves and, as tokens (B x 2 x 3), a reshaped copy.
        let two = |x: &Tensor| Some(vec![x.shallow_clone(), x.view([-1, 2, 3])]);
        let d = feature_dimensions(&two, &split(features), &loader);
        let pr = d["feat_pr_pct_block0"] / 100.0 * 6.0;
        assert!((pr - 25.0 / 17.0).abs() < 0.05, "participation ratio {pr}");
        assert_eq!(d["feat_rank_pct_block0"], 100.0 * 2.0 / 6.0);
        // As 3-feature tokens: directions 0 and 4 land on token channels 0 and 1: PR 25/17 of 3.
        assert!(
            (d["feat_pr_pct_block1"] / 100.0 * 3.0 - 25.0 / 17.0).abs() < 0.05,
            "{d:?}"
        );
        assert_eq!(d["feat_rank_pct_block1"], 100.0 * 2.0 / 3.0);
        assert_eq!(d["feat_rank_pct"], (100.0 * 2.0 / 6.0 + 100.0 * 2.0 / 3.0) / 2.0);
    }

    #[test]
    fn a_model_without_blocks_gives_nothing() {
        let x = Tensor::zeros([10, 3], (Kind::Float, tch::Device::Cpu));
        let d = feature_dimensions(&|_: &Tensor| None, &split(x), &LoaderConfig::default());
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn isotropic_features_use_every_dimension() {
        tch::manual_seed(1);
        let x = Tensor::randn([50_000, 4], (Kind::Float, tch::Device::Cpu));
        let loader = LoaderConfig {
            batch_size: 10_000,
            shuffle: false,
            ..LoaderConfig::default()
        };
        let d = feature_dimensions(&|x: &Tensor| Some(vec![x.shallow_clone()]), &split(x), &loader);
        assert!(d["feat_pr_pct_block0"] > 99.0, "{d:?}");
        assert_eq!(d["feat_rank_pct_block0"], 100.0);
    }
}
