"""The ``seqlib`` command line.

    seqlib simulate task1 --seed 33 --out data/synthetic_dataset.h5
    seqlib simulate task3 --seed 22 --out data/synthetic_code_dataset.h5
    seqlib run --task task1 --model cnn-deep --activation relu exponential --trials 10 [--scheduler tcp://...]
    seqlib run --data my.h5 --activation relu exponential --filters
    seqlib run --fasta seqs.fa --labels labels.tsv --activation relu exponential --filters
    seqlib filters MODEL.keras DATA.h5 --out DIR [--layer N] [--window W] [--jaspar-release JASPAR2024]
    seqlib attribute MODEL.keras DATA.h5 --method saliency --out DIR

Tasks, their default sizes and seeds come from the task registry (:mod:`seqlib.tasks`). Other packages add
subcommands through the entry-point group :data:`COMMAND_GROUP`; the book's layer adds ``seqlib notebooks``,
``seqlib sweep``, ``seqlib claims`` and ``seqlib status`` that way.

Every bad input ends with one line, ``seqlib <command>: error: <what is wrong and what to do>``, exit status 2,
and nothing half-written: output paths are checked before any computation, and files are written atomically.
Ctrl-C ends with ``seqlib <command>: interrupted; N runs finished, M will resume`` and exit status 130.
Only results go to stdout (``seqlib attribute`` prints JSON there); progress and notes go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path

from ._io import check_output_dir, check_output_file
from ._validate import check_sequence_model
from .analyses import filter_table
from .datasets import check_split_size, read_sequences, save_dataset
from .errors import SeqlibError
from .executors import check_workers
from .files import load_model
from .filters import analyse_model_filters, check_threshold, resolve_layer
from .paths import results_dir
from .runs import RunConfig, grid, results_table, run_grid, runs_dir
from .simulate import simulate_task1, simulate_task3
from .tasks import get_task, register_fasta, register_hdf5, task_names

#: Entry-point group of packages that add subcommands: each entry is a function taking argparse's subparsers.
COMMAND_GROUP = "seqlib.commands"

#: Simulated tasks ``seqlib simulate`` can write (each has its generator's motif argument).
SIMULATED = {"task1": "motifs", "task3": "core"}

#: What a non-ACGT error says to do about N on the command line.
ALLOW_N_FLAG_HINT = "add --allow-n to encode N as 0.25"


def _at_least(value, low: int, flag: str, meaning: str):
    """``value`` unless it is below ``low`` (None passes)."""
    if value is not None and value < low:
        raise SeqlibError(f"{flag} must be at least {low} ({meaning}); got {value}")
    return value


def _cmd_simulate(args) -> int:
    task = get_task(args.task)
    n_sequences = task.n_sequences if args.n_sequences is None else args.n_sequences
    check_split_size(n_sequences, what="--n-sequences")
    _at_least(args.length, 1, "--length", "nucleotides per sequence")
    check_output_file(args.out, "--out")                     # before minutes of simulation
    kwargs = dict(seed=task.seed if args.seed is None else args.seed, length=args.length, engine=args.engine,
                  progress=not args.quiet, n_sequences=n_sequences)
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


def _task_of(args) -> str:
    """The task to train on: a registered name, or the user's data registered now."""
    if args.data is not None and args.fasta is not None:
        raise SeqlibError("give either --data (HDF5) or --fasta with --labels, not both")
    if args.labels is not None and args.fasta is None:
        raise SeqlibError("--labels goes with --fasta (an HDF5 file given with --data holds its labels)")
    if args.data is not None:
        task = register_hdf5(args.data, name=args.name, motifs=args.motifs)
    elif args.fasta is not None:
        if args.labels is None:
            raise SeqlibError("--fasta needs --labels (a .tsv/.csv table or an .npy array, one row per sequence)")
        task = register_fasta(args.fasta, args.labels, name=args.name, motifs=args.motifs, allow_n=args.allow_n,
                              n_hint=ALLOW_N_FLAG_HINT)
    else:
        if args.motifs:
            raise SeqlibError("--motifs names the ground truth of your own data (--data or --fasta)")
        return get_task(args.task).name
    truth = task.ground_truth(task.load(None, task.seed)) if args.filters else None
    print(f"task {task.name}: {task.description}"
          + ("" if not args.filters else f"; ground-truth motifs: {', '.join(truth[1]) if truth else 'none known'}"))
    return task.name


