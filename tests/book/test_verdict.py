"""The book's one rule (seqlib.book.verdict) on hand-built tables: adequacy, trials, direction, size, parts."""

import numpy as np
import pandas as pd
import pytest

from seqlib.book import claims, verdict
from seqlib.book.verdict import (
    AUROC_MARGIN,
    MIN_FRACTION,
    MIN_PAIRS,
    PAPER_VALUE_TOLERANCE,
    PLATEAU_SHARE,
    READING_ERROR,
    adequacy,
    combine,
    judge,
    paired_trials,
    paper_cell,
    paper_interval,
    rule_text,
)
from seqlib.errors import ShapeError


def _runs(values_a, values_b, *, auroc=0.95, late_gain=0.0, epochs=40, task="task1", model="cnn-deep",
          a="exponential", b="relu", auroc_b=None, late_gain_b=None):
    """One row per run: side A's and side B's trials (trial k of both sides paired), with adequacy columns."""
    rows = []
    for side, values, au, lg in ((a, values_a, auroc, late_gain),
                                 (b, values_b, auroc if auroc_b is None else auroc_b,
                                  late_gain if late_gain_b is None else late_gain_b)):
        for t, v in enumerate(values):
            rows.append({"key": f"{side}{t}", "task": task, "model": model, "activation": side, "trial": t,
                         "match_fraction": v, "test_auroc": au, "late_gain": lg, "epochs_trained": epochs})
    return pd.DataFrame(rows)


def _judge(table, **kw):
    return judge(table, claim="A > B", value="match_fraction", group="activation", higher="exponential",
                 lower="relu", **kw)


def test_four_epoch_runs_are_inconclusive_under_trained():
    # converged-looking numbers, but the runs stopped at 4 epochs far below the paper's AUROC (0.97) and still rising
    table = _runs([0.9, 0.92, 0.95], [0.0, 0.0, 0.0], auroc=0.81, late_gain=0.4, epochs=4)
    row = _judge(table, paper_higher=0.94)
    assert row["verdict"] == "inconclusive"
    assert row["reason"].startswith("under-trained") and "4 epochs" in row["reason"]
    assert "test AUROC 0.810 < 0.920" in row["reason"] and "still rising (40% of" in row["reason"]
    # one side alone under-trained is enough
    row = _judge(_runs([0.9, 0.92, 0.95], [0.0, 0.0, 0.0], auroc_b=0.90), paper_higher=0.94)
    assert row["verdict"] == "inconclusive" and "cnn-deep relu" in row["reason"]


def test_a_single_pair_is_inconclusive_too_few_trials():
    row = _judge(_runs([0.9], [0.0]), paper_higher=0.94)
    assert row["verdict"] == "inconclusive" and row["reason"] == f"too few trials (1 < {MIN_PAIRS} pairs)"
    assert row["n_pairs"] == 1


def test_adequately_trained_runs_whose_direction_fails_are_not_reproduced():
    row = _judge(_runs([0.1, 0.0, 0.2], [0.3, 0.4, 0.1]), paper_higher=0.94)
    assert row["verdict"] == "not reproduced" and row["fraction"] == pytest.approx(1 / 3)
    # 2 of 3 pairs (67 % < 80 %) is not the direction either
    assert _judge(_runs([0.9, 0.9, 0.0], [0.0, 0.0, 0.5]), paper_higher=0.94)["verdict"] == "not reproduced"


def test_direction_and_size_are_judged_apart():
    good = _judge(_runs([0.92, 0.95, 0.93], [0.0, 0.0, 0.0]), paper_higher=0.94)
    assert good["verdict"] == "reproduced" and good["in_range"] is True
    low = _judge(_runs([0.6, 0.7, 0.65], [0.0, 0.0, 0.0]), paper_higher=0.94)
    assert low["verdict"] == "direction only" and "outside the paper's range" in low["reason"]
    # no paper number: the direction alone decides
    assert _judge(_runs([0.6, 0.7, 0.65], [0.0, 0.0, 0.0]))["verdict"] == "reproduced"


def test_size_is_judged_against_figure_medians_and_ranges():
    # Fig 1c's CNN-deep exponential cell has a median and IQR read off the figure: the IQR widened by the reading error
    value, span = paper_cell("Fig 1c", "match_fraction", model="cnn-deep", activation="exponential")
    assert span is not None and span[0] < value < span[1] and span[1] - span[0] < 2 * PAPER_VALUE_TOLERANCE
    # a bare value read off a figure (Fig 2b's saliency median) gives value ± the stated tolerance
    assert paper_interval(0.82) == pytest.approx((0.82 - PAPER_VALUE_TOLERANCE, 0.82 + PAPER_VALUE_TOLERANCE))
    assert paper_interval(0.5, q1=0.4, q3=0.6, read_from_figure=True) == pytest.approx((0.4 - READING_ERROR,
                                                                                        0.6 + READING_ERROR))
    assert paper_interval(0.5, sd=0.1) == pytest.approx((0.4, 0.6)) and paper_interval(float("nan")) is None
    # C7 is judged on the Fig 2b median, not the printed mean ± sd
    from seqlib.book.attribution_quality import claims_table
    rows = []
    for t in range(3):
        for act, v in (("exponential", 0.78), ("relu", 0.70)):
            for model in ("cnn-local", "cnn-dist"):
                rows.append({"key": f"{model}{act}{t}", "task": "task3", "model": model, "activation": act,
                             "trial": t, "method": "saliency", "correct": False, "auroc": v + 0.01 * t,
                             "test_auroc": 0.96, "late_gain": 0.0, "epochs_trained": 30})
    sal = pd.DataFrame(rows)
    judged = claims_table(sal, sal.drop_duplicates("key"))
    c7 = judged[judged["id"] == "C7"].set_index("claim")
    local = c7.loc["cnn-local: saliency AUROC exponential > relu"]
    assert local["paper_higher"] == pytest.approx(0.82)                   # the figure's median (the table's mean: 0.827)
    assert local["paper_low"] == pytest.approx(0.82 - PAPER_VALUE_TOLERANCE)
    assert local["verdict"] == "reproduced"                               # 0.79 within 0.82 ± 0.05
    assert c7.loc["cnn-dist: saliency AUROC exponential > relu", "verdict"] == "direction only"  # 0.79 vs 0.86


