"""The paper's claims, judged on this build's trials by one stated rule, and the generated Claims page.

Each chapter judges the claims it tests with :func:`paired_claim` (or any table with :data:`COLUMNS`) and
hands its rows to :func:`publish`, which shows them as a table and glues them into the executed notebook
(key ``"claims"``). ``python -m seqlib.claims CHAPTERS_DIR`` (``make claims``) reads every executed chapter
and writes ``book/chapters/claims.md``: the rule, one table of the paper's claims in the paper's order
(:data:`PAPER_CLAIMS`; a claim no chapter judged in this build is listed as *not run*, with the reason), and
the beyond-the-paper findings.

The rule (:func:`seqlib.metrics.claim_verdict`): a claim "A beats B" is **reproduced** when A > B in at least
80 % of the trials paired by seed and our median of A lies in the paper's range (its interquartile range,
or mean ± std where only that is printed); **partly** when only the median paired difference has the
claimed sign; **not reproduced** otherwise; **not run** when this build has no trials for it.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .errors import ShapeError

__all__ = ["COLUMNS", "PAPER_CLAIMS", "RULE", "paired_claim", "publish", "chapter_claims", "claims_markdown",
           "claims_page", "filter_claims", "attribution_claims", "GLUE_KEY"]

GLUE_KEY = "claims"

#: Columns of a claims table (one row per claim judged).
COLUMNS = ["id", "claim", "statistic", "ours_higher", "ours_lower", "paper_higher", "paper_lower", "fraction",
           "n_pairs", "verdict", "beyond"]

#: The verdicts of a beyond-the-paper finding (same rule, no paper range).
BEYOND_VERDICTS = {"reproduced": "holds", "partly": "partly", "not reproduced": "does not hold"}

#: Where the paper gives a value but no range, our median must lie within this distance of it.
TOLERANCE = 0.05

RULE = ("A claim \"A beats B\" is **reproduced** when A > B in at least 80 % of this build's trials paired by "
        "seed and our median of A lies inside the paper's range (its interquartile range read from the figure, or "
        "its mean ± std where only that is printed, or its value ± 0.05 where it gives no spread; a range read off "
        "a figure is widened by its reading error, ±0.01; where it gives no "
        "number at all, the direction alone decides); "
        "**partly** when the median paired difference still has the claimed sign; **not reproduced** otherwise; "
        "**not run** when this build trained nothing for it (the reason is given).")

#: The paper's claims in the paper's order: id -> (statement, chapter that judges it, why it cannot run in a
#: default build, or "" when it runs wherever its chapter runs).
PAPER_CLAIMS: dict[str, tuple[str, str, str]] = {
    "C1": ("Task 1: CNN-deep's first-layer filters match the planted motifs more often with an exponential "
           "activation than with relu (Fig 1c).", "02_filter_representations", ""),
    "C2": ("Task 1: the exponential beats every other activation (sigmoid, tanh, softplus, linear, elu) on "
           "CNN-deep's match fraction (Fig 1c).", "02_filter_representations", ""),
    "C3": ("Task 1: the exponential costs no classification accuracy (CNN-deep test AUROC within 0.01 of relu).",
           "02_filter_representations", ""),
    "C4": ("Task 1: scanning with exponential filters localises the planted motifs better than with relu "
           "filters (Extended Data Fig 1c,d).", "03_scan_localisation", ""),
    "C5": ("The exponential's advantage holds for every first-layer initialiser (Supp Fig 5a).",
           "04_initialization_robustness", ""),
    "C6": ("It holds over initial scales, with or without first-layer batch norm, for exponential scales "
           "0.5-2, and for any reasonable PPM threshold (Supp Figs 5b, 9, 15).",
           "04_initialization_robustness", ""),
    "C7": ("Task 3: saliency maps are more faithful to the planted motifs with an exponential first layer, for "
           "CNN-local and CNN-dist (Fig 2b,c).", "05_attribution_quality", ""),
    "C7a": ("Task 3: CNN-dist classifies better than CNN-local whatever the first-layer activation (Fig 2a).",
            "05_attribution_quality", ""),
    "C8": ("Task 3: in-silico mutagenesis, integrated gradients and DeepSHAP agree with saliency (Extended Data "
           "Fig 2).", "05_attribution_quality", ""),
    "C9": ("In vivo (ZBED2, IRF1): saliency maps of exponential models are sparser and cleaner (Fig 3b,c; the "
           "paper shows examples, no number).", "06_in_vivo", ""),
    "C10": ("Task 2 (DeepSEA, 12 K562 TFs): exponential filters match more JASPAR motifs (Fig 1d).",
            "02_filter_representations", "the DeepSEA subset is not shipped (about 1.4 GB); put it in data/ "
                                         "and rerun chapter 02"),
}


def paired_claim(table: pd.DataFrame, *, claim: str, value: str, group: str, higher: str, lower: str,
                 where: dict | None = None, paper_higher: float = float("nan"), paper_lower: float = float("nan"),
                 paper_range: Sequence[float] | None = None, claim_id: str = "", beyond: bool = False) -> dict:
    """Judge "``higher`` beats ``lower`` on ``value``" on the trials of ``table``, paired by ``trial``.

    Parameters
    ----------
    table : DataFrame
        One row per run or per trial, with columns ``trial``, ``group`` and ``value`` (and those of ``where``).
    claim : str
        The claim in words (a row of the page).
    value, group : str
        The compared statistic (e.g. ``"match_fraction"``) and the column whose values are compared
        (e.g. ``"activation"``).
    higher, lower : str
        The two values of ``group``; the claim is that ``higher`` has the larger ``value``.
    where : dict, optional
        Column -> value filters applied first (e.g. ``{"model": "cnn-deep"}``).
    paper_higher, paper_lower : float
        The paper's medians or means (NaN where it has none).
    paper_range : (float, float), optional
        Where our median of ``higher`` must lie for "reproduced" (the paper's IQR or mean ± std). Default:
        ``paper_higher`` ± :data:`TOLERANCE` when the paper has a value, else no condition.
    claim_id : str
        An id of :data:`PAPER_CLAIMS`, or a short id of a beyond-the-paper finding.
    beyond : bool
        A finding beyond the paper (listed in its own section of the page).

    Returns
    -------
    dict with the keys of :data:`COLUMNS`.
    """
    from .metrics import claim_verdict

    sub = table
    for column, wanted in (where or {}).items():
        sub = sub[sub[column] == wanted]
    for column in ("trial", group, value):
        if column not in sub:
            raise ShapeError(f"the table has no column {column!r} (columns: {list(table.columns)})")
    sub = sub.assign(**{group: sub[group].astype(str)})        # booleans (e.g. "correct") as column labels
    wide = sub.pivot_table(index="trial", columns=group, values=value, aggfunc="median")
    higher, lower = str(higher), str(lower)
    if higher in wide and lower in wide:
        pairs = wide[[higher, lower]].dropna()
        a, b = pairs[higher].to_numpy(), pairs[lower].to_numpy()
    else:
        a = b = np.array([])
    if paper_range is None and math.isfinite(float(paper_higher)):
        paper_range = (float(paper_higher) - TOLERANCE, float(paper_higher) + TOLERANCE)
    res = claim_verdict(a, b, paper_range)
    verdict = res["verdict"] if res["n_pairs"] else "not run"
    if beyond:                                             # nothing to reproduce: the finding holds or not
        verdict = BEYOND_VERDICTS.get(verdict, verdict)
    return {"id": claim_id, "claim": claim, "statistic": value,
            "ours_higher": float(np.median(a)) if len(a) else float("nan"),
            "ours_lower": float(np.median(b)) if len(b) else float("nan"),
            "paper_higher": float(paper_higher), "paper_lower": float(paper_lower),
            "fraction": res["fraction"], "n_pairs": res["n_pairs"], "verdict": verdict, "beyond": bool(beyond)}


#: Reading error of a value read off the paper's figures (source "F"): its range is widened by this much.
READING_ERROR = 0.01


def _paper_iqr(figure: str, statistic: str, task: str = "task1", **filters):
    """The paper's (median, (q1, q3) or None) for one cell of ``paper_numbers.csv``; NaN median when absent.
    A range read off a figure (source "F") is widened by :data:`READING_ERROR` on each side."""
    from .paper import paper_numbers

    rows = paper_numbers(figure=figure, statistic=statistic, task=task, **filters)
    if len(rows) != 1:
        return float("nan"), None
    row = rows.iloc[0]
    q = (row["q1"], row["q3"])
    if any(pd.isna(v) for v in q):
        return float(row["value"]), None
    pad = READING_ERROR if str(row["source"]).strip() == "F" else 0.0
    return float(row["value"]), (float(q[0]) - pad, float(q[1]) + pad)


def filter_claims(table: pd.DataFrame, model: str = "cnn-deep") -> pd.DataFrame:
    """Claims C1-C3 (Task 1, Fig 1c and classification) judged on a :func:`seqlib.experiments.filter_table`.

    C1: exponential > relu on match fraction; C2: exponential > each other activation present; C3: the
    exponential costs no accuracy, judged as "exponential's test AUROC + 0.01 > relu's" (the paper's CNN-deep
    AUROCs differ by less than 0.01).

    Parameters
    ----------
    table : DataFrame
        One row per run with ``model``, ``activation``, ``trial``, ``match_fraction`` and ``test_auroc``.
    model : str

    Returns
    -------
    DataFrame with :data:`COLUMNS`.
    """
    rows = []
    where = {"model": model}
    p_exp, iqr = _paper_iqr("Fig 1c", "match_fraction", model=model, activation="exponential")
    p_relu, _ = _paper_iqr("Fig 1c", "match_fraction", model=model, activation="relu")
    rows.append(paired_claim(table, claim=f"{model}: match fraction, exponential > relu", value="match_fraction",
                             group="activation", higher="exponential", lower="relu", where=where,
                             paper_higher=p_exp, paper_lower=p_relu, paper_range=iqr, claim_id="C1"))
    others = [a for a in dict.fromkeys(table.loc[table.model == model, "activation"])
              if a not in ("exponential", "relu")]
    for act in others:
        p_other, _ = _paper_iqr("Fig 1c", "match_fraction", model=model, activation=act)
        rows.append(paired_claim(table, claim=f"{model}: match fraction, exponential > {act}", value="match_fraction",
                                 group="activation", higher="exponential", lower=act, where=where,
                                 paper_higher=p_exp, paper_lower=p_other, paper_range=iqr, claim_id="C2"))
    shifted = table.copy()
    shifted.loc[shifted.activation == "exponential", "test_auroc"] += 0.01
    p_auc = {a: _paper_iqr("classification", "test_auroc", model=model, activation=a)[0]
             for a in ("exponential", "relu")}
    row = paired_claim(shifted, claim=f"{model}: test AUROC, exponential + 0.01 > relu (no accuracy cost)",
                       value="test_auroc", group="activation", higher="exponential", lower="relu", where=where,
                       paper_higher=p_auc["exponential"], paper_lower=p_auc["relu"], claim_id="C3")
    if math.isfinite(row["ours_higher"]):
        row["ours_higher"] -= 0.01                        # show the exponential's own AUROC
    rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def attribution_claims(claims_table: pd.DataFrame, attributions: pd.DataFrame) -> pd.DataFrame:
    """Claims C7, C7a, C8 from :func:`seqlib.attribution.claims_table`, and the gradient-correction findings.

    Parameters
    ----------
    claims_table : DataFrame
        :func:`seqlib.attribution.claims_table` output (its ``claim`` text names the figure).
    attributions : DataFrame
        :func:`seqlib.attribution.attribution_table` rows (``model``, ``activation``, ``trial``, ``method``,
        ``correct``, ``auroc``) with and without correction; each method × model × activation that has both
        becomes a beyond-the-paper row "corrected > uncorrected" (ISM has no gradient to correct, so no row).

    Returns
    -------
    DataFrame with :data:`COLUMNS`.
    """
    paper = claims_table.copy()
    text = paper["claim"].astype(str)
    paper["id"] = np.where(text.str.contains("ExtData 2"), "C8",
                           np.where(text.str.contains("classification"), "C7a", "C7"))
    paper["statistic"] = np.where(paper["id"] == "C7a", "test_auroc", "auroc")
    paper["beyond"] = False
    rows = paper.reindex(columns=COLUMNS).to_dict("records")
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
        Print the table (the chapter's "verdict per claim").

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
            table[column] = False if column == "beyond" else ("" if column in ("id", "statistic") else float("nan"))
    table["profile"] = (settings or {}).get("profile", "")
    table = table[COLUMNS + ["profile"]]
    records = [{k: _plain(v) for k, v in row.items()} for row in table.to_dict("records")]
    try:
        from myst_nb import glue
        glue(GLUE_KEY, records, display=False)
    except ImportError:                                   # outside a book environment
        pass
    if show:
        _show(pd.DataFrame([{"id": r["id"], "claim": r["claim"], **_cells(r), "verdict": r["verdict"]}
                            for r in records], columns=["id", "claim", "ours (A / B)", "paper (A / B)", "A > B in",
                                                        "verdict"]))
    return table


def _show(table: pd.DataFrame) -> None:
    """An HTML table in a notebook (columns wrap on the page, nothing hidden past the right edge); text elsewhere."""
    try:
        from IPython import get_ipython
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
    from .status import _glued

    path = Path(path)
    nb = json.loads(path.read_text())
    rows = _glued(nb, GLUE_KEY) or []
    return [{**row, "chapter": path.stem} for row in rows]


def _num(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _cells(r: dict) -> dict:
    """One claim row's numbers as the Claims page and the chapters show them."""
    n_pairs = r.get("n_pairs")
    has_pairs = pd.notna(n_pairs) and n_pairs > 0
    return {"ours (A / B)": f"{_num(r.get('ours_higher'))} / {_num(r.get('ours_lower'))}",
            "paper (A / B)": f"{_num(r.get('paper_higher'))} / {_num(r.get('paper_lower'))}",
            "A > B in": f"{r['fraction'] * 100:.0f} % of {int(n_pairs)} pairs" if has_pairs else "–"}


def _table(rows: list[dict]) -> list[str]:
    lines = ["| claim | chapter | ours (A / B) | paper (A / B) | A > B in | profile | verdict |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        c = _cells(r)
        chapter = f"{{doc}}`{r['chapter'][:2]} <{r['chapter']}>`" if r.get("chapter") else "–"
        lines.append(f"| {r['claim']} | {chapter} | {c['ours (A / B)']} | {c['paper (A / B)']} | {c['A > B in']} | "
                     f"{r.get('profile') or '–'} | **{r['verdict']}** |")
    return lines


def _other_rule(row: dict) -> bool:
    """A row a chapter judged by another rule than the paired one (its ``statistic`` says which)."""
    return "within" in str(row.get("statistic") or "")


def claims_markdown(rows: Iterable[dict], chapters_present: Iterable[str] = ()) -> str:
    """The Claims page (MyST markdown) from the rows of every chapter."""
    rows = list(rows)
    present = set(chapters_present)
    paper_rows, beyond_rows = [], [r for r in rows if r.get("beyond")]
    judged = [r for r in rows if not r.get("beyond")]
    for cid, (statement, chapter, why) in PAPER_CLAIMS.items():
        mine = [r for r in judged if r.get("id") == cid]
        if mine:
            paper_rows += [{**r, "claim": f"{cid}: {r['claim']}" + (" †" if _other_rule(r) else "")} for r in mine]
        else:
            reason = why or ("its chapter reported no trials for it in this build" if chapter in present
                             else "its chapter is not part of this build")
            paper_rows.append({"claim": f"{cid}: {statement} *({reason})*", "chapter": chapter if chapter in present
                               else "", "verdict": "not run"})
    paper_rows += [r for r in judged if r.get("id") not in PAPER_CLAIMS]
    counts = pd.Series([r["verdict"] for r in paper_rows]).value_counts()
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    out = ["(claims)=", "# Claims: the paper's, judged on this build", "",
           "Generated from the executed chapters (`python -m seqlib.claims book/chapters`, part of `make book`); "
           "nothing on this page is typed by hand. Each row is judged on this build's own trials: what a row "
           "says holds for the profile it names (the quick profile trains far fewer epochs and trials than the "
           "paper; see each chapter's budget and the {doc}`status` page).", "",
           f"**The rule.** {RULE}", "",
           f"**This build:** {summary}.", "",
           "## The paper's claims", "", *_table(paper_rows), "",
           "A and B are the two sides of each claim in the order it is written (for example exponential / relu); "
           "ours are medians over this build's trials, the paper's are its medians (read from its figures) or "
           "the means its notebooks print.", ""]
    others = [r for r in paper_rows if _other_rule(r)]
    if others:
        out += ["† Judged condition by condition rather than on paired trials, because the paper reports these "
                "claims as one median per condition: " + "; ".join(sorted({str(r.get('statistic')) for r in others}))
                + ". The chapter states the rule beside its table.", ""]
    out += ["## Beyond the paper", ""]
    if beyond_rows:
        out += ["Findings the paper did not report, judged by the same rule on paired trials, without a paper range: a "
                "finding **holds** when it is true in at least 80 % of the pairs, holds **partly** when only the "
                "median paired difference has its sign, and **does not hold** otherwise.", "",
                *_table(beyond_rows), ""]
    else:
        out += ["No chapter of this build reported a beyond-the-paper comparison.", ""]
    return "\n".join(out)


def record_markdown(csv_path) -> list[str]:
    """A section of the Claims page from a recorded paper-profile run table (``benchmarks/gpu/*.csv``: one row
    per run with activation, trial, model, match_fraction, test_auroc, epochs_trained; rows with
    ``repeat_of_earlier_call`` true are repeats and are dropped): per-activation medians beside the paper's Fig 1c
    and the C1-C3 verdicts on those runs."""
    table = pd.read_csv(csv_path)
    if "repeat_of_earlier_call" in table:
        table = table[~table["repeat_of_earlier_call"].astype(bool)]
    first = table.iloc[0]
    lines = [f"## The paper profile on a GPU (recorded run, `{Path(csv_path).name}`)", "",
             f"The paper's protocol (at most 100 epochs, early stopping with patience 20, the full Task-1 data), "
             f"trained on {first.get('device', 'a GPU')} with the Keras backend {first.get('backend', '?')} by "
             f"`benchmarks/gpu_headline.sh` and scored on the CPU with this package's filter pipeline "
             f"(`benchmarks/gpu_score.py`); its README gives the commands, versions and timings. It is a record of "
             f"that run, read from the file, not recomputed by this build.", "",
             "| model | activation | trials | median match fraction [IQR] | paper | median test AUROC | median epochs |",
             "|---|---|---|---|---|---|---|"]
    for (model, act), g in table.groupby(["model", "activation"], sort=False):
        paper, _ = _paper_iqr("Fig 1c", "match_fraction", model=model, activation=act)
        q1, q3 = np.percentile(g["match_fraction"], [25, 75])
        lines.append(f"| {model} | {act} | {len(g)} | {g['match_fraction'].median():.3f} [{q1:.3f}, {q3:.3f}] | "
                     f"{_num(paper)} | {g['test_auroc'].median():.4f} | {g['epochs_trained'].median():.0f} |")
    judged = filter_claims(table, model=str(first["model"]))
    lines += ["", "The same rule on these runs (paired by seed):", "",
              *_table([{**r, "chapter": "", "profile": "paper (recorded)"} for r in judged.to_dict("records")]), ""]
    return lines


def claims_page(chapters_dir, out=None, records: Sequence = ()) -> Path:
    """Write the Claims page from the executed notebooks in ``chapters_dir`` (default ``claims.md`` there),
    with a section per recorded paper-profile run table in ``records`` (:func:`record_markdown`)."""
    from ._io import atomic_path

    from .status import executed_chapters

    chapters_dir = Path(chapters_dir)
    notebooks = executed_chapters(chapters_dir)
    rows = [row for nb in notebooks for row in chapter_claims(nb)]
    out = Path(out) if out is not None else chapters_dir / "claims.md"
    with atomic_path(out, suffix=".md") as tmp:
        text = claims_markdown(rows, [p.stem for p in notebooks])
        for record in records:
            text += "\n" + "\n".join(record_markdown(record))
        tmp.write_text(text + "\n")
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m seqlib.claims CHAPTERS_DIR [RECORD.csv ...]", file=sys.stderr)
        return 2
    if not Path(argv[0]).is_dir():
        print(f"not a folder of executed chapters: {argv[0]}", file=sys.stderr)
        return 2
    missing = [r for r in argv[1:] if not Path(r).is_file()]
    if missing:
        print(f"no such recorded run table: {', '.join(missing)}", file=sys.stderr)
        return 2
    print(f"claims page: {claims_page(argv[0], records=argv[1:])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
