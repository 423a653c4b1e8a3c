//! The exported file itself: what it declares (opset, IR version, metadata, names, shapes), that
//! BatchNorm is gone and f1/f2 are one conv, and clear errors.

use prost::Message;
use starnet::{Config, Mode, StarNet};
use starnet_onnx::proto::{DimValue, ModelProto};
use starnet_onnx::{ExportOptions, OrtModel, OrtOptions, export};
use tch::nn;

fn s050(mode: Mode) -> (nn::VarStore, StarNet) {
    let vs = nn::VarStore::new(tch::Device::Cpu);
    let net =
        training::seed::seeded(0, || StarNet::new(&vs.root(), &Config::s050().with_mode(mode))).unwrap();
    (vs, net)
}

fn count(model: &ModelProto, op: &str) -> usize {
    model
        .graph
        .as_ref()
        .unwrap()
        .node
        .iter()
        .filter(|n| n.op_type == op)
        .count()
}

#[test]
fn the_file_declares_opset_ir_version_and_the_config() {
    let (_vs, net) = s050(Mode::Star);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/s050.onnx");
    let merged = ExportOptions {
        merge_f12: true,
        ..ExportOptions::square(96)
    };
    export::write(&export::export(&net, &merged).unwrap(), &path).unwrap();
    let model = ModelProto::decode(std::fs::read(&path).unwrap().as_slice()).unwrap();
    assert_eq!(model.ir_version, 8);
    assert_eq!(model.opset_import.len(), 1);
    assert_eq!(
        (
            model.opset_import[0].domain.as_str(),
            model.opset_import[0].version
        ),
        ("", 17)
    );
    let meta = |k: &str| {
        model
            .metadata_props
            .iter()
            .find(|p| p.key == k)
            .map(|p| p.value.clone())
    };
    assert_eq!(meta("starlab.opset").as_deref(), Some("17"));
    assert_eq!(meta("starlab.ir_version").as_deref(), Some("8"));
    let cfg: Config = serde_json::from_str(&meta("starlab.config").unwrap()).unwrap();
    assert_eq!(cfg, Config::s050());

    let g = model.graph.as_ref().unwrap();
    let dims = |v: &starnet_onnx::proto::ValueInfoProto| -> Vec<DimValue> {
        let t = v.r#type.as_ref().unwrap().tensor_type.as_ref().unwrap();
        t.shape
            .as_ref()
            .unwrap()
            .dim
            .iter()
            .map(|d| d.value.clone().unwrap())
            .collect()
    };
    assert_eq!(g.input[0].name, "input");
    assert_eq!(
        dims(&g.input[0]),
        [
            DimValue::DimParam("batch".into()),
            DimValue::DimValue(3),
            DimValue::DimValue(96),
            DimValue::DimValue(96)
        ]
    );
    assert_eq!(g.output[0].name, "logits");
    assert_eq!(dims(&g.output[0])[1], DimValue::DimValue(1000));

    // S050: 6 blocks. Per block 4 convs (dwconv, f12, g, dwconv2), one Split, one Mul; no BN.
    let blocks = 6;
    assert_eq!(count(&model, "Conv"), 1 + 4 + 4 * blocks);
    assert_eq!(count(&model, "Split"), blocks);
    assert_eq!(count(&model, "Mul"), blocks);
    assert_eq!(count(&model, "BatchNormalization"), 0);
    // The merged f1/f2 weight has 2 r d outputs: stage 0 is 16 channels, ratio 3.
    let f12 = g
        .initializer
        .iter()
        .find(|t| t.name == "stages.0.1.f12.weight")
        .unwrap();
    assert_eq!(f12.dims, [2 * 3 * 16, 16, 1, 1]);
    assert_eq!(f12.raw_data.len(), 96 * 16 * 4);
}

