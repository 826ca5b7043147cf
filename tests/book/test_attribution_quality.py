"""The book's Task-3 scores (seqlib.book.attribution_quality) and its attribution figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from test_attribution import _dataset, model  # noqa: E402,F401  (tests/: the shared tiny model fixture)

from seqlib import attribution as A  # noqa: E402
from seqlib.book import attribution_quality as Q  # noqa: E402
from seqlib.book import figures  # noqa: E402


def test_attribution_table_scores_and_caches_runs(tmp_path, model):
    from seqlib.runs import Run, RunConfig

    ds = _dataset(np.random.default_rng(1))
    X, ppm = Q.positive_test_sequences(ds, 4)
    assert len(X) == 4 and ppm.shape == X.shape
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    model.save(run_dir / "model.keras")
    run = Run(RunConfig(task="task3", model="cnn-local", activation="exponential"), run_dir,
              {"auroc": 0.9, "aupr": 0.5}, {"stopped_epoch": 5, "val_auroc": [0.6, 0.8, 0.85, 0.86, 0.86]})
    table = Q.attribution_table([run], X, ppm, ["saliency", "ism"], corrections=(False, True), n_references=2,
                                progress=False)
    assert list(table["method"]) == ["saliency", "saliency", "ism"]
    assert list(table["correct"]) == [False, True, False]
    assert table["auroc"].between(0, 1).all()
    cached = sorted(p.name for p in (run_dir / "analyses").iterdir())
    assert len(cached) == 3 and all(name.startswith("attribution_") for name in cached)
    again = Q.attribution_table([run], X, ppm, ["saliency", "ism"], corrections=(False, True), progress=False)
    np.testing.assert_allclose(again["auroc"], table["auroc"])
    assert table["epochs_trained"].eq(5).all() and table["late_gain"].iloc[0] == pytest.approx(0.06 / 0.26)   # best 0.80 -> 0.86 in the last 3 epochs
    example = Q.pick_example({"s": A.saliency(model, X)}, ppm)
    assert 0 <= example < len(X)
    check = Q.deepshap_agreement([run], X[:2], n_references=3)
    assert check.loc[0, "agrees"] and check.loc[0, "max_relative_difference"] <= Q.DEEPSHAP_TOLERANCE
    assert check.loc[0, "correlation"] > 0.999 and check.loc[0, "n_sequences"] == 2
    assert any(p.name.startswith("deepshap_vs_shap_") for p in (run_dir / "analyses").iterdir())


def test_correction_effect_and_claims_table():
    rows = []
    for trial in range(3):
        for model in ("cnn-local", "cnn-dist"):
            for act, base in (("relu", 0.70), ("exponential", 0.80)):
                for correct in (False, True):
                    rows.append({"key": f"{model}{act}{trial}", "task": "task3", "model": model, "activation": act,
                                 "trial": trial, "method": "saliency", "correct": correct,
                                 "auroc": base + 0.01 * trial + (0.02 if correct else 0),
                                 "aupr": 0.5 + (0.01 if correct else 0),
                                 "test_auroc": 0.95 + (model == "cnn-dist") * 0.01, "late_gain": 0.0,
                                 "epochs_trained": 15})
    table = pd.DataFrame(rows)
    effect = Q.correction_effect(table)
    assert len(effect) == 4
    np.testing.assert_allclose(effect["delta_auroc"], 0.02)
    assert (effect["improved"] == 1.0).all() and (effect["n_trials"] == 3).all()
    classification = table.drop_duplicates(["model", "activation", "trial"])
    claims = Q.claims_table(table, classification)
    assert list(claims["id"]) == ["C7", "C7", "C7a", "C7a"] and list(claims["n_pairs"]) == [3, 3, 3, 3]
    # exponential beats relu in every trial, median 0.81 within Fig 2b's median for cnn-local (0.82 ± 0.05)
    assert claims.loc[0, "verdict"] == "reproduced" and claims.loc[0, "paper_higher"] == pytest.approx(0.82)
    # cnn-dist beats cnn-local in every trial, 0.96 within the Fig 2a centroid 0.972 ± 0.05
    assert claims.loc[2, "verdict"] == "reproduced"
    swapped = table.assign(activation=table["activation"].map({"relu": "exponential", "exponential": "relu"}))
    assert Q.claims_table(swapped, classification).loc[0, "verdict"] == "not reproduced"
    short = Q.claims_table(table.assign(test_auroc=0.85), classification.assign(test_auroc=0.85))
    assert set(short["verdict"]) == {"inconclusive"}                      # 0.85 is far below the paper's AUROCs


def test_paired_scatter_and_background_sweep():
    table = pd.DataFrame({"model": ["cnn-local", "cnn-dist"] * 2, "activation": ["relu"] * 2 + ["exponential"] * 2,
                          "trial": [0] * 4, "test_auroc": [0.9, 0.95, 0.93, 0.96]})
    paper = pd.DataFrame({"model": ["cnn-local", "cnn-dist"], "activation": ["relu"] * 2, "value": [0.947, 0.972]})
    ax = figures.plot_paired_scatter(table, x="cnn-local", y="cnn-dist", paper=paper)
    assert len(ax.collections) == 3                             # two activations and one paper point
    plt.close(ax.figure)
    sweep = pd.DataFrame({"n_references": [1, 3, 1, 3], "method": ["ig"] * 4,
                          "activation": ["relu", "relu", "exponential", "exponential"], "auroc": [0.6, 0.7, 0.8, 0.85]})
    ax = figures.plot_background_sweep(sweep, paper=sweep.rename(columns={"auroc": "value"}))
    assert len(ax.lines) == 4
    plt.close(ax.figure)
