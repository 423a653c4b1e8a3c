#!/usr/bin/env bash
# DemoNet training throughput on one CUDA GPU, bf16: tch (fp32 master weights, bf16 model, flat
# AdamW) against PyTorch eager + autocast and torch.compile + autocast (fused AdamW).
# Model: 28x28x1 input, patch 2 (the paper's 14x14 token grid), depth 12, batch 256,
# widths 64/192/384. Budget: well under 5 minutes (compile takes most of it).
#   bench/demonet_gpu.sh [STEPS=50]
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-50}
PY=${STARLAB_PYTHON:-.venv/bin/python}
source bench/malloc.sh
source bench/machine.sh
machine_line
COMMON="--depth 12 --patch 2 --img 28 --in-chans 1 --classes 10 --batch 256 --warmup 10 --steps $STEPS --device cuda"
BIN=${CARGO_TARGET_DIR:-target}/release/examples/bench_train
[ -x "$BIN" ] || cargo build --release -q -p demonet --example bench_train
out=$(mktemp)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
for w in 64 192 384; do
  timeout 60 "$BIN" $COMMON --amp --widths "$w" | tee -a "$out"
  timeout 60 "$PY" bench/peers/demonet_train.py $COMMON --bf16 --widths "$w" | tee -a "$out"
  timeout 120 "$PY" bench/peers/demonet_train.py $COMMON --bf16 --compile --widths "$w" | tee -a "$out"
done
"$PY" - "$out" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
best = {(r["width"], r["impl"]): r["img_per_s"] for r in rows}
print(f"{'width':>6} {'tch':>10} {'eager':>10} {'compile':>10} {'tch/compile':>12}")
for w in sorted({r['width'] for r in rows}):
    t, e, c = (best.get((w, k), float('nan')) for k in ("tch", "torch-eager", "torch.compile"))
    print(f"{w:>6} {t:>10.0f} {e:>10.0f} {c:>10.0f} {t / c:>12.2f}")
ws = sorted({r['width'] for r in rows})
print("\nHEADLINE tch / torch.compile training img/s: " + ", ".join(
    f"w{w} {best.get((w, 'tch'), float('nan')) / best.get((w, 'torch.compile'), float('nan')):.2f}x" for w in ws)
    + "; tch / eager: " + ", ".join(
    f"w{w} {best.get((w, 'tch'), float('nan')) / best.get((w, 'torch-eager'), float('nan')):.2f}x" for w in ws))
PYEOF
rm -f "$out"
