//! Weight files: timm names, round trips, and errors that name the offending tensor.

use starnet::{Config, StarNet, weights};
use tch::{Device, Tensor, nn};

fn tiny() -> Config {
    Config {
        base_dim: 8,
        depths: vec![1, 1],
        stage_modes: vec![Default::default(); 2],
        num_classes: 5,
        ..Config::s050()
    }
}

fn build(cfg: &Config, seed: i64) -> (nn::VarStore, StarNet) {
    tch::manual_seed(seed);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = StarNet::new(&vs.root(), cfg).unwrap();
    (vs, net)
}

fn named(vs: &nn::VarStore) -> Vec<(String, Tensor)> {
    let mut v: Vec<_> = vs.variables().into_iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn variable_names_are_timms() {
    let (vs, _) = build(&Config::s050(), 0);
    let vars = vs.variables();
    // Names as in timm's starnet_s050 state dict (num_batches_tracked aside).
    for name in [
        "stem.0.conv.weight",
        "stem.0.conv.bias",
        "stem.0.bn.running_var",
        "stages.0.0.conv.weight",
        "stages.0.0.bn.weight",
        "stages.0.1.dwconv.conv.weight",
        "stages.0.1.dwconv.bn.running_mean",
        "stages.2.3.f1.conv.weight",
        "stages.2.3.f2.conv.bias",
        "stages.2.3.g.conv.weight",
        "stages.2.3.g.bn.bias",
        "stages.3.1.dwconv2.conv.weight",
        "norm.weight",
        "norm.running_var",
        "head.weight",
        "head.bias",
    ] {
        assert!(vars.contains_key(name), "missing variable {name}");
    }
    assert_eq!(vars["stages.2.3.f1.conv.weight"].size(), vec![192, 64, 1, 1]);
    assert_eq!(vars["stages.3.1.dwconv2.conv.weight"].size(), vec![128, 1, 7, 7]);
    assert!(
        !vars
            .keys()
            .any(|k| k.contains("dwconv2.bn") || k.contains("f1.bn"))
    );
}

#[test]
fn save_then_load_restores_every_tensor() {
    let cfg = tiny();
    let (vs_a, _) = build(&cfg, 1);
    let (vs_b, _) = build(&cfg, 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.safetensors");
    weights::save(&vs_a, &path).unwrap();
    let report = weights::load(&vs_b, &path).unwrap();
    assert_eq!(report.loaded, vs_a.variables().len());
    for ((na, ta), (nb, tb)) in named(&vs_a).iter().zip(named(&vs_b)) {
        assert_eq!(na, &nb);
        assert!(ta.equal(&tb), "{na} differs after the round trip");
    }
}

fn write(path: &std::path::Path, tensors: &[(String, Tensor)]) {
    Tensor::write_safetensors(tensors, path).unwrap();
}

fn load_err(cfg: &Config, tensors: &[(String, Tensor)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.safetensors");
    write(&path, tensors);
    let (vs, _) = build(cfg, 3);
    let before = named(&vs);
    let err = weights::load(&vs, &path).unwrap_err();
    // Nothing is copied when the file does not fit.
    for ((n, a), (_, b)) in before.iter().zip(named(&vs)) {
        assert!(a.equal(&b), "{n} was modified by a failed load");
    }
    format!("{err:#}")
}

#[test]
fn missing_tensor_is_named_with_its_shape() {
    let cfg = tiny();
    let (vs, _) = build(&cfg, 4);
    let t: Vec<_> = named(&vs)
        .into_iter()
        .filter(|(n, _)| n != "stages.1.1.g.conv.weight")
        .collect();
    let msg = load_err(&cfg, &t);
    assert!(
        msg.contains("missing tensor stages.1.1.g.conv.weight (expected shape [16, 48, 1, 1])"),
        "{msg}"
    );
    assert!(msg.contains("1 problems"), "{msg}");
}

#[test]
fn extra_tensor_is_named() {
    let cfg = tiny();
    let (vs, _) = build(&cfg, 5);
    let mut t = named(&vs);
    t.push((
        "stages.1.2.f1.conv.weight".into(),
        Tensor::zeros([64, 16, 1, 1], tch::kind::FLOAT_CPU),
    ));
    let msg = load_err(&cfg, &t);
    assert!(
        msg.contains("unexpected tensor stages.1.2.f1.conv.weight (shape [64, 16, 1, 1])"),
        "{msg}"
    );
}

#[test]
fn misshaped_tensor_gives_expected_and_found_shapes() {
    let cfg = tiny();
    let (vs, _) = build(&cfg, 6);
    let mut t = named(&vs);
    for (n, v) in t.iter_mut() {
        if n == "head.weight" {
            *v = Tensor::zeros([7, 16], tch::kind::FLOAT_CPU);
        }
    }
    let msg = load_err(&cfg, &t);
    assert!(
        msg.contains("tensor head.weight: expected shape [5, 16], found [7, 16]"),
        "{msg}"
    );
}

#[test]
fn wrong_variant_lists_problems_and_hints_at_prefixes() {
    // An S050 checkpoint offered to S1, under a "module." prefix (a DataParallel checkpoint).
    let (vs, _) = build(&Config::s050(), 7);
    let t: Vec<_> = named(&vs)
        .into_iter()
        .map(|(n, v)| (format!("module.{n}"), v))
        .collect();
    let msg = load_err(&Config::s1(), &t);
    assert!(msg.contains("missing tensor head.weight"), "{msg}");
    assert!(msg.contains("unexpected tensor module.head.weight"), "{msg}");
    assert!(msg.contains("... and "), "long lists are cut: {msg}");
    assert!(
        msg.contains("hint: every tensor name starts with 'module.'"),
        "{msg}"
    );
}

#[test]
fn num_batches_tracked_is_accepted_and_reported() {
    let cfg = tiny();
    let (vs_a, _) = build(&cfg, 8);
    let mut t = named(&vs_a);
    t.push(("norm.num_batches_tracked".into(), Tensor::from(1000i64)));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.safetensors");
    write(&path, &t);
    let (vs_b, _) = build(&cfg, 9);
    let report = weights::load(&vs_b, &path).unwrap();
    assert_eq!(report.ignored, vec!["norm.num_batches_tracked".to_string()]);
    assert!(vs_b.variables()["head.weight"].equal(&vs_a.variables()["head.weight"]));
}

#[test]
fn half_precision_file_loads_into_fp32() {
    let cfg = tiny();
    let (vs_a, _) = build(&cfg, 10);
    let t: Vec<_> = named(&vs_a)
        .into_iter()
        .map(|(n, v)| (n, v.to_kind(tch::Kind::Half)))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.safetensors");
    write(&path, &t);
    let (vs_b, _) = build(&cfg, 11);
    weights::load(&vs_b, &path).unwrap();
    let a = vs_a.variables()["stem.0.conv.weight"].shallow_clone();
    let b = vs_b.variables()["stem.0.conv.weight"].shallow_clone();
    assert_eq!(b.kind(), tch::Kind::Float);
    assert!(a.to_kind(tch::Kind::Half).to_kind(tch::Kind::Float).equal(&b));
}

#[test]
fn unreadable_files_are_errors_naming_the_file() {
    let (vs, _) = build(&tiny(), 12);
    let msg = format!(
        "{:#}",
        weights::load(&vs, "/nonexistent/w.safetensors").unwrap_err()
    );
    assert!(msg.contains("/nonexistent/w.safetensors"), "{msg}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.safetensors");
    std::fs::write(&path, b"not a safetensors file").unwrap();
    let msg = format!("{:#}", weights::load(&vs, &path).unwrap_err());
    assert!(msg.contains("is not a valid safetensors file"), "{msg}");
}
