//! Links libtorch (see torch-build) and records the versions a run's record reports.
fn main() {
    torch_build::link_libtorch();

    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=RUNNER_RUSTC_VERSION={rustc_version}");

    // torch-sys reports <libtorch>/lib; the PyTorch wheel keeps `version.py` one level up.
    let libtorch = std::env::var("DEP_TCH_LIBTORCH_LIB")
        .ok()
        .and_then(|lib| std::fs::read_to_string(std::path::Path::new(&lib).join("../version.py")).ok())
        .and_then(|py| {
            py.lines().find_map(|l| {
                l.strip_prefix("__version__ = ")
                    .map(|v| v.trim_matches(['\'', '"', ' ']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=RUNNER_LIBTORCH_VERSION={libtorch}");

    // The tch version this crate resolved to, from Cargo.lock's pin in the workspace manifest.
    println!("cargo:rustc-env=RUNNER_TCH_VERSION=0.24.0");
}
