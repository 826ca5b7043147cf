"""Cached per-run analyses: filter statistics, distributions, group comparisons, paper tables."""

import numpy as np
import pandas as pd
import pytest

from seqlib import experiments
from seqlib.runs import RunConfig, run
from seqlib.simulate import simulate_task1


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    data = simulate_task1(n_sequences=600, seed=11)
    root = tmp_path_factory.mktemp("runs")
    cfg = RunConfig(task="task1", model="cnn-deep", activation="exponential", epochs=1, patience=None,
                    n_sequences=600, data_seed=11)
    return run(cfg, root=root, progress=False, dataset=data), data


def test_filter_analysis_is_cached_and_consistent(trained):
    r, data = trained
    first = experiments.filter_analysis(r, dataset=data)
    assert first["ppms"].shape == (32, 20, 4) and len(first["per_filter"]) == 32
    assert set(first["families"]) == set(data.meta["class_names"])
    assert 0 <= first["stats"]["match_fraction"] <= first["stats"]["match_any"] <= 1
    cached = sorted(p.name for p in (r.path / "analyses").iterdir())
    assert any(n.startswith("ppms_t0.5") for n in cached) and any(n.startswith("tomtom_") for n in cached)
    again = experiments.filter_analysis(r, dataset=data)
    np.testing.assert_array_equal(first["ppms"], again["ppms"])
    assert first["stats"] == again["stats"]
    table = experiments.filter_table([r], dataset=data)
    assert {"match_fraction", "match_any", "coverage", "test_auroc"} <= set(table.columns)


def test_activation_distributions(trained):
    r, data = trained
    dist = experiments.activation_distributions(r, n_sequences=10, dataset=data)
    assert dist["pre_init"].shape == (10, 200, 32)
    np.testing.assert_allclose(np.exp(dist["pre_trained"]), dist["post_trained"], rtol=1e-4)
    assert not np.allclose(dist["pre_init"], dist["pre_trained"])


def test_compare_groups_uses_the_papers_t_test():
    from scipy.stats import ttest_ind
    table = pd.DataFrame({"model": ["m"] * 6, "activation": ["relu"] * 3 + ["shift_scale_relu"] * 3,
                          "match_fraction": [0.0, 0.1, 0.0, 0.8, 0.9, 0.85]})
    out = experiments.compare_groups(table, [("relu", "shift_scale_relu")])
    assert out.loc[0, "modified_median"] == pytest.approx(0.85)
    assert out.loc[0, "p_value"] == pytest.approx(ttest_ind([0, .1, 0], [.8, .9, .85]).pvalue)
    assert np.isnan(experiments.ttest_p([0.1], [0.2, 0.3]))


def test_paper_comparison_lines_up_with_the_papers_cells():
    table = pd.DataFrame({"model": ["cnn-deep"] * 4, "activation": ["relu", "relu", "exponential", "exponential"],
                          "match_fraction": [0.0, 0.02, 0.8, 0.9]})
    out = experiments.paper_comparison(table, [("Fig 1c", "match_fraction", "match_fraction")])
    row = out.set_index("activation").loc["exponential"]
    assert row["this book (median)"] == pytest.approx(0.85) and row["paper"] == pytest.approx(0.90)
    assert row["trials"] == 2 and row["source"] == "F"


def test_planted_motifs_per_task():
    ids, names = experiments.planted_motifs(simulate_task1(n_sequences=200))
    assert len(ids) == 12 and names[5] == "MAX"
    with pytest.raises(ValueError, match="no planted"):
        experiments.planted_motifs(type("D", (), {"meta": {"task": "zbed2"}})())
