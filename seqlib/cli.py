"""The ``seqlib`` command line.

    seqlib simulate task1 --seed 33 --out data/synthetic_dataset.h5
    seqlib simulate task3 --seed 22 --out data/synthetic_code_dataset.h5
    seqlib run --task task1 --model cnn-deep --activation relu exponential --trials 10
    seqlib filters MODEL.keras DATA.h5 --out DIR [--layer N] [--window W] [--jaspar-release JASPAR2024]
    seqlib notebooks --profile quick --out book/chapters [01 02 ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import SeqlibError


def _cmd_simulate(args) -> int:
    from .datasets import save_dataset
    from .simulate import simulate_task1, simulate_task3

    kwargs = dict(seed=args.seed, length=args.length, engine=args.engine, progress=not args.quiet)
    if args.n_sequences is not None:
        kwargs["n_sequences"] = args.n_sequences
    if args.release:
        kwargs["release"] = args.release
    start = time.time()
    if args.task == "task1":
        if args.motifs:
            kwargs["motifs"] = args.motifs
        ds = simulate_task1(**({"seed": 33} | {k: v for k, v in kwargs.items() if v is not None}))
    else:
        if args.motifs:
            kwargs["core"] = args.motifs
        ds = simulate_task3(**({"seed": 22} | {k: v for k, v in kwargs.items() if v is not None}))
    simulated = time.time() - start
    path = save_dataset(args.out, ds)
    sizes = " / ".join(f"{len(s):,}" for _, s in ds.splits())
    print(f"{args.task}: {sizes} sequences (train / valid / test), L={ds.length}, {ds.n_classes} label(s); "
          f"simulated in {simulated:.1f} s, written to {path} in {time.time() - start - simulated:.1f} s")
    return 0


def _cmd_notebooks(args) -> int:
    from .notebooks import run_notebooks

    params = {}
    for item in args.param or []:
        if "=" not in item:
            raise SystemExit(f"--param expects NAME=VALUE; got {item!r}")
        key, value = item.split("=", 1)
        import yaml
        params[key] = yaml.safe_load(value)
    run_notebooks(args.names or None, profile=args.profile, out_dir=args.out, parameters=params)
    return 0


def _cmd_run(args) -> int:
    from .runs import RunConfig, grid, results_table, run_grid

    base = RunConfig(task=args.task, epochs=args.epochs, patience=None if args.patience < 0 else args.patience,
                     n_sequences=args.n_sequences, initializer=args.initializer, restore_best=args.restore_best)
    trials = range(args.first_trial, args.first_trial + args.trials)
    configs = grid(base, model=args.model, activation=args.activation, trial=trials)
    runs = run_grid(configs, progress=not args.quiet)
    table = results_table(runs)[["model", "activation", "trial", "test_auroc", "test_aupr", "epochs_trained", "key"]]
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def _cmd_filters(args) -> int:
    import os
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seqlib", description="Koo & Ploenzke (2021) companion: data, "
                                     "models, filters and notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simulate", help="simulate Task 1 or Task 3 and save it as HDF5 (paper keys)")
    sim.add_argument("task", choices=["task1", "task3"])
    sim.add_argument("--out", required=True, type=Path, help="output .h5 path (written atomically)")
    sim.add_argument("--seed", type=int, default=None, help="random seed (default: paper's, 33 / 22)")
    sim.add_argument("--n-sequences", type=int, default=None, help="total sequences (default: 30,000 / 20,000)")
    sim.add_argument("--length", type=int, default=200, help="sequence length (default 200)")
    sim.add_argument("--motifs", nargs="+", default=None,
                     help="JASPAR IDs or TF names (task1: one class each; task3: the core motifs)")
    sim.add_argument("--release", default=None, help="JASPAR release for --motifs (default JASPAR2016)")
    sim.add_argument("--engine", choices=["vectorized", "reference"], default="vectorized",
                     help="'reference' replays the authors' per-sequence generator (slow, exact)")
    sim.add_argument("--quiet", action="store_true", help="no progress bar")
    sim.set_defaults(func=_cmd_simulate)

    rn = sub.add_parser("run", help="train (or load cached) runs: every model x activation x trial")
    rn.add_argument("--task", default="task1")
    rn.add_argument("--model", nargs="+", default=["cnn-deep"])
    rn.add_argument("--activation", nargs="+", default=["relu", "exponential"])
    rn.add_argument("--trials", type=int, default=1, help="number of trials (seeds)")
    rn.add_argument("--first-trial", type=int, default=0, help="first trial index (for cluster array jobs)")
    rn.add_argument("--epochs", type=int, default=100)
    rn.add_argument("--patience", type=int, default=20, help="early-stopping patience; -1 disables")
    rn.add_argument("--n-sequences", type=int, default=None, help="synthetic task size (default: the paper's)")
    rn.add_argument("--initializer", default="glorot_uniform", help="first-layer initializer")
    rn.add_argument("--restore-best", action="store_true", help="keep the best epoch (paper: last epoch)")
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
    nb.add_argument("--profile", default="quick", choices=["tiny", "quick", "paper"])
    nb.add_argument("--out", type=Path, default=None, help="folder for executed notebooks (default book/chapters)")
    nb.add_argument("--param", action="append", help="extra papermill parameter NAME=VALUE (YAML value)")
    nb.set_defaults(func=_cmd_notebooks)
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
