"""Analyses of trained runs, cached inside each run folder (``results/runs/<key>/analyses/``).

Each function takes finished :class:`seqlib.runs.Run` objects and returns tidy tables, so notebooks are
a grid of runs, one call here and one plot. The analyses are grouped by what they analyse:

* the paper's experiments: which runs, trained with which monitor (:func:`experiment_config`);
* filters: PPMs, Tomtom hits, match statistics (:func:`filter_analysis`, :func:`filter_table`);
* activations: first-layer distributions (:func:`activation_distributions`);
* comparisons with the paper: t-tests, side-by-side tables (:func:`compare_groups`, :func:`paper_comparison`);
* scans: localisation of planted motifs (:func:`cnn_scan`, :func:`scan_table`, :func:`scan_comparison`);
* budget: what the training budget gave (:func:`budget_summary`).

Every cached analysis goes through :meth:`seqlib.runs.Run.cached` keyed by every argument that changes
its result, a digest of the data it was computed on and the results-format version. What a task's data and
ground-truth motifs are comes from the task registry (:mod:`seqlib.tasks`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.stats import ttest_ind

from ..analyses import filter_table, motif_release, planted_motifs, run_cache, run_dataset
from ..errors import UnknownNameError
from ..filters import feature_maps
from ..motifs import load_jaspar, with_reverse_complements
from ..runs import Run, RunConfig, default_workers, grid, results_table
from ..scans import SEGMENTATIONS, localisation, motif_scan
from ..scans import cnn_scan as _max_over_filters
from ..tomtom import STATISTIC_NOTES
from ..training import set_seed
from .claims import paired_claim
from .paper import paper_numbers, side_by_side

# ----------------------------------------------------------------------------- the paper's experiments

@dataclass(frozen=True)
class Experiment:
    """One of the paper's training experiments and the validation monitor the authors' script used.

    Attributes
    ----------
    name : str
    monitor : str
    tasks : tuple of str
        Tasks it trains on (empty: any).
    description : str
    """

    name: str
    monitor: str
    tasks: tuple[str, ...]
    description: str


#: The paper's training experiments (Methods §4). The modified and ablated activations of Extended Data
#: Fig 1a,b were trained by the same script as Fig 1c, so they share its monitor.
EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    Experiment("fig1c", "val_aupr", ("task1",), "Task 1, seven activations x three models (also Fig 1b)"),
    Experiment("extdata1ab", "val_aupr", ("task1",), "Task 1, modified and ablated activations"),
    Experiment("extdata1e", "val_auroc", ("task1",), "Task 1, log activations (CNN-deep-log)"),
    Experiment("fig1d", "val_aupr", ("task2",), "Task 2, in vivo"),
    Experiment("fig2", "val_auroc", ("task3",), "Task 3, CNN-local / CNN-dist"),
    Experiment("fig3", "val_auroc", ("basset", "zbed2", "irf1"), "Basset, ZBED2, IRF1"),
    Experiment("controls", "val_auroc", (), "initialisation, initialisation sweep, gradients, exponential scale"),
)}


def get_experiment(name: str) -> Experiment:
    """The paper's experiment ``name`` (a key of :data:`EXPERIMENTS`).

    Raises
    ------
    UnknownNameError
    """
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise UnknownNameError(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}") from None


#: The validation monitor of each of the paper's training experiments (a view of :data:`EXPERIMENTS`; Methods §4).
EXPERIMENT_MONITORS: dict[str, str] = {name: e.monitor for name, e in EXPERIMENTS.items()}


def experiment_config(experiment: str, base: RunConfig | None = None, **fields) -> RunConfig:
    """A run of one of the paper's experiments: ``base`` with ``fields`` changed and the experiment's monitor.

    Parameters
    ----------
    experiment : str
        A key of :data:`EXPERIMENTS` (e.g. ``"extdata1e"``).
    base : RunConfig, optional
        Budget, task and data size to start from (its ``monitor`` is replaced).
    **fields
        Other RunConfig fields to set (model, activation, trial ...).

    Returns
    -------
    RunConfig

    Raises
    ------
    UnknownNameError
        An unknown experiment.
    ValueError
        ``monitor`` among ``fields``, or a task the experiment does not train on.
    """
    spec = get_experiment(experiment)
    if "monitor" in fields:
        raise ValueError(f"the monitor is part of experiment {experiment!r} ({spec.monitor}); "
                         "build a RunConfig directly to train with another one")
    config = replace(base if base is not None else RunConfig(), monitor=spec.monitor, **fields)
    if spec.tasks and config.task not in spec.tasks:
        raise ValueError(f"experiment {experiment!r} trains on {', '.join(spec.tasks)}, not {config.task!r}")
    return config


def fig1c_configs(base: RunConfig, settings: dict) -> list[RunConfig]:
    """The runs of the Fig 1c grid: every model × activation × ``trials``, and the headline activations
    (relu and exponential) up to ``headline_trials``, so that the headline contrast gets more seeds than the
    other activations at a small budget (Methods §4).

    Parameters
    ----------
    base : RunConfig
        Task, budget and data size (model, activation and trial are replaced).
    settings : dict
        A profile (:func:`seqlib.get_profile`): ``fig1c_models``, ``fig1c_activations``, ``trials``,
        ``headline_activations``, ``headline_trials``.

    Returns
    -------
    list of RunConfig: the grid at ``trials`` first, then the headline's extra trials (trial indices
    ``trials`` … ``headline_trials`` − 1, so every activation's trial k shares seed k).
    """
    models, activations = settings["fig1c_models"], settings["fig1c_activations"]
    trials = int(settings["trials"])
    configs = grid(base, model=models, activation=activations, trial=range(trials))
    headline = [a for a in settings.get("headline_activations", ()) if a in activations]
    extra = int(settings.get("headline_trials", trials))
    if headline and extra > trials:
        configs += grid(base, model=models, activation=headline, trial=range(trials, extra))
    return configs


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


# ----------------------------------------------------------------------------- comparisons

def ttest_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Student t-test p-value with equal variances, as the paper (``scipy.stats.ttest_ind``).

    NaN when either group has fewer than 2 trials or both are constant.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    with np.errstate(all="ignore"):
        return float(ttest_ind(a, b, equal_var=True).pvalue)


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


# ----------------------------------------------------------------------------- activations

def activation_distributions(run: Run, *, n_sequences: int = 100, dataset=None) -> dict:
    """First-layer pre-activations (BN output) and post-activations on the first test sequences, for the
    untrained model (same seed, so the same initial weights) and the trained one (paper Supp Fig 10).

    Returns
    -------
    dict with ``pre_init``, ``post_init``, ``pre_trained``, ``post_trained``, each (n, L, F) float32
    """
    ds = run_dataset(run, dataset)
    X = ds.test.X[:n_sequences]
    trained = run.load_model()
    set_seed(run.config.trial)
    initial = run.config.build(ds.length, ds.n_classes)
    return {"pre_init": feature_maps(initial, X, pre_activation=True), "post_init": feature_maps(initial, X),
            "pre_trained": feature_maps(trained, X, pre_activation=True), "post_trained": feature_maps(trained, X)}


# ----------------------------------------------------------------------------- scans

def cnn_scan(run: Run, *, dataset=None) -> np.ndarray:
    """Max over first-layer filters of the post-activation maps on the test set, ``(N, L)`` (cached)."""
    ds = run_dataset(run, dataset)
    return run_cache(run, ds.test)("cnn_scan", lambda: _max_over_filters(feature_maps(run.load_model(), ds.test.X)),
                                "npy", split="test")


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
    n_scored; model "motif scan" / "PWM scan" and trial -1 for the scans of the planted motifs; the CNN scans'
    rows also carry their run's key, task, test_auroc, epochs_trained and late_gain
    (:func:`seqlib.runs.results_table`)
    """
    unknown = [s for s in segmentations if s not in SEGMENTATIONS]
    if unknown:
        raise UnknownNameError(f"unknown segmentation(s) {unknown}; choose from {', '.join(SEGMENTATIONS)}")
    runs = list(runs)
    if dataset is None and not runs:
        raise ValueError("scan_table needs runs or a dataset")
    ds = run_dataset(runs[0] if runs else None, dataset)
    ids, _ = planted_motifs(ds, runs[0] if runs else None)
    pool = with_reverse_complements(load_jaspar(ids, motif_release(ds, runs[0] if runs else None)))
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
    table = pd.DataFrame(rows)
    if runs:                                   # the CNN scans' runs: how well trained (the book's adequacy rule)
        trained = results_table(runs)[["model", "activation", "trial", "key", "task", "test_auroc",
                                       "epochs_trained", "late_gain"]]
        table = table.merge(trained, on=["model", "activation", "trial"], how="left")
    return table


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
    ds = run_dataset(runs[0], dataset)
    ids, _ = planted_motifs(ds, runs[0])
    pool = with_reverse_complements(load_jaspar(ids, motif_release(ds, runs[0])))
    x = ds.test.X[index:index + 1]
    tracks = {"motif scan": motif_scan(x, pool)[0], "PWM scan": motif_scan(x, pool, log_odds=True)[0]}
    for r in runs:
        if r.config.trial == 0:
            tracks[f"{r.config.model} {r.config.activation}"] = cnn_scan(r, dataset=ds)[index]
    return tracks


