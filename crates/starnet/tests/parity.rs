//! StarNet vs timm: eval logits (<= 1e-4 fp32), parameter counts, MACs, BN folding.

mod common;

use common::{case, load, max_abs_diff};
use tch::nn::ModuleT;

const TOL: f64 = 1e-4;

fn check(name: &str) {
    tch::set_num_threads(2);
    let c = case(name);
    let (vs, net) = load(&c.config, &c.weights);

    let ours = tch::no_grad(|| net.forward_t(&c.input, false));
    let diff = max_abs_diff(&ours, &c.logits);
    eprintln!(
        "{name}: max |ours - timm| = {diff:.2e} (|logits| up to {:.2})",
        c.logits.abs().max().double_value(&[])
    );
    assert!(
        diff <= TOL,
        "{name}: logits differ from timm's by {diff:.3e} > {TOL:e}"
    );

    let fused = net.fuse();
    let fused_logits = fused.forward(&c.input);
    let fdiff = max_abs_diff(&fused_logits, &ours);
    eprintln!(
        "{name}: max |fused - unfused| = {fdiff:.2e}, |fused - timm| = {:.2e}",
        max_abs_diff(&fused_logits, &c.logits)
    );
    assert!(
        fdiff <= TOL,
        "{name}: fused logits differ from unfused by {fdiff:.3e} > {TOL:e}"
    );

    let trainable: i64 = vs.trainable_variables().iter().map(|t| t.numel() as i64).sum();
    assert_eq!(
        trainable as u64, c.params,
        "{name}: VarStore parameter count vs timm's"
    );
    let size = c.input.size();
    let cost = starnet::cost(&c.config, size[2], size[3]).unwrap();
    assert_eq!(cost.params, c.params, "{name}: cost() parameter count vs timm's");
    assert_eq!(
        cost.macs, c.macs,
        "{name}: cost() MACs vs torch.utils.flop_counter / 2"
    );
}

#[test]
fn s050_matches_timm() {
    check("starnet_s050");
}
#[test]
fn s100_matches_timm() {
    check("starnet_s100");
}
#[test]
fn s150_matches_timm() {
    check("starnet_s150");
}
#[test]
fn s1_matches_timm() {
    check("starnet_s1");
}
#[test]
fn s2_matches_timm() {
    check("starnet_s2");
}
#[test]
fn s3_matches_timm() {
    check("starnet_s3");
}
#[test]
fn s4_matches_timm() {
    check("starnet_s4");
}
/// GELU (timm's `act_layer`), 1 input channel, 10 classes, 97 x 131 input.
#[test]
fn gelu_one_channel_odd_size_matches_timm() {
    check("s050_gelu_1ch_odd");
}

/// The mode switch really reaches the blocks: with timm's S050 weights, every non-default merge
/// gives other logits, and fusing preserves each of them.
#[test]
fn ablation_switches_change_the_network_and_survive_fusion() {
    use starnet::{Act, Mode};
    let c = case("starnet_s050");
    let (_, reference) = load(&c.config, &c.weights);
    let base = tch::no_grad(|| reference.forward_t(&c.input, false));
    let variants = [
        c.config.clone().with_mode(Mode::Sum),
        c.config.clone().with_mode(Mode::StarBoth),
        c.config.clone().with_mode(Mode::StarAfter),
        starnet::Config {
            act: Act::None,
            ..c.config.clone()
        },
        starnet::Config {
            act: Act::Hardswish,
            ..c.config.clone()
        },
        starnet::Config {
            stage_modes: vec![Mode::Star, Mode::Star, Mode::Sum, Mode::Star],
            ..c.config.clone()
        },
    ];
    for cfg in variants {
        let (_, net) = load(&cfg, &c.weights);
        let out = tch::no_grad(|| net.forward_t(&c.input, false));
        let d = max_abs_diff(&out, &base);
        assert!(
            d > 1e-3,
            "{:?}/{:?}: logits equal the default network's (diff {d:e})",
            cfg.stage_modes,
            cfg.act
        );
        let fd = max_abs_diff(&net.fuse().forward(&c.input), &out);
        assert!(
            fd <= TOL,
            "{:?}/{:?}: fused differs by {fd:e}",
            cfg.stage_modes,
            cfg.act
        );
    }
}

/// The runner's `predict` path: name + weights file -> fused classifier -> timm's logits.
#[test]
fn classifier_loads_timm_weights_by_name() {
    let c = case("starnet_s1");
    let clf = starnet::predict::Classifier::load("starnet_s1", &c.weights).unwrap();
    let d = max_abs_diff(&clf.logits(&c.input).unwrap(), &c.logits);
    assert!(d <= TOL, "classifier logits differ from timm's by {d:e}");
    let bad = clf.logits(&c.input.narrow(1, 0, 2)).unwrap_err().to_string();
    assert!(bad.contains("input must be N x 3 x H x W"), "{bad}");
    let wrong = starnet::predict::Classifier::load("starnet_s2", &c.weights).unwrap_err();
    assert!(format!("{wrong:#}").contains("expected shape"), "{wrong:#}");
}
