# Sourced by every bench script (or run: `bash bench/machine.sh`): `machine_line` prints one line
# saying where the numbers that follow were measured. Absolute speeds on these VMs move ~3x when
# the CPU under them changes, and libtorch/OpenBLAS pick kernels by ISA, so a figure without its
# machine cannot be compared with anything. `load_line` prints the load averages (call it at the
# end too: a shared machine's load is part of the measurement).

load_line() {
  printf 'load average (1/5/15 min): %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# AVX-512 / AVX2 / AVX / SSE: the widest vector ISA the CPU flags announce.
isa_level() {
  local flags
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  case "$flags" in
    *" avx512f "*) echo "AVX-512" ;;
    *" avx2 "*) echo "AVX2" ;;
    *" avx "*) echo "AVX" ;;
    *) echo "SSE" ;;
  esac
}

machine_line() {
  local root py cpu fam model cores libs rustc
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  py=${STARLAB_PYTHON:-$root/.venv/bin/python}
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  # VMs often hide the marketing name ("Intel(R) Xeon(R) Processor"); family/model still tell CPUs apart.
  fam=$(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -1)
  model=$(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -1)
  cores=$(nproc --all)
  rustc=$(rustc --version 2>/dev/null | cut -d' ' -f2)
  # Versions from package metadata (no import), except torch: its CPU capability is the kernel
  # set libtorch dispatches to here (ATEN_CPU_CAPABILITY can lower it).
  libs=$("$py" - 2>/dev/null <<'PYEOF'
import importlib.metadata as md
out = []
for name in ("torch", "numpy", "timm", "onnxruntime"):
    try:
        v = md.version(name)
    except md.PackageNotFoundError:
        continue
    if name == "torch":
        try:
            import torch
            v += f" ({torch.backends.cpu.get_cpu_capability()} kernels)"
        except Exception:
            pass
    out.append(f"{name} {v}")
print(", ".join(out))
PYEOF
  ) || libs="(no python at $py)"
  printf 'machine: %s (family %s model %s), %s cores, %s | %s | %s, rustc %s | load %s\n' \
    "$cpu" "$fam" "$model" "$cores" "$(isa_level)" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
    "$libs" "${rustc:-absent}" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# Run directly: just print the line.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  machine_line
fi
