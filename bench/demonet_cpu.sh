#!/usr/bin/env bash
# DemoNet training throughput on the CPU: tch (crates/demonet/examples/bench_train.rs) against
# PyTorch eager (bench/peers/demonet_train.py), side by side in one run.
# Model: 28x28x1 input, patch 4 (7x7 tokens), depth 12, batch 128, widths 32/64/128, 2 threads.
# Each width is measured in ROUNDS alternating rounds (tch, torch, tch, torch, ...) and the best
# round of each is kept, so that load from other processes hurts both sides alike.
#   bench/demonet_cpu.sh [ROUNDS=3] [STEPS=15]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
STEPS=${2:-15}
PY=${STARLAB_PYTHON:-.venv/bin/python}
COMMON="--depth 12 --patch 4 --img 28 --in-chans 1 --classes 10 --batch 128 --threads 2 --warmup 3 --steps $STEPS"
cargo build --release -q -p demonet --example bench_train
BIN=${CARGO_TARGET_DIR:-target}/release/examples/bench_train
export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
source bench/malloc.sh
out=$(mktemp)
for w in 32 64 128; do
  for r in $(seq "$ROUNDS"); do
    "$BIN" $COMMON --widths "$w" >>"$out"
    "$PY" bench/peers/demonet_train.py $COMMON --widths "$w" >>"$out"
  done
done
"$PY" - "$out" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
best = {}
for r in rows:
    k = (r["width"], r["impl"])
    best[k] = max(best.get(k, 0), r["img_per_s"])
print(f"{'width':>6} {'params':>9} {'tch img/s':>10} {'torch img/s':>12} {'ratio':>6}")
for w in sorted({r['width'] for r in rows}):
    p = next(r["params"] for r in rows if r["width"] == w)
    t, e = best[(w, "tch")], best[(w, "torch-eager")]
    print(f"{w:>6} {p:>9} {t:>10.1f} {e:>12.1f} {t / e:>6.2f}")
PYEOF
rm -f "$out"
