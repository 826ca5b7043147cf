"""Figures: sequence logos (logomaker), ground-truth tracks, count bars and box plots with the paper's
values drawn beside ours. Every function draws on an ``ax`` it is given (or a new one) and returns the
matplotlib objects, so notebooks stay one call per figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from .motifs import information_content

COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}


def ic_heights(ppm, floor: float = 1e-7) -> np.ndarray:
    """Logo letter heights ``p × IC`` in bits, floored like the paper's logos.

    Parameters
    ----------
    ppm : array_like, shape=(L, 4)

    Returns
    -------
    numpy.ndarray, shape=(L, 4)
    """
    ppm = np.asarray(ppm, dtype=float)
    return np.maximum(ppm * information_content(ppm)[:, None], floor)


def plot_logo(matrix, ax=None, *, title: str | None = None, ylabel: str | None = "bits",
              information: bool = True, ylim=(0, 2), xticks: bool = False):
    """Draw a sequence logo.

    Parameters
    ----------
    matrix : array_like, shape=(L, 4)
        A PPM (drawn IC-scaled when ``information``) or already-computed heights (e.g. attributions).
    ax : matplotlib Axes, optional
    information : bool
        Scale the PPM to bits (``p × IC``). False draws ``matrix`` as given.
    ylim : tuple or None

    Returns
    -------
    logomaker.Logo
    """
    import logomaker
    import matplotlib.pyplot as plt
    import pandas as pd

    if ax is None:
        _, ax = plt.subplots(figsize=(max(2.0, 0.25 * len(matrix)), 1.4))
    heights = ic_heights(matrix) if information else np.asarray(matrix, dtype=float)
    df = pd.DataFrame(heights, columns=list("ACGT"))
    logo = logomaker.Logo(df, ax=ax, color_scheme=COLORS, font_name="DejaVu Sans Mono")
    if ylim is not None:
        ax.set_ylim(*ylim)
    if not xticks:
        ax.set_xticks([])
    ax.spines[["right", "top"]].set_visible(False)
    if title:
        ax.set_title(title, fontsize=9)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=8)
    return logo


def plot_logo_grid(matrices: Sequence, titles: Sequence[str] | None = None, *, ncols: int = 4,
                   panel_size=(2.6, 1.2), information: bool = True, ylabels: Sequence[str] | None = None):
    """Logos of several matrices in a grid; returns the figure.

    Parameters
    ----------
    matrices : sequence of array_like, each shape=(L_i, 4)
    titles, ylabels : sequence of str, optional
    """
    import matplotlib.pyplot as plt

    n = len(matrices)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.axis("off")
            continue
        plot_logo(matrices[i], ax=ax, title=None if titles is None else titles[i],
                  ylabel=None if ylabels is None else ylabels[i], information=information)
    fig.tight_layout()
    return fig


def plot_ground_truth(x, model, *, title: str | None = None, start: int = 0, end: int | None = None):
    """One sequence and its ground truth: the observed bases scaled by ground-truth information
    content (top) and the information-content track with planted-motif positions (bottom).

    Parameters
    ----------
    x : array_like, shape=(L, 4)
        One-hot sequence.
    model : array_like, shape=(L, 4)
        Its sequence-model PPM.
    """
    import matplotlib.pyplot as plt

    x = np.asarray(x)[start:end]
    model = np.asarray(model)[start:end]
    ic = information_content(model)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(12, 3.2), sharex=True, gridspec_kw=dict(height_ratios=[1.3, 1]))
    plot_logo(x * ic[:, None], ax=ax1, information=False, ylabel="bits", title=title)
    ax2.fill_between(np.arange(len(ic)), ic, step="mid", color="0.4")
    ax2.axhline(0.01, color="tab:red", lw=0.8, ls="--", label="IC = 0.01 (ground-truth threshold)")
    ax2.set_ylim(0, 2.05)
    ax2.set_ylabel("IC (bits)", fontsize=8)
    ax2.set_xlabel("position")
    ax2.legend(loc="upper right", fontsize=7, frameon=False)
    ax2.spines[["right", "top"]].set_visible(False)
    fig.tight_layout()
    return fig


def plot_counts_vs_reference(labels: Sequence, ours: Sequence[float], reference: Sequence[float] | None = None,
                             *, ax=None, xlabel: str = "", ylabel: str = "fraction of sequences",
                             ours_label: str = "this book", reference_label: str = "paper (re-run, seed 33)"):
    """Grouped bars of our fractions next to a reference's."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    pos = np.arange(len(labels))
    width = 0.4 if reference is not None else 0.7
    ax.bar(pos - (width / 2 if reference is not None else 0), ours, width, label=ours_label, color="tab:blue")
    if reference is not None:
        ax.bar(pos + width / 2, reference, width, label=reference_label, color="0.6")
    ax.set_xticks(pos, [str(lb) for lb in labels], rotation=45 if max(len(str(lb)) for lb in labels) > 3 else 0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["right", "top"]].set_visible(False)
    return ax


def save_figure(fig, name: str, directory=None) -> Path:
    """Save ``fig`` as ``<directory>/<name>.png`` (default: ``results/figures``) and return the path."""
    from .paths import figures_dir

    directory = Path(directory) if directory is not None else figures_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path
