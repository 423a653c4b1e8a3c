#!/usr/bin/env bash
# A sweep through a real single-node Slurm: starts munged, slurmctld and slurmd under a temporary
# folder, writes the array script with `runner slurm` for a tiny two-moons sweep (4 runs), submits
# it, waits, merges with `runner summarize` and checks that every run exists exactly once.
#
# Usage (as root: it starts the daemons):
#   scripts/test_slurm.sh              builds target/release/runner (or $CARGO_TARGET_DIR's) first
#   scripts/test_slurm.sh PATH/runner  uses that binary
# Installs slurm-wlm and munge with apt-get when they are missing. Exits non-zero on any failure,
# printing the Slurm logs. Needs about 1 minute once the binary is built.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

fail() { echo "test_slurm: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (it starts munged, slurmctld and slurmd); run it with sudo"

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "test_slurm: installing slurm-wlm and munge"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

runner=${1:-}
if [ -z "$runner" ]; then
  cargo build -q --release -p runner
  runner="${CARGO_TARGET_DIR:-$root/target}/release/runner"
fi
[ -x "$runner" ] || fail "no runner binary at $runner"
runner=$(realpath "$runner")

tmp=$(mktemp -d /tmp/starlab-slurm.XXXXXX)
started_munge=0
cleanup() {
  status=$?
  for pidfile in "$tmp/slurmd.pid" "$tmp/slurmctld.pid"; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  if [ "$started_munge" = 1 ] && [ -f "$tmp/munged.pid" ]; then
    kill "$(cat "$tmp/munged.pid")" 2>/dev/null || true
  fi
  if [ "$status" != 0 ]; then
    for log in ctld.log d.log; do
      [ -f "$tmp/$log" ] && { echo "--- $log (last 30 lines)"; tail -n 30 "$tmp/$log"; }
    done
    for out in "$tmp"/results/slurm/*.out; do
      [ -f "$out" ] && { echo "--- $out"; tail -n 20 "$out"; }
    done
    echo "test_slurm: files kept in $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# munge: a key, its run folder, and a daemon (ours, unless one already answers).
if ! (munge -n 2>/dev/null | unmunge >/dev/null 2>&1); then
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  chown munge:munge "$tmp"
  su -s /bin/sh munge -c "/usr/sbin/munged --pid-file=$tmp/munged.pid"
  started_munge=1
  for _ in $(seq 50); do (munge -n | unmunge >/dev/null 2>&1) && break; sleep 0.1; done
  (munge -n | unmunge >/dev/null 2>&1) || fail "munged did not start"
fi
chown root:root "$tmp"

host=$(hostname -s)
mkdir -p "$tmp/state" "$tmp/spool"
cat > "$tmp/slurm.conf" <<EOF
ClusterName=local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/ctld.log
SlurmdLogFile=$tmp/d.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 0.2
done
sinfo -h -o %T | grep -q idle || fail "the node did not become idle: $(sinfo 2>&1)"

# A tiny sweep: 2 modes x 2 seeds, 2 epochs each.
cat > "$tmp/slurm_moons.toml" <<'EOF'
[experiment]
name = "slurm_moons"
kind = "moons"
description = "Slurm array test"

[model]
width = 16
depth = 1

[train]
epochs = 2
threads = 1

[sweep]
mode = ["sum", "star"]
"train.seed" = [0, 1]
EOF
results="$tmp/results"
"$runner" slurm "$tmp/slurm_moons.toml" --results "$results" --cpus-per-task 1 --out "$tmp/sweep.sbatch"
grep -q -- '--array=0-3' "$tmp/sweep.sbatch" || fail "the script is not a 4-task array: $(cat "$tmp/sweep.sbatch")"

job=$(sbatch --parsable "$tmp/sweep.sbatch")
echo "test_slurm: submitted array job $job"
for _ in $(seq 600); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 0.5
done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || fail "the array job is still queued or running after 5 minutes"

"$runner" summarize "$results"

# Every planned run has exactly one record, with its own index, and the summary averages 2 seeds.
"$runner" plan "$tmp/slurm_moons.toml" --results "$results" --json > "$tmp/plan.json"
python3 - "$tmp/plan.json" "$results" <<'EOF'
import json, os, sys
plan = json.load(open(sys.argv[1]))
results = sys.argv[2]
runs = sorted(f for f in os.listdir(os.path.join(results, "runs")) if f.endswith(".json"))
ids = sorted(r["id"] + ".json" for r in plan)
assert runs == ids, f"records {runs} != plan {ids}"
indices = sorted(json.load(open(os.path.join(results, "runs", f)))["index"] for f in runs)
assert indices == list(range(len(plan))), f"indices {indices}"
summary = json.load(open(os.path.join(results, "summary.json")))["points"]
assert len(summary) == 2 and all(e["metrics"]["best_eval_top1"]["n"] == 2 for e in summary), summary
logs = [f for f in os.listdir(os.path.join(results, "slurm")) if f.endswith(".out")]
assert len(logs) == len(plan), f"expected one log per task, got {logs}"
print(f"test_slurm: {len(runs)} runs, each once; summary of {len(summary)} points")
EOF
echo "test_slurm: ok"
