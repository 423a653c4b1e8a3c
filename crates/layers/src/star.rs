//! The star operation and its relatives: how the two halves of a block's expansion are merged.
//!
//! A block computes `x1, x2 = split(Linear(x))` and merges them with a [`Mode`] and an [`Act`]:
//! `sum` = act(x1) + x2 (the baseline), `star` = act(x1) * x2 (the paper's operation),
//! `star_both` = act(x1) * act(x2) and `star_after` = act(x1 * x2) (the paper's Table 9 placements).
//! Shared by DemoNet (image and 2-D) and StarNet.
//!
//! [`Act::Square`] and [`Act::Relu2`] are the polynomial-degree control: `sum` with `square` is
//! x1² + x2, of the same degree 2 as `star` without activation (x1 · x2) but with no product of
//! two projections; `sum` with `relu2` is Primer's squared ReLU, the non-gated form.

use serde::{Deserialize, Serialize};
use tch::Tensor;

/// How the two branches are merged. Its names are the configs' (serde's): `FromStr` parses them
/// with serde, `Display` (strum, the same rule) prints them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, strum::Display, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Mode {
    /// `act(x1) + x2`: the additive baseline (the reference's `mode="sum"`).
    Sum,
    /// `act(x1) * x2`: the star operation (the reference's `mode="mul"`, accepted as an alias).
    #[default]
    #[serde(alias = "mul")]
    Star,
    /// `act(x1) * act(x2)`.
    StarBoth,
    /// `act(x1 * x2)`.
    StarAfter,
}

/// The element-wise activation used inside the merge; named like [`Mode`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, strum::Display, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Act {
    /// Exact (erf) GELU, as `torch.nn.GELU()`.
    #[default]
    Gelu,
    Relu,
    /// `min(max(x, 0), 6)`.
    Relu6,
    /// Negative slope 0.01, as `torch.nn.LeakyReLU()`.
    LeakyRelu,
    /// `x * relu6(x + 3) / 6`, as `torch.nn.Hardswish()`.
    Hardswish,
    /// Identity: no activation (the paper's Table 4).
    None,
    /// `max(x, 0)^2`: Primer's squared ReLU (So et al. 2021).
    Relu2,
    /// `x^2`: degree 2 without a product of two branches.
    Square,
}

impl Act {
    /// Applies the activation (a new tensor; autograd-friendly).
    pub fn apply(self, x: &Tensor) -> Tensor {
        match self {
            Act::Gelu => x.gelu("none"),
            Act::Relu => x.relu(),
            Act::Relu6 => x.clamp(0.0, 6.0),
            Act::LeakyRelu => x.leaky_relu(),
            Act::Hardswish => x.hardswish(),
            Act::None => x.shallow_clone(),
            Act::Relu2 => x.relu().square(),
            Act::Square => x.square(),
        }
    }

    /// Applies the activation in place (inference only: autograd cannot go through it).
    pub fn apply_(self, x: &mut Tensor) {
        let _ = match self {
            Act::Gelu => x.gelu_("none"),
            Act::Relu => x.relu_(),
            Act::Relu6 => x.clamp_(0.0, 6.0),
            Act::LeakyRelu => x.leaky_relu_(),
            Act::Hardswish => x.hardswish_(),
            Act::None => return,
            Act::Relu2 => x.relu_().square_(),
            Act::Square => x.square_(),
        };
    }
}

/// Parses a config name (serde's, with its aliases and its "expected one of" message).
fn from_name<'de, T: Deserialize<'de>>(s: &'de str) -> Result<T, String> {
    use serde::de::IntoDeserializer;
    let de: serde::de::value::StrDeserializer<'de, serde::de::value::Error> = s.into_deserializer();
    T::deserialize(de).map_err(|e| e.to_string())
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        from_name(s)
    }
}

impl std::str::FromStr for Act {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        from_name(s)
    }
}

/// Merges the two branches `x1` and `x2` (same shape) with `mode` and `act`.
pub fn star(x1: &Tensor, x2: &Tensor, mode: Mode, act: Act) -> Tensor {
    match mode {
        Mode::Sum => act.apply(x1) + x2,
        Mode::Star => act.apply(x1) * x2,
        Mode::StarBoth => act.apply(x1) * act.apply(x2),
        Mode::StarAfter => act.apply(&(x1 * x2)),
    }
}

