//! Normalisation layers with PyTorch's defaults (eps 1e-5, momentum 0.1, weight 1, bias 0).

use std::borrow::Borrow;

use tch::nn;

/// `nn.LayerNorm(dim)` over the last dimension: variables `weight` (ones), then `bias` (zeros).
pub fn layer_norm<'a, P: Borrow<nn::Path<'a>>>(p: P, dim: i64) -> nn::LayerNorm {
    nn::layer_norm(p, vec![dim], nn::LayerNormConfig::default())
}

/// `nn.BatchNorm2d(channels)`: `weight` ones, `bias` zeros, running statistics, momentum 0.1.
pub fn batch_norm2d<'a, P: Borrow<nn::Path<'a>>>(p: P, channels: i64) -> nn::BatchNorm {
    let cfg = nn::BatchNormConfig {
        // tch's defaults draw the weight uniformly; PyTorch starts it at 1.
        ws_init: nn::Init::Const(1.0),
        bs_init: nn::Init::Const(0.0),
        ..Default::default()
    };
    nn::batch_norm2d(p, channels, cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::{Module, ModuleT};
    use tch::{Device, Kind, Tensor};

    #[test]
    fn layer_norm_normalises_the_last_dimension() {
        let vs = nn::VarStore::new(Device::Cpu);
        let ln = layer_norm(vs.root() / "norm", 4);
        assert_eq!(vs.variables()["norm.bias"].size(), [4]);
        let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 6.0, -1.0, -1.0, 1.0, 1.0]).view([2, 4]);
        let y = Vec::<f32>::try_from(ln.forward(&x).flatten(0, -1)).unwrap();
        // Row 1: mean 3, biased variance 3.5; row 2: mean 0, variance 1 (eps 1e-5).
        let s = 3.5f32.sqrt();
        let want = [-2.0 / s, -1.0 / s, 0.0, 3.0 / s, -1.0, -1.0, 1.0, 1.0];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-4, "{y:?}");
        }
    }

    #[test]
    fn batch_norm_starts_as_pytorchs() {
        let vs = nn::VarStore::new(Device::Cpu);
        let bn = batch_norm2d(vs.root(), 2);
        assert!(
            bn.ws
                .as_ref()
                .unwrap()
                .equal(&Tensor::ones([2], (Kind::Float, Device::Cpu)))
        );
        // One train step moves the running mean 10% of the way to the batch mean.
        let x = Tensor::full([4, 2, 3, 3], 5.0, (Kind::Float, Device::Cpu));
        let _ = bn.forward_t(&x, true);
        let m = Vec::<f32>::try_from(&bn.running_mean).unwrap();
        assert!(m.iter().all(|v| (v - 0.5).abs() < 1e-6), "{m:?}");
    }
}
