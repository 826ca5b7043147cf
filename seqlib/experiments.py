"""Analyses of trained runs, cached inside each run folder (``results/runs/<key>/analyses/``).

Each function takes finished :class:`seqlib.runs.Run` objects and returns tidy tables, so notebooks are
a grid of runs, one call here and one plot.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .errors import UnknownNameError
from .runs import Run, RunConfig
from .tasks import load_task

#: The validation monitor (early stopping and learning-rate schedule) of each of the paper's training
#: experiments, as in the authors' training scripts (Methods §4). The modified and ablated activations of
#: Extended Data Fig 1a,b were trained by the same script as Fig 1c, so they share its monitor.
EXPERIMENT_MONITORS: dict[str, str] = {
    "fig1c": "val_aupr",             # Task 1, seven activations × three models (also Fig 1b)
    "extdata1ab": "val_aupr",        # Task 1, modified and ablated activations
    "extdata1e": "val_auroc",        # Task 1, log activations (CNN-deep-log)
    "fig1d": "val_aupr",             # Task 2, in vivo
    "fig2": "val_auroc",             # Task 3, CNN-local / CNN-dist
    "task3_log": "val_auroc",        # Task 3, log activations
    "fig3": "val_auroc",             # Basset, ZBED2, IRF1
    "controls": "val_auroc",         # initialisation, initialisation sweep, gradients, exponential scale
}


def experiment_config(experiment: str, base: RunConfig | None = None, **fields) -> RunConfig:
    """A run of one of the paper's experiments: ``base`` with ``fields`` changed and the experiment's monitor.

    Parameters
    ----------
    experiment : str
        A key of :data:`EXPERIMENT_MONITORS` (e.g. ``"extdata1e"``).
    base : RunConfig, optional
        Budget, task and data size to start from (its ``monitor`` is replaced).
    **fields
        Other RunConfig fields to set (model, activation, trial ...).

    Returns
    -------
    RunConfig
    """
    if experiment not in EXPERIMENT_MONITORS:
        raise UnknownNameError(f"unknown experiment {experiment!r}; choose one of {', '.join(EXPERIMENT_MONITORS)}")
    if "monitor" in fields:
        raise ValueError(f"the monitor is part of experiment {experiment!r} ({EXPERIMENT_MONITORS[experiment]}); "
                         "build a RunConfig directly to train with another one")
    base = base if base is not None else RunConfig()
    return replace(base, monitor=EXPERIMENT_MONITORS[experiment], **fields)


#: Extended Data Fig 1e: the CNN-deep-log variants, (activation, first-layer L2 penalty) (Methods §9.5).
LOG_VARIANTS = (("log_relu", True), ("log_relu", False), ("relu", True), ("relu", False))


def log_experiment_configs(base: RunConfig, trials: int | Sequence[int]) -> list[RunConfig]:
    """The runs of Extended Data Fig 1e: CNN-deep-log × {log_relu, relu} × {penalty, none} × trials,
    monitored like the authors' log-activation script (``val_auroc``, Methods §4, §9.5).

    Parameters
    ----------
    base : RunConfig
        Task, budget and data size (its model, activation, options, trial and monitor are replaced).
    trials : int or sequence of int
        Number of trials (0 … trials−1) or the trial indices.

    Returns
    -------
    list of RunConfig, in the order activation, penalty, trial
    """
    trials = range(trials) if isinstance(trials, int) else list(trials)
    return [experiment_config("extdata1e", base, model="cnn-deep-log", activation=act,
                              model_options={"first_layer_l2": l2}, trial=t)
            for act, l2 in LOG_VARIANTS for t in trials]


def log_experiment_table(runs: Iterable[Run], **kwargs) -> pd.DataFrame:
    """:func:`filter_table` of the Extended Data Fig 1e runs, with the penalised variants named
    ``"<activation>+l2"`` as in ``data/paper_numbers.csv``."""
    table = filter_table(runs, **kwargs)
    table["activation"] = [f"{a}+l2" if dict(o).get("first_layer_l2") else a
                           for a, o in zip(table["activation"], table["model_options"])]
    return table


def combine_tables(*tables: pd.DataFrame | None) -> pd.DataFrame:
    """Concatenate per-run tables (None skipped), keeping one row per run ``key``.

    Experiments share runs (Fig 1c's relu, exponential, sigmoid and tanh are also Extended Data Fig 1a,b's
    originals): a run in two tables is one trial, not two.

    Returns
    -------
    DataFrame with the union of the rows, first occurrence of each key kept, index reset
    """
    parts = [t for t in tables if t is not None and len(t)]
    if not parts:
        return pd.DataFrame()
    return drop_duplicate_runs(pd.concat(parts, ignore_index=True))


def drop_duplicate_runs(table: pd.DataFrame) -> pd.DataFrame:
    """One row per run ``key`` (the column :func:`seqlib.runs.results_table` writes); tables without a
    ``key`` column are returned unchanged."""
    if "key" not in table.columns:
        return table
    return table.drop_duplicates(subset="key", keep="first").reset_index(drop=True)


def planted_motifs(ds) -> tuple[list[str], list[str]]:
    """JASPAR IDs and names of a task's ground-truth motifs (one family each).

    Task 1: its classes; Task 2 (DeepSEA K562): the same 12 TFs; Task 3: the 5 core motifs.
    """
    from .motifs import TASK1_MOTIF_IDS, TASK1_MOTIF_NAMES, load_jaspar

    task = ds.meta.get("task")
    if task == "task1":
        return list(ds.meta["class_ids"]), list(ds.meta["class_names"])
    if task == "task2":
        return list(TASK1_MOTIF_IDS), list(TASK1_MOTIF_NAMES)
    if task == "task3":
        ids = [i for i in ds.meta["pool_ids"] if not i.endswith("_rc")]
        return ids, [m.name for m in load_jaspar(ids, ds.meta.get("release", "JASPAR2016"))]
    raise ValueError(f"task {task!r} has no planted ground-truth motifs to match filters against")


def run_dataset(run: Run):
    """The data set a run was trained on (synthetic tasks are regenerated from their seed)."""
    c = run.config
    return load_task(c.task, c.n_sequences, c.data_seed)


def filter_analysis(run: Run, *, dataset=None, threshold: float = 0.5, targets=None, release: str | None = None,
                    evalue_threshold: float = 0.1) -> dict:
    """Filter PPMs of a run's first layer on its test set, their Tomtom hits and match statistics.

    Cached per run and per setting: ``ppms_t<threshold>.npy`` (F, 20, 4), ``tomtom_t<threshold>_<db>.csv``
    and ``filter_stats_t<threshold>_<db>_<families>.json`` (``<families>``: a digest of the accepted IDs per
    family, so a change of :data:`seqlib.tomtom.PAPER_EXTRA_IDS` recomputes the family statistics).

    Returns
    -------
    dict with ``ppms`` (F, 20, 4), ``n_sites`` (F,), ``tomtom`` (DataFrame), ``per_filter`` (DataFrame:
    best family per filter) and ``stats`` (match_fraction, match_any, coverage, ...)
    """
    from .filters import filter_motifs, filters_from_model
    from .tomtom import ground_truth_families, match_filters, match_statistics, tomtom

    ds = dataset if dataset is not None else run_dataset(run)
    db = release or ("custom" if targets is not None else "jaspar2016")
    tag = f"t{threshold:g}"

    def compute_ppms():
        ppms, n_sites = filters_from_model(run.load_model(), ds.test.X, threshold=threshold)
        return {"ppms": ppms, "n_sites": n_sites}

    arrays = run.cached(f"ppms_{tag}", compute_ppms, kind="npz")
    ppms, n_sites = arrays["ppms"], arrays["n_sites"]
    table = run.cached(f"tomtom_{tag}_{db}", lambda: tomtom(filter_motifs(ppms), targets, release=release,
                                                            evalue_threshold=evalue_threshold), kind="csv")
    ids, names = planted_motifs(ds)
    families = ground_truth_families(ids, targets, release=release, names=names)
    digest = hashlib.sha256(json.dumps(families, sort_keys=True).encode()).hexdigest()[:8]
    stats = run.cached(f"filter_stats_{tag}_{db}_{digest}", lambda: match_statistics(table, len(ppms), families))
    return {"ppms": ppms, "n_sites": n_sites, "tomtom": table, "per_filter": match_filters(table, len(ppms), families),
            "stats": stats, "families": families}


def filter_table(runs: Iterable[Run], **kwargs) -> pd.DataFrame:
    """One row per run: config columns, test AUROC/AUPR and the filter match statistics."""
    from .runs import results_table

    runs = list(runs)
    table = results_table(runs)
    stats = [filter_analysis(r, **kwargs)["stats"] for r in runs]
    for key in ("match_fraction", "match_any", "coverage"):
        table[key] = [s[key] for s in stats]
    return table


def ttest_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Student t-test p-value with equal variances, as the paper (``scipy.stats.ttest_ind``).

    NaN when either group has fewer than 2 trials or both are constant.
    """
    from scipy.stats import ttest_ind

    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    with np.errstate(all="ignore"):
        return float(ttest_ind(a, b, equal_var=True).pvalue)


