"""The claims table, its glue into a chapter, and the generated Claims page (one verdict per claim)."""

import json

import numpy as np
import pandas as pd
import pytest

from seqlib.book import claims
from seqlib.book.cli import add_commands  # noqa: F401  (the subcommands the page is written by)
from seqlib.book.verdict import rule_text
from seqlib.cli import main
from seqlib.errors import ShapeError


def _table(exp, relu, auc_exp=None, auc_relu=None, late_gain=0.0, epochs=25):
    rows = []
    for t, (e, r) in enumerate(zip(exp, relu)):
        for act, v, auc in (("exponential", e, auc_exp), ("relu", r, auc_relu)):
            rows.append({"key": f"{act}{t}", "task": "task1", "model": "cnn-deep", "activation": act, "trial": t,
                         "match_fraction": v, "test_auroc": auc[t] if auc else 0.95, "late_gain": late_gain,
                         "epochs_trained": epochs})
    return pd.DataFrame(rows)


def test_a_claim_is_judged_on_trials_paired_by_seed():
    kw = dict(claim="x", value="match_fraction", group="activation", higher="exponential", lower="relu")
    row = claims.paired_claim(_table([0.9, 0.85, 0.2], [0.0, 0.1, 0.3]), paper_range=(0.8, 0.95), claim_id="C1", **kw)
    assert row["n_pairs"] == 3 and row["fraction"] == pytest.approx(2 / 3)
    assert row["ours_higher"] == pytest.approx(0.85) and row["verdict"] == "not reproduced"     # 67 % < 80 %
    row = claims.paired_claim(_table([0.9, 0.85, 0.88], [0.0, 0.1, 0.3]), paper_range=(0.8, 0.95), **kw)
    assert row["verdict"] == "reproduced" and row["trials"] == 3 and row["epochs"] == 25
    row = claims.paired_claim(_table([0.7, 0.6, 0.65], [0.0, 0.1, 0.3]), paper_range=(0.8, 0.95), **kw)
    assert row["verdict"] == "direction only"                                            # median outside the IQR
    row = claims.paired_claim(_table([0.5], [0.1]), claim_id="C2", **{**kw, "lower": "tanh"})
    assert row["verdict"] == "not run" and row["n_pairs"] == 0
    assert "`seqlib notebooks 02 --profile paper` runs it" in row["reason"]
    with pytest.raises(ShapeError, match="no column 'trial'"):
        claims.paired_claim(_table([0.9], [0.0]).drop(columns="trial"), **kw)


def test_filter_claims_use_the_papers_cells_and_the_accuracy_margin():
    table = _table([0.9, 0.9, 0.9], [0.0, 0.0, 0.0], auc_exp=[0.950, 0.951, 0.949], auc_relu=[0.955, 0.956, 0.954])
    out = claims.filter_claims(table).set_index("id")
    assert out.loc["C1", "paper_higher"] == pytest.approx(0.9, abs=0.1) and out.loc["C1", "verdict"] == "reproduced"
    c3 = out.loc["C3"]
    assert c3["ours_higher"] == pytest.approx(0.950) and c3["verdict"] == "reproduced"   # 0.005 below relu: no cost
    assert c3["statistic"] == "test_auroc" and c3["auroc_higher"] == pytest.approx(0.950)
    worse = _table([0.9] * 3, [0.0] * 3, auc_exp=[0.93, 0.93, 0.93], auc_relu=[0.96, 0.96, 0.96])
    assert claims.filter_claims(worse).set_index("id").loc["C3", "verdict"] == "not reproduced"
    # the quick profile's old 15-epoch relu runs: still rising and 0.057 below the paper's AUROC
    short = _table([0.84] * 3, [0.0] * 3, auc_relu=[0.913] * 3, late_gain=0.13, epochs=15)
    c1 = claims.filter_claims(short).set_index("id").loc["C1"]
    assert c1["verdict"] == "inconclusive" and "test AUROC 0.913 < 0.920" in c1["reason"]


def _notebook(rows, path):
    nb = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "display_data", "metadata": {
        "scrapbook": {"name": "claims", "mime_prefix": ""}}, "data": {"text/plain": repr(
            [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()} for r in rows])}}]}]}
    path.write_text(json.dumps(nb))


