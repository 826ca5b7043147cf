"""Initialisation robustness and controls beyond the paper (Supp Figs 3, 4, 5, 9, 15; Methods §9.1–§9.4, §9.6).

Every control is a CNN-deep run on Task 1 that differs from the Fig 1c run in one field of its
:class:`seqlib.runs.RunConfig`, so the grids below are lists of configs for :func:`seqlib.runs.run_grid`:

* **variants** (:data:`VARIANTS`): ``relu``, ``exponential`` and ``exponential-nobn`` (the exponential in
  ``cnn-deep-nobn``, without the first layer's batch norm), the three columns of Supp Fig 5;
* **initialisers** (Supp Fig 5a): the first conv's Keras initialiser (``initializer``);
* **σ sweep** (Supp Fig 5b): ``RandomNormal(mean 0, stddev σ)`` for the first conv (``initializer_params``);
* **scale sweep** (Supp Fig 9): the activation exp(s·z) (``activation="exp_scale"``, ``activation_params``);
  s = 1 is the exponential itself and is run as ``"exponential"`` (the same numbers, one cache entry);
* **modern activations** (beyond the paper): GELU, SiLU, Mish and their shifted-and-scaled variants.

The analyses need no training: the PPM threshold sweep (Supp Fig 15) and the JASPAR-release comparison re-score
trained models; Supp Figs 3 and 4 read the runs' per-epoch histories, which hold the first-layer gradient
(:func:`seqlib.training.first_layer_gradient`). :func:`chapter_claims` judges the chapter's claims (C5, C6) by the
book's one rule (:mod:`seqlib.book.verdict`), a condition at a time with :func:`condition_claim`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .._backend import load_keras
from ..activation_names import canonical_name
from ..analyses import filter_analysis, filter_table, planted_motifs, run_cache, run_dataset
from ..errors import UnknownNameError
from ..filters import filter_pipeline
from ..motifs import jaspar_collection, jaspar_releases
from ..runs import Run, RunConfig
from ..tomtom import ground_truth_families, match_statistics
from .paper import paper_numbers
from .verdict import MIN_PAIRS, judge, paper_cell

__all__ = ["VARIANTS", "INITIALIZERS", "SIGMAS", "SCALES", "THRESHOLDS", "RELEASES", "control_base",
           "variant_config", "variant_of", "init_configs", "sigma_configs", "scale_configs", "modern_configs",
           "control_table", "median_curve", "threshold_sweep", "release_families", "release_family_table",
           "release_table", "history_table", "gradient_summary", "paper_table", "condition_table", "condition_claim", "chapter_claims",
           "newest_release"]

#: The three columns of Supp Fig 5: name → (model, activation).
VARIANTS = {"relu": ("cnn-deep", "relu"), "exponential": ("cnn-deep", "exponential"),
            "exponential-nobn": ("cnn-deep-nobn", "exponential")}

#: The six Keras initialisers of Supp Fig 5a.
INITIALIZERS = ("glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform")

#: Standard deviations of the RandomNormal first-layer initialiser, Supp Fig 5b.
SIGMAS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.0, 3.0, 4.0, 5.0)

#: Scales s of exp(s·z), Supp Fig 9.
SCALES = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0)

#: PPM activation thresholds t, Supp Fig 15 (the paper's default is 0.5).
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)

#: The paper's JASPAR release and the newest CORE release compared with it.
RELEASES = ("JASPAR2016", "JASPAR2026")



# ----------------------------------------------------------------------------- configs

def control_base(settings: dict) -> RunConfig:
    """The Task-1 CNN-deep config every control starts from.

    ``robust_epochs`` None keeps the profile's ``epochs`` and ``patience`` and the task's monitor, so the
    glorot_uniform relu / exponential runs are exactly notebook 02's Fig 1c runs (loaded from the cache).
    ``robust_paper_monitor`` True monitors ``val_auroc`` as the authors' control scripts did (Methods §4); then
    the baselines are runs of their own.

    Parameters
    ----------
    settings : dict
        A profile (:func:`seqlib.get_profile`) with ``epochs``, ``patience``, ``task1_n_sequences``,
        ``robust_epochs`` and ``robust_paper_monitor``.
    """
    epochs = settings.get("robust_epochs")
    monitor = "val_auroc" if settings.get("robust_paper_monitor") else None
    return RunConfig(task="task1", model="cnn-deep", epochs=int(epochs if epochs is not None else settings["epochs"]),
                     patience=settings["patience"], n_sequences=settings["task1_n_sequences"], monitor=monitor)


def _check_variants(variants: Iterable[str]) -> list[str]:
    variants = list(variants)
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise UnknownNameError(f"unknown variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
    return variants


def variant_config(base: RunConfig, variant: str, **fields) -> RunConfig:
    """``base`` as one of :data:`VARIANTS` (its model and activation), with other ``fields`` changed."""
    model, activation = VARIANTS[_check_variants([variant])[0]]
    return replace(base, model=model, activation=activation, **fields)


def variant_of(config: RunConfig) -> str:
    """The :data:`VARIANTS` name of a config (``"exponential-nobn"`` …); the activation name otherwise."""
    for name, (model, activation) in VARIANTS.items():
        if config.model == model and config.activation == activation:
            return name
    if config.model == "cnn-deep-nobn":
        return f"{config.activation}-nobn"
    return config.activation


def _trials(trials) -> list[int]:
    return list(range(trials)) if isinstance(trials, (int, np.integer)) else [int(t) for t in trials]


def init_configs(base: RunConfig, initializers: Sequence[str], variants: Sequence[str], trials) -> list[RunConfig]:
    """Supp Fig 5a: every variant × first-layer initialiser × trial.

    Raises
    ------
    UnknownNameError
        An initialiser Keras does not know, or an unknown variant.
    """
    keras = load_keras()
    for name in initializers:
        try:
            keras.initializers.get(name)
        except ValueError:
            raise UnknownNameError(f"unknown initializer {name!r}; the paper's: {', '.join(INITIALIZERS)}") from None
    return [variant_config(base, v, initializer=i, trial=t)
            for v in _check_variants(variants) for i in initializers for t in _trials(trials)]


def sigma_configs(base: RunConfig, sigmas: Sequence[float], variants: Sequence[str], trials) -> list[RunConfig]:
    """Supp Fig 5b: every variant × RandomNormal(0, σ) first-layer initialiser × trial.

    Raises
    ------
    ValueError
        A σ that is not a positive number.
    """
    bad = [s for s in sigmas if not (isinstance(s, (int, float)) and s > 0)]
    if bad:
        raise ValueError(f"sigmas must be positive standard deviations; got {bad}")
    return [variant_config(base, v, initializer="RandomNormal",
                           initializer_params={"mean": 0.0, "stddev": float(s)}, trial=t)
            for v in _check_variants(variants) for s in sigmas for t in _trials(trials)]


def scale_configs(base: RunConfig, scales: Sequence[float], models: Sequence[str], trials) -> list[RunConfig]:
    """Supp Fig 9: exp(s·z) in each model (``cnn-deep``: after batch norm; ``cnn-deep-nobn``: without) × trial.

    s = 1 gives the plain ``"exponential"`` config (exp(1·z) is exp(z) exactly), so it is shared with the
    other grids.

    Raises
    ------
    ValueError
        A scale that is not a positive number, or a model other than cnn-deep / cnn-deep-nobn.
    """
    bad = [s for s in scales if not (isinstance(s, (int, float)) and s > 0)]
    if bad:
        raise ValueError(f"scales must be positive; got {bad}")
    wrong = [m for m in models if m not in ("cnn-deep", "cnn-deep-nobn")]
    if wrong:
        raise ValueError(f"the scale sweep runs in cnn-deep or cnn-deep-nobn; got {wrong}")
    configs = []
    for m in models:
        for s in scales:
            for t in _trials(trials):
                if float(s) == 1.0:
                    configs.append(replace(base, model=m, activation="exponential", trial=t))
                else:
                    configs.append(replace(base, model=m, activation="exp_scale",
                                           activation_params={"scale": float(s)}, trial=t))
    return configs


def modern_configs(base: RunConfig, activations: Sequence[str], trials) -> list[RunConfig]:
    """Fig 1c-style runs of CNN-deep with the given first-layer activations (e.g. GELU, SiLU, Mish)."""
    return [replace(base, model="cnn-deep", activation=canonical_name(a), trial=t)
            for a in activations for t in _trials(trials)]


# ----------------------------------------------------------------------------- tables

def _param(config: RunConfig, group: str, name: str) -> float:
    return float(dict(getattr(config, group)).get(name, np.nan))


def control_table(runs: Sequence[Run], **filter_kwargs) -> pd.DataFrame:
    """:func:`seqlib.analyses.filter_table` of control runs plus the control's coordinates.

    Returns
    -------
    DataFrame, one row per run: the config fields, test AUROC/AUPR, match statistics, and ``variant``
    (:func:`variant_of`), ``sigma`` (RandomNormal σ, NaN for named initialisers), ``scale`` (s of exp(s·z):
    1 for the exponential, NaN for other activations) and ``bn`` (first-layer batch norm).
    """
    runs = list(runs)
    table = filter_table(runs, **filter_kwargs)
    table["variant"] = [variant_of(r.config) for r in runs]
    table["sigma"] = [_param(r.config, "initializer_params", "stddev") if r.config.initializer == "RandomNormal"
                      else np.nan for r in runs]
    table["scale"] = [1.0 if r.config.activation == "exponential" else
                      _param(r.config, "activation_params", "scale") if r.config.activation == "exp_scale"
                      else np.nan for r in runs]
    table["bn"] = [r.config.model != "cnn-deep-nobn" for r in runs]
    return table


def median_curve(table: pd.DataFrame, x: str, by: str = "variant", value: str = "match_fraction") -> pd.DataFrame:
    """Median and quartiles of ``value`` per ``by`` × ``x`` (one row each), sorted by ``x``.

    Returns
    -------
    DataFrame with ``by``, ``x``, ``median``, ``q1``, ``q3``, ``n``
    """
    sub = table.dropna(subset=[x])
    grouped = sub.groupby([by, x])[value]
    out = pd.DataFrame({"median": grouped.median(), "q1": grouped.quantile(0.25), "q3": grouped.quantile(0.75),
                        "n": grouped.size()}).reset_index()
    return out.sort_values([by, x]).reset_index(drop=True)


def threshold_sweep(runs: Sequence[Run], thresholds: Sequence[float] = THRESHOLDS, **filter_kwargs) -> pd.DataFrame:
    """Supp Fig 15: match statistics of trained runs with the PPM activation threshold t changed (no retraining).

    Each (run, t) goes through :func:`seqlib.analyses.filter_analysis` (cached in the run's folder).

    Parameters
    ----------
    runs : sequence of Run
    thresholds : sequence of float in (0, 1)
        Fractions of each filter's maximum activation above which a position is aligned (paper: 0.1 … 0.9).

    Returns
    -------
    DataFrame, one row per run × t: ``key``, ``model``, ``activation``, ``trial``, ``threshold``,
    ``match_fraction``, ``match_any``, ``coverage``

    Raises
    ------
    ValueError
        A threshold outside (0, 1).
    """
    bad = [t for t in thresholds if not (0.0 < float(t) < 1.0)]
    if bad:
        raise ValueError(f"thresholds must lie strictly between 0 and 1; got {bad}")
    rows = []
    for r in runs:
        for t in thresholds:
            stats = filter_analysis(r, threshold=float(t), **filter_kwargs)["stats"]
            rows.append({"key": r.config.key, "model": r.config.model, "activation": r.config.activation,
                         "trial": r.config.trial, "threshold": float(t),
                         **{k: stats[k] for k in ("match_fraction", "match_any", "coverage")}})
    return pd.DataFrame(rows)


def newest_release() -> str:
    """The newest JASPAR release the installed pyjaspar ships (offline)."""
    return sorted(jaspar_releases(), key=lambda r: int("".join(c for c in r if c.isdigit()) or 0))[-1]


def release_families(ids: Sequence[str], names: Sequence[str], targets) -> dict[str, list[str]]:
    """Accepted target IDs per ground-truth TF in a database, mapped across releases by TF name.

    A family holds (1) every version of the TF's matrix ID in the database, (2) the paper's extra IDs for
    that motif (:data:`seqlib.tomtom.PAPER_EXTRA_IDS`) present in the database, and (3) every motif of the
    database whose TF name equals the ground-truth TF's name, ignoring case, so a TF whose matrix got a new
    base ID in a later release is still recognised.

    Parameters
    ----------
    ids, names : sequence of str
        The ground truth's JASPAR IDs and TF names, in class order (e.g. ``TASK1_MOTIF_IDS``/``NAMES``).
    targets : list of Motif
        The database (e.g. :func:`seqlib.motifs.jaspar_collection` of a release).

    Returns
    -------
    dict TF name → sorted list of accepted target IDs
    """
    if len(ids) != len(names):
        raise ValueError(f"{len(ids)} IDs but {len(names)} names")
    by_id = ground_truth_families(list(ids), list(targets), names=list(names))
    families = {}
    for name in names:
        by_name = [t.id for t in targets if t.name.lower() == name.lower()]
        families[name] = sorted(set(by_id[name]) | set(by_name))
    return families


def release_family_table(ids: Sequence[str], names: Sequence[str], releases: Sequence[str]) -> pd.DataFrame:
    """The accepted IDs of each ground-truth TF in each release (:func:`release_families`), one row per TF."""
    rows = {name: {"TF": name, "JASPAR ID (data)": i} for i, name in zip(ids, names)}
    for release in releases:
        fam = release_families(ids, names, jaspar_collection(release))
        for name in names:
            rows[name][release] = ", ".join(fam[name]) or "(none)"
    return pd.DataFrame(list(rows.values()))


def release_table(runs: Sequence[Run], releases: Sequence[str] = RELEASES, *, threshold: float = 0.5,
                  evalue_threshold: float = 0.1) -> pd.DataFrame:
    """Match statistics of the same trained runs against each JASPAR release's CORE vertebrates.

    The filter PPMs are the run's (cached, threshold ``threshold``); Tomtom runs against each release's CORE
    vertebrate motifs from pyjaspar (cached per database); ground-truth families come from
    :func:`release_families`.

    Returns
    -------
    DataFrame, one row per run × release: ``key``, ``model``, ``activation``, ``trial``, ``release``,
    ``n_targets``, ``match_fraction``, ``match_any``, ``coverage``
    """
    rows = []
    for r in runs:
        ds = run_dataset(r)
        ids, names = planted_motifs(ds, r)
        for release in releases:
            db = jaspar_collection(release)
            out = filter_pipeline(r.load_model, ds.test.X, threshold=threshold, targets=db,
                                  evalue_threshold=evalue_threshold, cache=run_cache(r, ds.test))
            stats = match_statistics(out["tomtom"], len(out["ppms"]), release_families(ids, names, db))
            rows.append({"key": r.config.key, "model": r.config.model, "activation": r.config.activation,
                         "trial": r.config.trial, "release": release, "n_targets": len(db),
                         **{k: stats[k] for k in ("match_fraction", "match_any", "coverage")}})
    return pd.DataFrame(rows)


def history_table(runs: Sequence[Run]) -> pd.DataFrame:
    """Per-epoch training history of runs in long form (Supp Figs 3 and 4), as recorded during training.

    Returns
    -------
    DataFrame, one row per run × epoch: ``key``, ``model``, ``activation``, ``variant``, ``trial``, ``epoch``
    (1-based), ``loss``, ``val_loss``, ``val_auroc``, ``val_aupr``, ``grad_mean``, ``grad_std`` (NaN for runs
    trained before the gradient was recorded)
    """
    rows = []
    for r in runs:
        h = r.history
        n = len(h["loss"])
        for e in range(n):
            row = {"key": r.config.key, "model": r.config.model, "activation": r.config.activation,
                   "variant": variant_of(r.config), "trial": r.config.trial, "epoch": e + 1}
            for k in ("loss", "val_loss", "val_auroc", "val_aupr", "grad_mean", "grad_std"):
                values = h.get(k) or []
                row[k] = float(values[e]) if e < len(values) else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def gradient_summary(history: pd.DataFrame) -> pd.DataFrame:
    """Per activation: largest |mean| and largest std of the first-layer kernel gradient over epochs and trials,
    and the runs that recorded it.

    Returns
    -------
    DataFrame with ``activation``, ``runs_with_gradient``, ``max_abs_mean``, ``max_std``
    """
    rows = []
    for act, sub in history.groupby("activation", sort=False):
        rec = sub.dropna(subset=["grad_std"])
        rows.append({"activation": act, "runs_with_gradient": int(rec["key"].nunique()),
                     "max_abs_mean": float(rec["grad_mean"].abs().max()) if len(rec) else np.nan,
                     "max_std": float(rec["grad_std"].max()) if len(rec) else np.nan})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- paper vs this book

def paper_table(ours: pd.DataFrame, figure: str, statistic_of, *, value: str = "match_fraction") -> pd.DataFrame:
    """Our medians next to the paper's, one row per condition the paper reports and we ran.

    Parameters
    ----------
    ours : DataFrame
        One row per run with ``model``, ``activation`` and ``value`` columns.
    figure : str
        The paper's figure in ``paper_numbers.csv`` (``"Supp 5a"``, ``"Supp 5b"``, ``"Supp 9"``, ``"Supp 15"``).
    statistic_of : callable
        Row → the paper's statistic name for that row's condition (e.g. ``"match_fraction@he_normal"``),
        or None to skip the row.

    Returns
    -------
    DataFrame with figure, condition, model, activation, this book (median), q1, q3, trials, paper, source
    """
    if ours is None or not len(ours):
        return pd.DataFrame(columns=["figure", "condition", "model", "activation", "this book (median)", "q1", "q3",
                                     "trials", "paper", "source"])
    ours = ours.copy()
    ours["statistic"] = [statistic_of(row) for _, row in ours.iterrows()]
    ours = ours.dropna(subset=["statistic"])
    paper = paper_numbers(figure=figure)
    rows = []
    for (stat, model, act), sub in ours.groupby(["statistic", "model", "activation"], sort=False):
        hit = paper[(paper["statistic"] == stat) & (paper["model"] == model) & (paper["activation"] == act)]
        if not len(hit):
            continue
        v = sub[value].astype(float)
        rows.append({"figure": figure, "condition": stat.split("@", 1)[-1], "model": model, "activation": act,
                     "this book (median)": float(v.median()), "q1": float(v.quantile(0.25)),
                     "q3": float(v.quantile(0.75)), "trials": int(v.notna().sum()),
                     "paper": float(hit["value"].iloc[0]), "source": hit["source"].iloc[0]})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- the paper's claims (C5, C6)

#: Fewest conditions besides the default that a claim about "every" condition needs.
MIN_OTHER_CONDITIONS = 2


def condition_table(runs_table: pd.DataFrame, condition, *, replicate: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows for :func:`condition_claim`: ``runs_table`` with a ``condition`` column (a column name, or a function of
    a row), and ``replicate``'s rows (a side that does not change with the condition, e.g. the default relu runs
    against every exponential scale) copied into every condition.

    Returns
    -------
    DataFrame, one row per run × condition
    """
    table = runs_table.copy()
    table["condition"] = table[condition].astype(str) if isinstance(condition, str) else \
        [str(condition(r)) for _, r in table.iterrows()]
    if replicate is not None and len(replicate) and len(table):
        copies = [replicate.assign(condition=c) for c in dict.fromkeys(table["condition"])]
        table = pd.concat([table, *copies], ignore_index=True)
    return table


def condition_claim(table: pd.DataFrame, *, claim_id: str, claim: str, figure: str, prefix: str,
                    higher: tuple[str, str, str], lower: tuple[str, str, str], default: str,
                    keep=None, control: pd.DataFrame | None = None, value: str = "match_fraction") -> dict:
    """A chapter-04 claim judged over conditions (initialisers, σ, scales, thresholds) by the book's rule.

    The direction is A > B over the pairs of runs with the same condition and seed (:func:`seqlib.book.verdict.judge`);
    the size holds when, in every condition, our median of A lies in the paper's range for that condition and so
    does our median of B (the paper's claims here are that A learns motifs and B stays low); the claim needs at
    least :data:`~seqlib.book.verdict.MIN_PAIRS` seeds and :data:`MIN_OTHER_CONDITIONS` conditions besides the
    default, else it is inconclusive at this build's budget.

    Parameters
    ----------
    table : DataFrame
        :func:`condition_table` rows: ``condition``, ``variant``, ``trial``, ``value`` and the adequacy columns.
    claim_id, claim : str
    figure, prefix : str
        The paper's figure and the prefix of its per-condition statistic (``match_fraction@<prefix><condition>``).
    higher, lower : (variant, model, activation)
        The two sides: the ``variant`` value in ``table`` and the paper's model and activation for it.
    default : str
        The condition of the default configuration (e.g. ``"glorot_uniform"``).
    keep : callable, optional
        Condition (text) -> whether the paper's claim covers it (e.g. thresholds 0.2-0.7).
    control : DataFrame, optional
        The budget-matched default exponential runs (the positive control of a claim that B stays low).

    Returns
    -------
    dict with the keys of :data:`seqlib.book.claims.COLUMNS`
    """
    sub = table if keep is None or not len(table) else table[[bool(keep(c)) for c in table["condition"]]]
    rows = {"higher": higher, "lower": lower}
    conditions = list(dict.fromkeys(sub["condition"])) if len(sub) else []
    cells, in_range, outside = [], True, []
    for cond in conditions:
        text = []
        for side, (variant, model, activation) in rows.items():
            ours = sub.loc[(sub["condition"] == cond) & (sub["variant"] == variant), value].astype(float)
            p, span = paper_cell(figure, f"{value}@{prefix}{cond}", model=model, activation=activation)
            med = float(ours.median()) if len(ours) else float("nan")
            if span is not None and np.isfinite(med) and not span[0] <= med <= span[1]:
                in_range = False
                outside.append(f"{cond} {variant} {med:.2f} outside [{span[0]:.2f}, {span[1]:.2f}]")
            text.append((med, p))
        (a, pa), (b, pb) = text
        cells.append(f"{cond}: {_fmt(a)} / {_fmt(b)} vs {_fmt(pa)} / {_fmt(pb)}")
    command = "seqlib notebooks 04 --profile paper"
    row = judge(sub.assign(variant=sub["variant"].astype(str)) if len(sub) else sub, claim=claim, value=value,
                group="variant", higher=higher[0], lower=lower[0], claim_id=claim_id, control=control,
                paper_higher=float("nan"), paper_range=None,
                not_run=f"no condition of it trained at this profile; `{command}` runs it") \
        if len(sub) else {"id": claim_id, "claim": claim, "statistic": value, "verdict": "not run",
                          "reason": f"no condition of it trained at this profile; `{command}` runs it"}
    row["conditions"] = "; ".join(cells)
    row["statistic"] = value
    if row["verdict"] in ("not run",) or (row["verdict"] == "inconclusive" and "under-trained" in row["reason"]):
        return row
    seeds = int(sub["trial"].nunique())
    others = [c for c in conditions if c != str(default)]
    problems = []
    if seeds < MIN_PAIRS:
        problems.append(f"too few trials ({seeds} < {MIN_PAIRS} seeds)")
    if len(others) < MIN_OTHER_CONDITIONS:
        problems.append(f"inconclusive at this profile: {len(others)} condition(s) besides the default {default} "
                        f"(needs {MIN_OTHER_CONDITIONS}); `{command}` runs them")
    if problems:
        return {**row, "verdict": "inconclusive", "reason": "; ".join(problems)}
    if row["verdict"] == "reproduced" and not in_range:
        return {**row, "verdict": "direction only", "reason": "outside the paper's range: " + "; ".join(outside)}
    return row


def _fmt(v: float) -> str:
    return f"{v:.2f}" if np.isfinite(v) else "–"


def chapter_claims(*, shared: pd.DataFrame, inits: pd.DataFrame, sigmas: pd.DataFrame, scales: pd.DataFrame,
                   thresholds: pd.DataFrame) -> list[dict]:
    """The chapter's claims judged by :func:`condition_claim`: C5 (every initialiser) and C6's four parts (initial
    scale σ ≤ 1, no first-layer batch norm, exp(s·z) for s in [0.5, 2], PPM threshold t in [0.2, 0.7]).

    Parameters
    ----------
    shared : DataFrame
        :func:`seqlib.analyses.filter_table` of notebook 02's relu and exponential runs (default initialiser).
    inits, sigmas, scales : DataFrame
        :func:`control_table` rows of the initialiser, σ and scale grids.
    thresholds : DataFrame
        :func:`threshold_sweep` rows of ``shared``'s runs.

    Returns
    -------
    list of dict (the rows of :func:`seqlib.book.claims.publish`)
    """
    exp, relu = ("exponential", "cnn-deep", "exponential"), ("relu", "cnn-deep", "relu")
    default = shared.assign(variant=shared["activation"], initializer="glorot_uniform")
    per_init = condition_table(_union(default, inits), "initializer")
    adequacy = ["key", "task", "test_auroc", "epochs_trained", "late_gain"]
    sweep = thresholds.assign(variant=thresholds["activation"]).merge(shared[adequacy], on="key")
    scale_rows = scales.assign(variant="exp_scale")
    return [
        condition_claim(per_init, claim_id="C5", claim="exponential > relu with each first-layer initialiser "
                        "(Supp 5a)", figure="Supp 5a", prefix="", higher=exp, lower=relu, default="glorot_uniform"),
        condition_claim(condition_table(sigmas, lambda r: f"{r['sigma']:g}"), claim_id="C6",
                        claim="exponential > relu for each initial scale σ ≤ 1 (Supp 5b)", figure="Supp 5b",
                        prefix="sigma=", higher=exp, lower=relu, default="", keep=lambda s: float(s) <= 1),
        condition_claim(per_init, claim_id="C6", claim="exponential without first-layer batch norm > relu "
                        "(Supp 5a)", figure="Supp 5a", prefix="",
                        higher=("exponential-nobn", "cnn-deep-nobn", "exponential"), lower=relu,
                        default="glorot_uniform"),
        condition_claim(condition_table(scale_rows, lambda r: f"{r['scale']:g}",
                                        replicate=default[default["variant"] == "relu"]),
                        claim_id="C6", claim="exp(s·z) > relu for s in [0.5, 2] (Supp 9)", figure="Supp 9",
                        prefix="scale=", higher=("exp_scale", "cnn-deep", "exp_scale"), lower=relu, default="1",
                        keep=lambda s: 0.5 <= float(s) <= 2),
        condition_claim(condition_table(sweep, lambda r: f"{r['threshold']:g}"), claim_id="C6",
                        claim="exponential > relu at each PPM threshold t in [0.2, 0.7] (Supp 15)", figure="Supp 15",
                        prefix="t=", higher=exp, lower=relu, default="0.5", keep=lambda t: 0.2 <= float(t) <= 0.7),
    ]


def _union(*tables: pd.DataFrame) -> pd.DataFrame:
    """Rows of several per-run tables, one per run ``key``."""
    parts = [t for t in tables if t is not None and len(t)]
    return pd.concat(parts, ignore_index=True).drop_duplicates("key") if parts else pd.DataFrame()