def activation_distributions(run: Run, *, n_sequences: int = 100, dataset=None) -> dict:
    """First-layer pre-activations (BN output) and post-activations on the first test sequences, for the
    untrained model (same seed, so the same initial weights) and the trained one (paper Supp Fig 10).

    Returns
    -------
    dict with ``pre_init``, ``post_init``, ``pre_trained``, ``post_trained``, each (n, L, F) float32
    """
    from .filters import feature_maps
    from .training import set_seed

    ds = dataset if dataset is not None else run_dataset(run)
    X = ds.test.X[:n_sequences]
    trained = run.load_model()
    set_seed(run.config.trial)
    initial = run.config.build(ds.length, ds.n_classes)
    return {"pre_init": feature_maps(initial, X, pre_activation=True), "post_init": feature_maps(initial, X),
            "pre_trained": feature_maps(trained, X, pre_activation=True), "post_trained": feature_maps(trained, X)}


def compare_groups(table: pd.DataFrame, pairs: Sequence[tuple[str, str]], value: str = "match_fraction",
                   by: str = "activation", within: str = "model") -> pd.DataFrame:
    """Medians of two activations side by side and the paper's two-sided t-test between their trials.

    Parameters
    ----------
    pairs : sequence of (original, modified) activation names

    Returns
    -------
    DataFrame with ``within``, ``original``, ``modified``, medians, trial counts and ``p_value``
    """
    rows = []
    for group, sub in table.groupby(within, sort=False):
        for original, modified in pairs:
            a = sub.loc[sub[by] == original, value].dropna()
            b = sub.loc[sub[by] == modified, value].dropna()
            if not len(a) or not len(b):
                continue
            rows.append({within: group, "original": original, "modified": modified,
                         "original_median": float(a.median()), "modified_median": float(b.median()),
                         "n_trials": f"{len(a)} vs {len(b)}", "p_value": ttest_p(a, b)})
    return pd.DataFrame(rows)


