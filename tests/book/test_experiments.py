"""Cached per-run analyses: filter statistics, distributions, group comparisons, paper tables."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from seqlib import analyses
from seqlib.book import experiments
from seqlib.book.profiles import get_profile
from seqlib.runs import RunConfig
from seqlib.simulate import simulate_task1


@pytest.mark.filterwarnings("ignore:tomtom was given")
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


# ----------------------------------------------------------------------------- experiments' definitions
def test_each_experiment_trains_with_the_authors_monitor():
    from seqlib.errors import UnknownNameError
    from seqlib.tasks import get_task
    base = RunConfig(task="task1", epochs=3, n_sequences=600)
    assert base.monitor == "val_aupr"                       # Task 1's main runs (task1_step1: val_aupr)
    log = experiments.log_experiment_configs(base, 2)
    assert len(log) == 8 and {c.monitor for c in log} == {"val_auroc"}      # task1_step8: val_auroc
    assert {c.train_config().monitor for c in log} == {"val_auroc"}
    assert {(c.activation, dict(c.model_options)["first_layer_l2"]) for c in log} == set(experiments.LOG_VARIANTS)
    assert {c.model for c in log} == {"cnn-deep-log"} and {c.trial for c in log} == {0, 1}
    assert {(c.epochs, c.n_sequences) for c in log} == {(3, 600)}
    # the monitor is part of the cache key: runs trained with the inherited val_aupr are not reused
    inherited = replace(log[0], monitor="val_aupr")
    assert inherited.key != log[0].key
    fig1c = experiments.experiment_config("fig1c", base, activation="exponential")
    assert fig1c.monitor == get_task("task1").monitor == "val_aupr"
    assert experiments.experiment_config("fig2", RunConfig(task="task3")).monitor == "val_auroc"
    with pytest.raises(UnknownNameError, match="experiment"):
        experiments.experiment_config("fig9", base)
    with pytest.raises(ValueError, match="monitor"):
        experiments.experiment_config("extdata1e", base, monitor="val_aupr")
    with pytest.raises(ValueError, match="trains on task3, not 'task1'"):
        experiments.experiment_config("fig2", base)
    assert experiments.EXPERIMENT_MONITORS["extdata1e"] == "val_auroc"


def _results(keys, activations, values):
    return pd.DataFrame({"key": keys, "model": "cnn-deep", "activation": activations, "match_fraction": values,
                         "match_any": values})


def test_runs_shared_by_two_experiments_count_once():
    fig1c = _results(["a", "b", "c", "d"], ["relu", "relu", "exponential", "exponential"], [0.0, 0.1, 0.8, 1.0])
    extdata = _results(["a", "b", "e"], ["relu", "relu", "shift_scale_relu"], [0.0, 0.1, 0.9])
    combined = experiments.combine_tables(fig1c, None, extdata)
    assert combined["key"].tolist() == ["a", "b", "c", "d", "e"]
    # paper_comparison de-duplicates even a plain concatenation
    doubled = pd.concat([fig1c, extdata, fig1c], ignore_index=True)
    out = experiments.paper_comparison(doubled, [("Fig 1c", "match_fraction", "match_fraction")]).set_index("activation")
    assert out.loc["relu", "trials"] == 2 and out.loc["exponential", "trials"] == 2
    assert out.loc["exponential", "this book (median)"] == pytest.approx(0.9)
    assert experiments.combine_tables(None).empty
    no_key = fig1c.drop(columns="key")
    assert len(experiments.drop_duplicate_runs(pd.concat([no_key, no_key]))) == 8


def test_match_any_rows_carry_the_tomtom_distance_note():
    table = _results(["a", "b"], ["relu", "exponential"], [0.2, 0.9])
    out = experiments.paper_comparison(table, [("Fig 1c", "match_fraction", "match_fraction"),
                                               ("Supp (match any)", "match_any", "match_any")])
    notes = out.groupby("statistic")["note"].agg(set)
    assert notes["match_fraction"] == {""}
    (note,) = notes["match_any"]
    assert "Euclidean" in note and "Pearson" in note


def test_scan_table_with_both_segmentations():
    data = simulate_task1(n_sequences=500, seed=4)
    table = experiments.scan_table([], dataset=data, segmentations=("clean", "authors"))
    assert len(table) == 4 and set(table["segmentation"]) == {"clean", "authors"}
    pwm = table[table.scan == "PWM scan"].set_index("segmentation")
    assert pwm.loc["authors", "auroc"] < pwm.loc["clean", "auroc"]
    assert pwm.loc["clean", "n_scored"] == len(data.test.X)
    from seqlib.errors import UnknownNameError
    with pytest.raises(UnknownNameError, match="segmentation"):
        experiments.scan_table([], dataset=data, segmentations=("paper",))
    with pytest.raises(ValueError, match="runs or a dataset"):
        experiments.scan_table([])


def test_scan_comparison_puts_the_papers_numbers_beside_the_authors_loop():
    rows = []
    for seg, shift in (("clean", 0.0), ("authors", -0.1)):
        rows += [{"scan": "motif scan", "model": "motif scan", "activation": "", "trial": -1, "segmentation": seg,
                  "buffer": 10, "auroc": 0.7 + shift, "aupr": 0.6 + shift}]
        rows += [{"scan": "CNN scan", "model": "cnn-deep", "activation": "exponential", "trial": t,
                  "segmentation": seg, "buffer": b, "auroc": 0.8 + 0.02 * t + shift, "aupr": 0.5 + shift}
                 for t in range(3) for b in (10, 5)]
    out = experiments.scan_comparison(pd.DataFrame(rows)).set_index("scan")
    from seqlib.book.paper import paper_value
    exp = out.loc["cnn-deep exponential"]
    assert exp["trials"] == 3 and exp["clean AUROC"] == pytest.approx(0.82)
    assert exp["authors' AUROC"] == pytest.approx(0.72)
    assert exp["paper AUROC"] == paper_value("scan_auroc", figure="ExtData 1c,d", model="cnn-deep",
                                             activation="exponential")
    assert out.loc["motif scan", "paper AUPR"] == paper_value("scan_aupr", figure="ExtData 1c,d", model="motif scan")
    at5 = experiments.scan_comparison(pd.DataFrame(rows), buffer=5).set_index("scan")
    assert list(at5.index) == ["cnn-deep exponential"]
    assert at5.loc["cnn-deep exponential", "paper AUROC"] == paper_value(
        "scan_auroc_buffer5", figure="ExtData 1c,d", model="cnn-deep", activation="exponential")
    with pytest.raises(ValueError, match="buffer 15"):
        experiments.scan_comparison(pd.DataFrame(rows), buffer=15)


def test_budget_summary_is_measured_from_the_runs_and_names_the_papers_values(trained):
    r, data = trained
    table = analyses.filter_table([r], dataset=data)
    settings = {"profile": "tiny", "epochs": 1, "trials": 1}
    budget = experiments.budget_summary([r], table, settings)
    assert budget["epochs_trained"] == 1 and budget["max_epochs"] == 1 and budget["profile_name"] == "tiny"
    assert budget["epoch_seconds"] == pytest.approx(r.history["seconds"][0])
    assert budget["auroc_min"] == budget["auroc_max"] == pytest.approx(table.test_auroc.iloc[0])
    assert budget["exp_median"] == pytest.approx(table.match_fraction.iloc[0])
    assert np.isnan(budget["best_other"])                         # only the exponential was trained
    assert 0.8 < budget["paper_auroc"] <= 1 and 0.8 < budget["paper_exp_median"] <= 1
    with pytest.raises(ValueError, match="no run of model 'cnn-2'"):
        experiments.budget_summary([r], table, settings, model="cnn-2")


def test_fig1c_grid_gives_the_headline_activations_more_trials():
    settings = get_profile("quick", fig1c_activations=["relu", "exponential", "tanh"], trials=1, headline_trials=3)
    configs = experiments.fig1c_configs(RunConfig(epochs=2), settings)
    trials = {}
    for c in configs:
        trials.setdefault(c.activation, []).append(c.trial)
    assert trials == {"relu": [0, 1, 2], "exponential": [0, 1, 2], "tanh": [0]}
    assert len({c.key for c in configs}) == len(configs)           # no run twice
    # headline activations outside the grid are not added; headline_trials below trials adds nothing
    settings.update(fig1c_activations=["tanh"], headline_trials=0)
    assert [(c.activation, c.trial) for c in experiments.fig1c_configs(RunConfig(), settings)] == [("tanh", 0)]


def test_experiments_carry_their_monitor():
    from seqlib.errors import UnknownNameError

    assert experiments.get_experiment("extdata1e").monitor == "val_auroc"
    assert experiments.get_experiment("fig1c").tasks == ("task1",)
    with pytest.raises(UnknownNameError, match="fig9"):
        experiments.get_experiment("fig9")
