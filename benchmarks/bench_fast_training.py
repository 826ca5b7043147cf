"""Benchmark: today's runner against the fast training path, CNN-deep on Task 1, side by side.

Throughput is training sequences per second of all workers together, validation included: every run
trains ``--epochs`` epochs on ``--n-train`` Task-1 sequences (batch 100, the paper's protocol) and
validates on the 3,000 validation sequences after each epoch; a run's epoch time is the median of its
epochs after the first (which pays for tracing), and the rate of a configuration is the sum over its
concurrent runs of ``n_train / epoch time``. The configurations run one after the other in the order
below, and the whole list ``--rounds`` times, so that a change of machine load hits all of them; the
median over rounds is printed.

* ``today's runner``: ``seqlib.runs.run_grid`` as it is (two spawned 1-thread workers, Keras
  BatchNormalization / Dropout, TensorFlow's default kernels), two trials at once.
* ``new path``: the same worker layout (two fresh 1-thread processes, two trials), with
  ``build_model(..., fast=True)`` (``seqlib.layers.FusedBatchNormalization`` and ``FastDropout``) and
  oneDNN switched on in the workers (``seqlib.training.pin_threads(1, onednn=True)``).
* each candidate alone (oneDNN only, fused batch norm only, hashed dropout only) and the fast layers
  without oneDNN, in the same layout;
* the new path as one process with two threads (one run), for the worker/thread layout;
* the workers on Keras's JAX backend (XLA compiles the whole training step, so batch norm and dropout are
  fused by the compiler), with Keras's layers and with the fast layers. The runner takes the backend from
  ``KERAS_BACKEND``. Each JAX worker is asked for one XLA thread (:data:`ONE_XLA_THREAD`), but XLA's CPU
  runtime may use more: then its wall speed-up is bought with the reference's core, and the CPU-time column
  (below 1x) shows it. On the AMD EPYC (AVX2) of 2026-11-27 it read 1.12x wall and 0.70x CPU time.

Because the machine's load from other users changes from minute to minute, the benchmark first runs a
*paired* comparison that does not depend on it: each 1-thread candidate trains at the same time as a
1-thread reference worker (one core each), and the ratio of their epoch times (wall and CPU) is the
throughput ratio of the two worker layouts. The sequential section then measures absolute rates.

It ends with the fidelity guard's table, read from the file ``benchmarks/fidelity_guard.py`` wrote
(its date and command are printed with it).

    .venv/bin/python benchmarks/bench_fast_training.py [--epochs 3] [--n-train 21000] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from fidelity_guard import cpu_model, default_output, format_table  # noqa: E402

ACTIVATION = "exponential"

#: name -> (fast parts for build_model, oneDNN setting (None: TensorFlow's default), workers, threads, Keras backend)
CONFIGS = {
    "new path (fused BN + fast dropout + oneDNN)": (True, True, 2, 1, "tensorflow"),
    "oneDNN only": (False, True, 2, 1, "tensorflow"),
    "fused batch norm only": (("batchnorm",), None, 2, 1, "tensorflow"),
    "fast dropout only": (("dropout",), None, 2, 1, "tensorflow"),
    "fused BN + fast dropout, no oneDNN": (True, None, 2, 1, "tensorflow"),
    "new path, 1 process x 2 threads": (True, True, 1, 2, "tensorflow"),
    "JAX backend, Keras layers": (False, None, 2, 1, "jax"),
    "JAX backend, fused BN + fast dropout": (True, None, 2, 1, "jax"),
}
#: XLA's CPU flags that ask a JAX worker for one thread (set before JAX starts its backend; not always honoured)
ONE_XLA_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
TODAY = "today's runner (run_grid, 2 x 1 thread)"


def timing_job(fast, onednn, threads: int, seed: int, epochs: int, n_train: int, backend: str = "tensorflow") -> dict:
    """In a fresh process: choose the Keras backend, pin threads (and oneDNN), train one run; its wall and CPU
    seconds per epoch."""
    os.environ["KERAS_BACKEND"] = backend
    if backend == "jax" and threads == 1:
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {ONE_XLA_THREAD}".strip()
    from seqlib.training import pin_threads

    pin_threads(threads, onednn=onednn)
    from seqlib.models import build_model
    from seqlib.tasks import load_task
    from seqlib.training import TrainConfig, train_model

    ds = load_task("task1").subsample(n_train=n_train)
    config = TrainConfig(epochs=epochs, patience=None, lr_patience=None, seed=seed)
    cpu = [time.process_time()]
    _, history = train_model(lambda: build_model("cnn-deep", ACTIVATION, input_length=ds.length,
                                                 n_outputs=ds.n_classes, fast=fast),
                             ds.train, ds.valid, config, progress=False,
                             on_epoch=lambda epoch, logs: cpu.append(time.process_time()))
    return {"wall": history["seconds"], "cpu": list(np.diff(cpu))}


def run_config(fast, onednn, workers: int, threads: int, epochs: int, n_train: int,
               backend: str = "tensorflow") -> list[dict]:
    """``workers`` concurrent runs (trials 0, 1, ...) in fresh spawned processes; their epoch seconds."""
    return run_jobs([(fast, onednn, threads, seed, epochs, n_train, backend) for seed in range(workers)])


def run_jobs(jobs: list[tuple]) -> list[dict]:
    """``timing_job(*job)`` for all jobs at once, each in a fresh spawned process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(jobs), mp_context=ctx, max_tasks_per_child=1) as pool:
        futures = [pool.submit(timing_job, *job) for job in jobs]
        return [f.result() for f in futures]


