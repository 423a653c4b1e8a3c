//! Our ONNX export on ONNX Runtime vs the unfused tch network, on timm-written weights with
//! randomised BatchNorm statistics (`scripts/starnet_fixtures.py`): logits agree to <= 1e-4.
//!
//! All seven variants run at the fixtures' 224 px (batch 2). The ablation variants (sum,
//! star_both, star_after, no activation, per-stage modes, every activation) change only what the
//! blocks compute, not the weights, so they reuse S050's weights at 224 px and the odd-sized 1-channel
//! GELU case (97 x 131, 10 classes) whose logits timm computed itself: the same graph code at the
//! smallest network, so the check is the same and CI stays fast. The default layout (f1, f2 as
//! two convs) runs everywhere; the merged one (`merge_f12`) on S1 and two S050 merges.

#[path = "../../starnet/tests/common/mod.rs"]
mod common;

use common::{case, load, max_abs_diff};
use starnet::{Act, Config, Mode};
use starnet_onnx::{ExportOptions, OrtModel, OrtOptions, export};
use tch::Tensor;
use tch::nn::ModuleT;

const TOL: f64 = 1e-4;

/// Max |ORT(export(net)) - net| on `input`, and the tch logits.
fn ort_vs_tch(config: &Config, weights: &std::path::Path, input: &Tensor) -> (f64, Tensor) {
    ort_vs_tch_layout(config, weights, input, false)
}

fn ort_vs_tch_layout(
    config: &Config,
    weights: &std::path::Path,
    input: &Tensor,
    merge_f12: bool,
) -> (f64, Tensor) {
    tch::set_num_threads(2);
    let (_vs, net) = load(config, weights);
    let ours = tch::no_grad(|| net.forward_t(input, false));
    let size = input.size();
    let opts = ExportOptions {
        height: size[2],
        width: size[3],
        merge_f12,
    };
    let model = export::export(&net, &opts).unwrap();
    let mut ort = OrtModel::from_bytes(
        &export::encode(&model),
        &OrtOptions {
            threads: 2,
            profile: None,
        },
    )
    .unwrap();
    let logits = ort.run(input).unwrap();
    (max_abs_diff(&logits, &ours), ours)
}

fn check_variant(name: &str) {
    let c = case(name);
    let (diff, ours) = ort_vs_tch(&c.config, &c.weights, &c.input);
    eprintln!(
        "{name}: max |ORT - tch unfused| = {diff:.2e} (|logits| up to {:.2})",
        ours.abs().max().double_value(&[])
    );
    assert!(
        diff <= TOL,
        "{name}: ORT logits differ from tch's by {diff:.3e} > {TOL:e}"
    );
    // tch itself matches timm (crates/starnet/tests/parity.rs); so does the export, through it.
    let timm = max_abs_diff(&ours, &c.logits);
    assert!(timm <= TOL, "{name}: tch differs from timm by {timm:.3e}");
}

#[test]
fn s050_on_ort_matches_tch() {
    check_variant("starnet_s050");
}
#[test]
fn s100_on_ort_matches_tch() {
    check_variant("starnet_s100");
}
#[test]
fn s150_on_ort_matches_tch() {
    check_variant("starnet_s150");
}
#[test]
fn s1_on_ort_matches_tch() {
    check_variant("starnet_s1");
}
#[test]
fn s2_on_ort_matches_tch() {
    check_variant("starnet_s2");
}
#[test]
fn s3_on_ort_matches_tch() {
    check_variant("starnet_s3");
}
#[test]
fn s4_on_ort_matches_tch() {
    check_variant("starnet_s4");
}
/// GELU everywhere, 1 input channel, 10 classes, 97 x 131 px (odd feature-map sizes).
#[test]
fn gelu_one_channel_odd_size_on_ort_matches_tch() {
    check_variant("s050_gelu_1ch_odd");
}

