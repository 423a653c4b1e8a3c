#!/usr/bin/env bash
# DemoNet training throughput on the CPU: tch (crates/demonet/examples/bench_train.rs) against
# PyTorch eager (bench/peers/demonet_train.py), side by side in one run.
# Model: 28x28x1 input, patch 4 (7x7 tokens), depth 12, batch 128, widths 32/64/128, 2 threads.
# Each width is measured in ROUNDS alternating rounds (tch, torch, tch, torch, ...) and the best
# round of each is kept, so that load from other processes hurts both sides alike; the headline is
# the ratio of the best rounds, with the range of the round-by-round ratios as its spread.
#   bench/demonet_cpu.sh [ROUNDS=3] [STEPS=15] [THREADS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
STEPS=${2:-15}
THREADS=${3:-2}
PY=${STARLAB_PYTHON:-.venv/bin/python}
COMMON="--depth 12 --patch 4 --img 28 --in-chans 1 --classes 10 --batch 128 --threads $THREADS --warmup 3 --steps $STEPS"
source bench/machine.sh
machine_line
echo "threads: $THREADS on both sides (--threads: at::set_num_threads in tch, torch.set_num_threads in the peer)"
cargo build --release -q -p demonet --example bench_train
BIN=${CARGO_TARGET_DIR:-target}/release/examples/bench_train
export OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
source bench/malloc.sh
out=$(mktemp)
for w in 32 64 128; do
  for r in $(seq "$ROUNDS"); do
    "$BIN" $COMMON --widths "$w" >>"$out"
    "$PY" bench/peers/demonet_train.py $COMMON --widths "$w" >>"$out"
  done
done
"$PY" - "$out" "$THREADS" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
peer_threads = {r["threads"] for r in rows if r["impl"] == "torch-eager"}
if peer_threads != {int(sys.argv[2])}:
    sys.exit(f"the PyTorch peer ran on {peer_threads} threads, not {sys.argv[2]}")
peer = next(r for r in rows if r["impl"] == "torch-eager")
print(f"\nPyTorch peer: torch {peer['torch']}, {peer['cpu_capability']} kernels, {sys.argv[2]} threads")
print(f"{'width':>6} {'params':>9} {'tch img/s':>10} {'torch img/s':>12} {'ratio':>6} {'rounds':>10}")
headline = []
for w in sorted({r['width'] for r in rows}):
    p = next(r["params"] for r in rows if r["width"] == w)
    tch = [r["img_per_s"] for r in rows if r["width"] == w and r["impl"] == "tch"]
    eager = [r["img_per_s"] for r in rows if r["width"] == w and r["impl"] == "torch-eager"]
    ratio = max(tch) / max(eager)
    paired = sorted(t / e for t, e in zip(tch, eager))  # round i of each side ran back to back
    spread = f"{paired[0]:.2f}-{paired[-1]:.2f}"
    print(f"{w:>6} {p:>9} {max(tch):>10.1f} {max(eager):>12.1f} {ratio:>6.2f} {spread:>10}")
    headline.append(f"w{w} {ratio:.2f}x ({spread})")
print(f"\nHEADLINE tch / PyTorch eager training img/s, best of {len(tch)} rounds (round-by-round range): "
      + ", ".join(headline))
PYEOF
rm -f "$out"
load_line
