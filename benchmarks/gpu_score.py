"""Score the GPU machine's runs (benchmarks/gpu_headline.sh) here, on the CPU, with seqlib's own pipeline.

    .venv/bin/python benchmarks/gpu_score.py /work/.device/1 /work/.device/2 --results /tmp/gpu_results \
        --out benchmarks/gpu/paper_profile_h200_jax.csv

Each argument is the folder one device call brought back ($OUT: log.txt, probe.txt, meta.tar.gz,
runs_N.tar.gz). Their runs are unpacked into ``--results``/runs (``$SEQLIB_RESULTS``; never the project's
``results/``); a run whose config was already unpacked from an earlier folder is kept as it is and listed
as a repeat. A run that came back without its model (the 16 MiB-per-file limit) gets a model.keras rebuilt
from its config with the trained first layer (conv1 and conv1_bn from conv1.npz) and the rest untrained:
all that the filter analysis reads (``MODEL_FIRST_LAYER_ONLY`` marks it; ``--check`` verifies on one
complete run that the rebuilt model gives the same filter statistics).

Filters are scored with :func:`seqlib.analyses.filter_table` (first-layer PPMs on the test set,
Tomtom against JASPAR CORE 2016 vertebrates, match fraction against the ground truth). Writes one CSV row
per run and prints a per-activation summary.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tarfile
from pathlib import Path


def unpack(device_dirs, root: Path) -> list[dict]:
    """Unpack every device folder into ``root`` (runs/<key>); return one record per run brought back."""
    records = []
    (root / "runs").mkdir(parents=True, exist_ok=True)
    for call, folder in enumerate(device_dirs, 1):
        folder = Path(folder)
        stage = root / f".unpack_{call}"
        shutil.rmtree(stage, ignore_errors=True)
        for tgz in [folder / "meta.tar.gz", *sorted(folder.glob("runs_*.tar.gz"))]:
            with tarfile.open(tgz) as tar:
                tar.extractall(stage, filter="data")
        probe = (folder / "probe.txt").read_text() if (folder / "probe.txt").exists() else ""
        for run in sorted((stage / "runs").iterdir()):
            rec = {"call": call, "key": run.name, "full_model": (run / "model.keras").exists(), "probe": probe,
                   "metrics": json.loads((run / "metrics.json").read_text()),
                   "history": json.loads((run / "history.json").read_text()),
                   "config": json.loads((run / "config.json").read_text())["config"]}
            final = root / "runs" / run.name
            rec["repeat"] = final.exists()
            if not rec["repeat"]:
                shutil.move(str(run), str(final))
            records.append(rec)
        shutil.rmtree(stage, ignore_errors=True)
    return records


def rebuild_first_layer(run_dir: Path) -> None:
    """model.keras for a run that came back with conv1.npz only: its config's model, trained first layer."""
    import numpy as np

    from seqlib.runs import RunConfig
    from seqlib.tasks import get_task

    config = RunConfig.from_dict(json.loads((run_dir / "config.json").read_text())["config"])
    task = get_task(config.task)
    n_classes = len(json.loads((run_dir / "metrics.json").read_text())["auroc_per_class"])
    model = config.build(200 if task.name == "task1" else None, n_classes)
    z = np.load(run_dir / "conv1.npz")
    model.get_layer("conv1").set_weights([z[k] for k in sorted(z.files) if k.startswith("conv1d_")])
    model.get_layer("conv1_bn").set_weights([z[f"batch_normalization_{i}"] for i in range(4)])
    model.save(run_dir / "model.keras")
    (run_dir / "MODEL_FIRST_LAYER_ONLY").write_text("conv1 and conv1_bn trained (conv1.npz); the rest untrained\n")