def steady(seconds: list[float]) -> float:
    return float(np.median(seconds[1:])) if len(seconds) > 1 else float(seconds[0])


def paired(fast, onednn, epochs: int, n_train: int, backend: str = "tensorflow") -> tuple[float, float]:
    """A candidate's run and a reference run (today's worker) at the same time, one core each.

    Both see the same machine load, so the ratio of their epoch rates is the throughput ratio of two
    workers of each; returns (wall ratio, CPU-time ratio), reference time / candidate time.
    """
    ref, cand = run_jobs([(False, None, 1, 0, epochs, n_train), (fast, onednn, 1, 0, epochs, n_train, backend)])
    return steady(ref["wall"]) / steady(cand["wall"]), steady(ref["cpu"]) / steady(cand["cpu"])


def run_today(epochs: int, n_train: int) -> list[list[float]]:
    """Today's runner: ``run_grid`` with its default workers on two trials."""
    from seqlib.runs import RunConfig, run_grid
    from seqlib.tasks import load_task

    data = load_task("task1").subsample(n_train=n_train)
    base = dict(task="task1", model="cnn-deep", activation=ACTIVATION, epochs=epochs, patience=None,
                lr_patience=None)
    with tempfile.TemporaryDirectory() as root:
        done = run_grid([RunConfig(trial=t, **base) for t in range(2)], root=root, workers=2, progress=False,
                        dataset=data)
    return [r.history["seconds"] for r in done]