def test_the_page_gives_one_verdict_per_claim_and_renders_each_part(tmp_path):
    good = claims.filter_claims(_table([0.9, 0.92, 0.93], [0.0, 0.0, 0.0])).to_dict("records")
    c2 = claims.paired_claim(_table([0.9], [0.1]).replace({"relu": "tanh"}), claim="cnn-deep: exp > tanh",
                             value="match_fraction", group="activation", higher="exponential", lower="tanh",
                             claim_id="C2")
    rows = [*good, c2, {"id": "B1", "claim": "gelu beats relu", "verdict": "holds", "beyond": True, "n_pairs": 3,
                        "fraction": 1.0, "ours_higher": 0.3, "ours_lower": 0.1}]
    _notebook(rows, tmp_path / "02_filter_representations.ipynb")
    (tmp_path / ".02_half_written.ipynb").write_text("not json")            # hidden temporaries are skipped
    page = claims.claims_page(tmp_path).read_text()
    summary_table = page.split("## The paper's claims")[1].split("Each claim's parts")[0]
    for cid in claims.PAPER_CLAIMS:                                          # one row per claim id
        assert summary_table.count(f"| **{cid}** ") == 1, cid
    verdicts = {v["id"]: v for v in claims.claim_verdicts(rows, ["02_filter_representations"])}
    assert verdicts["C1"]["verdict"] == "reproduced"
    assert verdicts["C2"]["verdict"] == "inconclusive"                       # its one part: a single pair
    assert "too few trials (1 < 3 pairs)" in verdicts["C2"]["reason"]
    assert verdicts["C10"]["verdict"] == "not run" and "not shipped" in verdicts["C10"]["reason"]
    assert "seqlib notebooks 05 --profile paper" in verdicts["C7"]["reason"]  # not in this build: the command
    assert "**C1** " in summary_table and "| **reproduced** |" in summary_table
    # each part's row shows its verdict, numbers, pairs and training
    part = [line for line in page.splitlines() if line.startswith("| cnn-deep: match fraction, exponential > relu")]
    assert len(part) == 1
    cells = [c.strip() for c in part[0].strip("|").split("|")]
    assert cells[1] == "**reproduced**" and cells[2] == "0.920 / 0.000" and cells[4] == "100 % of 3 pairs"
    assert cells[5] == "3 trials, 25 epochs, test AUROC 0.950 / 0.950"
    assert ":::{dropdown} C1: reproduced (1 part)" in page and ":::{dropdown} C2: inconclusive (1 part)" in page
    assert rule_text() in page
    assert page.index("## Beyond the paper") < page.index("gelu beats relu")
    assert not list(tmp_path.glob("*.tmp*"))
    summary = (tmp_path / "claims_summary.md").read_text()
    assert "reproduced: C1, C3" in summary and "inconclusive" in summary and "C2" in summary
    assert "not run in this build: C4" in summary


def test_publish_needs_a_claim_and_a_verdict():
    with pytest.raises(ShapeError, match="verdict"):
        claims.publish([{"claim": "x"}], show=False)
    assert claims.publish([], show=False).empty                   # a chapter that judged nothing
    out = claims.publish([{"claim": "x", "verdict": "reproduced"}], settings={"profile": "tiny"}, show=False)
    assert list(out.columns) == claims.COLUMNS + ["profile"] and out.loc[0, "profile"] == "tiny"


def test_publish_shows_text_outside_a_notebook(capsys):
    claims.publish([{"claim": "exp beats relu", "verdict": "inconclusive", "reason": "too few trials (1 < 3 pairs)",
                     "fraction": 1.0, "n_pairs": 1, "ours_higher": 0.8444, "ours_lower": 0.0}])
    text = capsys.readouterr().out
    assert "exp beats relu" in text and "inconclusive: too few trials (1 < 3 pairs)" in text
    assert "100 % of 1 pairs" in text and "0.844 / 0.000" in text and "– / –" in text


def test_the_command_line_writes_the_page_and_checks_its_arguments(tmp_path, capsys):
    assert main(["claims", str(tmp_path / "missing")]) == 2
    assert "not a folder of executed chapters" in capsys.readouterr().err
    assert main(["claims", str(tmp_path)]) == 0 and (tmp_path / "claims.md").exists()
    assert main(["claims", str(tmp_path), str(tmp_path / "nope.csv")]) == 2
    assert "no such recorded run table" in capsys.readouterr().err


