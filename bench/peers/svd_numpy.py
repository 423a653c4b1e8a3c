"""numpy peer of `crates/star-math/examples/svd_timing.rs`: singular values of a 4000 x 2145 matrix.

Same kind of matrix as the Rust side: 2145 random one-layer star members with bias (d = 64,
weights N(0, 1/65)) evaluated at 4000 points with arcsine coordinates, columns then rows scaled
to unit norm (rank 2145). Times `numpy.linalg.svd(compute_uv=False)` (LAPACK gesdd, what
`matrix_rank` calls) after one untimed run that gives the rank. Prints one JSON line per timed
run, with the OpenBLAS kernel (core name, read from the loaded library with ctypes) and threads.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 \
        .venv/bin/python bench/peers/svd_numpy.py [--runs 1] [--npy FILE ...]

`--npy`: time these saved matrices instead (`svd_timing --implicit-dim ... --npy-dir`), one run each.

`bench/svd.sh` runs it side by side with faer. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which some
VMs set, force a kernel older than the CPU; the JSON says when they were set.
"""

import argparse
import ctypes
import json
import os
import time

import numpy as np


def probe_matrix(n=4000, k=2145, d=64, seed=42):
    rng = np.random.default_rng(seed)
    x = np.cos(np.pi * rng.random((n, d)))
    std = 1.0 / np.sqrt(d + 1)
    w1, w2 = rng.normal(0, std, (d, k)), rng.normal(0, std, (d, k))
    b1, b2 = rng.normal(0, std, k), rng.normal(0, std, k)
    m = (x @ w1 + b1) * (x @ w2 + b2)
    m /= np.linalg.norm(m, axis=0, keepdims=True)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return m


def openblas():
    """(kernel, threads) of the OpenBLAS numpy loaded, or (None, None) for another BLAS."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "openblas" in line.split()[-1].lower()}
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        # numpy's wheels carry scipy-openblas with prefixed, ILP64-suffixed symbols.
        for prefix, suffix in (("scipy_openblas_", "64_"), ("scipy_openblas_", ""), ("openblas_", "64_"), ("openblas_", "")):
            name = getattr(lib, f"{prefix}get_corename{suffix}", None)
            threads = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
            if name and threads:
                name.restype = ctypes.c_char_p
                return name().decode(), int(threads())
    return None, None


def rank_of(s, shape):
    """numpy's `matrix_rank` rule, the one star-math's `RankRule::default()` follows."""
    return int((s > max(shape) * np.finfo(float).eps * s[0]).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1, help="timed runs of the 4000 x 2145 matrix")
    ap.add_argument("--npy", nargs="+", help="time these .npy matrices instead, one run each")
    a = ap.parse_args()
    if a.runs < 1:
        ap.error(f"--runs must be at least 1, got {a.runs}")
    kernel, threads = None, None
    base = {"impl": "numpy", "numpy": np.__version__,
            "forced_by_env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}}
    if a.npy:
        jobs = [(path, np.load(path), 1) for path in a.npy]
    else:
        m = probe_matrix()
        jobs = [(None, m, a.runs)]
        base["rank_warmup"] = rank_of(np.linalg.svd(m, compute_uv=False), m.shape)
    for path, m, runs in jobs:
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()  # CPU: all threads, spin-waits included
            s = np.linalg.svd(m, compute_uv=False)
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            if kernel is None:  # OpenBLAS starts its threads on the first call
                kernel, threads = openblas()
            print(json.dumps({**base, "npy": path, "shape": list(m.shape), "rank": rank_of(s, m.shape),
                              "threads": threads, "kernel": f"OpenBLAS {kernel}",
                              "wall_s": round(wall, 4), "cpu_s": round(cpu, 3)}), flush=True)


if __name__ == "__main__":
    main()
