#!/usr/bin/env bash
# Numerical rank speed side by side, same 4000 x 2145 star matrix (rank 2145), same thread count:
#   starlab   star-math's rank path, `fast_rank` (crates/star-math/examples/svd_timing.rs, release):
#             the certified Gram route (eigenvalues of AᵀA, accepted only where error bounds
#             prove the SVD rule's count; its JSON "kernel" says if it fell back to the SVD);
#   numpy     numpy.linalg.svd(compute_uv=False), LAPACK gesdd on OpenBLAS: what
#             numpy.linalg.matrix_rank computes (bench/peers/svd_numpy.py);
#   faer_svd  faer's singular values alone, star-math's rank path before issue 23 (context).
# The headline is numpy time / starlab time. ROUNDS alternating rounds (starlab, numpy, faer_svd,
# starlab, ...) so that load from other processes hits every side alike; each round is one
# process per side (matrix, one untimed run, one timed run).
# numpy runs on its best ordinary configuration: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some
# VMs, forcing an older kernel) are unset for its command only, and it prints the kernel it ran.
#   bench/svd.sh [--rounds 5] [--threads 2] [--implicit-dim]
# --implicit-dim adds: how much of configs/implicit_dim.toml's run time is the rank (every probe
# built and ranked as the experiment does, fill and rank timed apart), and numpy's SVD on its 4
# largest matrices (one pass each side, not alternated: a few more minutes on 2 cores).
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
starlab() { RAYON_NUM_THREADS=$THREADS "$BIN" "$@"; }
numpy() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" \
    "$PY" bench/peers/svd_numpy.py "$@"
}
for r in $(seq "$ROUNDS"); do
  starlab 1 --route rank | tee -a "$OUT/rounds.jsonl"
  numpy --runs 1 | tee -a "$OUT/rounds.jsonl"
  starlab 1 --route svd | tee -a "$OUT/rounds.jsonl"
done
if [ "$IMPLICIT" = 1 ]; then
  starlab --implicit-dim configs/implicit_dim.toml --npy-dir "$OUT" --npy-top 4 | tee "$OUT/probes.jsonl"
  numpy --npy "$OUT"/*.npy | tee -a "$OUT/probes.jsonl"
fi

"$PY" - "$OUT" <<'PYEOF'
import json, os, statistics, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(f"{out}/rounds.jsonl") if l.startswith("{")]
sides = ("starlab", "numpy", "faer_svd")
by = {i: [r for r in rows if r["impl"] == i] for i in sides}
f, n = by["starlab"][0], by["numpy"][0]
if {r["threads"] for r in rows} != {f["threads"]}:
    sys.exit(f"thread counts differ: {sorted({(r['impl'], r['threads']) for r in rows})}")
if len({r["rank"] for r in rows}) != 1:
    sys.exit(f"not the same rank: {sorted({(r['impl'], r['rank']) for r in rows})}")
forced = n.get("forced_by_env")
print(f"\nrank of {f['shape'][0]} x {f['shape'][1]} (rank {f['rank']}), {f['threads']} threads, "
      f"{len(by['starlab'])} alternating rounds; starlab: {f['kernel']}; numpy {n['numpy']} SVD on {n['kernel']}"
      + (f" (FORCED by {forced})" if forced else ""))
print(f"{'':8} {'best s':>8} {'median s':>9} {'worst s':>8} {'best cpu s':>11}")
for i, rs in by.items():
    w = sorted(r["wall_s"] for r in rs)
    print(f"{i:8} {w[0]:8.2f} {statistics.median(w):9.2f} {w[-1]:8.2f} {min(r['cpu_s'] for r in rs):11.2f}")


def ratio(slow, fast):
    """Best-round time ratio, the round-by-round ratios, and the best CPU time ratio."""
    best = min(r["wall_s"] for r in by[slow]) / min(r["wall_s"] for r in by[fast])
    paired = sorted(b["wall_s"] / a["wall_s"] for a, b in zip(by[fast], by[slow]))
    cpu = min(r["cpu_s"] for r in by[slow]) / min(r["cpu_s"] for r in by[fast])
    return best, paired, cpu


best, paired, cpu = ratio("numpy", "starlab")
verdict = "starlab faster" if best > 1 else "numpy faster"
print(f"\nHEADLINE starlab rank speed / numpy speed (numpy time / starlab time, best rounds): {best:.2f}x ({verdict}); "
      f"round by round {paired[0]:.2f}-{paired[-1]:.2f}x; CPU time ratio {cpu:.2f}x")
best, paired, cpu = ratio("faer_svd", "starlab")
print(f"starlab rank / faer SVD (the route before): {best:.2f}x; round by round {paired[0]:.2f}-{paired[-1]:.2f}x; "
      f"CPU {cpu:.2f}x")

if os.path.exists(f"{out}/probes.jsonl"):
    p = [json.loads(l) for l in open(f"{out}/probes.jsonl") if l.startswith("{")]
    s = next(r for r in p if r.get("summary"))
    print(f"\nconfigs/implicit_dim.toml, starlab, {s['threads']} threads: {s['probes_measured']} probes in "
          f"{s['wall_s']:.1f} s; rank {s['rank_s']:.1f} s ({100 * s['rank_share']:.0f}%, "
          f"{s['matrices_by_gram']} of {2 * s['probes_measured']} matrices by the Gram route), fill "
          f"{s['fill_s']:.1f} s, equilibrate {s['equilibrate_s']:.1f} s")
    fa = {r["npy"]: r for r in p if r["impl"] == "starlab" and r.get("npy")}
    nu = {r["npy"]: r for r in p if r["impl"] == "numpy"}
    for k in sorted(fa):
        if fa[k]["rank"] != nu[k]["rank"]:
            print(f"  note: {os.path.basename(k)}: rank {fa[k]['rank']} (starlab) vs {nu[k]['rank']} (numpy)")
    tf, tn = sum(fa[k]["rank_s"] for k in fa), sum(nu[k]["wall_s"] for k in fa)
    cf, cn = sum(fa[k]["cpu_s"] for k in fa), sum(nu[k]["cpu_s"] for k in fa)
    print(f"its {len(fa)} largest matrices ({', '.join(str(fa[k]['shape'][0]) for k in sorted(fa))}), one pass each: "
          f"wall starlab {tf:.1f} s, numpy SVD {tn:.1f} s (numpy time / starlab time {tn / tf:.2f}x); "
          f"CPU starlab {cf:.1f} s, numpy {cn:.1f} s ({cn / cf:.2f}x)")
PYEOF
load_line
