"""Benchmark: feature maps → filter PPMs, vectorised vs a per-filter Python loop (the authors' approach).

Input: 6,000 × 200 × 32 feature maps (the Task-1 test set through CNN-deep's 32 first-layer filters),
made here from random one-hot sequences and exponential-like activations with a few strong hits per
filter, and separately with relu-like dense activations (many hits). Target: under 1 s for the
vectorised version. Both versions run in this process; results are checked to agree.

    .venv/bin/python benchmarks/bench_filters.py
"""

from __future__ import annotations

import time

import numpy as np

from seqlib.filters import activation_ppms, activation_ppms_loop


def make_maps(rng, n, length, filters, dense: bool):
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, length))]
    if dense:   # relu-like: half the positions active, smooth magnitudes -> many windows above 0.5 x max
        maps = np.maximum(rng.normal(0, 1, (n, length, filters)), 0).astype(np.float32)
    else:       # exponential-like: heavy tail, few windows above 0.5 x max
        maps = np.exp(rng.normal(0, 1.2, (n, length, filters))).astype(np.float32)
    return X, maps


def timed(fn, repeats=1):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main():
    rng = np.random.default_rng(0)
    print(f"{'feature maps':30s} {'windows':>9s} {'vectorised s':>13s} {'loop s':>8s} {'speed-up':>9s}")
    for label, dense in (("exponential-like (sparse)", False), ("relu-like (dense)", True)):
        X, maps = make_maps(rng, 6000, 200, 32, dense)
        fast_s, (fast, counts) = timed(lambda: activation_ppms(maps, X), repeats=3)
        slow_s, slow = timed(lambda: activation_ppms_loop(maps, X))
        assert np.allclose(fast, slow, atol=1e-5), "vectorised and loop PPMs differ"
        verdict = "meets" if fast_s < 1 else "MISSES"
        print(f"{label:30s} {int(counts.sum()):9,d} {fast_s:13.3f} {slow_s:8.2f} {slow_s / fast_s:8.0f}x"
              f"   (target < 1 s: {verdict})")


if __name__ == "__main__":
    main()