def paper_comparison(table: pd.DataFrame, specs: Sequence[tuple[str, str, str]], task: str = "task1") -> pd.DataFrame:
    """The "paper vs this book" table: for each (figure, statistic, column of ``table``), our median over
    trials per model × activation next to the paper's value, for every cell the paper reports.

    Rows of ``table`` that repeat a run ``key`` (the same run reached through two experiments) count once.

    Returns
    -------
    DataFrame with figure, statistic, model, activation, this book (median), trials, paper, source, note
    (how this build's method differs from the paper's for that statistic, :data:`seqlib.tomtom.STATISTIC_NOTES`)
    """
    from .paper import side_by_side
    from .tomtom import STATISTIC_NOTES

    table = drop_duplicate_runs(table)
    parts = []
    for figure, statistic, column in specs:
        merged = side_by_side(table.rename(columns={column: "value"}), statistic, figure=figure, task=task)
        merged = merged[merged["paper"].notna()]
        merged.insert(0, "statistic", statistic)
        merged.insert(0, "figure", figure)
        merged["note"] = STATISTIC_NOTES.get(statistic, "")
        parts.append(merged)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(out):
        out = out.rename(columns={"ours_median": "this book (median)", "n_trials": "trials",
                                  "paper_source": "source"})
        out = out[["figure", "statistic", "model", "activation", "this book (median)", "trials", "paper", "source",
                   "note"]]
    return out


def cnn_scan(run: Run, *, dataset=None) -> np.ndarray:
    """Max over first-layer filters of the post-activation maps on the test set, ``(N, L)`` (cached)."""
    from .filters import feature_maps
    from .scans import cnn_scan as _max_over_filters

    ds = dataset if dataset is not None else run_dataset(run)
    return run.cached("cnn_scan_test", lambda: _max_over_filters(feature_maps(run.load_model(), ds.test.X)),
                      kind="npy")


