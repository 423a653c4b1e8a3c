//! Stochastic depth (timm's `DropPath`): a residual branch is dropped for whole samples.

use tch::Tensor;

/// Zeroes whole samples (along dim 0) of a residual branch with probability `rate` and scales the
/// kept ones by `1 / (1 - rate)` (timm's `drop_path`, `scale_by_keep=True`). The identity when
/// `train` is false or `rate` is 0. Masks come from tch's global RNG.
pub fn drop_path(x: &Tensor, rate: f64, train: bool) -> Tensor {
    if !train || rate <= 0.0 {
        return x.shallow_clone();
    }
    let keep = 1.0 - rate;
    let mut shape = vec![1i64; x.dim()];
    shape[0] = x.size()[0];
    // As timm: scale the mask first, then multiply (`x * mask.div_(keep)`).
    let mask = Tensor::empty(&shape, (x.kind(), x.device())).bernoulli_float_(keep);
    x * (mask / keep)
}

/// The drop-path rate of each of `blocks` blocks: rising linearly from 0 to `max_rate` over all
/// blocks of the network (timm's `torch.linspace(0, drop_path_rate, sum(depths))`).
pub fn drop_path_rates(max_rate: f64, blocks: usize) -> Vec<f64> {
    (0..blocks)
        .map(|i| {
            if blocks > 1 {
                max_rate * i as f64 / (blocks - 1) as f64
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_whole_samples_and_keeps_the_mean() {
        tch::manual_seed(3);
        let x = Tensor::ones([4000, 3], tch::kind::FLOAT_CPU);
        let y = drop_path(&x, 0.25, true);
        let rows = Vec::<f32>::try_from(y.sum_dim_intlist(1, false, tch::Kind::Float)).unwrap();
        // Every row is either all 0 or all 1 / (1 - 0.25).
        assert!(rows.iter().all(|&r| r == 0.0 || (r - 4.0).abs() < 1e-5));
        let kept = rows.iter().filter(|&&r| r > 0.0).count() as f64 / 4000.0;
        assert!((kept - 0.75).abs() < 0.03, "kept {kept}");
    }

    #[test]
    fn is_the_identity_in_eval_mode_and_at_rate_zero() {
        let x = Tensor::randn([8, 2, 3], tch::kind::FLOAT_CPU);
        assert!(drop_path(&x, 0.25, false).equal(&x));
        assert!(drop_path(&x, 0.0, true).equal(&x));
    }

    #[test]
    fn rates_rise_linearly_from_zero() {
        assert_eq!(drop_path_rates(0.75, 4), [0.0, 0.25, 0.5, 0.75]);
        assert_eq!(drop_path_rates(0.75, 1), [0.0]);
        assert!(drop_path_rates(0.3, 0).is_empty());
    }
}
