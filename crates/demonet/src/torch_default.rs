//! `nn.Linear` and `nn.Conv1d` as PyTorch initialises them when a model leaves them alone, as the
//! MNIST-1D anchors do: weight, then bias, each U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
//! (tch's own `nn::linear` draws the bias first and its weight with a ReLU gain, and its
//! `nn::conv1d` starts the bias at zero.)

use std::borrow::Borrow;

use tch::{Tensor, nn};

use layers::fan_in_uniform;

/// A linear layer `in_dim -> out_dim` with variables `weight`, then `bias`, directly under `p`.
pub fn linear<'a, P: Borrow<nn::Path<'a>>>(p: P, in_dim: i64, out_dim: i64) -> nn::Linear {
    let p = p.borrow();
    let ws = fan_in_uniform(p, "weight", &[out_dim, in_dim], in_dim);
    let bs = fan_in_uniform(p, "bias", &[out_dim], in_dim);
    nn::Linear { ws, bs: Some(bs) }
}

/// A 1-D convolution `c_in -> c_out` (kernel `kernel`, zero padding), with bias.
#[derive(Debug)]
pub struct Conv1d {
    pub weight: Tensor,
    pub bias: Tensor,
    pub stride: i64,
    pub padding: i64,
}

impl Conv1d {
    /// Variables `weight` (`c_out x c_in x kernel`), then `bias`, directly under `p`.
    pub fn new<'a, P: Borrow<nn::Path<'a>>>(
        p: P,
        c_in: i64,
        c_out: i64,
        kernel: i64,
        stride: i64,
        padding: i64,
    ) -> Conv1d {
        let p = p.borrow();
        let fan_in = c_in * kernel;
        Conv1d {
            weight: fan_in_uniform(p, "weight", &[c_out, c_in, kernel], fan_in),
            bias: fan_in_uniform(p, "bias", &[c_out], fan_in),
            stride,
            padding,
        }
    }

    /// The output length for an input of length `len` (PyTorch's formula), if any is left.
    pub fn out_len(&self, len: i64) -> Option<i64> {
        let kernel = self.weight.size()[2];
        let span = len + 2 * self.padding - kernel;
        (span >= 0).then(|| span / self.stride + 1)
    }
}

impl nn::Module for Conv1d {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.conv1d(
            &self.weight,
            Some(&self.bias),
            [self.stride],
            [self.padding],
            [1],
            1,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind, nn::Module};

    fn max_abs(t: &Tensor) -> f64 {
        t.abs().max().double_value(&[])
    }

    #[test]
    fn weights_and_biases_follow_pytorchs_default_bounds() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let l = linear(vs.root() / "l", 400, 300);
        let c = Conv1d::new(vs.root() / "c", 25, 25, 3, 2, 1);
        // bound = 1/sqrt(fan_in): 1/20 for the linear, 1/sqrt(75) for the conv; U(-b, b) has std b/sqrt(3).
        for (w, b, bound) in [
            (&l.ws, l.bs.as_ref().unwrap(), 1.0 / 20.0),
            (&c.weight, &c.bias, 1.0 / 75f64.sqrt()),
        ] {
            assert!(max_abs(w) <= bound && max_abs(b) <= bound);
            assert!(max_abs(w) > 0.95 * bound, "uses the whole range");
            let std = w.std(true).double_value(&[]);
            assert!((std / (bound / 3f64.sqrt()) - 1.0).abs() < 0.05, "std {std}");
        }
        // Creation order is PyTorch's: weight, then bias.
        let sizes: Vec<Vec<i64>> = vs.trainable_variables().iter().map(|t| t.size()).collect();
        assert_eq!(sizes, [vec![300, 400], vec![300], vec![25, 25, 3], vec![25]]);
    }

    #[test]
    fn conv1d_strides_pads_and_adds_its_bias() {
        let vs = nn::VarStore::new(Device::Cpu);
        let mut c = Conv1d::new(vs.root(), 1, 1, 3, 2, 1);
        tch::no_grad(|| {
            c.weight
                .copy_(&Tensor::from_slice(&[1.0f32, 1.0, 1.0]).view([1, 1, 3]));
            let _ = c.bias.fill_(0.5);
        });
        // x = 1..5 padded by one zero each side: windows at 0, 2, 4 -> (0+1+2), (2+3+4), (4+5+0).
        let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0, 5.0]).view([1, 1, 5]);
        let y = c.forward(&x);
        assert_eq!(Vec::<f32>::try_from(y.flatten(0, -1)).unwrap(), [3.5, 9.5, 9.5]);
        assert_eq!(c.out_len(5), Some(3));
        assert_eq!(c.out_len(0), None, "kernel 3 does not fit 0 + 2 padding");
        assert_eq!(y.kind(), Kind::Float);
    }
}
