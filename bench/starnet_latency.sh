#!/usr/bin/env bash
# StarNet batch-1 CPU latency, side by side in one run: tch unfused, tch BN-fused, timm eager and
# ONNX Runtime (paper protocol: warm-up, then the mean). Two tables: S050/S1/S4 (star), and the
# paper's Table 8 analog, sum vs star for S1 and S4.
#   bench/starnet_latency.sh [--warmup 50] [--runs 500] [--threads 2] [--rounds 1]
# Defaults are the paper's 50 warm-up + 500 timed runs. On a shared machine whose speed drifts,
# use fewer runs and several rounds (each implementation's best round mean is reported), e.g.
#   bench/starnet_latency.sh --warmup 20 --runs 100 --rounds 3
set -euo pipefail
cd "$(dirname "$0")/.."
WARMUP=50 RUNS=500 THREADS=2 ROUNDS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --warmup) WARMUP=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
done
PY=${STARLAB_PYTHON:-.venv/bin/python}
source bench/malloc.sh
source bench/machine.sh
machine_line
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
COMMON=(--threads "$THREADS" --img 224 --warmup "$WARMUP" --runs "$RUNS")

# The dev profile: deps (tch) at opt-level 2, and the time is spent in libtorch kernels anyway.
cargo build -q -p starnet --example starnet_latency
BIN=${CARGO_TARGET_DIR:-target}/debug/examples/starnet_latency
# Interleave implementations per model so slow drifts in machine load hit all of them alike.
for round in $(seq "$ROUNDS"); do
  for m in s050 s1 s4; do
    modes=star; case $m in s1|s4) modes=star,sum ;; esac
    "$BIN" --models $m --modes $modes "${COMMON[@]}" >> "$OUT/all.jsonl"
    "$PY" bench/peers/starnet_latency.py --models $m --modes $modes "${COMMON[@]}" >> "$OUT/all.jsonl"
  done
done

"$PY" - "$OUT/all.jsonl" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t = {}
for r in rows:  # best round per implementation
    k = (r["model"], r["mode"], r["impl"])
    t[k] = min(t.get(k, float("inf")), r["mean_ms"])
r0 = rows[0]
rounds = max(sum(1 for r in rows if (r["model"], r["mode"], r["impl"]) == k) for k in t)
print(f"\nStarNet batch-1 CPU latency, {r0['img']} px, {r0['threads']} threads, "
      f"mean of {r0['runs']} runs after {r0['warmup']} warm-up, best of {rounds} round(s) (ms)\n")
impls = ["tch unfused", "tch fused", "timm eager", "onnxruntime"]
print("| model | " + " | ".join(impls) + " | fused / eager | fused / ORT |")
print("|---|" + "---:|" * (len(impls) + 2))
for m in ["starnet_s050", "starnet_s1", "starnet_s4"]:
    v = [t.get((m, "star", i)) for i in impls]
    cells = [f"{x:.2f}" if x else "-" for x in v]
    ratio = lambda a, b: f"{a / b:.2f}x" if a and b else "-"
    print(f"| {m} | " + " | ".join(cells) + f" | {ratio(v[1], v[2])} | {ratio(v[1], v[3])} |")
print("\nSum vs star (paper Table 8 analog; paper CPU ms: S1 3.8 / 4.3, S4 8.4 / 9.4 with ORT, 4 threads)\n")
print("| model | impl | sum | star | star / sum |")
print("|---|---|---:|---:|---:|")
for m in ["starnet_s1", "starnet_s4"]:
    for i in impls:
        s, st = t.get((m, "sum", i)), t.get((m, "star", i))
        if s and st:
            print(f"| {m} | {i} | {s:.2f} | {st:.2f} | {st / s:.2f} |")
PYEOF