def rate(epoch_seconds: list, n_train: int) -> tuple[float, float]:
    """(sequences per second summed over concurrent runs, mean steady epoch seconds)."""
    times = [steady(s["wall"] if isinstance(s, dict) else s) for s in epoch_seconds]
    return sum(n_train / t for t in times), float(np.mean(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (the first is excluded)")
    parser.add_argument("--n-train", type=int, default=21_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None, help="substrings of the candidate names to run")
    parser.add_argument("--guard", type=Path, default=None, help="the fidelity guard's result file")
    parser.add_argument("--no-sequential", action="store_true", help="only the paired comparison")
    args = parser.parse_args()

    configs = {k: v for k, v in CONFIGS.items() if args.only is None or any(o in k for o in args.only)}
    print(f"CNN-deep ({ACTIVATION}) on Task 1: {args.n_train:,} training + 3,000 validation sequences per epoch, "
          f"batch 100, {args.epochs} epochs per run, {args.rounds} round(s)\nmachine: {cpu_model()}; "
          f"TF_ENABLE_ONEDNN_OPTS in this shell: {os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'unset (CPU default)')}\n",
          flush=True)
    one_core = {k: v for k, v in configs.items() if v[2:4] == (2, 1)}
    pairs: dict[str, list[tuple[float, float]]] = {k: [] for k in one_core}
    for r in range(args.rounds):
        for name, (fast, onednn, _, _, backend) in one_core.items():
            pairs[name].append(paired(fast, onednn, args.epochs, args.n_train, backend))
    print("paired: each candidate's 1-thread run next to a reference 1-thread run (today's worker: Keras layers, "
          "default kernels), at the same time, one core each;\nspeed-up = reference epoch time / candidate epoch "
          "time (validation included) = throughput ratio of two workers of each")
    print(f"{'configuration':46s} {'wall speed-up':>13s} {'CPU-time speed-up':>18s}")
    for name, values in pairs.items():
        print(f"{name:46s} {np.median([w for w, _ in values]):12.2f}x {np.median([c for _, c in values]):17.2f}x"
              + ("" if len(values) == 1 else "   (rounds: " + ", ".join(f"{w:.2f}/{c:.2f}" for w, c in values) + ")"))
    if args.no_sequential:
        configs = {}
    if configs:
        print("\nsequential: each configuration with its own workers, one after the other (sensitive to load changes)")
    results: dict[str, list[tuple[float, float]]] = {TODAY: [], **{k: [] for k in configs}}
    for r in range(args.rounds if configs else 0):
        start = time.time()
        results[TODAY].append(rate(run_today(args.epochs, args.n_train), args.n_train))
        for name, (fast, onednn, workers, threads, backend) in configs.items():
            results[name].append(rate(run_config(fast, onednn, workers, threads, args.epochs, args.n_train, backend),
                                      args.n_train))
        print(f"round {r + 1}: {time.time() - start:.0f} s", flush=True)
    if not configs:
        results = {}
    base = float(np.median([x for x, _ in results[TODAY]])) if results else float("nan")
    if results:
        print(f"\n{'configuration':46s} {'epoch s/run':>11s} {'seq/s (all workers)':>20s} {'vs today':>9s}")
    for name, values in results.items():
        seq = float(np.median([x for x, _ in values]))
        epoch = float(np.median([e for _, e in values]))
        print(f"{name:46s} {epoch:11.2f} {seq:20.0f} {seq / base:8.2f}x"
              + ("" if len(values) == 1 else f"   (rounds: {', '.join(f'{x:.0f}' for x, _ in values)})"))
    new = next(iter(configs), None) if results else None
    if new is not None:
        ratio = float(np.median([x for x, _ in results[new]])) / base
        print(f"\nnew path / today's runner: {ratio:.2f}x (target >= 2.5x: {'met' if ratio >= 2.5 else 'NOT met'})")

    guard = args.guard or default_output()
    print()
    journal = guard.with_suffix(".runs.jsonl")
    if guard.exists():
        print(format_table(json.loads(guard.read_text())))
    elif journal.exists():
        from fidelity_guard import summarise

        rows = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
        summary = summarise(rows)
        print(format_table({"date": f"partial, {len(rows)} runs so far", "machine": "see the journal",
                            "command": f"(unfinished) .venv/bin/python benchmarks/fidelity_guard.py; journal {journal}",
                            "epochs": rows[0].get("epochs_budget"), "seeds": sorted({r["seed"] for r in rows}),
                            "summary": summary, "passes": all(x["passes"] for x in summary)}))
    else:
        print(f"no fidelity guard results at {guard}; run: .venv/bin/python benchmarks/fidelity_guard.py")


if __name__ == "__main__":
    main()
