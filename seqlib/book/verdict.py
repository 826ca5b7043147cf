"""The book's rule for judging the paper's claims, in one place: adequacy, trial pairing, direction, size, verdict.

Every chapter judges its claims through this module and the Claims page prints :func:`rule_text`, which is built
from the constants below (a test compares the two). A claim "A beats B" is judged in four steps:

1. **ran** (:func:`judge`): the build has trials of both sides, else *not run*, with the reason and the command
   that runs it;
2. **adequately trained** (:func:`adequacy`): the median run of each side reached the paper's test AUROC for that
   model and activation within :data:`AUROC_MARGIN` (in vivo, where the paper printed none: at least
   :data:`INVIVO_AUROC_FLOOR`), and its monitored validation metric has levelled off (its last
   :data:`~seqlib.training.LATE_EPOCHS` epochs added at most :data:`PLATEAU_SHARE` of what the run gained on it);
   a claim that something stays low also needs the budget-matched exponential control to pass. Else
   *inconclusive: under-trained*, with the numbers;
3. **enough trials**: at least :data:`MIN_PAIRS` trials paired by seed, else *inconclusive: too few trials*;
4. **direction and size**, judged apart: the direction holds when A > B in at least :data:`MIN_FRACTION` of the
   pairs; the size holds when our median lies in the paper's range (:func:`paper_interval`). Both: *reproduced*;
   the direction only: *direction only*; the direction fails: *not reproduced*.

A finding beyond the paper has no paper range: it *holds* when its direction holds, *does not hold* when the
direction fails, and is *inconclusive* or *not run* as above. A claim with several parts (the five activations of
C2, the models × methods of C8, the conditions of C6) gets one verdict from its parts (:func:`combine`).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import ShapeError
from ..training import LATE_EPOCHS
from .paper import paper_numbers

__all__ = ["VERDICTS", "BEYOND_VERDICTS", "MIN_FRACTION", "MIN_PAIRS", "PAPER_VALUE_TOLERANCE", "READING_ERROR",
           "AUROC_MARGIN", "PLATEAU_SHARE", "PLATEAU_EPOCHS", "INVIVO_AUROC_FLOOR", "paired_trials",
           "paper_interval", "paper_cell", "adequacy", "direction", "judge", "combine", "rule_text"]

#: The verdicts on a paper's claim, best first; "inconclusive" and "not run" carry a reason.
VERDICTS = ("reproduced", "direction only", "not reproduced", "inconclusive", "not run")
#: The verdicts on a finding beyond the paper.
BEYOND_VERDICTS = ("holds", "does not hold", "inconclusive", "not run")

#: Share of paired trials in which the claimed direction must hold.
MIN_FRACTION = 0.8
#: Fewest trials paired by seed that can decide a direction.
MIN_PAIRS = 3
#: Where the paper gives a bare value (no spread), our median must lie within this distance of it.
PAPER_VALUE_TOLERANCE = 0.05
#: Reading error of a range read off the paper's figures: the range is widened by this much on each side.
READING_ERROR = 0.01
#: A run is adequately trained when its test AUROC is at most this far below the paper's for that model and
#: activation. The paper's converged CNN-deep models on Task 1 span 0.94 to 0.97 over seven activations, and its
#: Task-3 models differ by up to 0.05 between architectures: a run further below the paper than the paper's own
#: models are from each other is not a converged model of that architecture.
AUROC_MARGIN = 0.05
#: A run has levelled off when its last :data:`PLATEAU_EPOCHS` epochs added at most this share of everything the
#: run gained on its monitored validation metric (a run still climbing at that rate is still changing its filters).
PLATEAU_SHARE = 0.05
#: Epochs at the end of a run over which the plateau is read (:data:`seqlib.training.LATE_EPOCHS`).
PLATEAU_EPOCHS = LATE_EPOCHS
#: In vivo, where the paper printed no test AUROC: the floor a run's test AUROC must reach.
INVIVO_AUROC_FLOOR = 0.75

_PAPER_AUROC_FIGURES = {"task1": "classification", "task3": "Fig 2a", "task2": "classification"}


def rule_text() -> str:
    """The rule as the Claims page states it, built from this module's constants."""
    return (
        f"**Ran.** A claim \"A beats B\" is judged on this build's trials of A and B, paired by seed (trial *k* of "
        f"both starts from seed *k*); a claim with no trials is **not run**, with the reason and the command that "
        f"runs it. "
        f"**Adequately trained.** The median run of each side must reach the paper's test AUROC for its model and "
        f"activation within {AUROC_MARGIN:g} (in vivo, where the paper printed none: a test AUROC of at least "
        f"{INVIVO_AUROC_FLOOR:g}), and must have levelled off: its last {PLATEAU_EPOCHS} epochs added at most "
        f"{PLATEAU_SHARE:.0%} of what the run gained on its monitored validation metric. A claim that something stays "
        f"low also needs the budget-matched exponential control to pass. Otherwise the claim is **inconclusive: "
        f"under-trained**, with the numbers. "
        f"**Enough trials.** At least {MIN_PAIRS} trials paired by seed, otherwise **inconclusive: too few trials**. "
        f"**Direction.** A > B in at least {MIN_FRACTION:.0%} of the pairs. "
        f"**Size.** Our median of A lies in the paper's range: the interquartile range its figure draws (widened by "
        f"the reading error, ±{READING_ERROR:g}), its mean ± sd where it printed only those, or its value "
        f"± {PAPER_VALUE_TOLERANCE:g} where it gives a bare value; where it gives no number, the direction alone "
        f"decides. "
        f"**Verdict.** **reproduced**: direction and size hold; **direction only**: the direction holds, our median "
        f"lies outside the paper's range; **not reproduced**: adequately trained, enough trials, and the direction "
        f"fails. A claim with several parts is **not reproduced** when any adequately judged part is, "
        f"**inconclusive** when a part could not be judged, **reproduced** when every part is, and **direction "
        f"only** otherwise. A finding beyond the paper **holds** or **does not hold** by its direction.")


