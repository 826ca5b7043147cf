"""Summary statistics of data sets, for the notebooks' comparisons with the paper."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chisquare

from ..datasets import Dataset, Split
from ..motifs import information_content


def _all(ds: Dataset, attr: str, mask=None) -> np.ndarray:
    arrays = []
    for _, s in ds.splits():
        a = getattr(s, attr)
        if a is None:
            raise ValueError(f"the data set has no {attr!r} arrays (only simulated data sets do)")
        arrays.append(a if mask is None else a[mask(s)])
    return np.concatenate(arrays)


def motif_count_distribution(ds: Dataset, label: float | None = None) -> pd.Series:
    """Number of sequences (all splits) with k planted motifs, indexed by k.

    Parameters
    ----------
    label : float, optional
        Only sequences whose first label equals this (e.g. 1 for Task-3 positives).
    """
    mask = None if label is None else (lambda s: s.y[:, 0] == label)
    n = (_all(ds, "planted", mask) >= 0).sum(1)
    counts = pd.Series(n).value_counts().sort_index()
    counts.index.name = "motifs per sequence"
    return counts.rename("sequences")


def class_prevalence(ds: Dataset) -> pd.Series:
    """Fraction of sequences (all splits) positive for each class, indexed by class name."""
    names = ds.meta.get("class_names") or [str(i) for i in range(ds.n_classes)]
    return pd.Series(_all(ds, "y").mean(0), index=names, name="prevalence")


def ground_truth_fraction(split: Split, threshold: float = 0.01, label: float | None = None) -> float:
    """Fraction of positions whose ground-truth information content exceeds ``threshold`` bits.

    This is the paper's definition of a ground-truth motif position (Methods §7.2).
    """
    model = split.model if label is None else split.model[split.y[:, 0] == label]
    return float((information_content(model) > threshold).mean())


def fraction_with_pool_motif(split_or_ds, pool_indices, label: float | None = None) -> float:
    """Fraction of sequences holding at least one motif whose pool index is in ``pool_indices``."""
    if isinstance(split_or_ds, Dataset):
        mask = None if label is None else (lambda s: s.y[:, 0] == label)
        planted = _all(split_or_ds, "planted", mask)
    else:
        s = split_or_ds
        planted = s.planted if label is None else s.planted[s.y[:, 0] == label]
    return float(np.isin(planted, list(pool_indices)).any(1).mean())


def compare_counts(observed: pd.Series, probabilities: dict, reference: pd.Series | None = None) -> pd.DataFrame:
    """Observed counts next to the expected ``N × p`` and a reference table, with a chi-square test.

    Returns
    -------
    DataFrame indexed by k with columns ``observed``, ``expected``, (``reference``), and the
    goodness-of-fit p-value of ``observed`` against ``probabilities`` in ``attrs['chi2_p']``.
    """
    ks = sorted(probabilities)
    obs = np.array([observed.get(k, 0) for k in ks], dtype=float)
    exp = obs.sum() * np.array([probabilities[k] for k in ks])
    table = pd.DataFrame({"observed": obs.astype(int), "expected": np.round(exp, 1)}, index=pd.Index(ks, name="k"))
    if reference is not None:
        table["reference"] = [int(reference.get(k, 0)) for k in ks]
    table.attrs["chi2_p"] = float(chisquare(obs, exp).pvalue)
    return table
