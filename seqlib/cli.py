"""The ``seqlib`` command line.

    seqlib simulate task1 --seed 33 --out data/synthetic_dataset.h5
    seqlib simulate task3 --seed 22 --out data/synthetic_code_dataset.h5
    seqlib run --task task1 --model cnn-deep --activation relu exponential --trials 10 [--scheduler tcp://...]
    seqlib run --data my.h5 --activation relu exponential --filters
    seqlib run --fasta seqs.fa --labels labels.tsv --activation relu exponential --filters
    seqlib filters MODEL.keras DATA.h5 --out DIR [--layer N] [--window W] [--jaspar-release JASPAR2024]
    seqlib notebooks --profile quick --out book/chapters [01 02 ...]
    seqlib sweep --profile paper [--scheduler tcp://...] [01 02 ...]

Tasks, their default sizes and seeds come from the task registry (:mod:`seqlib.tasks`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import SeqlibError
from .profiles import PROFILES
from .tasks import get_task, task_names

#: Simulated tasks ``seqlib simulate`` can write (each has its generator's motif argument).
SIMULATED = {"task1": "motifs", "task3": "core"}


def _cmd_simulate(args) -> int:
    from .datasets import save_dataset
    from .simulate import simulate_task1, simulate_task3

    task = get_task(args.task)
    kwargs = dict(seed=task.seed if args.seed is None else args.seed, length=args.length, engine=args.engine,
                  progress=not args.quiet, n_sequences=task.n_sequences if args.n_sequences is None else args.n_sequences)
    if args.release:
        kwargs["release"] = args.release
    if args.motifs:
        kwargs[SIMULATED[args.task]] = args.motifs
    start = time.time()
    ds = (simulate_task1 if args.task == "task1" else simulate_task3)(**kwargs)
    simulated = time.time() - start
    path = save_dataset(args.out, ds)
    sizes = " / ".join(f"{len(s):,}" for _, s in ds.splits())
    print(f"{args.task}: {sizes} sequences (train / valid / test), L={ds.length}, {ds.n_classes} label(s); "
          f"simulated in {simulated:.1f} s, written to {path} in {time.time() - start - simulated:.1f} s")
    return 0


def _parameters(items) -> dict:
    import yaml                              # comes with papermill (the book extra)

    params = {}
    for item in items or []:
        if "=" not in item:
            raise SeqlibError(f"--param expects NAME=VALUE; got {item!r}")
        key, value = item.split("=", 1)
        params[key] = yaml.safe_load(value)
    return params


def _cmd_notebooks(args) -> int:
    from .notebooks import run_notebooks

    run_notebooks(args.names or None, profile=args.profile, out_dir=args.out, parameters=_parameters(args.param))
    return 0


def _cmd_sweep(args) -> int:
    from .notebooks import sweep

    out = sweep(args.names or None, profile=args.profile, out_dir=args.out, parameters=_parameters(args.param),
                scheduler=args.scheduler, build=not args.no_book)
    print(f"sweep: {len(out['executed'])} notebook(s) executed, {len(out['skipped'])} already done"
          + (f"; book: {out['book']}" if out["book"] else ""))
    return 0


def _task_of(args) -> str:
    """The task to train on: a registered name, or the user's data registered now."""
    from .tasks import register_fasta, register_hdf5

    if args.data is not None and args.fasta is not None:
        raise SeqlibError("give either --data (HDF5) or --fasta with --labels, not both")
    if args.labels is not None and args.fasta is None:
        raise SeqlibError("--labels goes with --fasta (an HDF5 file given with --data holds its labels)")
    if args.data is not None:
        task = register_hdf5(args.data, name=args.name, motifs=args.motifs)
    elif args.fasta is not None:
        if args.labels is None:
            raise SeqlibError("--fasta needs --labels (a .tsv/.csv table or an .npy array, one row per sequence)")
        task = register_fasta(args.fasta, args.labels, name=args.name, motifs=args.motifs, allow_n=args.allow_n)
    else:
        if args.motifs:
            raise SeqlibError("--motifs names the ground truth of your own data (--data or --fasta)")
        return get_task(args.task).name
    truth = task.ground_truth(task.load(None, task.seed)) if args.filters else None
    print(f"task {task.name}: {task.description}"
          + ("" if not args.filters else f"; ground-truth motifs: {', '.join(truth[1]) if truth else 'none known'}"))
    return task.name