def _check_run_arguments(args) -> None:
    """The numbers of ``seqlib run`` and its results folder, checked before any data are read."""
    _at_least(args.trials, 1, "--trials", "the number of trials to train")
    _at_least(args.first_trial, 0, "--first-trial", "trials are numbered from 0")
    _at_least(args.epochs, 1, "--epochs", "training epochs")
    _at_least(args.patience, -1, "--patience", "epochs without improvement; -1 disables early stopping")
    if args.workers is not None:
        check_workers(args.workers, "--workers")
    if args.n_sequences is not None:
        check_split_size(args.n_sequences, what="--n-sequences")
    what = "results folder" + (f" ($SEQLIB_RESULTS={os.environ['SEQLIB_RESULTS']})"
                               if os.environ.get("SEQLIB_RESULTS") else "")
    if results_dir().exists() and not results_dir().is_dir():
        raise SeqlibError(f"the {what} is a file, not a folder: set $SEQLIB_RESULTS to a folder (or unset it)")
    check_output_dir(runs_dir(), what)


def _cmd_run(args) -> int:
    _check_run_arguments(args)
    task = _task_of(args)
    base = RunConfig(task=task, epochs=args.epochs, patience=None if args.patience < 0 else args.patience,
                     n_sequences=args.n_sequences, data_seed=args.data_seed, initializer=args.initializer,
                     restore_best=args.restore_best, monitor=args.monitor, fast=args.fast)
    trials = range(args.first_trial, args.first_trial + args.trials)
    configs = grid(base, model=args.model, activation=args.activation, trial=trials)
    runs = run_grid(configs, progress=not args.quiet, scheduler=args.scheduler, workers=args.workers)
    columns = ["model", "activation", "trial", "test_auroc", "test_aupr", "epochs_trained"]
    if args.filters:
        table = filter_table(runs)
        columns += ["match_fraction", "match_any"]
    else:
        table = results_table(runs)
    print(table[columns + ["key"]].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def _cmd_filters(args) -> int:
    check_output_dir(args.out, "--out")                      # before the model runs and Tomtom compiles
    check_threshold(args.threshold, "--threshold")
    _at_least(args.window, 1, "--window", "nucleotides")
    if args.targets is not None and not args.targets.is_file():
        raise SeqlibError(f"--targets {args.targets}: no such MEME file")
    model = load_model(args.model)
    check_sequence_model(model, str(args.model))
    layer = int(args.layer) if args.layer is not None and args.layer.lstrip("-").isdigit() else args.layer
    if layer is not None:
        try:
            resolve_layer(model, layer)
        except SeqlibError as err:
            raise SeqlibError(f"--layer {args.layer}: {err}") from None
    X = read_sequences(args.data, split=args.split)
    summary = analyse_model_filters(model, X, args.out, layer=layer, threshold=args.threshold, window=args.window,
                                    targets=args.targets, release=args.jaspar_release)
    matched = int((summary["best_target"] != "").sum())
    print(f"{len(summary)} filters, {matched} with a Tomtom hit (E <= 0.1); wrote ppms.npy, filters.meme, "
          f"tomtom.tsv, summary.tsv and filters.png to {args.out}")
    return 0


def _cmd_attribute(args) -> int:
    _at_least(args.n, 1, "-n", "the number of sequences to attribute")
    _at_least(args.output, 0, "--output", "output columns are numbered from 0")
    check_output_dir(args.out, "--out")                      # before the model is loaded and run
    from .attribution import attribute_files  # lazy: imports Keras

    result = attribute_files(args.model, args.data, method=args.method, output=args.output, correct=args.correct,
                             out_dir=args.out, logit=args.logit, n_sequences=args.n)
    written = [Path(result[k]).name for k in ("attribution", "logos", "quality", "summary") if k in result]
    print(f"seqlib attribute: wrote {', '.join(written)} to {args.out}", file=sys.stderr)
    print(json.dumps(result, indent=1, default=str))         # stdout holds only this JSON
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
    rn.add_argument("--workers", type=int, default=None, help="local worker processes, at least 1 (default: "
                    "$SEQLIB_WORKERS, else the CPU cores)")
    rn.add_argument("--quiet", action="store_true")
    rn.set_defaults(func=_cmd_run)

    fl = sub.add_parser("filters", help="first-layer filters of any Keras model as PPMs, Tomtom hits and logos")
    fl.add_argument("model", type=Path, help="a .keras model with a convolutional first layer")
    fl.add_argument("data", type=Path, help="sequences: an HDF5 data set (X_<split>) or a FASTA file")
    fl.add_argument("--out", type=Path, required=True, help="output folder")
    fl.add_argument("--layer", default=None, help="layer name or index to read: a convolution's output or a layer "
                    "after it (default: the first convolution's activation)")
    fl.add_argument("--split", default="test", help="HDF5 split to use (default test)")
    fl.add_argument("--threshold", type=float, default=0.5, help="fraction of each filter's max, between 0 and 1 "
                    "(default 0.5)")
    fl.add_argument("--window", type=int, default=None, help="alignment window in nucleotides (default: the "
                    "paper's 20, or the first convolution's receptive field + 1 when wider)")
    group = fl.add_mutually_exclusive_group()
    group.add_argument("--jaspar-release", default=None, help="compare with this pyjaspar release's CORE "
                       "vertebrates (default: the paper's JASPAR 2016 file)")
    group.add_argument("--targets", type=Path, default=None, help="compare with the motifs of this MEME file")
    fl.set_defaults(func=_cmd_filters)

    at = sub.add_parser("attribute", help="attribution maps of any single-input Keras model (saliency, ISM, "
                        "integrated gradients, DeepSHAP), with AUROC/AUPR when the data carry ground truth")
    at.add_argument("model", type=Path, help="a .keras model with one sequence input (N, L, 4)")
    at.add_argument("data", type=Path, help="an HDF5 data set (test split; model_test = ground truth), "
                    "an HDF5 file with X_test, a FASTA file or a .npy array (N, L, 4)")
    at.add_argument("--method", choices=["saliency", "ism", "ig", "deepshap"], default="saliency")
    at.add_argument("--output", type=int, default=0, help="output column to attribute (default 0)")
    at.add_argument("--correct", action="store_true", help="gradient correction (saliency, ig, deepshap)")
    at.add_argument("--logit", action="store_true", help="attribute the logit instead of the sigmoid output")
    at.add_argument("-n", type=int, default=None, help="only the first N >= 1 sequences (positives with labels)")
    at.add_argument("--out", type=Path, required=True, help="output folder (files are named by method, so methods "
                    "can share it)")
    at.set_defaults(func=_cmd_attribute)
    for command in entry_points(group=COMMAND_GROUP):      # e.g. the book's notebooks, sweep, claims, status
        try:
            command.load()(sub)
        except Exception as err:  # a broken add-on must not take the library's own commands down with it
            print(f"seqlib: the subcommands of {command.value} are unavailable ({type(err).__name__}: {err})",
                  file=sys.stderr)
    return parser


def main(argv=None) -> int:
    """Run the ``seqlib`` command line; returns the exit status (0 done, 2 a bad input, 130 interrupted)."""
    # before anything imports TensorFlow, here or in a worker process (they inherit it): its C++ runtime's
    # lines such as "failed call to cuInit" on a machine without a GPU are hidden; set it yourself to see them
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (SeqlibError, FileNotFoundError, ValueError) as err:
        print(f"seqlib {args.command}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:                 # e.g. a permission or disk error while writing: name it, no traceback
        where = f" ({err.filename})" if getattr(err, "filename", None) and str(err.filename) not in str(err) else ""
        print(f"seqlib {args.command}: error: {err}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        text = str(err) if str(err).startswith("interrupted") else "interrupted"
        print(f"seqlib {args.command}: {text}", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
