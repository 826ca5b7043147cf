"""Throughput of the executors: the same short runs on 1 and 2 local worker processes and on a
2-worker Dask ``LocalCluster``, printed as runs per minute and ratios.

    .venv/bin/python benchmarks/bench_executors.py [--runs 8] [--epochs 2] [--n-sequences 2000]

Every executor trains the same configs into its own fresh results folder (nothing is loaded from a
cache). Wall time counts from submitting the runs to the last finished run, so it includes starting
the worker processes and importing TensorFlow in them; the Dask cluster's own start-up (a cluster is
long-lived) is printed apart. Each run uses one CPU thread. Targets: two local workers at least 1.7x one
worker on a machine with two free cores, and Dask within 10 % of local processes. Other work on the
machine makes these numbers noisy: rerun on an idle machine before drawing conclusions.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from seqlib.executors import DaskExecutor, LocalExecutor
from seqlib.runs import RunConfig, grid, run_grid


def _time(make, configs) -> tuple[float, float]:
    """(seconds to set the executor up, seconds to train every config)."""
    start = time.perf_counter()
    executor = make()
    ready = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="bench_executors.") as root:
            run_grid(configs, root=root, executor=executor, progress=False)
            done = time.perf_counter()
    finally:
        executor.close()
    return ready - start, done - ready


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="runs per executor (default 8)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--n-sequences", type=int, default=2000)
    parser.add_argument("--model", default="cnn-local")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    base = RunConfig(task="task1", model=args.model, epochs=args.epochs, patience=None, n_sequences=args.n_sequences)
    configs = grid(base, activation=["relu", "exponential"], trial=range((args.runs + 1) // 2))[:args.runs]
    print(f"{len(configs)} runs: {args.model}, Task 1 with {args.n_sequences} sequences, {args.epochs} epoch(s), "
          f"1 thread each; {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f} at start")
    executors = {"local, 1 worker": lambda: LocalExecutor(1), "local, 2 workers": lambda: LocalExecutor(2),
                 "Dask LocalCluster, 2 workers": lambda: DaskExecutor.local(n_workers=2)}
    rates = {}
    for name, make in executors.items():
        setup, seconds = _time(make, configs)
        rates[name] = len(configs) / seconds * 60
        print(f"{name:30s} {seconds:7.1f} s  {rates[name]:6.1f} runs/min   (set-up {setup:.1f} s)", flush=True)
    two = rates["local, 2 workers"] / rates["local, 1 worker"]
    dask = rates["Dask LocalCluster, 2 workers"] / rates["local, 2 workers"]
    print(f"2 local workers / 1 local worker: {two:.2f}x (target >= 1.7x)")
    print(f"Dask 2 workers / local 2 workers: {dask:.2f}x (target within 10 %: 0.90-1.10)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}: other work on the machine makes these numbers noisy")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
