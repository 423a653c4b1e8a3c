# Sourced by ./lab and .ci/run. Every step is idempotent and costs well under a second when done.
TORCH_VERSION=2.11.0        # what tch 0.24 expects
TORCHVISION_VERSION=0.26.0  # the torchvision built against it (timm needs one)
TIMM_VERSION=1.0.31         # reference implementation for the StarNet parity fixtures
ONNXRUNTIME_VERSION=1.31.1  # the ONNX Runtime the `ort` crate 2.0.0-rc.15 pairs with (1.31)
ONNX_VERSION=1.23.2         # for the bench peer's torch.onnx.export of timm's StarNet
# The reader the tensorboard crate's tests check its event files with, and the viewer. It needs
# protobuf >=6.31.1,<8; onnx 1.23.2 needs >=6.31.1: both take the protobuf 7.x pip picks for onnx.
TENSORBOARD_VERSION=2.21.0
# MNIST-1D's generator and what it computes with. numpy 2.4.6 is the one torch/timm/onnx already
# run on in .venv (onnx needs >= 1.23.2, ml_dtypes >= 2.0), so every install pins the same one.
MNIST1D_VERSION=0.0.2.post1
NUMPY_VERSION=2.4.6
SCIPY_VERSION=1.17.1        # gaussian_filter, interp1d
MATPLOTLIB_VERSION=3.11.2   # imported by mnist1d (its plotting helper), not used
REQUESTS_VERSION=2.34.2     # imported by mnist1d (its download helper), not used
SAFETENSORS_VERSION=0.8.0   # the file format of the StarNet fixtures and of data/mnist1d
VENV=.venv
# No pip cache: the torch wheels alone are GBs, and a cached copy doubles what the install needs
# on disk (CI once ran out of space here).
PIP_INSTALL=(-m pip install -q --disable-pip-version-check --no-cache-dir)

die() { printf '\nstarlab setup: %s\n' "$*" >&2; exit 1; }
note() { printf 'starlab setup: %s\n' "$*" >&2; }

# libtorch: the user's LIBTORCH / LIBTORCH_USE_PYTORCH, else PyTorch from PyPI in .venv, linked
# as .libtorch (where .cargo/config.toml points cargo).
setup_libtorch() {
  if [ -n "${LIBTORCH_USE_PYTORCH:-}" ]; then return 0; fi
  if [ -n "${LIBTORCH:-}" ]; then
    [ -e "$LIBTORCH/lib/libtorch_cpu.so" ] \
      || die "LIBTORCH=$LIBTORCH has no lib/libtorch_cpu.so. Point it at a libtorch $TORCH_VERSION folder (one with include/ and lib/), or unset it to let ./lab install PyTorch $TORCH_VERSION into $VENV."
    return 0
  fi
  if [ -e .libtorch/lib/libtorch_cpu.so ] && [ "$(cat "$VENV/.torch-version" 2>/dev/null)" = "$TORCH_VERSION" ]; then
    return 0
  fi
  ensure_venv
  need_disk 7 "torch==$TORCH_VERSION with its CUDA libraries"
  note "installing torch==$TORCH_VERSION into $VENV (about a minute, 4.6 GB with its CUDA libraries)"
  "$VENV/bin/python" "${PIP_INSTALL[@]}" "torch==$TORCH_VERSION" \
    || die "pip could not install torch==$TORCH_VERSION (output above). Check the network to PyPI and free disk space, or use a libtorch you already have: export LIBTORCH=/path/to/libtorch (or LIBTORCH_USE_PYTORCH=1 with a python3 whose torch is $TORCH_VERSION)."
  local torch_dir
  torch_dir=$("$VENV/bin/python" -W ignore -c 'import os, torch; print(os.path.dirname(torch.__file__))') \
    || die "torch was installed but does not import in $VENV (output above)."
  [ -e "$torch_dir/lib/libtorch_cpu.so" ] || die "the torch wheel in $torch_dir carries no lib/libtorch_cpu.so."
  ln -sfn "$torch_dir" .libtorch
  echo "$TORCH_VERSION" > "$VENV/.torch-version"
  note "libtorch $TORCH_VERSION ready: .libtorch -> $torch_dir"
}

# Fails early, with the numbers, where pip would fail half-way with "No space left on device".
# pip unpacks in $TMPDIR and installs into $VENV: both need room.
need_disk() {
  local gb=$1 what=$2 dir free
  for dir in . "${TMPDIR:-/tmp}"; do
    free=$(df -Pk "$dir" 2>/dev/null | awk 'NR==2 {print int($4 / 1048576)}')
    [ -z "$free" ] || [ "$free" -ge "$gb" ] \
      || die "installing $what needs about $gb GB free; $(cd "$dir" && pwd) has $free GB. Free some space, or point TMPDIR elsewhere, or use a libtorch you already have: export LIBTORCH=/path/to/libtorch."
  done
}

