#!/usr/bin/env bash
# StarNet batch-1 CPU latency, side by side in one run: tch unfused, tch BN-fused, timm eager, and
# ONNX Runtime (the paper's runtime) on two graphs of the same weights: timm's own
# torch.onnx.export run from Python, and our Rust export (runner export) run from Rust (the ort
# crate). Both ORT sessions use every graph optimisation. To separate the graph from the binding,
# each ORT file is also run by the other language; our export with f1/f2 merged into one conv
# (--merge-f12) is timed too. Paper protocol: warm-up, then the mean.
#   bench/starnet_latency.sh [--warmup 50] [--runs 500] [--threads 2] [--rounds 1] [--ort-only]
# --ort-only skips the libtorch and eager columns (the ORT comparison in a third of the time).
# Defaults are the paper's 50 warm-up + 500 timed runs. On a shared machine whose speed drifts,
# use several rounds (each implementation's best round is reported, with the spread of the rounds):
#   bench/starnet_latency.sh --warmup 50 --runs 500 --rounds 3
set -euo pipefail
cd "$(dirname "$0")/.."
WARMUP=50 RUNS=500 THREADS=2 ROUNDS=1 ORT_ONLY=
while [ $# -gt 0 ]; do
  case "$1" in
    --warmup) WARMUP=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --ort-only) ORT_ONLY=1; shift ;;
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
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"

# The dev profile: deps (tch) at opt-level 2, and the time is spent in libtorch / ORT kernels anyway.
# One workspace-wide build: `-p X` would select other dependency features than the test build and
# recompile much of the tree (libtorch's C++ wrapper included).
cargo build -q --workspace --bins --examples
TARGET=${CARGO_TARGET_DIR:-target}/debug
BIN=$TARGET/examples/starnet_latency ORT_BIN=$TARGET/examples/ort_latency RUNNER=$TARGET/runner
modes_of() { case $1 in s1|s4) echo star,sum ;; *) echo star ;; esac; }

# One set of weights per model and mode (timm's seed-0 init, saved by timm), timm's ONNX export of
# it, and ours of the same file.
for m in s050 s1 s4; do
  "$PY" bench/peers/starnet_latency.py --prepare "$OUT" --models $m --modes "$(modes_of $m)" --img 224
  for mode in $(modes_of $m | tr , ' '); do
    "$RUNNER" export --model starnet_$m --mode "$mode" --weights "$OUT/starnet_${m}_$mode.safetensors" \
      --onnx "$OUT/starnet_${m}_${mode}_ours.onnx" >&2
    "$RUNNER" export --model starnet_$m --mode "$mode" --weights "$OUT/starnet_${m}_$mode.safetensors" \
      --merge-f12 --onnx "$OUT/starnet_${m}_${mode}_merged.onnx" >&2
  done
done

# Interleave implementations per model so slow drifts in machine load hit all of them alike; the
# four ORT runs alternate their order from round to round.
for round in $(seq "$ROUNDS"); do
  for m in s050 s1 s4; do
    modes=$(modes_of $m)
    if [ -z "$ORT_ONLY" ]; then
      "$BIN" --models $m --modes "$modes" "${COMMON[@]}" >> "$OUT/all.jsonl"
      "$PY" bench/peers/starnet_latency.py --models $m --modes "$modes" --eager "${COMMON[@]}" >> "$OUT/all.jsonl"
    fi
    for mode in ${modes//,/ }; do
      f=$OUT/starnet_${m}_$mode
      rust() { "$ORT_BIN" --onnx "${f}_$1.onnx" --impl "ort rust, $1 export" --model starnet_$m --mode $mode "${COMMON[@]}"; }
      py() { "$PY" bench/peers/starnet_latency.py --models $m --modes $mode --onnx "${f}_$1.onnx:ort python, $1 export" "${COMMON[@]}"; }
      if [ $((round % 2)) = 1 ]; then
        { rust ours; py timm; rust merged; rust timm; py ours; } >> "$OUT/all.jsonl"
      else
        { py ours; rust timm; rust merged; py timm; rust ours; } >> "$OUT/all.jsonl"
      fi
    done
  done
done

"$PY" - "$OUT/all.jsonl" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    by.setdefault((r["model"], r["mode"], r["impl"]), []).append(r["mean_ms"])
t = {k: min(v) for k, v in by.items()}  # best round per implementation
spread = {k: (max(v) - min(v)) / min(v) for k, v in by.items()}
r0 = rows[0]
rounds = max(len(v) for v in by.values())
print(f"\nStarNet batch-1 CPU latency, {r0['img']} px, {r0['threads']} threads, "
      f"mean of {r0['runs']} runs after {r0['warmup']} warm-up, best of {rounds} round(s) (ms)\n")
impls = ["tch unfused", "tch fused", "timm eager", "ort python, timm export", "ort rust, ours export",
         "ort rust, merged export"]
heads = ["tch unfused", "tch fused", "timm eager", "ORT timm export (Python)", "ORT our export (Rust)",
         "ORT ours, f12 merged (Rust)"]
ratio = lambda a, b: f"{a / b:.2f}x" if a and b else "-"
print("| model | " + " | ".join(heads) + " | fused / eager | ours / timm on ORT |")
print("|---|" + "---:|" * (len(impls) + 2))
uptime = open("/proc/loadavg").read().split()[:3]
for m in ["starnet_s050", "starnet_s1", "starnet_s4"]:
    v = [t.get((m, "star", i)) for i in impls]
    cells = [f"{x:.2f}" if x else "-" for x in v]
    print(f"| {m} | " + " | ".join(cells) + f" | {ratio(v[1], v[2])} | {ratio(v[4], v[3])} |")
print(f"\nload average at the end: {' '.join(uptime)} (1, 5, 15 min)")
print("\nSum vs star (paper Table 8 analog; paper CPU ms: S1 3.8 / 4.3, S4 8.4 / 9.4 with ORT, 4 threads)\n")
print("| model | impl | sum | star | star / sum |")
print("|---|---|---:|---:|---:|")
for m in ["starnet_s1", "starnet_s4"]:
    for i in impls:
        s, st = t.get((m, "sum", i)), t.get((m, "star", i))
        if s and st:
            print(f"| {m} | {i} | {s:.2f} | {st:.2f} | {st / s:.2f} |")
print(f"\nONNX Runtime binding: the same file from Rust (ort crate) and Python (best round; spread = "
      f"(max - min) / min over {rounds} round(s))\n")
print("| model | mode | file | Rust | Python | Rust / Python | spread Rust, Python |")
print("|---|---|---|---:|---:|---:|---|")
for (m, mode) in sorted({(k[0], k[1]) for k in t}, key=lambda k: (["starnet_s050", "starnet_s1", "starnet_s4"].index(k[0]), k[1])):
    for f in ["ours", "timm"]:
        kr, kp = (m, mode, f"ort rust, {f} export"), (m, mode, f"ort python, {f} export")
        if kr in t and kp in t:
            print(f"| {m} | {mode} | {f} | {t[kr]:.2f} | {t[kp]:.2f} | {t[kr] / t[kp]:.2f} | "
                  f"{spread[kr] * 100:.0f}%, {spread[kp] * 100:.0f}% |")
PYEOF
