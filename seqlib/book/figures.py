"""The book's figures that put this build's numbers beside the paper's.

The library's plots (:mod:`seqlib.plotting`: logos, attribution maps, tracks) draw any model's results; these draw
the paper's comparisons: our per-trial values with the paper's medians (:func:`boxplot_vs_paper`,
:func:`plot_conditions`, :func:`plot_strip`), our curves against the paper's (:func:`plot_sweep`,
:func:`plot_background_sweep`), paired scatter plots (:func:`plot_paired_scatter`), training histories
(:func:`plot_histories`), data-set counts against a reference (:func:`plot_counts_vs_reference`) and per-sequence
distributions by group (:func:`plot_group_boxes`) and the scan localisation of chapter 03 with the paper's
(:func:`plot_segmentation_comparison`).
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .paper import paper_numbers
from .robustness import VARIANTS, median_curve

__all__ = ["plot_counts_vs_reference", "boxplot_vs_paper", "plot_paired_scatter", "plot_background_sweep",
           "plot_conditions", "plot_sweep", "plot_histories", "plot_strip", "plot_group_boxes",
           "plot_segmentation_comparison"]


def plot_counts_vs_reference(labels: Sequence, ours: Sequence[float], reference: Sequence[float] | None = None,
                             *, ax=None, xlabel: str = "", ylabel: str = "fraction of sequences",
                             ours_label: str = "this book", reference_label: str = "paper (re-run, seed 33)"):
    """Grouped bars of our fractions next to a reference's."""
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


def boxplot_vs_paper(table, value: str, *, by: str = "activation", panels: str = "model", order=None,
                     panel_order=None, paper=None, ylabel: str | None = None, ylim=(-0.03, 1.03), labels=None,
                     ncols: int | None = None):
    """Box plots of per-trial ``value`` with the paper's medians drawn beside (one panel per model).

    Parameters
    ----------
    table : DataFrame
        One row per trial with ``by``, ``panels`` and ``value`` columns.
    paper : DataFrame, optional
        Rows with ``by``, ``panels``, ``value`` (and optional ``q1``, ``q3``): drawn as a red diamond with
        the interquartile range as a bar, to the right of each of our boxes.
    labels : dict, optional
        Display names for the ``by`` values.
    ncols : int, optional
        Panels per row (default: all in one row); more panels wrap onto further rows.

    Returns
    -------
    matplotlib Figure
    """
    order = list(order) if order is not None else list(dict.fromkeys(table[by]))
    panel_order = list(panel_order) if panel_order is not None else list(dict.fromkeys(table[panels]))
    ncols = max(1, min(ncols or len(panel_order), len(panel_order)))
    nrows = -(-len(panel_order) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(3.3 * ncols, 5.0), 3.2 * nrows), squeeze=False,
                             sharey=True)
    for ax in axes.ravel()[len(panel_order):]:
        ax.set_visible(False)
    for ax, panel in zip(axes.ravel(), panel_order):
        sub = table[table[panels] == panel]
        data = [sub.loc[sub[by] == k, value].dropna().to_numpy() for k in order]
        pos = np.arange(len(order))
        ax.boxplot([d if len(d) else [np.nan] for d in data], positions=pos - 0.15, widths=0.28,
                   patch_artist=True, boxprops=dict(facecolor="#9ecae1"), medianprops=dict(color="k"),
                   showfliers=True)
        for x, d in zip(pos, data):
            ax.scatter(np.full(len(d), x - 0.15), d, s=8, color="k", zorder=3)
        if paper is not None:
            ref = paper[paper[panels] == panel].set_index(by)
            for x, k in zip(pos, order):
                if k in ref.index and np.isfinite(ref.loc[k, "value"]):
                    row = ref.loc[k]
                    ax.scatter([x + 0.17], [row["value"]], marker="D", s=22, color="tab:red", zorder=4,
                               label="paper (median)" if x == pos[0] or "paper" not in
                               [h.get_label() for h in ax.collections] else None)
                    if "q1" in ref.columns and np.isfinite(row.get("q1", np.nan)):
                        ax.vlines(x + 0.17, row["q1"], row["q3"], color="tab:red", lw=1.5)
        ax.set_xticks(pos, [labels.get(k, k) if labels else k for k in order], rotation=45, ha="right", fontsize=8)
        ax.set_title(panel, fontsize=10)
        ax.set_ylim(*ylim)
        ax.spines[["right", "top"]].set_visible(False)
    for row in axes:
        row[0].set_ylabel(ylabel or value)
    handles = [plt.Line2D([], [], color="#9ecae1", lw=8, label="this book (trials)")]
    if paper is not None:
        handles.append(plt.Line2D([], [], color="tab:red", marker="D", lw=0, label="paper median (IQR)"))
    fig.tight_layout(rect=(0, 0.07 / nrows, 1, 1))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, fontsize=8)
    return fig


