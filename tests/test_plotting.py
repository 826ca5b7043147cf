"""Figures: each plotting function draws what it says and saves atomically."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from seqlib import plotting  # noqa: E402


def test_ic_heights_scale_by_information():
    ppm = np.array([[1.0, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]])
    h = plotting.ic_heights(ppm)
    assert h[0, 0] == pytest.approx(2.0, abs=1e-6) and h[1].max() < 1e-6


def test_logo_grid_and_tracks(tmp_path):
    ppm = np.full((8, 4), 0.1)
    ppm[np.arange(8), np.arange(8) % 4] = 0.7
    fig = plotting.plot_logo_grid([ppm] * 5, [f"m{i}" for i in range(5)], ncols=3)
    assert len(fig.axes) == 6 and [a.get_title() for a in fig.axes[:5]] == [f"m{i}" for i in range(5)]
    fig = plotting.plot_tracks({"a": np.arange(10.0), "b": np.ones(10)}, ic=np.zeros(10), title="t")
    assert len(fig.axes) == 3
    path = plotting.save_figure(fig, "tracks", directory=tmp_path)
    assert path.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["tracks.png"]


def test_boxplot_draws_ours_and_the_papers_medians():
    table = pd.DataFrame({"model": ["cnn-deep"] * 4, "activation": ["relu", "relu", "exponential", "exponential"],
                          "match_fraction": [0.0, 0.1, 0.8, 0.9]})
    paper = pd.DataFrame({"model": ["cnn-deep"] * 2, "activation": ["relu", "exponential"],
                          "value": [0.0, 0.9], "q1": [np.nan, 0.9], "q3": [np.nan, 0.93]})
    fig = plotting.boxplot_vs_paper(table, "match_fraction", paper=paper)
    ax = fig.axes[0]
    diamonds = [c for c in ax.collections if c.get_offsets().shape[0] == 1 and c.get_offsets()[0, 1] in (0.0, 0.9)]
    assert {round(float(c.get_offsets()[0, 1]), 2) for c in diamonds} >= {0.0, 0.9}
    assert [t.get_text() for t in ax.get_xticklabels()] == ["relu", "exponential"]


def test_boxplot_panels_wrap_into_rows():
    table = pd.DataFrame({"group": list("abc") * 2, "method": ["m1"] * 3 + ["m2"] * 3, "auroc": np.linspace(0.5, 0.9, 6)})
    fig = plotting.boxplot_vs_paper(table, "auroc", by="method", panels="group", ncols=2)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 4 and [ax.get_title() for ax in shown] == ["a", "b", "c"]
    assert [ax.get_ylabel() for ax in fig.axes[::2]] == ["auroc", "auroc"]          # one label per row
    assert fig.get_size_inches()[1] > 2 * 3.0                                      # two rows tall


def test_activation_curves_and_pre_post():
    ax = plotting.plot_activation_curves(["relu", "exponential"])
    assert [l.get_label() for l in ax.get_lines() if not l.get_label().startswith("_")] == ["relu", "exponential"]
    z = np.linspace(-2, 2, 500)
    fig = plotting.plot_pre_post(z, np.exp(z), title="exp")
    assert len(fig.axes) == 3


def test_segmentation_comparison_draws_clean_authors_and_paper_per_scan():
    comparison = pd.DataFrame({"scan": ["motif scan", "PWM scan"],
                               "clean AUROC": [0.68, 0.95], "authors' AUROC": [0.66, 0.89], "paper AUROC": [0.667, np.nan],
                               "clean AUPR": [0.66, 0.94], "authors' AUPR": [0.64, 0.86], "paper AUPR": [0.648, np.nan]})
    fig = plotting.plot_segmentation_comparison(comparison, buffer=10, title="t")
    auroc, aupr = fig.axes
    assert [line.get_label() for line in auroc.get_lines()] == ["clean runs (this book)", "authors' loop",
                                                               "paper (authors' loop)"]
    assert list(auroc.get_lines()[1].get_ydata()) == [0.66, 0.89]
    assert list(aupr.get_lines()[0].get_ydata()) == [0.66, 0.94]
    assert [t.get_text() for t in auroc.get_xticklabels()] == ["motif scan", "PWM scan"]
