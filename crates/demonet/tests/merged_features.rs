//! `merged_features`: each block's features after the merge, before `g`, recomputed here from the
//! named variables (stem, norm, depthwise conv, `f`) for the first block, and of the shape the
//! effective-dimension measure expects for every block.

use demonet::{Act, Config, DemoNet, DemoNet1d, Mode};
use tch::{Device, Kind, Tensor, nn};

fn layer_norm(x: &Tensor, vars: &std::collections::HashMap<String, Tensor>, name: &str) -> Tensor {
    let (w, b) = (&vars[&format!("{name}.weight")], &vars[&format!("{name}.bias")]);
    let d = w.size()[0];
    x.layer_norm([d], Some(w), Some(b), 1e-5, false)
}

#[test]
fn the_image_demonet_gives_each_blocks_merged_features() {
    tch::manual_seed(0);
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = Config {
        depth: 2,
        act: Act::None,
        layer_scale_init: 1.0,
        ..Config::fashion_mnist(8, Mode::Star)
    };
    let net = DemoNet::new(&vs.root(), &cfg).unwrap();
    let x = Tensor::randn([3, 1, 28, 28], (Kind::Float, Device::Cpu));
    let features = net.merged_features(&x);
    assert_eq!(features.len(), 2);
    for f in &features {
        assert_eq!(f.size(), [3, 7, 7, 24]);
    }
    // Block 0 by hand: stem, LayerNorm, depthwise 7x7, f, then x1 * x2 (star, no activation).
    let v = vs.variables();
    let tokens = x.conv2d(
        &v["stem.weight"],
        Some(&v["stem.bias"]),
        [4, 4],
        [0, 0],
        [1, 1],
        1,
    );
    let y = layer_norm(&tokens.permute([0, 2, 3, 1]), &v, "blocks.0.norm").permute([0, 3, 1, 2]);
    let (w, b) = (&v["blocks.0.dwconv.weight"], &v["blocks.0.dwconv.bias"]);
    let y = y
        .conv2d(w, Some(b), [1, 1], [3, 3], [1, 1], 8)
        .permute([0, 2, 3, 1]);
    let y = y.linear(&v["blocks.0.f.weight"], Some(&v["blocks.0.f.bias"]));
    let want = y.narrow(-1, 0, 24) * y.narrow(-1, 24, 24);
    assert!(features[0].allclose(&want, 1e-5, 1e-8, false));
    // Block 1 reads block 0's output, not the stem's: its features are others.
    assert!(!features[1].allclose(&features[0], 1e-5, 1e-8, false));
}

#[test]
fn the_1d_demonet_gives_each_blocks_merged_features() {
    tch::manual_seed(1);
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = Config {
        depth: 3,
        patch: 2,
        in_chans: 1,
        num_classes: 10,
        act: Act::None,
        ..Config::imagenet(8, Mode::Sum)
    };
    let net = DemoNet1d::new(&vs.root(), &cfg).unwrap();
    let x = Tensor::randn([2, 1, 40], (Kind::Float, Device::Cpu));
    let features = net.merged_features(&x);
    assert_eq!(features.len(), 3);
    for f in &features {
        assert_eq!(f.size(), [2, 20, 24]);
    }
    let v = vs.variables();
    let tokens = x.conv1d(&v["stem.weight"], Some(&v["stem.bias"]), [2], [0], [1], 1);
    let y = layer_norm(&tokens.transpose(1, 2), &v, "blocks.0.norm").transpose(1, 2);
    let (w, b) = (&v["blocks.0.dwconv.weight"], &v["blocks.0.dwconv.bias"]);
    let y = y.conv1d(w, Some(b), [1], [3], [1], 8).transpose(1, 2);
    let y = y.linear(&v["blocks.0.f.weight"], Some(&v["blocks.0.f.bias"]));
    let want = y.narrow(-1, 0, 24) + y.narrow(-1, 24, 24);
    assert!(features[0].allclose(&want, 1e-5, 1e-8, false));
}
