"""Benchmark: vectorised Task-1/Task-3 generators vs the authors' per-sequence loop, side by side.

The baseline is seqlib's ``engine="reference"``: a straightforward per-sequence loop making the authors'
calls (``generate_model`` + ``simulate_sequence``, list comprehension over positions). Both run at the
paper's full size in the same process. Target: Task 1 (30,000 × 200) under 10 s here.

    .venv/bin/python benchmarks/bench_simulate.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

from seqlib.motifs import TASK1_MOTIF_IDS, load_jaspar
from seqlib.simulate import simulate_task1, simulate_task3


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the vectorised run (best is kept)")
    args = parser.parse_args()
    load_jaspar(TASK1_MOTIF_IDS)  # warm pyjaspar's cache so neither side pays for it
    print(f"{'task':6s} {'N':>7s} {'vectorised (s)':>15s} {'per-sequence loop (s)':>22s} {'speed-up':>9s}")
    for task, fn, n in (("task1", simulate_task1, 30_000), ("task3", simulate_task3, 20_000)):
        fast = best_of(lambda: fn(n_sequences=n), args.repeats)
        slow = best_of(lambda: fn(n_sequences=n, engine="reference"), 1)
        print(f"{task:6s} {n:7,d} {fast:15.2f} {slow:22.2f} {slow / fast:8.1f}x")
        if task == "task1":
            verdict = "meets" if fast < 10 else "MISSES"
            print(f"       target: Task 1 at full size under 10 s -> {verdict} ({fast:.2f} s)")


if __name__ == "__main__":
    main()