ensure_venv() {
  [ -x "$VENV/bin/python" ] && return 0
  command -v python3 >/dev/null \
    || die "python3 is not installed. starlab gets libtorch from the PyTorch $TORCH_VERSION wheel: install Python 3 (Debian: apt-get install python3 python3-venv), or export LIBTORCH=/path/to/libtorch-$TORCH_VERSION."
  python3 -m venv "$VENV" 2>/dev/null \
    || die "python3 cannot create a virtual environment (Debian: apt-get install python3-venv), or export LIBTORCH=/path/to/libtorch-$TORCH_VERSION."
}

# timm (and the torchvision it imports) for the StarNet parity fixtures, pinned so pip never
# swaps the torch that libtorch comes from.
setup_timm() {
  ensure_venv
  # A marker, not an import: importing timm imports torch, which takes seconds.
  [ "$(cat "$VENV/.timm-version" 2>/dev/null)" = "$TIMM_VERSION" ] && return 0
  note "installing timm==$TIMM_VERSION into $VENV (test fixtures)"
  "$VENV/bin/python" "${PIP_INSTALL[@]}" "torch==$TORCH_VERSION" \
      "torchvision==$TORCHVISION_VERSION" "timm==$TIMM_VERSION" "safetensors==$SAFETENSORS_VERSION" "numpy==$NUMPY_VERSION" \
    || die "pip could not install timm==$TIMM_VERSION (output above); the StarNet parity tests need it."
  echo "$TIMM_VERSION" > "$VENV/.timm-version"
}

# TensorBoard: its Python reader (EventAccumulator, the HParams plugin's protobufs) and server
# check the event files the tensorboard crate writes; `tensorboard --logdir` views them.
setup_tensorboard() {
  ensure_venv
  # A marker, not an import: importing tensorboard takes a second or two.
  [ "$(cat "$VENV/.tensorboard-version" 2>/dev/null)" = "$TENSORBOARD_VERSION" ] && return 0
  note "installing tensorboard==$TENSORBOARD_VERSION into $VENV (the event-file tests' reader)"
  "$VENV/bin/python" "${PIP_INSTALL[@]}" "tensorboard==$TENSORBOARD_VERSION" \
    || die "pip could not install tensorboard==$TENSORBOARD_VERSION (output above); the tensorboard crate's tests read their files with it."
  echo "$TENSORBOARD_VERSION" > "$VENV/.tensorboard-version"
}

# ONNX Runtime: the `ort` crate loads libonnxruntime.so at run time (load-dynamic; nothing is
# downloaded at build time). It comes from the onnxruntime wheel in .venv, linked as
# .libonnxruntime.so, where .cargo/config.toml's ORT_DYLIB_PATH points. A user's ORT_DYLIB_PATH wins.
setup_onnxruntime() {
  if [ -n "${ORT_DYLIB_PATH:-}" ]; then
    [ -f "$ORT_DYLIB_PATH" ] \
      || die "ORT_DYLIB_PATH=$ORT_DYLIB_PATH is not a file. Point it at a libonnxruntime.so of ONNX Runtime >= 1.31, or unset it to let ./lab install onnxruntime==$ONNXRUNTIME_VERSION into $VENV."
    return 0
  fi
  if [ -e .libonnxruntime.so ] && [ "$(cat "$VENV/.onnxruntime-version" 2>/dev/null)" = "$ONNXRUNTIME_VERSION" ]; then
    return 0
  fi
  ensure_venv
  if [ "$(cat "$VENV/.onnxruntime-version" 2>/dev/null)" != "$ONNXRUNTIME_VERSION" ]; then
    note "installing onnxruntime==$ONNXRUNTIME_VERSION and onnx==$ONNX_VERSION into $VENV (the ONNX backend)"
    "$VENV/bin/python" "${PIP_INSTALL[@]}" "onnxruntime==$ONNXRUNTIME_VERSION" \
        "onnx==$ONNX_VERSION" \
      || die "pip could not install onnxruntime==$ONNXRUNTIME_VERSION (output above); the ONNX Runtime backend and its tests need it. Or export ORT_DYLIB_PATH=/path/to/libonnxruntime.so (ONNX Runtime >= 1.31)."
  fi
  # A glob, not an import: the wheel's library sits in onnxruntime/capi/ of site-packages.
  local lib
  lib=$(ls "$VENV"/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so* 2>/dev/null | head -n 1)
  [ -n "$lib" ] || die "the onnxruntime wheel in $VENV carries no capi/libonnxruntime.so*."
  ln -sfn "$lib" .libonnxruntime.so
  echo "$ONNXRUNTIME_VERSION" > "$VENV/.onnxruntime-version"
  note "ONNX Runtime $ONNXRUNTIME_VERSION ready: .libonnxruntime.so -> $lib"
}