def test_a_claim_that_something_stays_low_needs_the_exponential_control():
    relu_only = _runs([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], a="relu", b="sigmoid")
    control = _runs([0.8, 0.8, 0.8], [0.0] * 3, auroc=0.85, late_gain=0.3, epochs=4).query("activation == 'exponential'")
    row = judge(relu_only.assign(match_fraction=lambda d: np.where(d.activation == "relu", 0.1, 0.0)),
                claim="x", value="match_fraction", group="activation", higher="relu", lower="sigmoid",
                control=control)
    assert row["verdict"] == "inconclusive" and "cnn-deep exponential, 4 epochs" in row["reason"]


def test_adequacy_reads_the_papers_auroc_and_the_plateau():
    rows = _runs([0.5] * 3, [0.5] * 3, auroc=0.93).query("activation == 'exponential'")
    ok = adequacy(rows)
    assert ok["adequate"] and ok["required"] == pytest.approx(0.97 - AUROC_MARGIN)
    rising = adequacy(rows.assign(late_gain=PLATEAU_SHARE + 0.01))
    assert not rising["adequate"] and "still rising" in rising["reason"]
    short = adequacy(rows.assign(late_gain=np.nan, epochs_trained=3))
    assert not short["adequate"] and "3 epochs: too few epochs to show it levelled off" in short["reason"]
    invivo = adequacy(rows.assign(task="irf1", model="residualbind", test_auroc=0.7))
    assert not invivo["adequate"] and f"< {verdict.INVIVO_AUROC_FLOOR:.3f}" in invivo["reason"]
    with pytest.raises(ShapeError, match="late_gain"):
        adequacy(rows.drop(columns="late_gain"))


def test_paired_trials_pairs_by_seed_and_drops_unpaired_or_missing():
    table = pd.DataFrame({"trial": [0, 1, 2, 0, 1, 3], "activation": ["exp"] * 3 + ["relu"] * 3,
                          "model": "m", "v": [0.9, 0.8, 0.7, 0.1, np.nan, 0.3]})
    a, b = paired_trials(table, value="v", group="activation", higher="exp", lower="relu", where={"model": "m"})
    assert list(a) == [0.9] and list(b) == [0.1]
    a, b = paired_trials(table, value="v", group="activation", higher="exp", lower="gelu")
    assert len(a) == len(b) == 0
    flags = pd.DataFrame({"trial": [0, 0], "correct": [True, False], "v": [0.8, 0.7]})
    a, b = paired_trials(flags, value="v", group="correct", higher=True, lower=False)
    assert (list(a), list(b)) == ([0.8], [0.7])
    with pytest.raises(ShapeError, match="no column 'trial'"):
        paired_trials(table.drop(columns="trial"), value="v", group="activation", higher="exp", lower="relu")


def test_not_run_names_the_reason_and_beyond_findings_hold_or_not():
    row = _judge(_runs([0.9], [0.1]).iloc[:0], not_run="why; `cmd` runs it")
    assert row["verdict"] == "not run" and row["reason"] == "why; `cmd` runs it"
    assert _judge(_runs([0.9, 0.9, 0.9], [0.1, 0.1, 0.1]), beyond=True)["verdict"] == "holds"
    assert _judge(_runs([0.1, 0.1, 0.1], [0.9, 0.9, 0.9]), beyond=True)["verdict"] == "does not hold"


def test_combine_gives_one_verdict_per_claim():
    assert combine(["reproduced", "reproduced"]) == "reproduced"
    assert combine(["reproduced", "direction only"]) == "direction only"
    assert combine(["reproduced", "inconclusive"]) == "inconclusive"
    assert combine(["inconclusive", "not reproduced"]) == "not reproduced"
    assert combine(["not run", "not run"]) == "not run" and combine([]) == "not run"
    assert combine(["holds", "inconclusive"], beyond=True) == "inconclusive"


def test_the_pages_rule_text_is_the_codes():
    text = rule_text()
    for number in (f"{MIN_FRACTION:.0%}", f"At least {MIN_PAIRS} trials", f"within {AUROC_MARGIN:g}",
                   f"{PLATEAU_SHARE:.0%} of what the run gained", f"±{READING_ERROR:g}",
                   f"± {PAPER_VALUE_TOLERANCE:g}", f"at least {verdict.INVIVO_AUROC_FLOOR:g}",
                   f"last {verdict.PLATEAU_EPOCHS} epochs"):
        assert number in text, number
    page = claims.claims_markdown([], [])
    assert text in page
