# Sourced by the bench scripts: the PyTorch peers get the same glibc malloc settings as our
# binaries (crates/training/src/malloc.rs: freed memory is kept for reuse, so no forward pass
# page-faults its activations in again), and the comparisons stay like for like.
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824
