"""Figures: sequence logos (logomaker), ground-truth tracks, count bars and box plots with the paper's
values drawn beside ours. Every function draws on an ``ax`` it is given (or a new one) and returns the
matplotlib objects, so notebooks stay one call per figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ._io import atomic_path
from .motifs import information_content
from .paths import figures_dir, results_dir

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



def describe_runs(runs) -> str:
    """The run configs behind a figure in one line: per task and model, each activation with its trial count,
    and the training budget (e.g. ``task1/cnn-deep: relu ×3, exponential ×3 (≤ 15 epochs)``)."""
    groups: dict[tuple, dict[str, set]] = {}
    for r in runs:
        c = getattr(r, "config", r)
        budget = f"≤ {c.epochs} epochs" + ("" if c.patience is None else f", patience {c.patience}")
        acts = groups.setdefault((c.task, c.model, budget), {})
        label = c.activation + ("" if not c.activation_params else
                                "(" + ",".join(f"{k}={v}" for k, v in c.activation_params) + ")")
        if c.initializer != "glorot_uniform" or c.initializer_params:
            label += f" [{c.initializer}" + "".join(f", {k}={v}" for k, v in c.initializer_params) + "]"
        acts.setdefault(label, set()).add(c.trial)
    parts = [f"{task}/{model}: " + ", ".join(f"{a} ×{len(t)}" for a, t in acts.items()) + f" ({budget})"
             for (task, model, budget), acts in groups.items()]
    return "; ".join(parts)


def _cell_number():
    try:
        from IPython import get_ipython
    except ImportError:                                    # pragma: no cover - IPython comes with the book extra
        return None
    shell = get_ipython()
    return None if shell is None else shell.execution_count


def save_figure(fig, name: str, directory=None, *, runs=None, caption: bool = True) -> Path:
    """Save ``fig`` as ``<directory>/<name>.png`` (default: ``results/figures``) atomically; return the path.

    With ``caption`` (default) it prints the figure's provenance under the cell: the cell that drew it (its
    execution count in a notebook), the file it was saved to and, when ``runs`` are given, the run configs
    it was drawn from (:func:`describe_runs`; each run's full config is ``results/runs/<key>/config.json``).
    """

    directory = Path(directory) if directory is not None else figures_dir()
    path = directory / f"{name}.png"
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=150, bbox_inches="tight")
    if caption:
        cell = _cell_number()
        where = f"cell [{cell}] of this notebook" if cell else "this script"
        try:                                    # inside the results folder: as the book names it, results/...
            shown = "results/" + path.resolve().relative_to(results_dir().resolve()).as_posix()
        except ValueError:
            shown = str(path)
        text = f"Figure {name!r}: drawn by {where}, saved as {shown}"
        if runs:
            text += f"; runs: {describe_runs(runs)}"
        print(text + ".")
    return path


def plot_activation_curves(names: Sequence[str], *, z=None, ax=None, ylim=(-1.5, 5), title: str | None = None):
    """Curves of first-layer activations over the pre-activation ``z`` (paper Fig 1a)."""
    from .activations import activation_numpy

    z = np.linspace(-5, 5, 401) if z is None else np.asarray(z)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.2))
    for name in names:
        ax.plot(z, activation_numpy(name, z), label=name, lw=1.6)
    ax.axhline(0, color="0.8", lw=0.6)
    ax.axvline(0, color="0.8", lw=0.6)
    ax.set_ylim(*ylim)
    ax.set_xlabel("pre-activation z")
    ax.set_ylabel("activation")
    ax.legend(frameon=False, fontsize=7, ncol=2)
    ax.spines[["right", "top"]].set_visible(False)
    if title:
        ax.set_title(title)
    return ax



def plot_pre_post(pre, post, *, ax=None, title: str | None = None, max_points: int = 20_000, seed: int = 0):
    """Scatter of first-layer pre-activations (BN output) vs post-activations with marginal histograms
    (paper Supp Fig 10). ``pre`` and ``post`` are arrays of the same shape."""
    pre = np.asarray(pre).ravel()
    post = np.asarray(post).ravel()
    rng = np.random.default_rng(seed)
    pick = rng.choice(pre.size, size=min(max_points, pre.size), replace=False)
    fig = plt.figure(figsize=(3.6, 3.6))
    grid = fig.add_gridspec(4, 4, hspace=0.05, wspace=0.05)
    main = fig.add_subplot(grid[1:, :3])
    top = fig.add_subplot(grid[0, :3], sharex=main)
    right = fig.add_subplot(grid[1:, 3], sharey=main)
    main.scatter(pre[pick], post[pick], s=2, alpha=0.3, color="tab:blue", rasterized=True)
    top.hist(pre[pick], bins=60, color="0.5")
    right.hist(post[pick], bins=60, orientation="horizontal", color="0.5")
    top.axis("off")
    right.axis("off")
    main.set_xlabel("pre-activation (BN output)")
    main.set_ylabel("post-activation")
    if title:
        top.set_title(title, fontsize=9)
    return fig


def plot_tracks(tracks: dict, *, ic=None, title: str | None = None):
    """Stacked per-position tracks of one sequence (e.g. scans), with the ground-truth information
    content as the last panel (paper Extended Data Fig 1c). ``tracks`` maps a label to an (L,) array."""
    n = len(tracks) + (ic is not None)
    fig, axes = plt.subplots(n, 1, figsize=(11, 1.1 * n + 0.4), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, (label, values) in zip(axes, tracks.items()):
        ax.plot(np.asarray(values), lw=1, color="tab:blue")
        ax.set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
        ax.spines[["right", "top"]].set_visible(False)
    if ic is not None:
        axes[-1].fill_between(np.arange(len(ic)), ic, step="mid", color="0.4")
        axes[-1].set_ylabel("ground truth\nIC (bits)", fontsize=7, rotation=0, ha="right", va="center")
        axes[-1].spines[["right", "top"]].set_visible(False)
    axes[-1].set_xlabel("position")
    if title:
        axes[0].set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_attribution_maps(maps: dict, *, ground_truth=None, sequences=None, title: str | None = None,
                          start: int = 0, end: int | None = None, threshold: float = 0.01, panel_height: float = 1.1):
    """Attribution maps as logos, one row each, with ground-truth motif positions shaded.

    Parameters
    ----------
    maps : dict of str -> array_like, each shape=(L, 4)
        Row label -> attribution scores (drawn as given: negative scores below the axis).
    ground_truth : array_like, optional, shape=(L, 4) or (K, L, 4)
        Sequence-model PPM shared by all rows, or one per row; positions with IC > ``threshold`` are shaded.
    sequences : array_like, optional, shape=(L, 4)
        With a shared ``ground_truth``: adds a top row with the sequence scaled by ground-truth IC (Fig 2d).
    start, end : int
        Positions drawn.

    Returns
    -------
    matplotlib Figure
    """
    names = list(maps)
    if not names:
        raise ValueError("maps is empty: give at least one attribution map")
    truth = None if ground_truth is None else np.asarray(ground_truth, dtype=float)
    if truth is not None and truth.ndim == 2:
        truth = np.broadcast_to(truth, (len(names),) + truth.shape)
    if truth is not None and (truth.ndim != 3 or len(truth) != len(names)):
        raise ValueError(f"ground_truth must have shape (L, 4) or ({len(names)}, L, 4); got {np.shape(ground_truth)}")
    truth_row = truth is not None and sequences is not None and np.ndim(ground_truth) == 2
    nrows = len(names) + int(truth_row)
    length = len(np.asarray(maps[names[0]])[start:end])
    fig, axes = plt.subplots(nrows, 1, figsize=(min(14.0, max(6.0, 0.06 * length)), panel_height * nrows),
                             sharex=True, squeeze=False)
    axes = axes[:, 0]
    if truth_row:
        x = np.asarray(sequences, dtype=float)[start:end]
        ic = information_content(np.asarray(ground_truth)[start:end])
        plot_logo(x * ic[:, None], ax=axes[0], information=False, ylabel="truth\n(bits)")
    for k, (ax, name) in enumerate(zip(axes[int(truth_row):], names)):
        plot_logo(np.asarray(maps[name], dtype=float)[start:end], ax=ax, information=False, ylim=None, ylabel=name)
        if truth is not None:
            _shade_runs(ax, information_content(truth[k][start:end]) > threshold, color="0.85", alpha=1.0)
    if title:
        axes[0].set_title(title, fontsize=10)
    fig.tight_layout()
    return fig




def shade_positions(fig, mask, *, start: int = 0, color: str = "tab:blue", alpha: float = 0.15):
    """Shade the runs of ``True`` in ``mask`` on every axis of ``fig`` (e.g. motif scan hits under saliency logos).

    Parameters
    ----------
    fig : matplotlib Figure
        E.g. from :func:`plot_attribution_maps`, whose x axis counts positions from its ``start``.
    mask : array_like, shape=(L,), bool
        Positions of the whole sequence; only those from ``start`` on the drawn range are shaded.
    start : int
        The first drawn position (the ``start`` given to the plotting function).

    Returns
    -------
    matplotlib Figure
    """
    mask = np.asarray(mask, bool)
    if mask.ndim != 1:
        raise ValueError(f"mask must have shape (L,); got {mask.shape}")
    for ax in fig.axes:
        _shade_runs(ax, mask[start:], color=color, alpha=alpha)
    return fig


def _shade_runs(ax, mask: np.ndarray, *, color, alpha: float) -> None:
    """Shade each run of ``True`` in ``mask`` (shape ``(L,)``, position 0 at x = 0) on ``ax``, beneath everything
    drawn on it (logo glyphs stay visible) and within its current x range."""
    lo, hi = ax.get_xlim()
    edges = np.flatnonzero(np.diff(np.r_[0, np.asarray(mask, int), 0]))
    for a, b in zip(edges[::2], edges[1::2]):
        if a - 0.5 < hi:
            ax.axvspan(a - 0.5, min(b - 0.5, hi), color=color, alpha=alpha, lw=0, zorder=-1)
    ax.set_xlim(lo, hi)
