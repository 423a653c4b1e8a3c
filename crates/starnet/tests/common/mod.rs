//! Reference data from timm, generated on demand by `scripts/starnet_fixtures.py` and cached in
//! `<workspace>/.fixtures/starnet` (gitignored).
#![allow(dead_code)] // each test binary uses a different part of this module

use serde_json::Value;
use starnet::{Config, StarNet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use tch::{Device, Tensor, nn};

/// Must equal `FIXTURE_VERSION` in the script; bump both when the fixtures change.
pub const FIXTURE_VERSION: u64 = 1;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The fixtures folder, generated first if it is missing or stale. Panics with instructions when
/// Python/timm are not available: these tests cannot pass without timm's reference numbers.
pub fn fixtures() -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let root = workspace_root();
    let dir = root.join(".fixtures/starnet");
    if manifest_version(&dir) == Some(FIXTURE_VERSION) {
        return dir;
    }
    let python = std::env::var("STARLAB_PYTHON").unwrap_or_else(|_| {
        panic!("STARLAB_PYTHON is not set (.cargo/config.toml sets it): run `./lab setup`, then `cargo test`")
    });
    let script = root.join("scripts/starnet_fixtures.py");
    eprintln!(
        "generating StarNet fixtures with timm: {python} {} {}",
        script.display(),
        dir.display()
    );
    let out = Command::new(&python)
        .arg(&script)
        .arg(&dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {python} ({e}): the StarNet parity tests need Python with timm; run `./lab setup`"
            )
        });
    assert!(
        out.status.success(),
        "{} failed ({}); the StarNet parity tests need torch + timm in {python}: run `./lab setup`.\n{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        manifest_version(&dir),
        Some(FIXTURE_VERSION),
        "fixture script wrote no manifest.json"
    );
    dir
}

fn manifest_version(dir: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).ok()?;
    serde_json::from_str::<Value>(&text)
        .ok()?
        .get("version")?
        .as_u64()
}

pub fn manifest() -> Value {
    let text = std::fs::read_to_string(fixtures().join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A timm case: its config (variant + overrides), timm's numbers, the input and timm's logits.
pub struct Case {
    pub name: String,
    pub config: Config,
    pub params: u64,
    pub macs: u64,
    pub input: Tensor,
    pub logits: Tensor,
    pub weights: PathBuf,
}

pub fn case(name: &str) -> Case {
    let dir = fixtures();
    let m = manifest();
    let c = &m["cases"][name];
    assert!(c.is_object(), "fixture case {name} missing from manifest");
    let mut cfg = c["config"].as_object().unwrap().clone();
    let variant = cfg.remove("variant").unwrap();
    let mut config = Config::from_name(variant.as_str().unwrap()).unwrap();
    if !cfg.is_empty() {
        // Overrides use our own field names; merge them through serde like a user's TOML would.
        let mut full = serde_json::to_value(&config).unwrap();
        for (k, v) in cfg {
            full[k] = v;
        }
        config = serde_json::from_value(full).unwrap();
    }
    let io: std::collections::HashMap<String, Tensor> =
        Tensor::read_safetensors(dir.join(format!("{name}_io.safetensors")))
            .unwrap()
            .into_iter()
            .collect();
    Case {
        name: name.to_string(),
        config,
        params: c["params"].as_u64().unwrap(),
        macs: c["macs"].as_u64().unwrap(),
        input: io["input"].shallow_clone(),
        logits: io["logits"].shallow_clone(),
        weights: dir.join(format!("{name}.safetensors")),
    }
}

/// A network for `config` with the given weights file loaded.
pub fn load(config: &Config, weights: &Path) -> (nn::VarStore, StarNet) {
    let vs = nn::VarStore::new(Device::Cpu);
    let net = StarNet::new(&vs.root(), config).unwrap();
    starnet::weights::load(&vs, weights).unwrap();
    (vs, net)
}

pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.size(), b.size());
    (a - b).abs().max().double_value(&[])
}
