//! `init = "timm" | "official"`: the statistics of every conv weight against the formulas.
//!
//! timm: trunc-normal std 0.02. Official (`imagenet/starnet.py`, whose `_init_weights` matches only
//! `nn.Linear`): PyTorch's default `kaiming_uniform_(a = sqrt(5))`, U(-b, b) with
//! b = sqrt(1/3) * sqrt(3 / fan_in) = 1 / sqrt(fan_in) and std b / sqrt(3) = 1 / sqrt(3 fan_in).
//! By hand for S1 (base 24, ratio 4): the stem (3 -> 32, 3x3) has fan_in 27, b = 0.1925,
//! std = 1/9 = 0.111 (5.6x 0.02); a 7x7 depthwise conv has fan_in 49, b = 1/7 = 0.143,
//! std = 0.0825 (4.1x); stage 1's f1 (24 -> 96, 1x1) has fan_in 24, std = 0.118 (5.9x);
//! stage 4's g (768 -> 192) has fan_in 768, std = 0.0208 (1.04x).
//! Under both, conv biases keep PyTorch's U(-b, b) and the classifier is trunc-normal 0.02.

use layers::InitScheme;
use starnet::{Config, StarNet};
use tch::{Device, Tensor, nn};

fn build(init: InitScheme) -> nn::VarStore {
    tch::manual_seed(0);
    let vs = nn::VarStore::new(Device::Cpu);
    StarNet::new(&vs.root(), &Config { init, ..Config::s1() }).unwrap();
    vs
}

/// (name, fan_in, max |w|, std) of every conv weight.
fn conv_weights(vs: &nn::VarStore) -> Vec<(String, i64, f64, f64, i64)> {
    let mut out: Vec<_> = vs
        .variables()
        .into_iter()
        .filter(|(n, t)| n.ends_with("conv.weight") && t.dim() == 4)
        .map(|(n, t): (String, Tensor)| {
            let s = t.size();
            let max = t.abs().max().double_value(&[]);
            let std = t.std(true).double_value(&[]);
            (n, s[1] * s[2] * s[3], max, std, t.numel() as i64)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn official_convs_follow_pytorchs_default_and_timm_uses_std_002() {
    let official = build(InitScheme::Official);
    let timm = build(InitScheme::Timm);
    let (o, t) = (conv_weights(&official), conv_weights(&timm));
    assert!(o.len() > 40, "S1 has many convs: {}", o.len());
    let mut checked = 0;
    for ((name, fan_in, max, std, n), (_, _, t_max, t_std, _)) in o.iter().zip(&t) {
        let bound = 1.0 / (*fan_in as f64).sqrt();
        assert!(
            *max <= bound + 1e-7,
            "{name}: max |w| {max} beyond 1/sqrt({fan_in}) = {bound}"
        );
        assert!(*t_max < 0.2, "{name}: timm max |w| {t_max}");
        if *n >= 2000 {
            // a std estimate from >= 2000 draws is within ~2% of the truth; allow 6%
            let want = bound / 3f64.sqrt();
            assert!(
                (std / want - 1.0).abs() < 0.06,
                "{name}: std {std}, formula {want}"
            );
            assert!((t_std / 0.02 - 1.0).abs() < 0.06, "{name}: timm std {t_std}");
            checked += 1;
        }
    }
    assert!(checked > 20, "{checked}");
    let stem = o.iter().find(|w| w.0 == "stem.0.conv.weight").unwrap();
    assert_eq!(stem.1, 27);
    let dw = o.iter().find(|w| w.0 == "stages.0.1.dwconv.conv.weight").unwrap();
    assert_eq!(dw.1, 49);
    assert!(dw.2 <= 1.0 / 7.0 + 1e-7 && dw.2 > 0.13, "dw max {}", dw.2);
}

#[test]
fn biases_and_the_classifier_start_alike_under_both() {
    let (o, t) = (build(InitScheme::Official), build(InitScheme::Timm));
    let (ov, tv) = (o.variables(), t.variables());
    // stage 1's f1: 24 -> 96, fan_in 24, bias in +-1/sqrt(24) = +-0.204
    let b = ov["stages.0.1.f1.conv.bias"].abs().max().double_value(&[]);
    assert!(b <= 1.0 / 24f64.sqrt() && b > 0.1, "bias {b}");
    let head_std =
        |v: &std::collections::HashMap<String, Tensor>| v["head.weight"].std(true).double_value(&[]);
    assert!((head_std(&ov) - 0.02).abs() < 0.001 && (head_std(&tv) - 0.02).abs() < 0.001);
    assert_eq!(ov["norm.weight"].min().double_value(&[]), 1.0);
}

#[test]
fn init_reads_from_a_config_and_defaults_to_timm() {
    assert_eq!(Config::default().init, InitScheme::Timm);
    let c: Config = serde_json::from_str(r#"{"init": "official"}"#).unwrap();
    assert_eq!(c.init, InitScheme::Official);
    let e = serde_json::from_str::<Config>(r#"{"init": "pytorch"}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("timm") && e.contains("official"), "{e}");
}
