"""The book's paper-comparison figures (seqlib.book.figures)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from seqlib.book import figures  # noqa: E402


def test_boxplot_draws_ours_and_the_papers_medians():
    table = pd.DataFrame({"model": ["cnn-deep"] * 4, "activation": ["relu", "relu", "exponential", "exponential"],
                          "match_fraction": [0.0, 0.1, 0.8, 0.9]})
    paper = pd.DataFrame({"model": ["cnn-deep"] * 2, "activation": ["relu", "exponential"],
                          "value": [0.0, 0.9], "q1": [np.nan, 0.9], "q3": [np.nan, 0.93]})
    fig = figures.boxplot_vs_paper(table, "match_fraction", paper=paper)
    ax = fig.axes[0]
    diamonds = [c for c in ax.collections if c.get_offsets().shape[0] == 1 and c.get_offsets()[0, 1] in (0.0, 0.9)]
    assert {round(float(c.get_offsets()[0, 1]), 2) for c in diamonds} >= {0.0, 0.9}
    assert [t.get_text() for t in ax.get_xticklabels()] == ["relu", "exponential"]


def test_boxplot_panels_wrap_into_rows():
    table = pd.DataFrame({"group": list("abc") * 2, "method": ["m1"] * 3 + ["m2"] * 3, "auroc": np.linspace(0.5, 0.9, 6)})
    fig = figures.boxplot_vs_paper(table, "auroc", by="method", panels="group", ncols=2)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 4 and [ax.get_title() for ax in shown] == ["a", "b", "c"]
    assert [ax.get_ylabel() for ax in fig.axes[::2]] == ["auroc", "auroc"]          # one label per row
    assert fig.get_size_inches()[1] > 2 * 3.0                                      # two rows tall


def test_strip_and_group_boxes_draw_every_group():
    table = pd.DataFrame({"activation": ["exponential", "exponential", "gelu"], "match_fraction": [0.8, 0.9, 0.1]})
    fig = figures.plot_strip(table, ["exponential", "gelu", "silu"], labels={"exponential": "Exp"})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Exp", "gelu", "silu"]
    from matplotlib.collections import LineCollection, PathCollection

    points = [len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)]
    assert points == [2, 1, 0]                                                # silu keeps an empty slot
    assert sum(isinstance(c, LineCollection) for c in ax.collections) == 2    # a median bar per group with runs
    long = pd.DataFrame({"task": ["irf1"] * 4, "activation": ["relu", "relu", "exponential", "exponential"],
                         "gini": [0.5, 0.6, 0.7, 0.8], "top_mass": [0.1, 0.2, 0.3, 0.4]})
    fig = figures.plot_group_boxes(long, {"gini": "Gini", "top_mass": "top"}, [("irf1", "relu"),
                                                                              ("irf1", "exponential")],
                                   labels={"exponential": "Exp"})
    assert [ax.get_ylabel() for ax in fig.axes] == ["Gini", "top"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["irf1\nrelu", "irf1\nExp"]


def test_segmentation_comparison_draws_clean_authors_and_paper_per_scan():
    comparison = pd.DataFrame({"scan": ["motif scan", "PWM scan"],
                               "clean AUROC": [0.68, 0.95], "authors' AUROC": [0.66, 0.89], "paper AUROC": [0.667, np.nan],
                               "clean AUPR": [0.66, 0.94], "authors' AUPR": [0.64, 0.86], "paper AUPR": [0.648, np.nan]})
    fig = figures.plot_segmentation_comparison(comparison, buffer=10, title="t")
    auroc, aupr = fig.axes
    assert [line.get_label() for line in auroc.get_lines()] == ["clean runs (this book)", "authors' loop",
                                                               "paper (authors' loop)"]
    assert list(auroc.get_lines()[1].get_ydata()) == [0.66, 0.89]
    assert list(aupr.get_lines()[0].get_ydata()) == [0.66, 0.94]
    assert [t.get_text() for t in auroc.get_xticklabels()] == ["motif scan", "PWM scan"]