/// S050's weights under another merge / activation: ORT vs tch, and the ablation really changes
/// the logits (so a graph that ignored the mode could not pass).
fn check_ablation(label: &str, edit: impl Fn(&mut Config)) {
    let c = case("starnet_s050");
    let mut config = c.config.clone();
    edit(&mut config);
    let (diff, ours) = ort_vs_tch(&config, &c.weights, &c.input);
    let moved = max_abs_diff(&ours, &c.logits);
    eprintln!("s050 {label}: max |ORT - tch| = {diff:.2e}; differs from the star model by {moved:.2e}");
    assert!(
        diff <= TOL,
        "s050 {label}: ORT logits differ from tch's by {diff:.3e} > {TOL:e}"
    );
    // relu vs relu6 moves the logits least (few activations exceed 6): ~2e-3, still 20x TOL.
    assert!(
        moved > 10.0 * TOL,
        "s050 {label}: logits equal the plain star model's; the ablation did nothing"
    );
}

#[test]
fn sum_on_ort_matches_tch() {
    check_ablation("sum", |c| c.stage_modes = vec![Mode::Sum; 4]);
}
#[test]
fn star_both_on_ort_matches_tch() {
    check_ablation("star_both", |c| c.stage_modes = vec![Mode::StarBoth; 4]);
}
#[test]
fn star_after_on_ort_matches_tch() {
    check_ablation("star_after", |c| c.stage_modes = vec![Mode::StarAfter; 4]);
}
#[test]
fn no_activation_on_ort_matches_tch() {
    check_ablation("act none", |c| c.act = Act::None);
}
#[test]
fn per_stage_modes_on_ort_match_tch() {
    check_ablation("sum,sum,star,star", |c| {
        c.stage_modes = vec![Mode::Sum, Mode::Sum, Mode::Star, Mode::Star]
    });
}
#[test]
fn other_activations_on_ort_match_tch() {
    for act in [Act::Relu, Act::LeakyRelu, Act::Hardswish, Act::Gelu] {
        check_ablation(&format!("act {act}, stem {act}"), |c| {
            c.act = act;
            c.stem_act = act;
        });
    }
}

#[test]
fn squared_relu_on_ort_matches_tch() {
    check_ablation("act relu2", |c| c.act = Act::Relu2);
}

/// `square` compounds through the blocks (S050's logits reach ~1e6 on these weights), so ORT and
/// tch agree to float32 rounding of that scale: 1e-5 of the largest logit (~100 ulps).
#[test]
fn square_on_ort_matches_tch_to_float32_rounding_of_its_scale() {
    let c = case("starnet_s050");
    let config = Config {
        act: Act::Square,
        ..c.config.clone()
    };
    let (diff, ours) = ort_vs_tch(&config, &c.weights, &c.input);
    let scale = ours.abs().max().double_value(&[]);
    eprintln!("s050 act square: max |ORT - tch| = {diff:.2e}, |logits| up to {scale:.2e}");
    assert!(
        diff <= 1e-5 * scale.max(1.0),
        "s050 act square: ORT logits differ from tch's by {diff:.3e} (|logits| up to {scale:.3e})"
    );
    assert!(
        max_abs_diff(&ours, &c.logits) > 10.0 * TOL,
        "the ablation did nothing"
    );
}

/// f1 and f2 as one conv whose output is split (`merge_f12`), on a variant and two merges.
#[test]
fn merged_f12_layout_on_ort_matches_tch() {
    for (name, mode) in [
        ("starnet_s1", Mode::Star),
        ("starnet_s050", Mode::Sum),
        ("starnet_s050", Mode::StarAfter),
    ] {
        let c = case(name);
        let config = c.config.clone().with_mode(mode);
        let (diff, _) = ort_vs_tch_layout(&config, &c.weights, &c.input, true);
        eprintln!("{name} {mode}, f12 merged: max |ORT - tch| = {diff:.2e}");
        assert!(
            diff <= TOL,
            "{name} {mode} merged: ORT logits differ from tch's by {diff:.3e}"
        );
    }
}