def plot_paired_scatter(table, *, x: str, y: str, value: str = "test_auroc", pair: str = "model",
                        hue: str = "activation", paper=None, labels=None, lims=None, ax=None):
    """Per-trial scatter of one group against another (Fig 2a: CNN-local vs CNN-dist test AUROC).

    Parameters
    ----------
    table : DataFrame
        One row per run with columns ``pair`` (values ``x`` and ``y``), ``hue``, ``trial`` and ``value``.
    x, y : str
        The two values of ``pair`` on the axes.
    paper : DataFrame, optional
        Rows with ``pair``, ``hue`` and ``value``: the paper's point per ``hue`` value, drawn as a diamond.
    labels : dict, optional
        Display names of the ``hue`` values.

    Returns
    -------
    matplotlib Axes
    """
    wide = table.pivot_table(index=[hue, "trial"], columns=pair, values=value).reset_index()
    if x not in wide or y not in wide:
        raise ValueError(f"table needs {pair} values {x!r} and {y!r}; it has {sorted(set(table[pair]))}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4.0))
    colors = plt.get_cmap("tab10")
    for c, name in enumerate(dict.fromkeys(wide[hue])):
        sub = wide[wide[hue] == name]
        label = labels.get(name, name) if labels else name
        ax.scatter(sub[x], sub[y], s=18, color=colors(c % 10), label=label, zorder=3)
        if paper is not None:
            ref = paper[paper[hue] == name].set_index(pair)["value"]
            if x in ref.index and y in ref.index:
                ax.scatter([ref[x]], [ref[y]], marker="D", s=40, facecolor="none", edgecolor=colors(c % 10),
                           lw=1.5, zorder=4)
    values = np.r_[wide[x].to_numpy(dtype=float), wide[y].to_numpy(dtype=float)]
    if lims is None:
        finite = values[np.isfinite(values)]
        lo, hi = (finite.min(), finite.max()) if len(finite) else (0.5, 1.0)
        pad = 0.02 + 0.05 * (hi - lo)
        lims = (lo - pad, min(1.0, hi + pad))
    ax.plot(lims, lims, color="0.5", lw=0.8, ls="--")
    ax.set_xlim(*lims)
    ax.set_ylim(*lims)
    ax.set_xlabel(f"{x} {value}")
    ax.set_ylabel(f"{y} {value}")
    ax.spines[["right", "top"]].set_visible(False)
    handles, names = ax.get_legend_handles_labels()
    if paper is not None:
        handles.append(plt.Line2D([], [], marker="D", lw=0, markerfacecolor="none", markeredgecolor="0.3",
                                  label="paper (centroid)"))
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="lower right")
    return ax


def plot_background_sweep(table, value: str = "auroc", *, x: str = "n_references", lines=("method", "activation"),
                          paper=None, ax=None, ylabel: str | None = None):
    """Attribution quality against the number of references (Supp Fig 16): our means, the paper's dashed.

    Parameters
    ----------
    table : DataFrame
        One row per run and setting, with columns ``x``, the ``lines`` columns and ``value``.
    paper : DataFrame, optional
        The same columns; drawn as dashed lines with open markers.

    Returns
    -------
    matplotlib Axes
    """
    lines = list(lines)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.0, 3.4))
    colors = plt.get_cmap("tab10")
    keys = list(dict.fromkeys(map(tuple, table[lines].to_numpy())))
    for c, key in enumerate(keys):
        mask = np.all([table[col] == k for col, k in zip(lines, key)], axis=0)
        mean = table[mask].groupby(x)[value].mean()
        ax.plot(mean.index, mean.to_numpy(), marker="o", ms=3, color=colors(c % 10), label=" ".join(map(str, key)))
        if paper is not None:
            pmask = np.all([paper[col] == k for col, k in zip(lines, key)], axis=0)
            ref = paper[pmask].sort_values(x)
            if len(ref):
                ax.plot(ref[x], ref["value"], ls="--", marker="o", ms=3, mfc="none", color=colors(c % 10))
    ax.set_xlabel("number of references" if x == "n_references" else x)
    ax.set_ylabel(ylabel or value)
    ax.spines[["right", "top"]].set_visible(False)
    handles, names = ax.get_legend_handles_labels()
    if paper is not None:
        handles.append(plt.Line2D([], [], ls="--", color="0.3", label="paper (dashed)"))
    ax.legend(handles=handles, fontsize=7, frameon=False)
    return ax


