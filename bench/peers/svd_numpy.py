"""numpy peer of `crates/star-math/benches/rank.rs`: the rank of a 4000 x 2145 probe matrix.

Same kind of matrix as the Rust bench: 2145 random one-layer star members with bias (d = 64,
weights N(0, 1/65)) evaluated at 4000 points with arcsine coordinates, columns then rows scaled
to unit norm. Times `numpy.linalg.svd(compute_uv=False)` (LAPACK gesdd; what `matrix_rank` calls).

    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 .venv/bin/python bench/peers/svd_numpy.py
"""

import os
import sys
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


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    m = probe_matrix()
    s = np.linalg.svd(m, compute_uv=False)
    rank = int((s > max(m.shape) * np.finfo(float).eps * s[0]).sum())
    print(f"rank = {rank} (expected 2145); OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    times = []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        np.linalg.svd(m, compute_uv=False)
        times.append(time.perf_counter() - t)
        # Process CPU time is less sensitive than wall time to other jobs on a shared machine.
        print(f"numpy svd 4000x2145: wall {times[-1]:.3f} s, cpu {time.process_time() - c:.2f} s")
    times.sort()
    print(f"numpy svd(compute_uv=False) 4000x2145: median {times[len(times) // 2]:.3f} s, "
          f"min {times[0]:.3f} s over {repeats} runs")


if __name__ == "__main__":
    main()
