"""The paper's own numbers, as data (``data/paper_numbers.csv``), for side-by-side tables.

The table ships inside the package (``seqlib/data/paper_numbers.csv``, :func:`seqlib.paths.paper_numbers_csv`),
so it is found wherever seqlib is installed; in the checkout ``data/paper_numbers.csv`` links to it.

Each row carries a source tag saying how the value was obtained: ``P`` printed in an executed notebook of the
authors (exact), ``F`` read off a notebook figure (about ±0.01), ``E`` eyeballed, ``R`` recomputed
from the authors' code or data.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ..paths import paper_numbers_csv

SOURCE_TAGS = {"P": "printed", "F": "read from figure", "E": "eyeballed", "R": "recomputed"}


@functools.lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    df = pd.read_csv(paper_numbers_csv(), dtype={"model": str, "activation": str}, keep_default_na=False)
    for col in ("value", "q1", "q3"):
        df[col] = pd.to_numeric(df[col].replace("", np.nan))
    return df


def paper_numbers(**filters) -> pd.DataFrame:
    """Rows of the paper's table matching every ``column=value`` filter (a list matches any of it).

    Columns: figure, task, model, activation, statistic, value, q1, q3, source, note.
    """
    df = _table()
    for column, value in filters.items():
        if column not in df.columns:
            raise KeyError(f"paper_numbers has no column {column!r}; columns: {list(df.columns)}")
        values = value if isinstance(value, (list, tuple, set)) else [value]
        df = df[df[column].isin(list(values))]
    return df.reset_index(drop=True)


def paper_value(statistic: str, **filters) -> float:
    """The single paper value for ``statistic`` under ``filters``; NaN when the paper has none."""
    rows = paper_numbers(statistic=statistic, **filters)
    if len(rows) > 1:
        raise ValueError(f"{len(rows)} paper rows match {statistic} {filters}; add filters")
    return float(rows["value"].iloc[0]) if len(rows) else float("nan")


def side_by_side(ours: pd.DataFrame, statistic: str, *, by=("model", "activation"), figure: str | None = None,
                 task: str | None = None, value_column: str = "value") -> pd.DataFrame:
    """Median (and IQR) of our per-trial values next to the paper's, one row per group.

    Parameters
    ----------
    ours : DataFrame
        One row per trial with the ``by`` columns and ``value_column``.
    statistic : str
        The paper's statistic to compare with (e.g. ``"match_fraction"``).

    Returns
    -------
    DataFrame with the ``by`` columns, ``ours_median``, ``ours_q1``, ``ours_q3``, ``n_trials``,
    ``paper``, ``paper_q1``, ``paper_q3``, ``paper_source``.
    """
    by = list(by)
    grouped = ours.groupby(by, sort=False)[value_column]
    table = pd.DataFrame({
        "ours_median": grouped.median(),
        "ours_q1": grouped.quantile(0.25),
        "ours_q3": grouped.quantile(0.75),
        "n_trials": grouped.size(),
    }).reset_index()
    filters = {"statistic": statistic}
    if figure is not None:
        filters["figure"] = figure
    if task is not None:
        filters["task"] = task
    paper = paper_numbers(**filters)[by + ["value", "q1", "q3", "source"]].rename(
        columns={"value": "paper", "q1": "paper_q1", "q3": "paper_q3", "source": "paper_source"})
    paper = paper.drop_duplicates(subset=by)
    return table.merge(paper, on=by, how="left")


def motif_counts(task: str, prefix: str = "sequences_with") -> pd.Series:
    """The paper's counts of sequences by number of planted motifs (statistics ``<prefix>_<k>_motifs`` of figure
    ``data``), indexed by k.

    Parameters
    ----------
    task : str
        ``"task1"`` or ``"task3"``.
    prefix : str
        ``"sequences_with"`` (all sequences) or ``"positives_with"`` (Task 3's positives).

    Returns
    -------
    Series of counts indexed by k (int), sorted by k
    """
    rows = paper_numbers(figure="data", task=task)
    found = rows["statistic"].str.extract(rf"^{prefix}_(\d+)_motifs$")[0]
    keep = found.notna()
    return pd.Series(rows.loc[keep, "value"].to_numpy(), index=found[keep].astype(int).to_numpy(),
                     name="sequences").sort_index()


def method_rows(figure: str, statistic_suffix: str = "_auroc") -> pd.DataFrame:
    """The paper's rows of an attribution figure whose statistic is ``<method><suffix>`` (e.g. Extended Data
    Fig 2's ``ism_auroc``), with the method in its own column."""
    rows = paper_numbers(figure=figure)
    rows = rows[rows["statistic"].str.endswith(statistic_suffix)]
    return rows.assign(method=rows["statistic"].str.removesuffix(statistic_suffix))


def reference_sweep(figure: str = "Supp 16") -> pd.DataFrame:
    """The paper's attribution quality against the number of references (statistics ``<method>_<metric>_bg<n>``),
    with ``method``, ``metric`` and ``n_references`` in their own columns."""
    rows = paper_numbers(figure=figure)
    parts = rows["statistic"].str.extract(r"^(?P<method>[a-z]+)_(?P<metric>[a-z]+)_bg(?P<n>\d+)$")
    return rows.assign(method=parts["method"], metric=parts["metric"], n_references=parts["n"].astype(int))
