//! Link settings for every package whose binaries, tests or benches use libtorch.
//!
//! `cargo:rustc-link-arg` only reaches the package that prints it, so each such package calls
//! [`link_libtorch`] from its `build.rs` and lists `torch-sys` as a direct dependency (the only
//! way to see torch-sys's `DEP_TCH_LIBTORCH_LIB`).

/// Emit an rpath to libtorch (binaries run with no `LD_LIBRARY_PATH`) and force `libtorch.so`
/// to be linked: with the default `--as-needed` the linker drops it, `libtorch_cuda.so` is never
/// loaded and `tch::Cuda::is_available()` is silently false on a GPU machine.
pub fn link_libtorch() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        println!("cargo:warning=torch-sys did not report its libtorch folder; binaries need LD_LIBRARY_PATH");
        return;
    };
    println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
    println!("cargo:rustc-link-arg=-ltorch");
    println!("cargo:rustc-env=STARLAB_LIBTORCH_LIB={dir}");
}
