//! This crate links libtorch through `kinds` (its test binaries too): the run path and
//! `--no-as-needed` every libtorch binary needs (torch-build).
fn main() {
    torch_build::link_libtorch();
}
