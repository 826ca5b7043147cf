"""The claims table, its glue into a chapter, and the generated Claims page."""

import json

import numpy as np
import pandas as pd
import pytest

from seqlib import claims
from seqlib.errors import ShapeError


def _table(exp, relu, auc_exp=None, auc_relu=None):
    rows = []
    for t, (e, r) in enumerate(zip(exp, relu)):
        rows.append({"model": "cnn-deep", "activation": "exponential", "trial": t, "match_fraction": e,
                     "test_auroc": auc_exp[t] if auc_exp else 0.95})
        rows.append({"model": "cnn-deep", "activation": "relu", "trial": t, "match_fraction": r,
                     "test_auroc": auc_relu[t] if auc_relu else 0.95})
    return pd.DataFrame(rows)


def test_a_claim_is_judged_on_trials_paired_by_seed():
    table = _table([0.9, 0.85, 0.2], [0.0, 0.1, 0.3])
    row = claims.paired_claim(table, claim="x", value="match_fraction", group="activation", higher="exponential",
                              lower="relu", paper_range=(0.8, 0.95), claim_id="C1")
    assert row["n_pairs"] == 3 and row["fraction"] == pytest.approx(2 / 3)
    assert row["ours_higher"] == pytest.approx(0.85) and row["verdict"] == "partly"     # 67 % < 80 %
    row = claims.paired_claim(_table([0.9, 0.85, 0.88], [0.0, 0.1, 0.3]), claim="x", value="match_fraction",
                              group="activation", higher="exponential", lower="relu", paper_range=(0.8, 0.95))
    assert row["verdict"] == "reproduced"
    row = claims.paired_claim(_table([0.7, 0.6, 0.65], [0.0, 0.1, 0.3]), claim="x", value="match_fraction",
                              group="activation", higher="exponential", lower="relu", paper_range=(0.8, 0.95))
    assert row["verdict"] == "partly"                                                   # median outside the IQR
    row = claims.paired_claim(_table([0.0, 0.1], [0.5, 0.6]), claim="x", value="match_fraction",
                              group="activation", higher="exponential", lower="relu")
    assert row["verdict"] == "not reproduced"
    row = claims.paired_claim(_table([0.5], [0.1]), claim="x", value="match_fraction", group="activation",
                              higher="exponential", lower="tanh")
    assert row["verdict"] == "not run" and row["n_pairs"] == 0
    with pytest.raises(ShapeError, match="no column 'trial'"):
        claims.paired_claim(table.drop(columns="trial"), claim="x", value="match_fraction", group="activation",
                            higher="exponential", lower="relu")


def test_filter_claims_use_the_papers_cells_and_the_accuracy_margin():
    table = _table([0.9, 0.9, 0.9], [0.0, 0.0, 0.0], auc_exp=[0.950, 0.951, 0.949], auc_relu=[0.955, 0.956, 0.954])
    out = claims.filter_claims(table).set_index("id")
    assert out.loc["C1", "paper_higher"] == pytest.approx(0.9, abs=0.1) and out.loc["C1", "verdict"] == "reproduced"
    c3 = out.loc["C3"]
    assert c3["ours_higher"] == pytest.approx(0.950) and c3["verdict"] == "reproduced"   # 0.005 below relu: no cost
    worse = _table([0.9] * 3, [0.0] * 3, auc_exp=[0.90, 0.91, 0.92], auc_relu=[0.95, 0.95, 0.95])
    assert claims.filter_claims(worse).set_index("id").loc["C3", "verdict"] == "not reproduced"


def test_the_claims_page_lists_every_paper_claim_and_the_beyond_section(tmp_path):
    rows = claims.filter_claims(_table([0.9, 0.9, 0.9], [0.0, 0.0, 0.0])).to_dict("records")
    rows.append({"id": "B1", "claim": "gelu beats relu", "verdict": "partly", "beyond": True, "n_pairs": 3,
                 "fraction": 0.67, "ours_higher": 0.3, "ours_lower": 0.1})
    nb = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "display_data", "metadata": {
        "scrapbook": {"name": "claims", "mime_prefix": ""}}, "data": {"text/plain": repr(
            [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()} for r in rows])}}]}]}
    (tmp_path / "02_filter_representations.ipynb").write_text(json.dumps(nb))
    (tmp_path / ".02_half_written.ipynb").write_text("not json")            # hidden temporaries are skipped
    page = claims.claims_page(tmp_path).read_text()
    for cid in claims.PAPER_CLAIMS:
        assert f"| {cid}: " in page
    assert "**reproduced**" in page and "**not run**" in page and "gelu beats relu" in page
    assert "not shipped" in page                       # C10's reason
    assert page.index("## Beyond the paper") < page.index("gelu beats relu")
    assert not list(tmp_path.glob("*.tmp*"))