def test_attribution_claims_keep_their_ids_and_judge_the_correction_per_method():
    table = pd.DataFrame({"id": ["C7", "C7a", "C8"],
                          "claim": ["cnn-local: saliency AUROC exponential > relu",
                                    "relu: classification AUROC cnn-dist > cnn-local",
                                    "cnn-local: ism AUROC exponential > relu"],
                          "verdict": ["direction only", "reproduced", "not reproduced"]})
    rows = []
    for t in range(3):
        for correct, auc in ((False, 0.70), (True, 0.75)):
            rows.append({"key": f"r{t}", "task": "task3", "model": "cnn-local", "activation": "relu", "trial": t,
                         "method": "saliency", "correct": correct, "auroc": auc + 0.01 * t, "test_auroc": 0.93,
                         "late_gain": 0.0, "epochs_trained": 15})
        rows.append({"key": f"r{t}", "task": "task3", "model": "cnn-local", "activation": "relu", "trial": t,
                     "method": "ism", "correct": False, "auroc": 0.8, "test_auroc": 0.93, "late_gain": 0.0,
                     "epochs_trained": 15})                # no gradient, so no corrected variant: no row
    out = claims.attribution_claims(table, pd.DataFrame(rows))
    assert len(out[out["beyond"]]) == 1
    assert list(out["id"][:3]) == ["C7", "C7a", "C8"] and not out["beyond"][:3].any()
    corr = out[out["beyond"]].iloc[0]
    assert corr["n_pairs"] == 3 and corr["fraction"] == 1.0 and corr["ours_higher"] == pytest.approx(0.76)
    assert corr["verdict"] == "holds"                      # a finding beyond the paper holds or does not


def test_a_recorded_paper_profile_run_gets_its_own_section(tmp_path):
    rows = []
    for t in range(3):
        for act, mf in (("relu", 0.0), ("exponential", 0.93)):
            rows.append({"activation": act, "trial": t, "model": "cnn-deep", "task": "task1",
                         "match_fraction": mf + 0.01 * t, "test_auroc": 0.973, "epochs_trained": 90,
                         "best_epoch": 70, "repeat_of_earlier_call": False, "device": "a GPU", "backend": "jax"})
    rows.append({**rows[0], "match_fraction": 0.5, "repeat_of_earlier_call": True})        # dropped
    pd.DataFrame(rows).to_csv(tmp_path / "record.csv", index=False)
    assert main(["claims", str(tmp_path), str(tmp_path / "record.csv")]) == 0
    page = (tmp_path / "claims.md").read_text()
    assert "## The paper profile on a GPU" in page
    assert "| cnn-deep | relu | 3 | 0.010 [0.005, 0.015] |" in page
    assert "**reproduced**" in page.split("## The paper profile")[1]
    # a run that did not stop early has not shown that it levelled off
    pd.DataFrame(rows[:-1]).assign(best_epoch=89).to_csv(tmp_path / "record.csv", index=False)
    assert main(["claims", str(tmp_path), str(tmp_path / "record.csv")]) == 0
    assert "**inconclusive**: under-trained" in (tmp_path / "claims.md").read_text().split("## The paper profile")[1]


def test_an_open_claims_reasons_say_which_parts_they_are_for():
    """A claim with several parts that could not all be judged gives each reason with the figures of its parts;
    reasons of different parts must not read as one sentence."""
    parts = [{"id": "C6", "claim": "exponential > relu for each initial scale (Supp 5b)", "verdict": "not run",
              "reason": "no condition of it trained at this profile; `seqlib notebooks 04 --profile paper` runs it"},
             {"id": "C6", "claim": "exponential without batch norm > relu (Supp 5a)", "verdict": "not run",
              "reason": "no condition of it trained at this profile; `seqlib notebooks 04 --profile paper` runs it"},
             {"id": "C6", "claim": "exp(s·z) > relu (Supp 9)", "verdict": "inconclusive",
              "reason": "inconclusive at this profile: 0 condition(s) besides the default 1 (needs 2)"},
             {"id": "C6", "claim": "exponential > relu at each PPM threshold (Supp 15)", "verdict": "reproduced",
              "reason": ""}]
    c6 = {v["id"]: v for v in claims.claim_verdicts(parts, ["04_initialization_robustness"])}["C6"]
    assert c6["verdict"] == "inconclusive"
    assert c6["reason"].startswith("Supp 5b, Supp 5a: no condition of it trained at this profile; Supp 9: "
                                   "inconclusive at this profile: 0 condition(s) besides the default 1 (needs 2)")
    assert "Supp 15" not in c6["reason"] and c6["reason"].count("runs it") == 0
    assert c6["reason"].endswith("`seqlib notebooks 04 --profile paper` tests it at the paper's budget")
    one = claims.claim_verdicts(parts[2:3], ["04_initialization_robustness"])
    assert {v["id"]: v for v in one}["C6"]["reason"].startswith("inconclusive at this profile")   # one part: no label
