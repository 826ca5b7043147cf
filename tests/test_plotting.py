"""Figures: each plotting function draws what it says and saves atomically."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
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


def test_activation_curves_and_pre_post():
    ax = plotting.plot_activation_curves(["relu", "exponential"])
    assert [l.get_label() for l in ax.get_lines() if not l.get_label().startswith("_")] == ["relu", "exponential"]
    z = np.linspace(-2, 2, 500)
    fig = plotting.plot_pre_post(z, np.exp(z), title="exp")
    assert len(fig.axes) == 3


def test_save_figures_caption_names_the_folder_it_really_saved_to(tmp_path, monkeypatch, capsys):

    monkeypatch.setenv("SEQLIB_RESULTS", str(tmp_path / "results"))
    fig = plt.figure()
    path = plotting.save_figure(fig, "mine", tmp_path / "elsewhere")
    assert path == tmp_path / "elsewhere" / "mine.png" and path.exists()
    assert f"saved as {path}." in capsys.readouterr().out        # not "results/figures/mine.png"
    plotting.save_figure(fig, "book")
    assert "saved as results/figures/book.png." in capsys.readouterr().out
    plotting.save_figure(fig, "quiet", tmp_path, caption=False)
    assert capsys.readouterr().out == ""
    plt.close(fig)