def _cmd_run(args) -> int:
    from .runs import RunConfig, grid, results_table, run_grid

    task = _task_of(args)
    base = RunConfig(task=task, epochs=args.epochs, patience=None if args.patience < 0 else args.patience,
                     n_sequences=args.n_sequences, data_seed=args.data_seed, initializer=args.initializer,
                     restore_best=args.restore_best, monitor=args.monitor, fast=args.fast)
    trials = range(args.first_trial, args.first_trial + args.trials)
    configs = grid(base, model=args.model, activation=args.activation, trial=trials)
    runs = run_grid(configs, progress=not args.quiet, scheduler=args.scheduler, workers=args.workers)
    columns = ["model", "activation", "trial", "test_auroc", "test_aupr", "epochs_trained"]
    if args.filters:
        from .experiments import filter_table

        table = filter_table(runs)
        columns += ["match_fraction", "match_any"]
    else:
        table = results_table(runs)
    print(table[columns + ["key"]].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def _cmd_filters(args) -> int:
    from ._backend import load_keras
    keras = load_keras()

    from . import activations, models  # noqa: F401  (registers seqlib's serialisable objects)
    from .datasets import read_sequences
    from .filters import analyse_model_filters

    if not args.model.exists():
        raise FileNotFoundError(f"model file not found: {args.model}")
    model = keras.models.load_model(args.model)
    X = read_sequences(args.data, split=args.split)
    layer = int(args.layer) if args.layer is not None and args.layer.lstrip("-").isdigit() else args.layer
    summary = analyse_model_filters(model, X, args.out, layer=layer, threshold=args.threshold, window=args.window,
                                    targets=args.targets, release=args.jaspar_release)
    matched = int((summary["best_target"] != "").sum())
    print(f"{len(summary)} filters, {matched} with a Tomtom hit (E <= 0.1); wrote ppms.npy, filters.meme, "
          f"tomtom.tsv, summary.tsv and filters.png to {args.out}")
    return 0


def _cmd_attribute(args) -> int:
    import json

    from .attribution import attribute_files

    result = attribute_files(args.model, args.data, method=args.method, output=args.output, correct=args.correct,
                             out_dir=args.out, logit=args.logit, n_sequences=args.n)
    print(json.dumps(result, indent=1, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seqlib", description="Koo & Ploenzke (2021) companion: data, "
                                     "models, filters and notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)

    sizes = " / ".join(f"{get_task(t).n_sequences:,}" for t in SIMULATED)
    seeds = " / ".join(str(get_task(t).seed) for t in SIMULATED)
    sim = sub.add_parser("simulate", help="simulate Task 1 or Task 3 and save it as HDF5 (paper keys)")
    sim.add_argument("task", choices=list(SIMULATED))
    sim.add_argument("--out", required=True, type=Path, help="output .h5 path (written atomically)")
    sim.add_argument("--seed", type=int, default=None, help=f"random seed (default: the paper's, {seeds})")
    sim.add_argument("--n-sequences", type=int, default=None, help=f"total sequences (default: {sizes})")
    sim.add_argument("--length", type=int, default=200, help="sequence length (default 200)")
    sim.add_argument("--motifs", nargs="+", default=None,
                     help="JASPAR IDs or TF names (task1: one class each; task3: the core motifs)")
    sim.add_argument("--release", default=None, help="JASPAR release for --motifs (default JASPAR2016)")
    sim.add_argument("--engine", choices=["vectorized", "reference"], default="vectorized",
                     help="'reference' replays the authors' per-sequence generator (slow, exact)")
    sim.add_argument("--quiet", action="store_true", help="no progress bar")
    sim.set_defaults(func=_cmd_simulate)

    rn = sub.add_parser("run", help="train (or load cached) runs: every model x activation x trial")
    rn.add_argument("--task", default="task1", help=f"a registered task ({', '.join(task_names())}); "
                    f"or train on your own data with --data / --fasta")
    data = rn.add_argument_group("your own data (registered as a task keyed by the files' sha256)")
    data.add_argument("--data", type=Path, default=None, help="an HDF5 data set with the paper's keys (X_train, "
                      "Y_train, ... X_test, Y_test; model_<split> ground truth optional)")
    data.add_argument("--fasta", type=Path, default=None, help="equal-length sequences; split 70/10/20 by a "
                      "seeded permutation (--data-seed, default 0)")
    data.add_argument("--labels", type=Path, default=None, help="labels of --fasta: .npy (N,) or (N, T), or a "
                      ".tsv/.csv table (optional first column of sequence names, optional header row)")
    data.add_argument("--allow-n", action="store_true", help="encode N in --fasta as 0.25 (default: an error)")
    data.add_argument("--motifs", nargs="+", default=None, help="JASPAR IDs or names of the motifs your data "
                      "hold, to score filters against (default: the file's metadata, if any)")
    data.add_argument("--name", default=None, help="readable part of the task name (default: the file's stem)")
    rn.add_argument("--model", nargs="+", default=["cnn-deep"])
    rn.add_argument("--activation", nargs="+", default=["relu", "exponential"])
    rn.add_argument("--trials", type=int, default=1, help="number of trials (seeds)")
    rn.add_argument("--first-trial", type=int, default=0, help="first trial index (for cluster array jobs)")
    rn.add_argument("--epochs", type=int, default=100)
    rn.add_argument("--patience", type=int, default=20, help="early-stopping patience; -1 disables")
    rn.add_argument("--n-sequences", type=int, default=None, help="simulated task size (default: the task's)")
    rn.add_argument("--data-seed", type=int, default=None, help="simulated tasks: generator seed; --fasta: split "
                    "seed (default: the task's)")
    rn.add_argument("--monitor", default=None, help="validation metric to monitor (default: the task's)")
    rn.add_argument("--initializer", default="glorot_uniform", help="first-layer initializer")
    rn.add_argument("--restore-best", action="store_true", help="keep the best epoch (paper: last epoch)")
    rn.add_argument("--fast", action="store_true",
                    help="fused batch norm and cheaper dropout masks (same protocol, faster on a CPU; numerics differ "
                         "in the last bits, so these runs have their own cache keys)")
    rn.add_argument("--filters", action="store_true", help="also score the first-layer filters (Tomtom against "
                    "JASPAR; match fraction against the ground-truth motifs when known)")
    rn.add_argument("--scheduler", default=None, help="Dask scheduler (tcp://HOST:PORT or scheduler .json; "
                    "default $SEQLIB_SCHEDULER, else local processes)")
    rn.add_argument("--workers", type=int, default=None, help="local worker processes (default: the CPU cores)")
    rn.add_argument("--quiet", action="store_true")
    rn.set_defaults(func=_cmd_run)

    fl = sub.add_parser("filters", help="first-layer filters of any Keras model as PPMs, Tomtom hits and logos")
    fl.add_argument("model", type=Path, help="a .keras model with a convolutional first layer")
    fl.add_argument("data", type=Path, help="sequences: an HDF5 data set (X_<split>) or a FASTA file")
    fl.add_argument("--out", type=Path, required=True, help="output folder")
    fl.add_argument("--layer", default=None, help="layer name or index to read (default: the first "
                    "convolution's activation)")
    fl.add_argument("--split", default="test", help="HDF5 split to use (default test)")
    fl.add_argument("--threshold", type=float, default=0.5, help="fraction of each filter's max (default 0.5)")
    fl.add_argument("--window", type=int, default=None, help="alignment window in nucleotides (default: the "
                    "paper's 20, or the first convolution's receptive field + 1 when wider)")
    group = fl.add_mutually_exclusive_group()
    group.add_argument("--jaspar-release", default=None, help="compare with this pyjaspar release's CORE "
                       "vertebrates (default: the paper's JASPAR 2016 file)")
    group.add_argument("--targets", type=Path, default=None, help="compare with the motifs of this MEME file")
    fl.set_defaults(func=_cmd_filters)

    nb = sub.add_parser("notebooks", help="execute the book's notebooks with papermill at a profile")
    nb.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    nb.add_argument("--profile", default="quick", choices=list(PROFILES))
    nb.add_argument("--out", type=Path, default=None, help="folder for executed notebooks (default book/chapters)")
    nb.add_argument("--param", action="append", help="extra papermill parameter NAME=VALUE (YAML value)")
    nb.set_defaults(func=_cmd_notebooks)

    sw = sub.add_parser("sweep", help="run notebooks at a profile into a sweep folder (skipping those already "
                        "done with the same parameters), then build the book from them")
    sw.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    sw.add_argument("--profile", default="paper", choices=list(PROFILES))
    sw.add_argument("--out", type=Path, default=None, help="sweep folder (default results/sweeps/<profile>)")
    sw.add_argument("--scheduler", default=None, help="Dask scheduler the notebooks' runs train on")
    sw.add_argument("--param", action="append", help="extra papermill parameter NAME=VALUE (YAML value)")
    sw.add_argument("--no-book", action="store_true", help="only execute the notebooks")
    sw.set_defaults(func=_cmd_sweep)

    at = sub.add_parser("attribute", help="attribution maps of any single-input Keras model (saliency, ISM, "
                        "integrated gradients, DeepSHAP), with AUROC/AUPR when the data carry ground truth")
    at.add_argument("model", type=Path, help="a .keras model with one sequence input (N, L, 4)")
    at.add_argument("data", type=Path, help="an HDF5 data set (test split; model_test = ground truth), "
                    "an HDF5 file with X_test, a FASTA file or a .npy array (N, L, 4)")
    at.add_argument("--method", choices=["saliency", "ism", "ig", "deepshap"], default="saliency")
    at.add_argument("--output", type=int, default=0, help="output column to attribute (default 0)")
    at.add_argument("--correct", action="store_true", help="gradient correction (saliency, ig, deepshap)")
    at.add_argument("--logit", action="store_true", help="attribute the logit instead of the sigmoid output")
    at.add_argument("-n", type=int, default=None, help="only the first N sequences (positives with labels)")
    at.add_argument("--out", type=Path, required=True, help="output folder")
    at.set_defaults(func=_cmd_attribute)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (SeqlibError, FileNotFoundError, ValueError) as err:
        print(f"seqlib {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
