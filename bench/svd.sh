#!/usr/bin/env bash
# SVD speed side by side: faer (star-math's rank path; crates/star-math/examples/svd_timing.rs,
# release) against numpy + OpenBLAS (bench/peers/svd_numpy.py), singular values only, of the same
# 4000 x 2145 star matrix (rank 2145), same thread count. ROUNDS alternating rounds (faer, numpy,
# faer, numpy, ...) so that load from other processes hits both sides alike; each round is one
# process per side (matrix, one untimed run, one timed run).
# numpy runs on its best ordinary configuration: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some
# VMs, forcing an older kernel) are unset for its command only, and it prints the kernel it ran.
#   bench/svd.sh [--rounds 5] [--threads 2] [--implicit-dim]
# --implicit-dim adds: how much of configs/implicit_dim.toml's run time is SVD (every probe built
# and ranked as the experiment does, fill and SVD timed apart), and numpy on its 4 largest
# matrices (one pass each side, not alternated: about 5 more minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=5 THREADS=2 IMPLICIT=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --implicit-dim) IMPLICIT=1; shift ;;
    *) echo "bench/svd.sh: unknown argument $1 (flags: --rounds N, --threads N, --implicit-dim)" >&2; exit 2 ;;
  esac
done
PY=${STARLAB_PYTHON:-.venv/bin/python}
source bench/machine.sh
machine_line
cargo build --release -q -p star-math --example svd_timing
BIN=${CARGO_TARGET_DIR:-target}/release/examples/svd_timing
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
faer() { RAYON_NUM_THREADS=$THREADS "$BIN" "$@"; }
numpy() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" \
    "$PY" bench/peers/svd_numpy.py "$@"
}
for r in $(seq "$ROUNDS"); do
  faer 1 | tee -a "$OUT/rounds.jsonl"
  numpy --runs 1 | tee -a "$OUT/rounds.jsonl"
done
if [ "$IMPLICIT" = 1 ]; then
  faer --implicit-dim configs/implicit_dim.toml --npy-dir "$OUT" --npy-top 4 | tee "$OUT/probes.jsonl"
  numpy --npy "$OUT"/*.npy | tee -a "$OUT/probes.jsonl"
fi

"$PY" - "$OUT" <<'PYEOF'
import json, os, statistics, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(f"{out}/rounds.jsonl") if l.startswith("{")]
by = {i: [r for r in rows if r["impl"] == i] for i in ("faer", "numpy")}
f, n = by["faer"][0], by["numpy"][0]
if {r["threads"] for r in rows} != {f["threads"]}:
    sys.exit(f"thread counts differ: {sorted({(r['impl'], r['threads']) for r in rows})}")
if f["rank"] != n["rank"]:
    sys.exit(f"not the same matrix: rank {f['rank']} (faer) vs {n['rank']} (numpy)")
forced = n.get("forced_by_env")
print(f"\nsingular values of {f['shape'][0]} x {f['shape'][1]} (rank {f['rank']}), {f['threads']} threads, "
      f"{len(by['faer'])} alternating rounds; numpy {n['numpy']} on {n['kernel']}"
      + (f" (FORCED by {forced})" if forced else ""))
print(f"{'':6} {'best s':>8} {'median s':>9} {'worst s':>8} {'best cpu s':>11}")
for i, rs in by.items():
    w = sorted(r["wall_s"] for r in rs)
    print(f"{i:6} {w[0]:8.2f} {statistics.median(w):9.2f} {w[-1]:8.2f} {min(r['cpu_s'] for r in rs):11.2f}")
best = min(r["wall_s"] for r in by["numpy"]) / min(r["wall_s"] for r in by["faer"])
paired = sorted(b["wall_s"] / a["wall_s"] for a, b in zip(by["faer"], by["numpy"]))
verdict = "faer faster" if best > 1 else "numpy faster"
cpu = min(r["cpu_s"] for r in by["numpy"]) / min(r["cpu_s"] for r in by["faer"])
print(f"\nHEADLINE faer speed / numpy speed (numpy time / faer time, best rounds): {best:.2f}x ({verdict}); "
      f"round by round {paired[0]:.2f}-{paired[-1]:.2f}x; CPU time ratio {cpu:.2f}x")

if os.path.exists(f"{out}/probes.jsonl"):
    p = [json.loads(l) for l in open(f"{out}/probes.jsonl") if l.startswith("{")]
    s = next(r for r in p if r.get("summary"))
    print(f"\nconfigs/implicit_dim.toml, faer, {s['threads']} threads: {s['probes_measured']} probes in "
          f"{s['wall_s']:.1f} s; SVD {s['svd_s']:.1f} s ({100 * s['svd_share']:.0f}%), fill "
          f"{s['fill_s']:.1f} s, equilibrate {s['equilibrate_s']:.1f} s")
    fa = {r["npy"]: r for r in p if r["impl"] == "faer" and r.get("npy")}
    nu = {r["npy"]: r for r in p if r["impl"] == "numpy"}
    for k in sorted(fa):
        if fa[k]["rank"] != nu[k]["rank"]:
            print(f"  note: {os.path.basename(k)}: rank {fa[k]['rank']} (faer) vs {nu[k]['rank']} (numpy)")
    tf, tn = sum(fa[k]["svd_s"] for k in fa), sum(nu[k]["wall_s"] for k in fa)
    cf, cn = sum(fa[k]["cpu_s"] for k in fa), sum(nu[k]["cpu_s"] for k in fa)
    print(f"its {len(fa)} largest matrices ({', '.join(str(fa[k]['shape'][0]) for k in sorted(fa))}), one pass each: "
          f"wall faer {tf:.1f} s, numpy {tn:.1f} s (numpy time / faer time {tn / tf:.2f}x); "
          f"CPU faer {cf:.1f} s, numpy {cn:.1f} s ({cn / cf:.2f}x)")
    r = tn / tf
    print(f"at that ratio the run's SVD time would be {s['svd_s'] * r:.0f} s instead of {s['svd_s']:.0f} s, "
          f"the run {s['wall_s'] + s['svd_s'] * (r - 1):.0f} s instead of {s['wall_s']:.0f} s")
PYEOF
load_line
