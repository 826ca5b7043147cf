"""Analyses of trained runs, cached inside each run folder (``results/runs/<key>/analyses/``).

What ``seqlib run --filters`` and a user's own script ask of a finished :class:`seqlib.runs.Run`:

* its data: the data set it was trained on (:func:`run_dataset`) and that data set's ground-truth motifs from the
  task registry (:func:`planted_motifs`, :func:`motif_release`);
* its first-layer filters: PPMs, Tomtom hits and match statistics (:func:`filter_analysis`, one row per run in
  :func:`filter_table`);
* a cache bound to the data an analysis reads (:func:`run_cache`), so an analysis is computed once per run,
  setting and data set.

Every cached analysis goes through :meth:`seqlib.runs.Run.cached`, keyed by every argument that changes its result,
a digest of the data it was computed on (:func:`seqlib.runs.array_digest`) and the results-format version.
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from .filters import filter_pipeline
from .runs import Run, array_digest, results_table
from .tasks import Task, get_task, task_names

__all__ = ["run_dataset", "planted_motifs", "motif_release", "split_digest", "run_cache", "filter_analysis",
           "filter_table"]


def run_dataset(run: Run, dataset=None):
    """The data set a run was trained on (simulated tasks are regenerated from their seed), or ``dataset``
    when one is given."""
    return dataset if dataset is not None else run.config.dataset()


def _task_of(ds, run: Run | None = None) -> Task:
    """The registered task of a data set (its ``meta['task']``), else of the run."""
    name = ds.meta.get("task")
    if name in task_names():
        return get_task(name)
    if run is not None:
        return get_task(run.config.task)
    return get_task(name)                     # raises UnknownNameError naming it


def planted_motifs(ds, run: Run | None = None) -> tuple[list[str], list[str]]:
    """JASPAR IDs and names of a data set's ground-truth motifs (one family each), from the task registry.

    Task 1: its classes; Task 2 (DeepSEA K562): the same 12 TFs; Task 3: the 5 core motifs; a user's data:
    the motifs named when it was registered or in its file's metadata.

    Raises
    ------
    ValueError
        The task has no known ground-truth motifs (e.g. ZBED2, IRF1, Basset).
    """
    truth = _task_of(ds, run).ground_truth(ds)
    if truth is None:
        raise ValueError(f"task {ds.meta.get('task')!r} has no planted ground-truth motifs to match filters against")
    return truth


def motif_release(ds, run: Run | None = None) -> str:
    """The JASPAR release a data set's motifs come from (its metadata, else its task's)."""
    return ds.meta.get("release") or _task_of(ds, run).release


def split_digest(split) -> str:
    """:func:`seqlib.runs.array_digest` of a split's ``X``, ``y`` and ground truth ``model`` (when present):
    the data part of the cache key of analyses computed on it."""
    return array_digest(split.X, split.y, split.model)


def run_cache(run: Run, split):
    """``run.cached`` with the digest of ``split`` added to every key (:func:`split_digest`)."""
    digest = split_digest(split)
    return lambda name, compute, kind, **key_args: run.cached(name, compute, kind, data=digest, **key_args)


def filter_analysis(run: Run, *, dataset=None, threshold: float = 0.5, targets=None, release: str | None = None,
                    evalue_threshold: float = 0.1, window: int | None = None) -> dict:
    """Filter PPMs of a run's first layer on its test set, their Tomtom hits and match statistics
    (:func:`seqlib.filters.filter_pipeline`, the pipeline of ``seqlib filters`` too).

    Cached in the run's ``analyses/`` as ``ppms_<hash>.npz`` (F, W, 4), ``tomtom_<hash>.csv`` and
    ``filter_stats_<hash>.json``, each hash covering every argument that changes it: the data (a digest of
    the test split), threshold, window, the Tomtom database (a digest of its motifs, so two custom target
    sets never share a cache entry), the E-value threshold, the ground-truth families and the results-format
    version.

    Parameters
    ----------
    run : Run
    dataset : Dataset, optional
        Data to analyse instead of the run's own (:func:`run_dataset`).
    threshold, window
        As :func:`seqlib.filters.filters_from_model` (paper: 0.5, 20).
    targets, release
        Tomtom database (default: the paper's JASPAR CORE 2016 vertebrates).
    evalue_threshold : float
        Tomtom's E-value threshold (paper: 0.1).

    Returns
    -------
    dict with ``ppms`` (F, W, 4), ``n_sites`` (F,), ``tomtom`` (DataFrame), ``summary`` (DataFrame: best
    database hit per filter), ``per_filter`` (DataFrame: best family per filter), ``stats`` (match_fraction,
    match_any, coverage, ...; match_fraction and coverage are NaN for data without known ground truth) and
    ``families`` (dict, or None without ground truth)
    """
    ds = run_dataset(run, dataset)
    truth = _task_of(ds, run).ground_truth(ds)
    return filter_pipeline(run.load_model, ds.test.X, threshold=threshold, window=window, targets=targets,
                           release=release, evalue_threshold=evalue_threshold, ground_truth=truth,
                           cache=run_cache(run, ds.test))


def filter_table(runs: Iterable[Run], **kwargs) -> pd.DataFrame:
    """One row per run: config columns, test AUROC/AUPR and the filter match statistics
    (:func:`filter_analysis` with ``kwargs``)."""
    runs = list(runs)
    table = results_table(runs)
    stats = [filter_analysis(r, **kwargs)["stats"] for r in runs]
    for key in ("match_fraction", "match_any", "coverage"):
        table[key] = [s[key] for s in stats]
    return table