def scan_table(runs: Iterable[Run], *, buffers: Sequence[int] = (10,), segmentations: Sequence[str] = ("clean",),
               dataset=None) -> pd.DataFrame:
    """Localisation of planted motifs by CNN scans (per run) and by PPM/PWM scans of the planted motifs.

    Parameters
    ----------
    runs : iterable of Run
        Trained runs whose first-layer scans are scored (may be empty when ``dataset`` is given).
    buffers : sequence of int
        Dilation widths of the motif positions (paper: 10).
    segmentations : sequence of {"clean", "authors"}
        How sequences are cut into scored instances (:func:`seqlib.scans.localisation`).
    dataset : Dataset, optional
        Default: the data set of the first run.

    Returns
    -------
    DataFrame with scan, model, activation, trial, segmentation, buffer, auroc, aupr, auroc_std, aupr_std,
    n_scored; model "motif scan" / "PWM scan" and trial -1 for the scans of the planted motifs
    """
    from .motifs import load_jaspar, with_reverse_complements
    from .scans import SEGMENTATIONS, localisation, motif_scan

    unknown = [s for s in segmentations if s not in SEGMENTATIONS]
    if unknown:
        raise UnknownNameError(f"unknown segmentation(s) {unknown}; choose from {', '.join(SEGMENTATIONS)}")
    runs = list(runs)
    if dataset is None and not runs:
        raise ValueError("scan_table needs runs or a dataset")
    ds = dataset if dataset is not None else run_dataset(runs[0])
    ids, _ = planted_motifs(ds)
    pool = with_reverse_complements(load_jaspar(ids, ds.meta.get("release", "JASPAR2016")))
    scans = [("motif scan", "motif scan", "", -1, motif_scan(ds.test.X, pool)),
             ("PWM scan", "PWM scan", "", -1, motif_scan(ds.test.X, pool, log_odds=True))]
    scans += [("CNN scan", r.config.model, r.config.activation, r.config.trial, cnn_scan(r, dataset=ds)) for r in runs]
    rows = []
    for name, model, act, trial, scan in scans:
        for segmentation in segmentations:
            for buffer in buffers:
                res = localisation(scan, ds.test.model, buffer=buffer, segmentation=segmentation)
                rows.append({"scan": name, "model": model, "activation": act, "trial": trial,
                             "segmentation": segmentation, "buffer": buffer,
                             **{k: res[k] for k in ("auroc", "aupr", "auroc_std", "aupr_std", "n_scored")}})
    return pd.DataFrame(rows)


def paper_scan_statistic(metric: str, buffer: int = 10) -> str:
    """Name of the paper's scan statistic in ``data/paper_numbers.csv``: ``scan_auroc`` / ``scan_aupr`` at the
    figure's buffer of 10, ``scan_<metric>_buffer<b>`` for the authors' buffer sweep."""
    if metric not in ("auroc", "aupr"):
        raise UnknownNameError(f"metric must be 'auroc' or 'aupr'; got {metric!r}")
    return f"scan_{metric}" if buffer == 10 else f"scan_{metric}_buffer{buffer}"


