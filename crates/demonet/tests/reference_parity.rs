//! DemoNet against a PyTorch rewrite of the reference (`bench/peers/demonet_model.py`, same
//! state-dict names): parameter counts of the paper's models, state-dict names and shapes, and
//! logits of a small model loaded from the PyTorch state dict, for every merge mode.
//!
//! Needs the project's Python with torch and safetensors (`STARLAB_PYTHON`, set by
//! `.cargo/config.toml`; `./lab setup` installs it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use demonet::{Act, Config, DemoNet, Mode, params};
use tch::nn::{self, ModuleT};
use training::checkpoint::Checkpoint;

fn fixture(dir: &Path) -> Checkpoint {
    let python = std::env::var("STARLAB_PYTHON").expect(
        "STARLAB_PYTHON is not set: run the tests through cargo in the starlab workspace (./lab test)",
    );
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("bench/peers/demonet_parity.py");
    let out = dir.join("parity.safetensors");
    let status = Command::new(&python)
        .arg(&script)
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {python} (STARLAB_PYTHON): {e}; run ./lab setup"));
    assert!(
        status.success(),
        "{} failed ({status}); does {python} have torch and safetensors?",
        script.display()
    );
    Checkpoint::read(&out).unwrap()
}

#[test]
fn matches_the_pytorch_reference() {
    let dir = tempfile::tempdir().unwrap();
    let ck = fixture(dir.path());

    // Parameter counts of the paper's ImageNet models.
    let w96 = Config::imagenet(96, Mode::Star);
    assert_eq!(
        ck.meta("params_w96").unwrap().parse::<i64>().unwrap(),
        params(&w96)
    );
    assert_eq!(
        ck.meta("params_w288").unwrap().parse::<i64>().unwrap(),
        params(&Config::imagenet(288, Mode::Sum))
    );

    // State-dict names and shapes of the width-96 model.
    let shapes: BTreeMap<String, Vec<i64>> = serde_json::from_str(&ck.meta("shapes_w96").unwrap()).unwrap();
    let vs = nn::VarStore::new(tch::Device::Cpu);
    DemoNet::new(&vs.root(), &w96).unwrap();
    let ours: BTreeMap<String, Vec<i64>> = vs.variables().into_iter().map(|(k, v)| (k, v.size())).collect();
    assert_eq!(ours, shapes);

    // Logits of a small model with the PyTorch weights.
    let x = ck.tensor("__input").unwrap();
    for (mode, name) in [
        (Mode::Sum, "sum"),
        (Mode::Star, "star"),
        (Mode::StarBoth, "star_both"),
        (Mode::StarAfter, "star_after"),
    ] {
        let cfg = Config {
            width: 12,
            depth: 3,
            patch: 4,
            in_chans: 2,
            num_classes: 7,
            mode,
            act: Act::Gelu,
            layer_scale_init: 0.5,
            drop_path: 0.0,
        };
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let net = DemoNet::new(&vs.root(), &cfg).unwrap();
        for (var, t) in vs.variables() {
            ck.copy_into(&format!("{name}/{var}"), &t).unwrap();
        }
        let ours = net.forward_t(&x, false);
        let theirs = ck.tensor(&format!("{name}/__logits")).unwrap();
        let diff = (&ours - &theirs).abs().max().double_value(&[]);
        assert!(diff < 1e-5, "{name}: logits differ by {diff}");
    }
}
