"""Fidelity guard for the fast training path: does it change what the paper measures? (Methods §4, §7.1)

Trains CNN-deep on Task 1 (the paper's 30,000 sequences) with the reference path and with the fast path
for each first-layer activation and seed, at the same budget and protocol (batch 100, Adam 1e-3,
ReduceLROnPlateau / early stopping on val_aupr), then measures on the test set what the paper reports:
mean AUROC / AUPR and the fraction of first-layer filters whose activation-aligned PPM Tomtom-matches a
planted JASPAR motif (``match_fraction``; also ``match_any``). The guard passes when, per activation,
the medians over seeds of the fast path are within ±0.05 (match fractions) and ±0.01 (test AUROC) of
the reference path's.

Paths (each run trains in a fresh spawned process pinned to one thread, as ``seqlib.runs.run_grid``):

* ``reference``: today's runner: Keras BatchNormalization / Dropout, TensorFlow's default kernels.
* ``fast``: ``build_model(..., fast=True)`` (fused batch norm, hashed dropout masks) with oneDNN on.

Results go to ``results/fidelity_guard/guard.json`` (per run rows, the summary, the date, the machine
and the command), which ``benchmarks/bench_fast_training.py`` prints. Each finished run is also appended
to ``guard.runs.jsonl`` at once, so a guard that is killed resumes with the runs still missing
(``--restart`` ignores the journal).

    .venv/bin/python benchmarks/fidelity_guard.py [--epochs 12] [--seeds 0 1 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

#: path name -> (build_model(fast=...), oneDNN setting for the worker process; None = TensorFlow's default)
PATHS = {"reference": (False, None), "fast": (True, True)}

MATCH_TOLERANCE = 0.05
AUROC_TOLERANCE = 0.01


def cpu_model() -> str:
    """The processor's name and its vector extensions that matter for TensorFlow on a CPU."""
    name, flags = platform.processor() or "unknown CPU", set()
    try:
        text = Path("/proc/cpuinfo").read_text()
        for line in text.splitlines():
            if line.startswith("model name") and name in ("", "unknown CPU", platform.processor()):
                name = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    wanted = [f for f in ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16") if f in flags]
    return f"{name} ({', '.join(wanted) or 'no AVX2'}; {os.cpu_count()} cores)"


def train_job(path: str, activation: str, seed: int, epochs: int, n_train: int | None = None,
              analyse: bool = True) -> dict:
    """One run in this (fresh) process: train, evaluate on the test set, filter statistics.

    Must run in a process where TensorFlow is not imported yet (the oneDNN setting applies on import).
    """
    fast, onednn = PATHS[path]
    from seqlib.training import onednn_enabled, pin_threads

    pin_threads(1, onednn=onednn)
    from seqlib.models import build_model
    from seqlib.tasks import load_task
    from seqlib.training import TrainConfig, evaluate, train_model

    ds = load_task("task1")
    if n_train is not None:
        ds = ds.subsample(n_train=n_train)
    config = TrainConfig(epochs=epochs, seed=seed, monitor="val_aupr")
    start = time.time()
    model, history = train_model(lambda: build_model("cnn-deep", activation, input_length=ds.length,
                                                     n_outputs=ds.n_classes, fast=fast),
                                 ds.train, ds.valid, config, progress=False)
    seconds = time.time() - start
    metrics = evaluate(model, ds.test)
    row = {"path": path, "activation": activation, "seed": seed, "epochs": history["stopped_epoch"],
           "epochs_budget": epochs, "n_train_arg": n_train,
           "test_auroc": metrics["auroc"], "test_aupr": metrics["aupr"], "train_seconds": seconds,
           "epoch_seconds": history["seconds"], "n_train": len(ds.train), "n_valid": len(ds.valid),
           "onednn": onednn_enabled()}
    if analyse:
        row.update(filter_statistics(model, ds))
    return row


def filter_statistics(model, ds) -> dict:
    """The paper's filter statistics of a trained model (as ``seqlib.analyses.filter_analysis``)."""
    from seqlib.analyses import planted_motifs
    from seqlib.filters import filter_motifs, filters_from_model
    from seqlib.tomtom import ground_truth_families, match_statistics, tomtom

    ppms, _ = filters_from_model(model, ds.test.X, threshold=0.5)
    table = tomtom(filter_motifs(ppms), evalue_threshold=0.1, n_jobs=1)
    ids, names = planted_motifs(ds)
    stats = match_statistics(table, len(ppms), ground_truth_families(ids, names=names))
    return {k: float(stats[k]) for k in ("match_fraction", "match_any")}


def run_jobs(jobs: list[tuple], workers: int, progress=print, on_row=None) -> list[dict]:
    """``train_job(*job)`` for every job, each in a fresh spawned process, ``workers`` at a time.

    ``on_row(row)`` is called as each run finishes (the guard appends it to its journal).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")
    rows = []
    with ProcessPoolExecutor(workers, mp_context=ctx, max_tasks_per_child=1) as pool:
        futures = {pool.submit(train_job, *job): job for job in jobs}
        for future in as_completed(futures):
            row = future.result()
            rows.append(row)
            if on_row is not None:
                on_row(row)
            progress(f"  done {row['path']:9s} {row['activation']:11s} seed {row['seed']}: test AUROC "
                     f"{row['test_auroc']:.4f}, match fraction {row.get('match_fraction', float('nan')):.3f} "
                     f"({row['train_seconds']:.0f} s)")
    return rows


def _median(values) -> float:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.median(values)) if values else float("nan")


def summarise(rows: list[dict]) -> list[dict]:
    """Per activation: medians per path, the differences fast - reference and whether they pass."""
    out = []
    for act in sorted({r["activation"] for r in rows}):
        med = {}
        for path in PATHS:
            sel = [r for r in rows if r["activation"] == act and r["path"] == path]
            med[path] = {k: _median([r.get(k) for r in sel]) for k in ("test_auroc", "match_fraction", "match_any")}
            med[path]["n"] = len(sel)
        d_match = med["fast"]["match_fraction"] - med["reference"]["match_fraction"]
        d_auroc = med["fast"]["test_auroc"] - med["reference"]["test_auroc"]
        out.append({"activation": act, "reference": med["reference"], "fast": med["fast"],
                    "delta_match_fraction": d_match, "delta_test_auroc": d_auroc,
                    "passes": bool(abs(d_match) <= MATCH_TOLERANCE and abs(d_auroc) <= AUROC_TOLERANCE)})
    return out


def format_table(result: dict) -> str:
    """The guard's table as text (medians over seeds per activation and path)."""
    lines = [f"fidelity guard ({result['date']}, {result['machine']}): CNN-deep, Task 1, {result['epochs']} epochs, "
             f"seeds {result['seeds']}",
             f"  command: {result['command']}",
             f"  {'activation':12s} {'path':10s} {'n':>2s} {'match frac':>10s} {'match any':>9s} {'test AUROC':>10s}"]
    for s in result["summary"]:
        for path in PATHS:
            m = s[path]
            lines.append(f"  {s['activation']:12s} {path:10s} {m['n']:2d} {m['match_fraction']:10.3f} "
                         f"{m['match_any']:9.3f} {m['test_auroc']:10.4f}")
        lines.append(f"  {s['activation']:12s} {'fast - ref':10s}    {s['delta_match_fraction']:+10.3f} {'':9s} "
                     f"{s['delta_test_auroc']:+10.4f}   {'PASS' if s['passes'] else 'FAIL'} "
                     f"(limits ±{MATCH_TOLERANCE}, ±{AUROC_TOLERANCE})")
    lines.append(f"  guard: {'PASS' if result['passes'] else 'FAIL'}")
    return "\n".join(lines)


def default_output() -> Path:
    from seqlib.paths import results_dir

    return results_dir() / "fidelity_guard" / "guard.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--activations", nargs="+", default=["exponential", "relu"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--n-train", type=int, default=None, help="subsample the training set (smoke tests)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--restart", action="store_true", help="ignore the journal of finished runs")
    args = parser.parse_args()

    out = args.out or default_output()
    # interleave the paths so that both see the same machine load
    jobs = [(path, act, seed, args.epochs, args.n_train) for seed in args.seeds for act in args.activations
            for path in PATHS]
    # a journal of finished runs (one JSON line each): a killed guard resumes where it stopped
    journal = out.with_suffix(".runs.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    done = []
    if journal.exists() and not args.restart:
        done = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    key = lambda r: (r["path"], r["activation"], r["seed"], r["epochs_budget"], r["n_train_arg"])  # noqa: E731
    finished = {key(r) for r in done}
    todo = [j for j in jobs if j not in finished]
    done = [r for r in done if key(r) in set(jobs)]
    print(f"fidelity guard: {len(jobs)} runs ({len(jobs) - len(todo)} already in {journal.name}), "
          f"{args.workers} worker(s) x 1 thread -> {out}", flush=True)

    def record(row):
        with open(journal, "a") as fh:
            fh.write(json.dumps(row) + "\n")

    start = time.time()
    rows = done + run_jobs(todo, args.workers, progress=lambda m: print(m, flush=True), on_row=record)
    summary = summarise(rows)
    result = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": cpu_model(),
              "command": " ".join([".venv/bin/python", "benchmarks/fidelity_guard.py", *sys.argv[1:]]),
              "epochs": args.epochs, "seeds": args.seeds, "n_train": args.n_train,
              "wall_seconds": time.time() - start, "summary": summary,
              "passes": all(s["passes"] for s in summary), "runs": sorted(rows, key=lambda r: (r["activation"], r["path"], r["seed"]))}
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1))
    os.replace(tmp, out)
    print(format_table(result))


if __name__ == "__main__":
    main()