def scan_comparison(scans: pd.DataFrame, *, buffer: int = 10) -> pd.DataFrame:
    """One row per scan: AUROC/AUPR with the clean segmentation, with the authors' loop, and the paper's
    numbers beside the authors' (which is how the paper's were computed; Methods §7.3, §9.8).

    Parameters
    ----------
    scans : DataFrame
        :func:`scan_table` output (medians are taken over trials of each model × activation).
    buffer : int
        Dilation width to compare at (paper's figure: 10).

    Returns
    -------
    DataFrame with scan (e.g. ``"PWM scan"``, ``"cnn-deep exponential"``), trials (of a CNN scan; empty for
    the scans of the planted motifs), ``clean AUROC``,
    ``clean AUPR``, ``authors' AUROC``, ``authors' AUPR``, ``paper AUROC``, ``paper AUPR`` (NaN where the
    paper has no value or a segmentation was not computed)
    """
    from .paper import paper_numbers

    sub = scans[scans["buffer"] == buffer]
    if sub.empty:
        raise ValueError(f"no scans at buffer {buffer}; buffers computed: {sorted(set(scans['buffer']))}")
    medians = sub.groupby(["model", "activation", "segmentation"], sort=False)[["auroc", "aupr"]].median()
    trials = sub.groupby(["model", "activation"], sort=False)["trial"].nunique()
    paper = paper_numbers(figure="ExtData 1c,d", statistic=[paper_scan_statistic("auroc", buffer),
                                                            paper_scan_statistic("aupr", buffer)])
    rows = []
    for (model, activation), n in trials.items():
        row = {"scan": f"{model} {activation}".strip(), "trials": int(n) if activation else ""}
        for segmentation, label in (("clean", "clean"), ("authors", "authors'")):
            for metric in ("auroc", "aupr"):
                key = (model, activation, segmentation)
                row[f"{label} {metric.upper()}"] = float(medians.loc[key, metric]) if key in medians.index else np.nan
        for metric in ("auroc", "aupr"):
            hit = paper[(paper["model"] == model) & (paper["activation"] == activation)
                        & (paper["statistic"] == paper_scan_statistic(metric, buffer))]["value"]
            row[f"paper {metric.upper()}"] = float(hit.iloc[0]) if len(hit) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def example_tracks(runs: Sequence[Run], index: int = 0, *, dataset=None) -> dict:
    """Per-position scans of one test sequence: motif scan, PWM scan and the CNN scan of every trial-0 run
    (labelled by activation), for :func:`seqlib.plotting.plot_tracks`."""
    from .motifs import load_jaspar, with_reverse_complements
    from .scans import motif_scan

    ds = dataset if dataset is not None else run_dataset(runs[0])
    ids, _ = planted_motifs(ds)
    pool = with_reverse_complements(load_jaspar(ids, ds.meta.get("release", "JASPAR2016")))
    x = ds.test.X[index:index + 1]
    tracks = {"motif scan": motif_scan(x, pool)[0], "PWM scan": motif_scan(x, pool, log_odds=True)[0]}
    for r in runs:
        if r.config.trial == 0:
            tracks[f"{r.config.model} {r.config.activation}"] = cnn_scan(r, dataset=ds)[index]
    return tracks


def budget_summary(runs: Sequence[Run], table: pd.DataFrame, settings: dict, *, model: str = "cnn-deep") -> dict:
    """What this build's training budget gave ``model``, beside the paper, for the chapter's prose.

    Parameters
    ----------
    runs : list of Run
        The chapter's runs (those of ``model`` are used).
    table : DataFrame
        :func:`filter_table` of ``runs`` (``activation``, ``match_fraction``, ``test_auroc`` columns).
    settings : dict
        The chapter's profile (:func:`seqlib.get_profile`).

    Returns
    -------
    dict of plain numbers and strings: ``profile_name``, ``max_epochs``, ``n_trials``, ``epochs_trained``
    (median over runs), ``epoch_seconds`` (median seconds per epoch and run, from the runs' histories),
    ``workers`` (runs trained at once), ``auroc_min``/``auroc_max`` (range of the per-activation median test
    AUROC), ``exp_median`` and ``best_other`` (median match fraction of the exponential and of the best
    other activation), ``paper_auroc`` and ``paper_exp_median`` (the paper's values for ``model``).
    """
    from .paper import paper_numbers
    from .runs import default_workers

    chosen = [r for r in runs if r.config.model == model]
    if not chosen:
        raise ValueError(f"no run of model {model!r} among the {len(runs)} runs")
    rows = table[table.model == model]
    match = rows.groupby("activation")["match_fraction"].median()
    auroc = rows.groupby("activation")["test_auroc"].median()
    others = match.drop("exponential", errors="ignore")
    paper_auc = paper_numbers(figure="classification", model=model, statistic="test_auroc")["value"]
    paper_match = paper_numbers(figure="Fig 1c", model=model, statistic="match_fraction", activation="exponential")
    return {
        "profile_name": settings["profile"],
        "max_epochs": int(settings["epochs"]),
        "n_trials": int(settings["trials"]),
        "epochs_trained": int(np.median([r.history["stopped_epoch"] for r in chosen])),
        "epoch_seconds": float(np.median([s for r in chosen for s in r.history["seconds"]])),
        "workers": int(default_workers()),
        "auroc_min": float(auroc.min()),
        "auroc_max": float(auroc.max()),
        "exp_median": float(match.get("exponential", np.nan)),
        "best_other": float(others.max()) if len(others) else float("nan"),
        "paper_auroc": float(paper_auc.median()) if len(paper_auc) else float("nan"),
        "paper_exp_median": float(paper_match["value"].iloc[0]) if len(paper_match) else float("nan"),
    }