# Fashion-MNIST: the runner and tests also look at \$FASHION_MNIST_DIR and /usr/share/datasets;
# when none has it, unpack Debian's package into data/ (no root needed once apt knows it).
FMNIST_FILES="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
has_fmnist() {
  local dir=$1 f
  for f in $FMNIST_FILES; do
    [ -e "$dir/$f" ] || [ -e "$dir/$f.gz" ] || return 1
  done
}
setup_fashion_mnist() {
  local d
  for d in "${FASHION_MNIST_DIR:-}" data/fashion-mnist /usr/share/datasets/fashion-mnist; do
    [ -n "$d" ] && has_fmnist "$d" && return 0
  done
  command -v apt-get >/dev/null || { note "Fashion-MNIST not found and no apt-get to fetch it; put the IDX files in data/fashion-mnist/"; return 1; }
  note "fetching Debian's dataset-fashion-mnist into data/fashion-mnist"
  local tmp; tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download -q dataset-fashion-mnist >/dev/null 2>&1); then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null 2>&1 || true; fi
    (cd "$tmp" && apt-get download -q dataset-fashion-mnist >/dev/null 2>&1) \
      || { rm -rf "$tmp"; note "could not download dataset-fashion-mnist (run 'apt-get update' as root, or put the IDX files in data/fashion-mnist/)"; return 1; }
  fi
  dpkg-deb -x "$tmp"/dataset-fashion-mnist_*.deb "$tmp/x"
  mkdir -p data/fashion-mnist
  mv "$tmp"/x/usr/share/datasets/fashion-mnist/* data/fashion-mnist/
  rm -rf "$tmp"
}

# MNIST-1D: generated once by the mnist1d package's own make_dataset with its default arguments
# (scripts/make_mnist1d.py), into data/mnist1d/ unless $MNIST1D_DIR already holds it. The package
# stays in .venv: the loader's test compares the file with a fresh generation.
# Found where the loader looks: $MNIST1D_DIR as it is, ours only when made by the pinned version.
mnist1d_found() {
  { [ -n "${MNIST1D_DIR:-}" ] && [ -e "$MNIST1D_DIR/mnist1d.safetensors" ]; } \
    || { [ -e data/mnist1d/mnist1d.safetensors ] \
         && [ "$(cat data/mnist1d/.mnist1d-version 2>/dev/null)" = "$MNIST1D_VERSION" ]; }
}
setup_mnist1d() {
  ensure_venv
  if [ "$(cat "$VENV/.mnist1d-version" 2>/dev/null)" != "$MNIST1D_VERSION" ]; then
    note "installing mnist1d==$MNIST1D_VERSION (with scipy==$SCIPY_VERSION, numpy==$NUMPY_VERSION) into $VENV (MNIST-1D's generator)"
    "$VENV/bin/python" "${PIP_INSTALL[@]}" "mnist1d==$MNIST1D_VERSION" "numpy==$NUMPY_VERSION" \
        "scipy==$SCIPY_VERSION" "matplotlib==$MATPLOTLIB_VERSION" "requests==$REQUESTS_VERSION" \
        "safetensors==$SAFETENSORS_VERSION" \
      || { note "pip could not install mnist1d==$MNIST1D_VERSION (output above); MNIST-1D is generated by it"; return 1; }
    echo "$MNIST1D_VERSION" > "$VENV/.mnist1d-version"
  fi
  mnist1d_found && return 0
  note "generating MNIST-1D into data/mnist1d (mnist1d $MNIST1D_VERSION, default arguments, seed 42)"
  "$VENV/bin/python" scripts/make_mnist1d.py data/mnist1d \
    || { note "scripts/make_mnist1d.py failed (output above)"; return 1; }
}

setup_all() {
  setup_libtorch
  setup_timm
  setup_onnxruntime
  setup_tensorboard
  setup_fashion_mnist || die "Fashion-MNIST is needed by the tests (see above)."
  setup_mnist1d || die "MNIST-1D is needed by the tests (see above)."
}