# ----------------------------------------------------------------------------- the pieces

def paired_trials(table: pd.DataFrame, *, value: str, group: str, higher, lower,
                  where: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The values of ``higher`` and ``lower`` (two values of column ``group``), paired by ``trial``.

    Parameters
    ----------
    table : DataFrame
        One row per run (or per trial and condition) with columns ``trial``, ``group``, ``value`` and those of
        ``where``; a ``condition`` column, when present, pairs within each condition.
    value : str
        The compared statistic.
    group : str
        The column whose values are compared (``"activation"``, ``"model"``, ``"correct"`` ...); its values are
        compared as text, so booleans work too.
    higher, lower
        The two values of ``group``.
    where : dict, optional
        Column -> value filters applied first.

    Returns
    -------
    (a, b) : two numpy arrays, shape=(K,)
        The median of ``value`` per trial (and condition) of each side, over the K pairs that have a finite value
        on both sides.

    Raises
    ------
    ShapeError
        ``table`` lacks one of the columns.
    """
    sub = _where(table, where)
    for column in ("trial", group, value):
        if column not in sub:
            raise ShapeError(f"the table has no column {column!r} (columns: {list(table.columns)})")
    sub = sub.assign(**{group: sub[group].astype(str)})
    index = ["condition", "trial"] if "condition" in sub else "trial"
    wide = sub.pivot_table(index=index, columns=group, values=value, aggfunc="median")
    higher, lower = str(higher), str(lower)
    if higher not in wide or lower not in wide:
        return np.array([]), np.array([])
    pairs = wide[[higher, lower]].dropna()
    return pairs[higher].to_numpy(float), pairs[lower].to_numpy(float)


def paper_interval(value, *, q1=None, q3=None, sd=None, read_from_figure: bool = False) -> tuple[float, float] | None:
    """The paper's range for one value: its interquartile range (widened by :data:`READING_ERROR` when read off a
    figure), else its mean ± ``sd``, else ``value`` ± :data:`PAPER_VALUE_TOLERANCE`; None when the paper has no
    value."""
    if not _finite(value):
        return None
    if _finite(q1) and _finite(q3):
        pad = READING_ERROR if read_from_figure else 0.0
        return float(q1) - pad, float(q3) + pad
    if _finite(sd):
        return float(value) - float(sd), float(value) + float(sd)
    return float(value) - PAPER_VALUE_TOLERANCE, float(value) + PAPER_VALUE_TOLERANCE


def paper_cell(figure: str, statistic: str, task: str = "task1", **filters) -> tuple[float, tuple | None]:
    """The paper's value for one cell of ``paper_numbers.csv`` and its range (:func:`paper_interval`: the cell's
    interquartile range where the paper drew one); (NaN, None) when the paper has no such cell or more than one."""
    rows = paper_numbers(figure=figure, statistic=statistic, task=task, **filters)
    if len(rows) != 1:
        return float("nan"), None
    row = rows.iloc[0]
    return float(row["value"]), paper_interval(row["value"], q1=row["q1"], q3=row["q3"],
                                               read_from_figure=str(row["source"]).strip() == "F")


def paper_auroc(task: str, model: str, activation: str) -> float:
    """The paper's test AUROC for a model and activation on a simulated task (Task 1: its classification figure;
    Task 3: the Fig 2a centroid); the model's median over the paper's activations when the paper did not train
    that activation; NaN when it has none for the task."""
    figure = _PAPER_AUROC_FIGURES.get(task)
    if figure is None:
        return float("nan")
    rows = paper_numbers(figure=figure, task=task, model=model, statistic="test_auroc")
    if not len(rows):                             # a variant of a paper model (cnn-deep-nobn, cnn-deep-log)
        rows = paper_numbers(figure=figure, task=task, model=model.split("-nobn")[0].split("-log")[0],
                             statistic="test_auroc")
    hit = rows[rows["activation"] == activation]
    if len(hit):
        return float(hit["value"].iloc[0])
    return float(rows["value"].median()) if len(rows) else float("nan")


def adequacy(rows: pd.DataFrame) -> dict:
    """Whether the runs of one side of a claim are adequately trained (the rule of :func:`rule_text`).

    Parameters
    ----------
    rows : DataFrame
        The side's runs, one row each (or several per run: a run is counted once by ``key`` when present), with
        ``test_auroc``, ``late_gain`` (:func:`seqlib.training.late_gain` of the monitored validation metric),
        ``epochs_trained`` and ``task``, ``model``, ``activation``.

    Returns
    -------
    dict with ``adequate`` (bool), ``reason`` (empty when adequate, else e.g. "15 epochs, test AUROC 0.913 <
    0.920"), ``auroc`` (median test AUROC), ``required`` (the AUROC needed), ``late_gain`` (median), ``epochs``
    (median epochs trained), ``runs``
    """
    if "key" in rows:
        rows = rows.drop_duplicates("key")
    missing = [c for c in ("test_auroc", "late_gain", "epochs_trained", "task", "model", "activation")
               if c not in rows]
    if missing:
        raise ShapeError(f"adequacy needs the columns {missing} (seqlib.runs.results_table has them)")
    if not len(rows):
        return {"adequate": False, "reason": "no runs", "auroc": float("nan"), "required": float("nan"),
                "late_gain": float("nan"), "epochs": 0, "runs": 0}
    auroc = float(rows["test_auroc"].median())
    gain = float(rows["late_gain"].median())
    epochs = int(round(float(rows["epochs_trained"].median())))
    first = rows.iloc[0]
    base = _base_task(str(first["task"]))
    paper = paper_auroc(base, str(first["model"]), str(first["activation"]))
    required = paper - AUROC_MARGIN if _finite(paper) else INVIVO_AUROC_FLOOR
    problems = []
    if not auroc >= required:
        problems.append(f"test AUROC {auroc:.3f} < {required:.3f}")
    if not math.isfinite(gain):
        problems.append(f"too few epochs to show it levelled off (more than {PLATEAU_EPOCHS} needed)")
    elif gain > PLATEAU_SHARE:
        problems.append(f"still rising ({gain:.0%} of its validation gain in the last {PLATEAU_EPOCHS} epochs)")
    label = f"{first['model']} {first['activation']}"
    reason = f"{label}, {epochs} epochs: " + ", ".join(problems) if problems else ""
    return {"adequate": not problems, "reason": reason, "auroc": auroc, "required": required, "late_gain": gain,
            "epochs": epochs, "runs": int(len(rows))}


def direction(a, b) -> dict:
    """The claimed direction A > B over paired values: ``fraction`` of pairs with a > b, ``n_pairs``, ``holds``
    (at least :data:`MIN_FRACTION` of at least :data:`MIN_PAIRS` pairs), ``median_difference``."""
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ShapeError(f"higher ({a.size}) and lower ({b.size}) must be paired trials of the same length")
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    if not len(a):
        return {"fraction": float("nan"), "n_pairs": 0, "holds": False, "median_difference": float("nan")}
    fraction = float(np.mean(a > b))
    return {"fraction": fraction, "n_pairs": int(len(a)), "holds": fraction >= MIN_FRACTION,
            "median_difference": float(np.median(a - b))}


def judge(table: pd.DataFrame, *, claim: str, value: str, group: str, higher, lower, where: dict | None = None,
          paper_higher=float("nan"), paper_lower=float("nan"), paper_range=None, claim_id: str = "",
          beyond: bool = False, control: pd.DataFrame | None = None, not_run: str = "",
          trials: str | None = None) -> dict:
    """Judge "``higher`` beats ``lower`` on ``value``" on the trials of ``table`` by the rule of :func:`rule_text`.

    Parameters
    ----------
    table : DataFrame
        One row per run (or per run and condition) with ``trial``, ``group``, ``value`` and the adequacy columns
        (``test_auroc``, ``late_gain``, ``epochs_trained``, ``task``, ``model``, ``activation``; see
        :func:`adequacy`). A ``condition`` column pairs within each condition.
    claim : str
        The claim in words.
    value, group, higher, lower, where
        As :func:`paired_trials`.
    paper_higher, paper_lower : float
        The paper's values of the two sides (NaN where it has none).
    paper_range : (float, float), optional
        Where our median of ``higher`` must lie (default :func:`paper_interval` of ``paper_higher``; none when the
        paper has no value).
    claim_id : str
        The claim's id (``"C1"`` ...), or a short id of a finding beyond the paper.
    beyond : bool
        A finding beyond the paper (no size).
    control : DataFrame, optional
        Runs of the budget-matched positive control (the default exponential) for a claim that something stays
        low: it must pass adequacy too.
    not_run : str
        Why the claim is not run and the command that runs it, shown when ``table`` has no trials for it.
    trials : str, optional
        Column counted as the trials (default ``trial``).

    Returns
    -------
    dict with ``id``, ``claim``, ``statistic``, ``verdict``, ``reason``, ``ours_higher``, ``ours_lower``,
    ``paper_higher``, ``paper_lower``, ``paper_low``/``paper_high`` (the range), ``fraction``, ``n_pairs``,
    ``trials``, ``epochs``, ``auroc_higher``, ``auroc_lower``, ``direction_holds``, ``in_range``, ``beyond``
    """
    sub = _where(table, where)
    a, b = paired_trials(sub, value=value, group=group, higher=higher, lower=lower)
    sides = {side: sub[sub[group].astype(str) == str(side)] for side in (higher, lower)}
    n_trials = int(sub[trials or "trial"].nunique()) if len(sub) else 0
    row = {"id": claim_id, "claim": claim, "statistic": value, "beyond": bool(beyond),
           "ours_higher": float(np.median(a)) if len(a) else float("nan"),
           "ours_lower": float(np.median(b)) if len(b) else float("nan"),
           "paper_higher": float(paper_higher) if _finite(paper_higher) else float("nan"),
           "paper_lower": float(paper_lower) if _finite(paper_lower) else float("nan"),
           "trials": n_trials}
    if paper_range is None and not beyond:
        paper_range = paper_interval(paper_higher)
    row["paper_low"], row["paper_high"] = (paper_range if paper_range is not None else (float("nan"),) * 2)
    if not len(a):
        return {**row, **_empty_numbers(), "verdict": "not run",
                "reason": not_run or "this build trained no pair of runs for it"}
    checks = [adequacy(rows) for rows in sides.values()]
    if control is not None:
        checks.append(adequacy(control))
    row.update(epochs=int(np.median([c["epochs"] for c in checks[:2]])), auroc_higher=checks[0]["auroc"],
               auroc_lower=checks[1]["auroc"])
    d = direction(a, b)
    row.update(fraction=d["fraction"], n_pairs=d["n_pairs"], direction_holds=d["holds"])
    in_range = None if paper_range is None else bool(min(paper_range) <= row["ours_higher"] <= max(paper_range))
    row["in_range"] = in_range
    failing = [c["reason"] for c in checks if not c["adequate"]]
    if failing:
        return {**row, "verdict": "inconclusive", "reason": "under-trained (" + "; ".join(failing) + ")"}
    if d["n_pairs"] < MIN_PAIRS:
        return {**row, "verdict": "inconclusive", "reason": f"too few trials ({d['n_pairs']} < {MIN_PAIRS} pairs)"}
    if beyond:
        return {**row, "verdict": "holds" if d["holds"] else "does not hold", "reason": ""}
    if not d["holds"]:
        return {**row, "verdict": "not reproduced", "reason": ""}
    if in_range is False:
        return {**row, "verdict": "direction only",
                "reason": f"our median {row['ours_higher']:.3f} outside the paper's range "
                          f"[{min(paper_range):.3f}, {max(paper_range):.3f}]"}
    return {**row, "verdict": "reproduced", "reason": ""}


def combine(verdicts: Sequence[str], *, beyond: bool = False) -> str:
    """One verdict from the verdicts of a claim's parts (the rule of :func:`rule_text`)."""
    verdicts = list(verdicts)
    if not verdicts or all(v == "not run" for v in verdicts):
        return "not run"
    fails = "does not hold" if beyond else "not reproduced"
    if fails in verdicts:
        return fails
    if any(v in ("inconclusive", "not run") for v in verdicts):
        return "inconclusive"
    if beyond:
        return "holds"
    return "reproduced" if all(v == "reproduced" for v in verdicts) else "direction only"


# ----------------------------------------------------------------------------- helpers

def _where(table: pd.DataFrame, where: dict | None) -> pd.DataFrame:
    sub = table
    for column, wanted in (where or {}).items():
        if column not in sub:
            raise ShapeError(f"the table has no column {column!r} (columns: {list(table.columns)})")
        sub = sub[sub[column] == wanted]
    return sub


def _finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _base_task(task: str) -> str:
    """``task1`` for a registered subset or size of Task 1 (``task1`` …), else the name itself."""
    for base in _PAPER_AUROC_FIGURES:
        if task == base or task.startswith(base + "@") or task.startswith(base + "-"):
            return base
    return task


def _empty_numbers() -> dict:
    return {"fraction": float("nan"), "n_pairs": 0, "epochs": 0, "auroc_higher": float("nan"),
            "auroc_lower": float("nan"), "direction_holds": False, "in_range": None}

