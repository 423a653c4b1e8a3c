#!/usr/bin/env bash
# Where a DemoNet training epoch spends its time, per width and mode, as the runner trains it (the
# main job's recipe: depth 3, patch 4, batch 64, AdamW, one thread; the dev profile `./lab run`
# uses). Two views:
#   1. crates/demonet/examples/step_profile.rs: milliseconds per step of data, forward + loss,
#      backward and optimizer, and the evaluation pass over the 2,000 validation images that
#      follows each epoch; printed as a table (best of ROUNDS rounds per row, so load from other
#      processes shows as spread, not as a shifted mean).
#   2. `perf record` of a star run at the smallest and largest width: the libtorch kernels that
#      take the most time (self time, symbols above 2%). Skipped, with a line saying why, when
#      perf is missing or not allowed (kernel.perf_event_paranoid > 2).
#   bench/step_profile.sh [ROUNDS=3] [STEPS=80] [WIDTHS=8,16,32,64]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
STEPS=${2:-80}
WIDTHS=${3:-8,16,32,64}
PY=${STARLAB_PYTHON:-.venv/bin/python}
source bench/machine.sh
machine_line
cargo build -q -p demonet --example step_profile
BIN=${CARGO_TARGET_DIR:-target}/debug/examples/step_profile
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
source bench/malloc.sh
out=$(mktemp)
for r in $(seq "$ROUNDS"); do
  for mode in sum star; do
    "$BIN" --widths "$WIDTHS" --mode "$mode" --steps "$STEPS" >>"$out"
  done
done
"$PY" - "$out" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
best = {}
for r in rows:
    key = (r["width"], r["mode"])
    if key not in best or r["step_ms"] < best[key]["step_ms"]:
        best[key] = r
print(f"\n{'width':>5} {'mode':>4} {'params':>7} {'step ms':>8} {'data':>6} {'forward':>8} "
      f"{'backward':>9} {'optim':>6} {'epoch s':>8} {'eval s':>7} {'eval %':>7}")
for (w, m), r in sorted(best.items()):
    parts = [r[k] for k in ("data_ms", "forward_ms", "backward_ms", "optimizer_ms")]
    share = [100 * p / r["step_ms"] for p in parts]
    epoch = r["epoch_train_s"] + r["epoch_eval_s"]
    print(f"{w:>5} {m:>4} {r['params']:>7} {r['step_ms']:>8.2f} {share[0]:>5.1f}% {share[1]:>7.1f}% "
          f"{share[2]:>8.1f}% {share[3]:>5.1f}% {r['epoch_train_s']:>8.2f} {r['epoch_eval_s']:>7.3f} "
          f"{100 * r['epoch_eval_s'] / epoch:>6.1f}%")
print("(data/forward/backward/optim: share of a training step; epoch s: 157 steps of 64 images;"
      " eval: one pass over 2,000 validation images)")
PYEOF
rm -f "$out"
load_line

if ! command -v perf >/dev/null; then
  echo "perf view skipped: perf is not installed (apt-get install linux-perf)"
  exit 0
fi
if [ "$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 3)" -gt 2 ]; then
  echo "perf view skipped: kernel.perf_event_paranoid > 2 forbids profiling"
  exit 0
fi
first=${WIDTHS%%,*}
last=${WIDTHS##*,}
for w in $first $last; do
  data=$(mktemp)
  # Enough steps that training, not loading the data set, fills the profile at every width.
  perf record -q -F 999 -o "$data" -- "$BIN" --widths "$w" --mode star --steps $((STEPS * 192 / w)) >/dev/null 2>&1
  echo
  echo "perf, star width $w: self time by symbol (above 2%)"
  perf report -i "$data" --stdio --sort dso,symbol --percent-limit 2 2>/dev/null |
    grep -v '^#' | grep -v '^$' | cut -c1-160 | head -25
  rm -f "$data"
done
load_line