#[test]
fn sum_mode_adds_instead_of_multiplying() {
    let (_vs, net) = s050(Mode::Sum);
    let model = export::export(&net, &ExportOptions::square(64)).unwrap();
    assert_eq!(count(&model, "Mul"), 0);
    // One Add per merge and one per residual.
    assert_eq!(count(&model, "Add"), 2 * 6);
}

#[test]
fn the_batch_size_is_free_and_metadata_reaches_onnx_runtime() {
    let (_vs, net) = s050(Mode::Star);
    let bytes = export::encode(&export::export(&net, &ExportOptions::square(64)).unwrap());
    let mut ort = OrtModel::from_bytes(&bytes, &OrtOptions::default()).unwrap();
    for n in [1, 3] {
        let y = ort
            .run(&tch::Tensor::randn([n, 3, 64, 64], tch::kind::FLOAT_CPU))
            .unwrap();
        assert_eq!(y.size(), [n, 1000]);
    }
    assert_eq!(ort.metadata("starlab.opset").unwrap().as_deref(), Some("17"));
    // Another spatial size than the exported one is ORT's error, not a crash.
    let err = ort
        .run(&tch::Tensor::randn([1, 3, 96, 96], tch::kind::FLOAT_CPU))
        .unwrap_err();
    assert!(format!("{err:#}").to_lowercase().contains("dim"), "{err:#}");
}

#[test]
fn too_small_inputs_are_refused() {
    let (_vs, net) = s050(Mode::Star);
    let err = export::export(&net, &ExportOptions::square(16)).unwrap_err();
    assert!(err.to_string().contains("too small"), "{err}");
}

#[test]
fn a_missing_onnx_runtime_library_is_a_clear_error() {
    // A child process, so this process's ORT stays loaded for the other tests.
    if std::env::var_os("STARLAB_ORT_MISSING_CHILD").is_some() {
        let err = starnet_onnx::runtime::environment().unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("./lab setup") && msg.contains("/nonexistent/libonnxruntime.so"),
            "{msg}"
        );
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "a_missing_onnx_runtime_library_is_a_clear_error",
            "--exact",
            "--nocapture",
        ])
        .env("STARLAB_ORT_MISSING_CHILD", "1")
        .env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

/// The reference implementation's checker (Python `onnx`, installed by `./lab setup`) accepts the
/// file with full shape inference, for the op mix of every merge and activation.
#[test]
fn the_onnx_checker_accepts_every_merge_and_activation() {
    let python = std::env::var("STARLAB_PYTHON").expect(
        "STARLAB_PYTHON is not set (.cargo/config.toml sets it): run `./lab setup`, then `cargo test`",
    );
    let dir = tempfile::tempdir().unwrap();
    let acts = [
        starnet::Act::Gelu,
        starnet::Act::Hardswish,
        starnet::Act::LeakyRelu,
        starnet::Act::None,
    ];
    let modes = [Mode::Sum, Mode::Star, Mode::StarBoth, Mode::StarAfter];
    let mut paths = vec![];
    for (i, (act, mode)) in acts.into_iter().zip(modes).enumerate() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let config = Config {
            act,
            stem_act: act,
            ..Config::s050().with_mode(mode)
        };
        let net = StarNet::new(&vs.root(), &config).unwrap();
        let path = dir.path().join(format!("m{i}.onnx"));
        export::write(
            &export::export(
                &net,
                &ExportOptions {
                    height: 64,
                    width: 96,
                    merge_f12: i % 2 == 0,
                },
            )
            .unwrap(),
            &path,
        )
        .unwrap();
        paths.push(path);
    }
    let script = "import sys, onnx\n\
                  for p in sys.argv[1:]:\n    \
                      m = onnx.load(p)\n    \
                      onnx.checker.check_model(m, full_check=True)\n    \
                      print(m.ir_version, m.opset_import[0].version)\n";
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(&paths)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}): run `./lab setup`"));
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "onnx.checker rejected the export (or onnx is missing: ./lab setup):\n{text}"
    );
    assert_eq!(text.lines().filter(|l| *l == "8 17").count(), 4, "{text}");
}