/// [`star`] computed in the memory of `x1` (and `x2` for `StarBoth`), for inference: saves an
/// allocation and a pass over memory per block. `x1` and `x2` must not overlap.
pub fn star_(x1: &mut Tensor, x2: &mut Tensor, mode: Mode, act: Act) {
    match mode {
        Mode::Sum => {
            act.apply_(x1);
            let _ = x1.g_add_(x2);
        }
        Mode::Star => {
            act.apply_(x1);
            let _ = x1.g_mul_(x2);
        }
        Mode::StarBoth => {
            act.apply_(x1);
            act.apply_(x2);
            let _ = x1.g_mul_(x2);
        }
        Mode::StarAfter => {
            let _ = x1.g_mul_(x2);
            act.apply_(x1);
        }
    }
}

/// Splits `x` in two halves along its last dimension and merges them: the reference's
/// `x1, x2 = x.reshape(..., 2, C // 2).unbind(-2)` followed by the merge.
pub fn split_star(x: &Tensor, mode: Mode, act: Act) -> Tensor {
    let c = *x
        .size()
        .last()
        .expect("split_star: a tensor with at least one dimension");
    let half = c / 2;
    let x1 = x.narrow(-1, 0, half);
    let x2 = x.narrow(-1, half, half);
    star(&x1, &x2, mode, act)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(t: &Tensor) -> Vec<f64> {
        Vec::<f64>::try_from(t.to_kind(tch::Kind::Double).flatten(0, -1)).unwrap()
    }

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-5, "{a:?} != {b:?}");
        }
    }

    fn input() -> (Tensor, Tensor) {
        (
            Tensor::from_slice(&[-2.0f32, -0.5, 0.0, 1.0, 7.0]),
            Tensor::from_slice(&[3.0f32, 2.0, -1.0, 0.5, 2.0]),
        )
    }

    #[test]
    fn activations_match_hand_values() {
        let (x, _) = input();
        // GELU(x) = x * Phi(x): Phi(-2) = 0.0227501, Phi(-0.5) = 0.3085375, Phi(1) = 0.8413447, Phi(7) ~ 1.
        close(
            &vals(&Act::Gelu.apply(&x)),
            &[-0.0455003, -0.1542688, 0.0, 0.8413447, 7.0],
        );
        close(&vals(&Act::Relu.apply(&x)), &[0.0, 0.0, 0.0, 1.0, 7.0]);
        close(&vals(&Act::Relu6.apply(&x)), &[0.0, 0.0, 0.0, 1.0, 6.0]);
        close(&vals(&Act::LeakyRelu.apply(&x)), &[-0.02, -0.005, 0.0, 1.0, 7.0]);
        // hardswish: x * clamp(x + 3, 0, 6) / 6 -> -2*1/6, -0.5*2.5/6, 0, 1*4/6, 7.
        close(
            &vals(&Act::Hardswish.apply(&x)),
            &[-1.0 / 3.0, -0.2083333, 0.0, 2.0 / 3.0, 7.0],
        );
        close(&vals(&Act::None.apply(&x)), &[-2.0, -0.5, 0.0, 1.0, 7.0]);
        close(&vals(&Act::Relu2.apply(&x)), &[0.0, 0.0, 0.0, 1.0, 49.0]);
        close(&vals(&Act::Square.apply(&x)), &[4.0, 0.25, 0.0, 1.0, 49.0]);
    }

    #[test]
    fn degree_two_activations_have_their_closed_form_gradients() {
        // d/dx max(x, 0)^2 = 2 max(x, 0) (0 at and below 0); d/dx x^2 = 2x.
        for (act, want) in [
            (Act::Relu2, [0.0, 0.0, 0.0, 2.0, 14.0]),
            (Act::Square, [-4.0, -1.0, 0.0, 2.0, 14.0]),
        ] {
            let x = Tensor::from_slice(&[-2.0f64, -0.5, 0.0, 1.0, 7.0]).set_requires_grad(true);
            act.apply(&x).sum(tch::Kind::Double).backward();
            close(&vals(&x.grad()), &want);
        }
    }

    #[test]
    fn sum_with_square_is_x1_squared_plus_x2() {
        let (x1, x2) = input();
        // x1^2 + x2 = [4 + 3, 0.25 + 2, 0 - 1, 1 + 0.5, 49 + 2]
        close(
            &vals(&star(&x1, &x2, Mode::Sum, Act::Square)),
            &[7.0, 2.25, -1.0, 1.5, 51.0],
        );
        // relu(x1)^2 * x2 = [0, 0, 0, 0.5, 98]
        close(
            &vals(&star(&x1, &x2, Mode::Star, Act::Relu2)),
            &[0.0, 0.0, 0.0, 0.5, 98.0],
        );
    }

    #[test]
    fn modes_match_hand_values() {
        let (x1, x2) = input();
        let r = Act::Relu;
        close(&vals(&star(&x1, &x2, Mode::Sum, r)), &[3.0, 2.0, -1.0, 1.5, 9.0]);
        close(
            &vals(&star(&x1, &x2, Mode::Star, r)),
            &[0.0, 0.0, -0.0, 0.5, 14.0],
        );
        // relu(x2) = [3, 2, 0, 0.5, 2]
        close(
            &vals(&star(&x1, &x2, Mode::StarBoth, r)),
            &[0.0, 0.0, 0.0, 0.5, 14.0],
        );
        // x1 * x2 = [-6, -1, 0, 0.5, 14] -> relu
        close(
            &vals(&star(&x1, &x2, Mode::StarAfter, r)),
            &[0.0, 0.0, 0.0, 0.5, 14.0],
        );
        close(
            &vals(&star(&x1, &x2, Mode::StarAfter, Act::None)),
            &[-6.0, -1.0, 0.0, 0.5, 14.0],
        );
        close(
            &vals(&star(&x1, &x2, Mode::StarBoth, Act::LeakyRelu)),
            &[-0.06, -0.01, 0.0, 0.5, 14.0],
        );
    }

    #[test]
    fn in_place_star_equals_star() {
        tch::manual_seed(3);
        let modes = [Mode::Sum, Mode::Star, Mode::StarBoth, Mode::StarAfter];
        let acts = [
            Act::Gelu,
            Act::Relu,
            Act::Relu6,
            Act::LeakyRelu,
            Act::Hardswish,
            Act::None,
            Act::Relu2,
            Act::Square,
        ];
        for mode in modes {
            for act in acts {
                // Halves of one buffer, as the fused StarNet block has them.
                let y = Tensor::randn([3, 8], tch::kind::FLOAT_CPU) * 4.0;
                let (mut x1, mut x2) = (y.narrow(1, 0, 4), y.narrow(1, 4, 4));
                let expected = vals(&star(&x1, &x2, mode, act));
                star_(&mut x1, &mut x2, mode, act);
                close(&vals(&x1), &expected);
                close(&vals(&y.narrow(1, 0, 4)), &expected);
            }
        }
    }

    #[test]
    fn split_star_takes_first_half_as_x1() {
        // [x1 | x2] along the last dim, two rows.
        let x = Tensor::from_slice(&[1.0f32, -1.0, 2.0, 3.0, -4.0, 5.0, 6.0, 7.0]).view([2, 4]);
        close(
            &vals(&split_star(&x, Mode::Star, Act::Relu)),
            &[2.0, 0.0, 0.0, 35.0],
        );
        close(
            &vals(&split_star(&x, Mode::Sum, Act::Relu)),
            &[3.0, 3.0, 6.0, 12.0],
        );
    }

    #[test]
    fn serde_names_are_snake_case() {
        assert_eq!(serde_json::to_string(&Mode::StarBoth).unwrap(), "\"star_both\"");
        assert_eq!(serde_json::to_string(&Act::LeakyRelu).unwrap(), "\"leaky_relu\"");
        let m: Mode = serde_json::from_str("\"star_after\"").unwrap();
        assert_eq!(m, Mode::StarAfter);
        let a: Act = serde_json::from_str("\"relu6\"").unwrap();
        assert_eq!(a, Act::Relu6);
        assert_eq!(serde_json::to_string(&Act::Relu2).unwrap(), "\"relu2\"");
        assert_eq!(serde_json::from_str::<Act>("\"square\"").unwrap(), Act::Square);
        assert_eq!(
            (Act::Relu2.to_string(), Act::Square.to_string()),
            ("relu2".into(), "square".into())
        );
        assert_eq!(serde_json::from_str::<Mode>("\"mul\"").unwrap(), Mode::Star);
        assert!(serde_json::from_str::<Mode>("\"product\"").is_err());
        assert_eq!(Mode::StarAfter.to_string(), "star_after");
        assert_eq!(Act::None.to_string(), "none");
    }

    #[test]
    fn display_and_from_str_are_the_serde_names() {
        use strum::VariantArray;
        for m in Mode::VARIANTS {
            assert_eq!(serde_json::to_value(m).unwrap(), m.to_string().as_str());
            assert_eq!(m.to_string().parse::<Mode>(), Ok(*m));
        }
        for a in Act::VARIANTS {
            assert_eq!(serde_json::to_value(a).unwrap(), a.to_string().as_str());
            assert_eq!(a.to_string().parse::<Act>(), Ok(*a));
        }
        assert_eq!("mul".parse::<Mode>(), Ok(Mode::Star));
        let e = "tanh".parse::<Act>().unwrap_err();
        assert!(e.contains("`tanh`") && e.contains("`leaky_relu`"), "{e}");
    }
}