def check_rebuild(full, root: Path, table) -> None:
    """Score a copy of complete run ``full`` whose model is rebuilt from its first layer; print both."""
    import zipfile

    import h5py
    import numpy as np

    from seqlib.analyses import filter_table
    from seqlib.runs import find_run

    copy = root / "check" / "runs" / full.config.key
    shutil.rmtree(copy.parent.parent, ignore_errors=True)
    copy.mkdir(parents=True)
    for name in ("config.json", "metrics.json", "history.json", "DONE"):
        shutil.copy(full.path / name, copy / name)
    with zipfile.ZipFile(full.path / "model.keras") as z, h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
        arrays = {f"{layer}_{i}": np.asarray(f[f"layers/{layer}/vars/{i}"])
                  for layer in ("conv1d", "batch_normalization") for i in range(len(f[f"layers/{layer}/vars"]))}
    np.savez(copy / "conv1.npz", **arrays)
    rebuild_first_layer(copy)
    rebuilt = filter_table([find_run(full.config, copy.parent)]).iloc[0]
    for col in ("match_fraction", "match_any", "coverage"):
        print(f"check {full.config.label}: {col} full model {table.loc[full.config.key, col]} vs rebuilt "
              f"first layer {rebuilt[col]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("device_dirs", nargs="+", type=Path)
    parser.add_argument("--results", type=Path, default=Path("/tmp/gpu_results"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/gpu/paper_profile_h200_jax.csv"))
    parser.add_argument("--device", default="NVIDIA H200 (one GPU, 16 CPU cores)")
    parser.add_argument("--versions", default="python 3.12.3, jax 0.11.2 (jax-cuda13), keras 3.15.1")
    parser.add_argument("--check", action="store_true", help="check the first-layer rebuild on one full run")
    args = parser.parse_args(argv)

    root = args.results.resolve()
    if root == (Path(__file__).resolve().parent.parent / "results"):
        sys.exit("use a folder of its own, not the project's results/")
    os.environ["SEQLIB_RESULTS"] = str(root)
    records = unpack(args.device_dirs, root)

    import numpy as np
    import pandas as pd

    from seqlib.analyses import filter_table
    from seqlib.runs import RunConfig, find_run

    for rec in records:
        run_dir = root / "runs" / rec["key"]
        if not rec["repeat"] and not (run_dir / "model.keras").exists():
            rebuild_first_layer(run_dir)
    keys = sorted({r["key"] for r in records})
    runs = []
    for key in keys:
        config = RunConfig.from_dict(json.loads((root / "runs" / key / "config.json").read_text())["config"])
        assert config.key == key, (config.key, key)
        runs.append(find_run(config, root / "runs"))
    table = filter_table(runs).set_index("key")

    if args.check:
        full = [r for r in runs if not (r.path / "MODEL_FIRST_LAYER_ONLY").exists()]
        check_rebuild(max(full, key=lambda r: table.loc[r.config.key, "match_fraction"]), root, table)

    rows = []
    for rec in records:
        cfg, h, m = rec["config"], rec["history"], rec["metrics"]
        t = table.loc[rec["key"]]
        stage = ("only" if "only " in rec["probe"] else
                 "headline" if cfg["activation"] in ("relu", "exponential") and cfg["trial"] < 3 else "more")
        workers = {"headline": 6, "more": 14, "only": 9}[stage]
        rows.append({
            "activation": cfg["activation"], "trial": cfg["trial"], "model": cfg["model"], "task": cfg["task"],
            "key": rec["key"], "call": rec["call"], "stage": stage, "concurrent_runs": workers,
            "repeat_of_earlier_call": rec["repeat"],
            "epochs_trained": h.get("stopped_epoch"), "best_epoch": h.get("best_epoch"),
            "test_auroc": m["auroc"], "test_aupr": m["aupr"],
            "match_fraction": np.nan if rec["repeat"] else t["match_fraction"],
            "match_any": np.nan if rec["repeat"] else t["match_any"],
            "coverage": np.nan if rec["repeat"] else t["coverage"],
            "model_back": "full" if rec["full_model"] else "first layer (conv1.npz)",
            "seconds": round(h.get("train_seconds"), 1),
            "seconds_per_epoch": round(h.get("train_seconds") / max(1, h.get("stopped_epoch") or 1), 3),
            "device": args.device, "backend": "jax (jit_compile=True via benchmark hook)",
            "versions": args.versions,
        })
    df = pd.DataFrame(rows).sort_values(["activation", "trial", "call"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, index=False, float_format="%.6g")
    print(f"wrote {args.out}: {len(df)} rows ({int(df.repeat_of_earlier_call.sum())} repeat(s))")

    uniq = df[~df.repeat_of_earlier_call]
    order = ["relu", "exponential", "sigmoid", "tanh", "softplus", "linear", "elu"]

    def q(s, p):
        return float(np.nanpercentile(s, p)) if len(s) else np.nan

    summary = []
    for act in [a for a in order if a in set(uniq.activation)] + sorted(set(uniq.activation) - set(order)):
        s = uniq[uniq.activation == act]
        summary.append({"activation": act, "trials": len(s),
                        "match_fraction": f"{s.match_fraction.median():.3f} [{q(s.match_fraction, 25):.3f}, "
                                          f"{q(s.match_fraction, 75):.3f}]",
                        "match_any": f"{s.match_any.median():.3f}",
                        "test_auroc": f"{s.test_auroc.median():.4f} [{q(s.test_auroc, 25):.4f}, "
                                      f"{q(s.test_auroc, 75):.4f}]",
                        "epochs": f"{s.epochs_trained.median():.0f}",
                        "seconds/run": f"{s.seconds.median():.0f}"})
    print(pd.DataFrame(summary).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
