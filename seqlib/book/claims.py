"""The paper's claims, judged on this build's trials by one rule, and the generated Claims page.

Each chapter judges the claims it tests with :func:`seqlib.book.verdict.judge` (through :func:`paired_claim`,
:func:`filter_claims`, :func:`attribution_claims` or a chapter's own table with :data:`COLUMNS`) and hands its rows
to :func:`publish`, which shows them and glues them into the executed notebook (key ``"claims"``).
``seqlib claims CHAPTERS_DIR`` (``make claims``) reads every executed chapter and writes two pages:

* ``claims.md``: the rule (:func:`seqlib.book.verdict.rule_text`), one verdict per claim id of
  :data:`PAPER_CLAIMS` in the paper's order (a claim with several parts gets one verdict from them,
  :func:`seqlib.book.verdict.combine`), each with its parts folded beneath, then the findings beyond the paper;
* ``claims_summary.md``: the generated sentence the book's first page includes, naming the claims by verdict.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .._io import atomic_path
from ..errors import ShapeError
from .status import executed_chapters, glued
from .verdict import PLATEAU_EPOCHS, combine, judge, paper_cell, rule_text

__all__ = ["COLUMNS", "PAPER_CLAIMS", "GLUE_KEY", "paired_claim", "filter_claims", "attribution_claims", "publish",
           "chapter_claims", "claim_verdicts", "claims_markdown", "summary_markdown", "claims_page", "record_markdown"]

GLUE_KEY = "claims"

#: Columns of a claims table (one row per part of a claim; :func:`seqlib.book.verdict.judge` fills them).
COLUMNS = ["id", "claim", "statistic", "verdict", "reason", "ours_higher", "ours_lower", "paper_higher",
           "paper_lower", "paper_low", "paper_high", "fraction", "n_pairs", "trials", "epochs", "auroc_higher",
           "auroc_lower", "conditions", "beyond"]

#: The paper's claims in the paper's order: id -> (statement, chapter that judges it, why it cannot run in a
#: default build or "", the command that tests it at the paper's budget).
PAPER_CLAIMS: dict[str, tuple[str, str, str, str]] = {
    "C1": ("Task 1: CNN-deep's first-layer filters match the planted motifs more often with an exponential "
           "activation than with relu (Fig 1c).", "02_filter_representations", "",
           "seqlib notebooks 02 --profile paper"),
    "C2": ("Task 1: the exponential beats every other activation (sigmoid, tanh, softplus, linear, elu) on "
           "CNN-deep's match fraction (Fig 1c).", "02_filter_representations", "",
           "seqlib notebooks 02 --profile paper"),
    "C3": ("Task 1: the exponential costs no classification accuracy (CNN-deep test AUROC within 0.01 of relu).",
           "02_filter_representations", "", "seqlib notebooks 02 --profile paper"),
    "C4": ("Task 1: scanning with exponential filters localises the planted motifs better than with relu "
           "filters (Extended Data Fig 1c,d).", "03_scan_localisation", "", "seqlib notebooks 02 03 --profile paper"),
    "C5": ("The exponential's advantage holds for every first-layer initialiser (Supp Fig 5a).",
           "04_initialization_robustness", "", "seqlib notebooks 04 --profile paper"),
    "C6": ("It holds over initial scales, with or without first-layer batch norm, for exponential scales "
           "0.5-2, and for any reasonable PPM threshold (Supp Figs 5b, 9, 15).",
           "04_initialization_robustness", "", "seqlib notebooks 04 --profile paper"),
    "C7": ("Task 3: saliency maps are more faithful to the planted motifs with an exponential first layer, for "
           "CNN-local and CNN-dist (Fig 2b,c).", "05_attribution_quality", "", "seqlib notebooks 05 --profile paper"),
    "C7a": ("Task 3: CNN-dist classifies better than CNN-local whatever the first-layer activation (Fig 2a).",
            "05_attribution_quality", "", "seqlib notebooks 05 --profile paper"),
    "C8": ("Task 3: in-silico mutagenesis, integrated gradients and DeepSHAP maps are also more faithful with an "
           "exponential first layer (Extended Data Fig 2).", "05_attribution_quality", "",
           "seqlib notebooks 05 --profile paper"),
    "C9": ("In vivo (ZBED2, IRF1): saliency maps of exponential models are sparser and cleaner (Fig 3b,c; the "
           "paper shows examples, no number).", "06_in_vivo", "", "seqlib notebooks 06 --profile paper"),
    "C10": ("Task 2 (DeepSEA, 12 K562 TFs): exponential filters match more JASPAR motifs (Fig 1d).",
            "02_filter_representations", "the DeepSEA subset is not shipped (about 1.4 GB); put it in data/ "
                                         "and rerun chapter 02", "seqlib notebooks 02 --profile paper"),
}


def _command(claim_id: str) -> str:
    return PAPER_CLAIMS[claim_id][3] if claim_id in PAPER_CLAIMS else ""


def paired_claim(table: pd.DataFrame, *, claim: str, value: str, group: str, higher, lower,
                 where: dict | None = None, paper_higher: float = float("nan"), paper_lower: float = float("nan"),
                 paper_range: Sequence[float] | None = None, claim_id: str = "", beyond: bool = False,
                 control: pd.DataFrame | None = None) -> dict:
    """Judge "``higher`` beats ``lower`` on ``value``" on the trials of ``table`` (:func:`seqlib.book.verdict.judge`),
    naming, when it is not run, the command that runs the claim at the paper's budget.

    Returns
    -------
    dict with the keys of :data:`COLUMNS` (``conditions`` empty).
    """
    command = _command(claim_id)
    row = judge(table, claim=claim, value=value, group=group, higher=higher, lower=lower, where=where,
                paper_higher=paper_higher, paper_lower=paper_lower, paper_range=paper_range, claim_id=claim_id,
                beyond=beyond, control=control,
                not_run=f"no trials of both sides in this build{f'; `{command}` runs it' if command else ''}")
    return {**{c: row.get(c, "") for c in COLUMNS}, "conditions": ""}


def filter_claims(table: pd.DataFrame, model: str = "cnn-deep") -> pd.DataFrame:
    """Claims C1-C3 (Task 1, Fig 1c and classification) judged on a :func:`seqlib.analyses.filter_table`.

    C1: exponential > relu on match fraction; C2: exponential > each other activation present; C3: the
    exponential costs no accuracy, judged as "exponential's test AUROC + 0.01 > relu's" (the paper's CNN-deep
    AUROCs differ by less than 0.01).

    Parameters
    ----------
    table : DataFrame
        One row per run with ``model``, ``activation``, ``trial``, ``match_fraction``, ``test_auroc`` and the
        adequacy columns of :func:`seqlib.runs.results_table`.
    model : str

    Returns
    -------
    DataFrame with :data:`COLUMNS`.
    """
    rows = []
    where = {"model": model}
    p_exp, iqr = paper_cell("Fig 1c", "match_fraction", model=model, activation="exponential")
    p_relu, _ = paper_cell("Fig 1c", "match_fraction", model=model, activation="relu")
    rows.append(paired_claim(table, claim=f"{model}: match fraction, exponential > relu", value="match_fraction",
                             group="activation", higher="exponential", lower="relu", where=where,
                             paper_higher=p_exp, paper_lower=p_relu, paper_range=iqr, claim_id="C1"))
    others = [a for a in dict.fromkeys(table.loc[table.model == model, "activation"])
              if a not in ("exponential", "relu")]
    for act in others:
        p_other, _ = paper_cell("Fig 1c", "match_fraction", model=model, activation=act)
        rows.append(paired_claim(table, claim=f"{model}: match fraction, exponential > {act}", value="match_fraction",
                                 group="activation", higher="exponential", lower=act, where=where,
                                 paper_higher=p_exp, paper_lower=p_other, paper_range=iqr, claim_id="C2"))
    shifted = table.assign(shifted_auroc=table["test_auroc"] + np.where(table["activation"] == "exponential", 0.01, 0))
    p_auc = {a: paper_cell("classification", "test_auroc", model=model, activation=a)[0]
             for a in ("exponential", "relu")}
    row = paired_claim(shifted, claim=f"{model}: test AUROC, exponential + 0.01 > relu (no accuracy cost)",
                       value="shifted_auroc", group="activation", higher="exponential", lower="relu", where=where,
                       paper_higher=p_auc["exponential"], paper_lower=p_auc["relu"], claim_id="C3")
    row["statistic"] = "test_auroc"
    if math.isfinite(row["ours_higher"]):
        row["ours_higher"] -= 0.01                        # show the exponential's own AUROC
    rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def attribution_claims(claims_table: pd.DataFrame, attributions: pd.DataFrame) -> pd.DataFrame:
    """Claims C7, C7a, C8 from :func:`seqlib.book.attribution_quality.claims_table`, and the gradient-correction
    findings beyond the paper.

    Parameters
    ----------
    claims_table : DataFrame
        :func:`seqlib.book.attribution_quality.claims_table` output (judged rows with their ids).
    attributions : DataFrame
        :func:`seqlib.book.attribution_quality.attribution_table` rows (``model``, ``activation``, ``trial``,
        ``method``, ``correct``, ``auroc`` and the adequacy columns) with and without correction; each method ×
        model × activation that has both becomes a finding beyond the paper, "corrected > uncorrected" (ISM has no
        gradient to correct, so no row).

    Returns
    -------
    DataFrame with :data:`COLUMNS`.
    """
    rows = claims_table.assign(beyond=False, conditions="").reindex(columns=COLUMNS).to_dict("records")
    both = attributions.assign(correct=attributions["correct"].astype(bool))
    keys = ["method", "model", "activation"]
    corrected = both.groupby(keys, sort=False)["correct"].nunique() == 2
    for method, model, act in corrected.index[corrected.to_numpy()]:
        rows.append(paired_claim(both, claim=f"{model} {act}: {method} AUROC, gradient-corrected > uncorrected",
                                 value="auroc", group="correct", higher=True, lower=False,
                                 where={"method": method, "model": model, "activation": act},
                                 claim_id="B-correction", beyond=True))
    return pd.DataFrame(rows, columns=COLUMNS)


def _plain(value):
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else round(float(value), 4)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def publish(rows, *, settings: dict | None = None, show: bool = True) -> pd.DataFrame:
    """Show a chapter's judged claims and glue them (key ``"claims"``) for the Claims page.

    Parameters
    ----------
    rows : DataFrame or list of dict
        Rows with (at least) ``claim``, ``verdict`` and the other :data:`COLUMNS` where known.
    settings : dict, optional
        The chapter's profile; its name is stored with every row.
    show : bool
        Show the table (the chapter's verdict per claim part).

    Returns
    -------
    DataFrame with :data:`COLUMNS` and ``profile``.
    """
    table = pd.DataFrame(list(rows) if not isinstance(rows, pd.DataFrame) else rows)
    if table.empty and not len(table.columns):             # a chapter that judged nothing in this build
        table = pd.DataFrame(columns=["claim", "verdict"])
    missing = {"claim", "verdict"} - set(table.columns)
    if missing:
        raise ShapeError(f"a claims table needs the columns {sorted(missing)}")
    for column in COLUMNS:
        if column not in table:
            table[column] = False if column == "beyond" else ("" if column in ("id", "statistic", "reason",
                                                                               "conditions") else float("nan"))
    table["profile"] = (settings or {}).get("profile", "")
    table = table[COLUMNS + ["profile"]]
    records = [{k: _plain(v) for k, v in row.items()} for row in table.to_dict("records")]
    try:
        from myst_nb import glue  # lazy: myst-nb is the book extra's, and glue only works inside a notebook
        glue(GLUE_KEY, records, display=False)
    except ImportError:                                   # outside a book environment
        pass
    if show:
        _show(pd.DataFrame([{"id": r["id"], "claim": r["claim"], "verdict": _verdict_cell(r), **_cells(r)}
                            for r in records]))
    return table


def _show(table: pd.DataFrame) -> None:
    """An HTML table in a notebook (columns wrap on the page, nothing hidden past the right edge); text elsewhere."""
    try:
        from IPython import get_ipython  # lazy: only a notebook kernel shows HTML
        from IPython.display import display
        in_kernel = get_ipython() is not None and hasattr(get_ipython(), "kernel")
    except ImportError:
        in_kernel = False
    if in_kernel:
        display(table.style.hide(axis="index"))
    else:
        print(table.to_string(index=False))


def chapter_claims(path) -> list[dict]:
    """The claims an executed notebook glued (empty when it glued none), each with its ``chapter``."""
    path = Path(path)
    nb = json.loads(path.read_text())
    rows = glued(nb, GLUE_KEY) or []
    return [{**row, "chapter": path.stem} for row in rows]


# ----------------------------------------------------------------------------- the page

def _num(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or value == "":
        return "–"
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        return f"{value:.{digits}f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _verdict_cell(r: dict) -> str:
    reason = r.get("reason") or ""
    return f"{r['verdict']}: {reason}" if reason else str(r["verdict"])


def _cells(r: dict) -> dict:
    """One claim part's numbers as the Claims page and the chapters show them."""
    n_pairs = r.get("n_pairs")
    has_pairs = n_pairs is not None and pd.notna(n_pairs) and n_pairs > 0
    low, high = r.get("paper_low"), r.get("paper_high")
    paper_range = f" [{_num(low)}, {_num(high)}]" if _num(low) != "–" else ""
    trained = []
    if r.get("trials"):
        trained.append(f"{int(r['trials'])} trials")
    if r.get("epochs"):
        trained.append(f"{int(r['epochs'])} epochs")
    if _num(r.get("auroc_higher")) != "–":
        trained.append(f"test AUROC {_num(r.get('auroc_higher'))} / {_num(r.get('auroc_lower'))}")
    return {"ours (A / B)": f"{_num(r.get('ours_higher'))} / {_num(r.get('ours_lower'))}",
            "paper (A / B)": f"{_num(r.get('paper_higher'))} / {_num(r.get('paper_lower'))}{paper_range}",
            "A > B in": f"{r['fraction'] * 100:.0f} % of {int(n_pairs)} pairs" if has_pairs else "–",
            "runs": ", ".join(trained) or "–"}


def claim_verdicts(rows: Iterable[dict], chapters_present: Iterable[str] = ()) -> list[dict]:
    """One verdict per claim id of :data:`PAPER_CLAIMS`, in the paper's order, from the rows of every chapter.

    Returns
    -------
    list of dict with ``id``, ``statement``, ``chapter``, ``verdict`` (:func:`seqlib.book.verdict.combine` of its
    parts), ``reason`` (why it is not run or inconclusive, which parts failed, or which fell outside the paper's
    range; empty when reproduced) and ``parts`` (its rows)
    """
    rows = [r for r in rows if not r.get("beyond")]
    present = set(chapters_present)
    out = []
    for cid, (statement, chapter, why, command) in PAPER_CLAIMS.items():
        parts = [r for r in rows if r.get("id") == cid]
        if not parts:
            where = why or ("its chapter reported no trials for it in this build" if chapter in present
                            else "its chapter is not part of this build")
            out.append({"id": cid, "statement": statement, "chapter": chapter if chapter in present else "",
                        "verdict": "not run", "reason": f"{where}; `{command}` runs it", "parts": []})
            continue
        verdict = combine([p["verdict"] for p in parts])
        if verdict in ("inconclusive", "not run"):
            reason = _open_reasons(parts)
            if command:
                reason += f"{'; ' if reason else ''}`{command}` tests it at the paper's budget"
        elif verdict == "not reproduced":           # name the parts whose direction failed
            reason = "; ".join(f"{p['claim']}: higher in {p['fraction']:.0%} of {int(p['n_pairs'])} pairs"
                               for p in parts if p["verdict"] == "not reproduced")
        elif verdict == "direction only":
            reason = "; ".join(f"{p['claim']}: {p['reason']}" for p in parts if p["verdict"] == "direction only")
        else:
            reason = ""
        out.append({"id": cid, "statement": statement, "chapter": parts[0].get("chapter", chapter),
                    "verdict": verdict, "reason": reason, "parts": parts})
    return out


#: A part's "`command` runs it" clause (the claim's row names the command once).
_COMMAND = re.compile(r";? ?`[^`]+` (runs (it|them)|tests it at the paper's budget)")
_SIDE = re.compile(r"([\w.-]+ [\w.-]+), (\d+) epochs: ([^;)]*(?:\([^)]*\))?[^;)]*)")


#: The figure a part's claim names at its end, e.g. "(Supp 5b)".
_PART_FIGURE = re.compile(r"\(([^()]+)\)\s*$")


def _open_reasons(parts: list[dict]) -> str:
    """Why a claim could not be judged, from its parts that were not run or are inconclusive. When a claim has
    several parts and each names its figure, each reason says which parts it is for ("Supp 5b, Supp 5a: …"), so
    that reasons of different parts do not read as one sentence."""
    open_parts = [p for p in parts if p["verdict"] in ("inconclusive", "not run")]
    figures = [_PART_FIGURE.search(str(p["claim"])) for p in open_parts]
    label = len(parts) > 1 and all(figures)
    grouped: dict[str, list[str]] = {}
    for part, figure in zip(open_parts, figures):
        text = _COMMAND.sub("", _short_reason(part.get("reason") or ""))
        if text:
            names = grouped.setdefault(text, [])
            if label and figure.group(1) not in names:
                names.append(figure.group(1))
    return "; ".join(f"{', '.join(names)}: {text}" if names else text for text, names in grouped.items())


def _short_reason(reason: str) -> str:
    """A part's reason as the claim's summary row shows it: under-trained sides named once each, compactly."""
    if not reason.startswith("under-trained"):
        return reason
    sides = []
    for label, epochs, problems in _SIDE.findall(reason):
        words = []
        auroc = re.search(r"test AUROC ([\d.]+) < ([\d.]+)", problems)
        if auroc:
            words.append(f"test AUROC {auroc.group(1)} < {auroc.group(2)}")
        if "still rising" in problems or "too few epochs" in problems:
            words.append("not levelled off")
        sides.append(f"{label} ({epochs} epochs: {', '.join(words)})")
    return "under-trained: " + "; ".join(dict.fromkeys(sides)) if sides else reason


def _parts_table(parts: list[dict], *, conditions: bool) -> list[str]:
    head = ["part", "verdict", "ours (A / B)", "paper (A / B) [range]", "A > B in", "runs"]
    if conditions:
        head.insert(1, "conditions: ours / paper")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for p in parts:
        c = _cells(p)
        cells = [str(p["claim"]), f"**{p['verdict']}**" + (f": {p['reason']}" if p.get("reason") else ""),
                 c["ours (A / B)"], c["paper (A / B)"], c["A > B in"], c["runs"]]
        if conditions:
            cells.insert(1, p.get("conditions") or "–")
        lines.append("| " + " | ".join(x.replace("|", "/") for x in cells) + " |")
    return lines


def _chapter_link(chapter: str) -> str:
    return f"{{doc}}`chapter {chapter[:2]} <{chapter}>`" if chapter else "not in this build"


def claims_markdown(rows: Iterable[dict], chapters_present: Iterable[str] = ()) -> str:
    """The Claims page (MyST markdown) from the rows of every chapter."""
    rows = list(rows)
    verdicts = claim_verdicts(rows, chapters_present)
    counts = pd.Series([v["verdict"] for v in verdicts]).value_counts()
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    profiles = sorted({str(r.get("profile")) for r in rows if r.get("profile")})
    out = ["(claims)=", "# Claims: the paper's, judged on this build", "",
           "Generated from the executed chapters (`seqlib claims book/chapters`, part of `make book`); nothing on "
           "this page is typed by hand. Each claim is judged on this build's own trials"
           + (f" (profile: {', '.join(profiles)})" if profiles else "") + ", which train far fewer epochs and "
           "trials than the paper at the quick profile: see each chapter's budget and the {doc}`status` page.", "",
           f"**This build, {len(verdicts)} claims:** {summary}. The rule is stated {{ref}}`below <claims-rule>`.", "",
           "## The paper's claims", "",
           "| claim | verdict | why / where |", "|---|---|---|"]
    for v in verdicts:
        why = (v["reason"] + (f" ({_chapter_link(v['chapter'])})" if v["chapter"] else "")) if v["reason"] \
            else _chapter_link(v["chapter"])
        out.append(f"| **{v['id']}** {v['statement']} | **{v['verdict']}** | {why.replace('|', '/')} |")
    out += ["", "Each claim's parts, with the numbers behind its verdict (A and B are the two sides of a part in the "
            "order it is written, for example exponential / relu; ours are medians over this build's trials, the "
            "paper's are its figure medians or printed means, with the range our median must fall in):", ""]
    for v in verdicts:
        if not v["parts"]:
            continue
        conditions = any(p.get("conditions") for p in v["parts"])
        title = f"{v['id']}: {v['verdict']} ({len(v['parts'])} part{'s' if len(v['parts']) != 1 else ''})"
        out += [f":::{{dropdown}} {title}", f"{v['statement']} Judged in {_chapter_link(v['chapter'])}.", "",
                *_parts_table(v["parts"], conditions=conditions), ":::", ""]
    out += ["(claims-rule)=", "## The rule", "", rule_text(), ""]
    beyond = [r for r in rows if r.get("beyond")]
    out += ["## Beyond the paper", ""]
    if beyond:
        out += ["Findings the paper did not report, judged by the same rule without a paper range: a finding "
                "**holds** when its direction holds, **does not hold** when it fails, and is **inconclusive** when "
                "the runs behind it are under-trained or too few.", "",
                *_parts_table(beyond, conditions=False), ""]
    else:
        out += ["No chapter of this build reported a beyond-the-paper comparison.", ""]
    return "\n".join(out)


def summary_markdown(rows: Iterable[dict], chapters_present: Iterable[str] = ()) -> str:
    """The sentence the book's first page includes: which claims this build reproduced, found in direction only,
    could not decide, did not reproduce, and did not run."""
    verdicts = claim_verdicts(list(rows), chapters_present)
    by = {}
    for v in verdicts:
        by.setdefault(v["verdict"], []).append(v["id"])
    order = [("reproduced", "reproduced"), ("direction only", "reproduced in direction only (our median outside "
                                                              "the paper's range)"),
             ("not reproduced", "not reproduced"), ("inconclusive", "inconclusive (runs under-trained or too few "
                                                                  "at this build's budget)"),
             ("not run", "not run in this build")]
    parts = [f"{label}: {', '.join(by[key])}" for key, label in order if by.get(key)]
    return (f"Of the paper's {len(verdicts)} claims, judged by one rule on this build's own trials ({{ref}}`claims`): "
            + "; ".join(parts) + ".\n")


def _record_table(csv_path) -> pd.DataFrame:
    """A recorded paper-profile run table with the adequacy columns: runs stopped early (at least
    :data:`~seqlib.book.verdict.PLATEAU_EPOCHS` epochs after their best) have levelled off."""
    table = pd.read_csv(csv_path)
    if "repeat_of_earlier_call" in table:
        table = table[~table["repeat_of_earlier_call"].astype(bool)]
    waited = table["epochs_trained"] - table["best_epoch"] >= PLATEAU_EPOCHS
    return table.assign(late_gain=np.where(waited, 0.0, np.nan))


def record_markdown(csv_path) -> list[str]:
    """A section of the Claims page from a recorded paper-profile run table (``benchmarks/gpu/*.csv``: one row
    per run with activation, trial, model, task, match_fraction, test_auroc, epochs_trained, best_epoch; rows with
    ``repeat_of_earlier_call`` true are repeats and are dropped): per-activation medians beside the paper's Fig 1c
    and the C1-C3 verdicts on those runs, by the same rule."""
    table = _record_table(csv_path)
    first = table.iloc[0]
    lines = [f"## The paper profile on a GPU (recorded run, `{Path(csv_path).name}`)", "",
             f"The paper's protocol (at most 100 epochs, early stopping with patience 20, the full Task-1 data), "
             f"trained on {first.get('device', 'a GPU')} with the Keras backend {first.get('backend', '?')} by "
             f"`benchmarks/gpu_headline.sh` and scored on the CPU with this package's filter pipeline "
             f"(`benchmarks/gpu_score.py`); its README gives the commands, versions and timings. It is a record of "
             f"that run, read from the file, not recomputed by this build. A run that stopped early, at least "
             f"{PLATEAU_EPOCHS} epochs after its best epoch, has levelled off.", "",
             "| model | activation | trials | median match fraction [IQR] | paper | median test AUROC | median epochs |",
             "|---|---|---|---|---|---|---|"]
    for (model, act), g in table.groupby(["model", "activation"], sort=False):
        paper, _ = paper_cell("Fig 1c", "match_fraction", model=model, activation=act)
        q1, q3 = np.percentile(g["match_fraction"], [25, 75])
        lines.append(f"| {model} | {act} | {len(g)} | {g['match_fraction'].median():.3f} [{q1:.3f}, {q3:.3f}] | "
                     f"{_num(paper)} | {g['test_auroc'].median():.4f} | {g['epochs_trained'].median():.0f} |")
    judged = filter_claims(table, model=str(first["model"]))
    lines += ["", "The same rule on these runs (paired by seed):", "",
              *_parts_table([{**r, "profile": "paper (recorded)"} for r in judged.to_dict("records")],
                            conditions=False), ""]
    return lines


def claims_page(chapters_dir, out=None, records: Sequence = ()) -> Path:
    """Write the Claims page from the executed notebooks in ``chapters_dir`` (default ``claims.md`` there), with a
    section per recorded paper-profile run table in ``records`` (:func:`record_markdown`), and the first page's
    summary sentence beside it (``claims_summary.md``, :func:`summary_markdown`)."""
    chapters_dir = Path(chapters_dir)
    notebooks = executed_chapters(chapters_dir)
    rows = [row for nb in notebooks for row in chapter_claims(nb)]
    present = [p.stem for p in notebooks]
    out = Path(out) if out is not None else chapters_dir / "claims.md"
    text = claims_markdown(rows, present)
    for record in records:
        text += "\n" + "\n".join(record_markdown(record))
    with atomic_path(out, suffix=".md") as tmp:
        tmp.write_text(text + "\n")
    with atomic_path(out.with_name("claims_summary.md"), suffix=".md") as tmp:
        tmp.write_text(summary_markdown(rows, present))
    return out