def _paper_points(figure: str, model: str, activation: str, prefix: str) -> pd.DataFrame:
    p = paper_numbers(figure=figure, model=model, activation=activation)
    p = p[p["statistic"].str.startswith(f"match_fraction@{prefix}")].copy()
    p["x"] = p["statistic"].str.split("@").str[1].str.removeprefix(prefix)
    return p


def plot_conditions(table: pd.DataFrame, x: str, figure: str, *, variants: Sequence[str], order: Sequence | None = None,
                    value: str = "match_fraction", title: str | None = None):
    """One panel per variant: our per-run values per condition (points, median bar) and the paper's median
    (red cross), e.g. Supp Fig 5a (``x="initializer"``).

    Parameters
    ----------
    table : DataFrame
        :func:`control_table` rows (``variant``, ``x``, ``value``, ``model``, ``activation``).
    x : str
        Column holding the condition (its values must be the text after ``@`` in the paper's statistic).
    figure : str
        The paper's figure for the red crosses (``"Supp 5a"``).

    Returns
    -------
    matplotlib Figure
    """
    order = list(order) if order is not None else sorted(table[x].astype(str).unique())
    fig, axes = plt.subplots(1, len(variants), figsize=(3.6 * len(variants), 3.2), sharey=True, squeeze=False)
    for ax, variant in zip(axes[0], variants):
        model, activation = VARIANTS[variant]
        sub = table[table["variant"] == variant]
        for i, cond in enumerate(order):
            vals = sub.loc[sub[x].astype(str) == cond, value].astype(float).dropna()
            if len(vals):
                ax.scatter(np.full(len(vals), i) + np.linspace(-0.1, 0.1, len(vals)), vals, s=14, color="C0")
                ax.hlines(vals.median(), i - 0.25, i + 0.25, color="C0", lw=2)
        p = _paper_points(figure, model, activation, "")
        p = p[p["x"].isin(order)]
        ax.scatter([order.index(c) for c in p["x"]], p["value"], marker="x", color="C3", s=40, zorder=3,
                   label="paper (median)")
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order, rotation=45, ha="right", fontsize=8)
        ax.set_title(variant)
        ax.set_ylim(-0.05, 1.05)
    axes[0][0].set_ylabel(value.replace("_", " "))
    axes[0][-1].legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_sweep(table: pd.DataFrame, x: str, figure: str, prefix: str, *, lines: Sequence[tuple[str, str, str]],
               value: str = "match_fraction", xlabel: str | None = None, title: str | None = None):
    """Medians with quartile bands of our runs against the paper's curve, on a log x axis (Supp Figs 5b, 9).

    Parameters
    ----------
    table : DataFrame
        :func:`control_table` rows with the numeric column ``x`` (``sigma`` or ``scale``).
    prefix : str
        The condition prefix in the paper's statistic (``"sigma="``, ``"scale="``).
    lines : sequence of (label, model, activation)
        Which of our groups to draw, with the paper row each is compared with.

    Returns
    -------
    matplotlib Figure
    """
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for k, (label, model, activation) in enumerate(lines):
        color = f"C{k}"
        acts = ("exponential", "exp_scale") if activation == "exp_scale" else (activation,)
        sub = table[(table["model"] == model) & table["activation"].isin(acts)]
        if len(sub):
            curve = median_curve(sub.assign(group=label), x, by="group", value=value)
            ax.plot(curve[x], curve["median"], "o-", color=color, label=f"{label} (this book)")
            ax.fill_between(curve[x], curve["q1"], curve["q3"], color=color, alpha=0.2)
        p = _paper_points(figure, model, activation, prefix)
        if len(p):
            ax.plot(p["x"].astype(float), p["value"], "--", color=color, alpha=0.8, label=f"{label} (paper)")
    ax.set_xscale("log")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(value.replace("_", " "))
    ax.legend(fontsize=7, loc="best")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_histories(history: pd.DataFrame, columns: Sequence[str] = ("loss", "val_loss", "val_aupr"), *,
                   title: str | None = None):
    """Per-epoch curves of every run, one panel per column, coloured by activation (Supp Fig 3); for
    ``("grad_mean",)`` the mean ± std band of the first-layer kernel gradient is drawn (Supp Fig 4).

    Returns
    -------
    matplotlib Figure
    """
    columns = list(columns)
    fig, axes = plt.subplots(1, len(columns), figsize=(3.8 * len(columns), 3.0), squeeze=False)
    acts = list(dict.fromkeys(history["activation"]))
    for ax, col in zip(axes[0], columns):
        for k, act in enumerate(acts):
            for j, (_, run) in enumerate(history[history["activation"] == act].groupby("key", sort=False)):
                label = act if j == 0 else None
                if col == "grad_mean":
                    run = run.dropna(subset=["grad_mean"])
                    if not len(run):
                        continue
                    ax.plot(run["epoch"], run["grad_mean"], color=f"C{k}", label=label)
                    ax.fill_between(run["epoch"], run["grad_mean"] - run["grad_std"],
                                    run["grad_mean"] + run["grad_std"], color=f"C{k}", alpha=0.15)
                else:
                    ax.plot(run["epoch"], run[col], color=f"C{k}", label=label, alpha=0.8)
        ax.set_xlabel("epoch")
        ax.set_ylabel("first-layer kernel gradient (mean ± std)" if col == "grad_mean" else col)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, "not recorded for these runs\n(trained before the recorder existed)",
                    ha="center", va="center", transform=ax.transAxes, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_strip(table: pd.DataFrame, order: Sequence[str], *, by: str = "activation", value: str = "match_fraction",
               labels: dict | None = None, title: str | None = None, ylabel: str | None = None):
    """Per-run points of ``value`` for each ``by`` group in ``order``, with a bar at each group's median (e.g. the
    modern activations beside the exponential).

    Parameters
    ----------
    table : DataFrame
        One row per run with columns ``by`` and ``value``.
    order : sequence of str
        The groups, left to right (a group without runs gets an empty slot).
    labels : dict, optional
        Display names of the groups.

    Returns
    -------
    matplotlib Figure
    """
    order = list(order)
    fig, ax = plt.subplots(figsize=(1.2 * len(order) + 2, 3.2))
    for i, group in enumerate(order):
        vals = table.loc[table[by] == group, value].astype(float)
        ax.scatter(np.full(len(vals), i), vals, color="C0", s=16)
        if len(vals):
            ax.hlines(vals.median(), i - 0.25, i + 0.25, color="C0", lw=2)
    ax.set_xticks(range(len(order)))
    ax.set_xticklabels([(labels or {}).get(g, g) for g in order], rotation=30, ha="right")
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel(ylabel or value.replace("_", " "))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_group_boxes(table: pd.DataFrame, values: dict, groups: Sequence[tuple], *, by=("task", "activation"),
                     labels: dict | None = None, title: str | None = None):
    """Box plots of per-item ``values`` (one panel each) for every group, e.g. per-sequence saliency sparsity per
    task × activation.

    Parameters
    ----------
    table : DataFrame
        Long format: one row per item with the ``by`` columns and the ``values`` columns.
    values : dict column -> axis label
        One panel per column.
    groups : sequence of tuples
        Values of the ``by`` columns, one box each, left to right.
    labels : dict, optional
        Display names of the last ``by`` column's values.

    Returns
    -------
    matplotlib Figure
    """
    by = list(by)
    fig, axes = plt.subplots(1, len(values), figsize=(4.5 * len(values), 3.2), squeeze=False)
    for ax, (value, label) in zip(axes[0], values.items()):
        data = [table.loc[np.all([table[c] == g for c, g in zip(by, group)], axis=0), value].dropna()
                for group in groups]
        ax.boxplot(data, showfliers=False)
        ax.set_xticks(range(1, len(groups) + 1),
                      ["\n".join([*map(str, g[:-1]), (labels or {}).get(g[-1], str(g[-1]))]) for g in groups],
                      fontsize=8)
        ax.set_ylabel(label)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_segmentation_comparison(comparison, *, buffer: int = 10, title: str | None = None):
    """Localisation AUROC and AUPR per scan: clean segmentation, the authors' loop and the paper.

    Parameters
    ----------
    comparison : DataFrame
        :func:`seqlib.book.experiments.scan_comparison` output: a ``scan`` column and, for ``metric`` in
        AUROC and AUPR, the columns ``"clean {metric}"``, ``"authors' {metric}"``, ``"paper {metric}"``.

    Returns
    -------
    matplotlib.figure.Figure with two panels (AUROC, AUPR)
    """
    kinds = (("clean", "clean runs (this book)", dict(marker="o", color="tab:blue")),
             ("authors'", "authors' loop", dict(marker="s", color="tab:orange")),
             ("paper", "paper (authors' loop)", dict(marker="D", color="tab:red", markerfacecolor="none")))
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.4), sharey=True)
    x = np.arange(len(comparison))
    for ax, metric in zip(axes, ("AUROC", "AUPR")):
        for k, (prefix, label, style) in enumerate(kinds):
            ax.plot(x + (k - 1) * 0.18, comparison[f"{prefix} {metric}"], ls="none", ms=7, label=label, **style)
        ax.set_xticks(x, comparison["scan"], rotation=20, ha="right")
        ax.set_title(f"{metric}, buffer {buffer}", fontsize=10)
        ax.set_ylim(0, 1.02)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("localisation (mean over sequences)")
    axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