def test_publish_needs_a_claim_and_a_verdict():
    with pytest.raises(ShapeError, match="verdict"):
        claims.publish([{"claim": "x"}], show=False)
    assert claims.publish([], show=False).empty                   # a chapter that judged nothing
    out = claims.publish([{"claim": "x", "verdict": "partly"}], settings={"profile": "tiny"}, show=False)
    assert list(out.columns) == claims.COLUMNS + ["profile"] and out.loc[0, "profile"] == "tiny"


def test_publish_shows_text_outside_a_notebook(capsys):
    claims.publish([{"claim": "exp beats relu", "verdict": "partly", "fraction": 2 / 3, "n_pairs": 3,
                     "ours_higher": 0.8444, "ours_lower": 0.0}])
    text = capsys.readouterr().out
    assert "exp beats relu" in text and "partly" in text and "67 % of 3 pairs" in text
    assert "0.844 / 0.000" in text and "– / –" in text                      # ours, and no paper value given


def test_the_command_line_checks_its_argument(tmp_path, capsys):
    assert claims.main([str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert claims.main([str(tmp_path)]) == 0 and (tmp_path / "claims.md").exists()


def test_attribution_claims_map_ids_and_judge_the_correction_per_method():
    table = pd.DataFrame({"claim": ["cnn-local: saliency AUROC exponential > relu",
                                    "relu: classification AUROC cnn-dist > cnn-local",
                                    "cnn-local: ism AUROC exponential > relu (ExtData 2)"],
                          "verdict": ["partly", "reproduced", "not reproduced"]})
    rows = []
    for t in range(3):
        for correct, auc in ((False, 0.70), (True, 0.75)):
            rows.append({"model": "cnn-local", "activation": "relu", "trial": t, "method": "saliency",
                         "correct": correct, "auroc": auc + 0.01 * t})
        rows.append({"model": "cnn-local", "activation": "relu", "trial": t, "method": "ism", "correct": False,
                     "auroc": 0.8})                        # no gradient, so no corrected variant: no row
    out = claims.attribution_claims(table, pd.DataFrame(rows))
    assert len(out[out["beyond"]]) == 1
    assert list(out["id"][:3]) == ["C7", "C7a", "C8"] and not out["beyond"][:3].any()
    corr = out[out["beyond"]].iloc[0]
    assert corr["n_pairs"] == 3 and corr["fraction"] == 1.0 and corr["ours_higher"] == pytest.approx(0.76)
    assert corr["verdict"] == "holds"                      # a finding beyond the paper holds or does not


def test_a_paper_value_without_a_range_needs_our_median_within_the_tolerance():
    table = _table([0.34, 0.35, 0.36], [0.30, 0.31, 0.32])
    kw = dict(claim="x", value="match_fraction", group="activation", higher="exponential", lower="relu")
    assert claims.paired_claim(table, paper_higher=0.88, **kw)["verdict"] == "partly"
    assert claims.paired_claim(table, paper_higher=0.38, **kw)["verdict"] == "reproduced"       # 0.35 within 0.05
    assert claims.paired_claim(table, **kw)["verdict"] == "reproduced"                          # no paper number


def test_a_recorded_paper_profile_run_gets_its_own_section(tmp_path):
    rows = []
    for t in range(3):
        for act, mf in (("relu", 0.0), ("exponential", 0.93)):
            rows.append({"activation": act, "trial": t, "model": "cnn-deep", "match_fraction": mf + 0.01 * t,
                         "test_auroc": 0.973, "epochs_trained": 90, "repeat_of_earlier_call": False,
                         "device": "a GPU", "backend": "jax"})
    rows.append({**rows[0], "match_fraction": 0.5, "repeat_of_earlier_call": True})        # dropped
    pd.DataFrame(rows).to_csv(tmp_path / "record.csv", index=False)
    assert claims.main([str(tmp_path), str(tmp_path / "record.csv")]) == 0
    page = (tmp_path / "claims.md").read_text()
    assert "## The paper profile on a GPU" in page
    assert "| cnn-deep | relu | 3 | 0.010 [0.005, 0.015] |" in page
    assert "paper (recorded)" in page and "**reproduced**" in page.split("## The paper profile")[1]
    assert claims.main([str(tmp_path), str(tmp_path / "nope.csv")]) == 2