# ----------------------------------------------------------------------------- budget

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
    dict of plain numbers and strings: ``profile_name``, ``max_epochs``, ``n_trials``, ``n_headline_trials``
    (trials of the exponential runs), ``epochs_trained``
    (median over runs), ``epoch_seconds`` (median seconds per epoch and run, from the runs' histories),
    ``workers`` (runs trained at once), ``auroc_min``/``auroc_max`` (range of the per-activation median test
    AUROC), ``exp_median``, ``relu_median`` and ``best_other`` (median match fraction of the exponential,
    of relu and of the best other activation), ``paper_auroc``, ``paper_exp_median`` and ``paper_relu_median``
    (the paper's values for ``model``).
    """
    chosen = [r for r in runs if r.config.model == model]
    if not chosen:
        raise ValueError(f"no run of model {model!r} among the {len(runs)} runs")
    rows = table[table.model == model]
    match = rows.groupby("activation")["match_fraction"].median()
    auroc = rows.groupby("activation")["test_auroc"].median()
    others = match.drop("exponential", errors="ignore")
    paper_auc = paper_numbers(figure="classification", model=model, statistic="test_auroc")["value"]
    paper_match = paper_numbers(figure="Fig 1c", model=model, statistic="match_fraction", activation="exponential")
    paper_relu = paper_numbers(figure="Fig 1c", model=model, statistic="match_fraction", activation="relu")
    return {
        "profile_name": settings["profile"],
        "max_epochs": int(settings["epochs"]),
        "n_trials": int(settings["trials"]),
        "n_headline_trials": int(rows[rows.activation == "exponential"]["trial"].nunique()) if "trial" in rows
        else int(settings["trials"]),
        "epochs_trained": int(np.median([r.history["stopped_epoch"] for r in chosen])),
        "epoch_seconds": float(np.median([s for r in chosen for s in r.history["seconds"]])),
        "workers": int(default_workers()),
        "auroc_min": float(auroc.min()),
        "auroc_max": float(auroc.max()),
        "exp_median": float(match.get("exponential", np.nan)),
        "relu_median": float(match.get("relu", np.nan)),
        "best_other": float(others.max()) if len(others) else float("nan"),
        "paper_auroc": float(paper_auc.median()) if len(paper_auc) else float("nan"),
        "paper_exp_median": float(paper_match["value"].iloc[0]) if len(paper_match) else float("nan"),
        "paper_relu_median": float(paper_relu["value"].iloc[0]) if len(paper_relu) else float("nan"),
    }


def scan_claim(scans: pd.DataFrame, comparison: pd.DataFrame, *, buffer: int = 10, model: str = "cnn-deep") -> dict:
    """Claim C4: scanning with exponential filters localises the planted motifs better than with relu filters,
    judged by the book's rule on the CNN scans' AUROC (clean segmentation) beside the paper's.

    Parameters
    ----------
    scans : DataFrame
        :func:`scan_table` rows.
    comparison : DataFrame
        :func:`scan_comparison` at ``buffer`` (for the paper's numbers).
    """
    paper = comparison.set_index("scan")["paper AUROC"]
    return paired_claim(scans, claim=f"{model} filter scan AUROC, exponential > relu", value="auroc",
                        group="activation", higher="exponential", lower="relu",
                        where={"scan": "CNN scan", "segmentation": "clean", "buffer": buffer},
                        paper_higher=paper.get(f"{model} exponential", float("nan")),
                        paper_lower=paper.get(f"{model} relu", float("nan")), claim_id="C4")
