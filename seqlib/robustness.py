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
(:func:`seqlib.training.first_layer_gradient`). :func:`claim_verdicts` judges the paper's claims from the
numbers by one stated rule (:func:`verdict`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .errors import UnknownNameError
from .runs import Run, RunConfig

__all__ = ["VARIANTS", "INITIALIZERS", "SIGMAS", "SCALES", "THRESHOLDS", "RELEASES", "TOLERANCE", "control_base",
           "variant_config", "variant_of", "init_configs", "sigma_configs", "scale_configs", "modern_configs",
           "control_table", "median_curve", "threshold_sweep", "release_families", "release_family_table",
           "release_table", "history_table", "gradient_summary", "verdict", "claim_verdicts", "paper_table",
           "newest_release", "CLAIMS", "claims_rows", "plot_conditions", "plot_sweep", "plot_histories"]

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

#: Largest |ours − paper| in match fraction that still counts as agreement in :func:`verdict`.
TOLERANCE = 0.15


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
    from ._backend import load_keras

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
    from .activations import canonical_name

    return [replace(base, model="cnn-deep", activation=canonical_name(a), trial=t)
            for a in activations for t in _trials(trials)]


# ----------------------------------------------------------------------------- tables

def _param(config: RunConfig, group: str, name: str) -> float:
    return float(dict(getattr(config, group)).get(name, np.nan))


def control_table(runs: Sequence[Run], **filter_kwargs) -> pd.DataFrame:
    """:func:`seqlib.experiments.filter_table` of control runs plus the control's coordinates.

    Returns
    -------
    DataFrame, one row per run: the config fields, test AUROC/AUPR, match statistics, and ``variant``
    (:func:`variant_of`), ``sigma`` (RandomNormal σ, NaN for named initialisers), ``scale`` (s of exp(s·z):
    1 for the exponential, NaN for other activations) and ``bn`` (first-layer batch norm).
    """
    from .experiments import filter_table

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

    Each (run, t) goes through :func:`seqlib.experiments.filter_analysis` (cached in the run's folder).

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
    from .experiments import filter_analysis

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
    from .motifs import jaspar_releases

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
    from .tomtom import ground_truth_families

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
    from .motifs import jaspar_collection

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
    from .experiments import _cache, _dataset, planted_motifs
    from .filters import filter_pipeline
    from .motifs import jaspar_collection
    from .tomtom import match_statistics

    rows = []
    for r in runs:
        ds = _dataset(r)
        ids, names = planted_motifs(ds, r)
        for release in releases:
            db = jaspar_collection(release)
            out = filter_pipeline(r.load_model, ds.test.X, threshold=threshold, targets=db,
                                  evalue_threshold=evalue_threshold, cache=_cache(r, ds.test))
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
    from .paper import paper_numbers

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


def verdict(ours: Sequence[float], paper: Sequence[float], tolerance: float = TOLERANCE) -> str:
    """The verdict on one claim from paired medians (ours, paper) over the conditions tested.

    Rule: **reproduced** when every tested condition's median lies within ``tolerance`` (0.15 match fraction) of
    the paper's; **partly** when at least half of them do; **not reproduced** otherwise; **not run** when no
    condition was run at this profile.
    """
    a = np.asarray(ours, dtype=float)
    b = np.asarray(paper, dtype=float)
    if a.shape != b.shape:
        raise ValueError("ours and paper must pair one value per condition")
    keep = np.isfinite(a) & np.isfinite(b)
    if not keep.any():
        return "not run"
    close = np.abs(a[keep] - b[keep]) <= tolerance
    if close.all():
        return "reproduced"
    if close.mean() >= 0.5:
        return "partly"
    return "not reproduced"


#: The claims this chapter judges: the Claims page's id (:data:`seqlib.claims.PAPER_CLAIMS`; C5 is Supp 5a, C6
#: the rest), the claim's text and (figure, model, activation) of the rows that test it.
CLAIMS = (
    ("C5", "Exp learns motif-like filters with every first-layer initialiser (Supp 5a)",
     "Supp 5a", [("cnn-deep", "exponential")]),
    ("C5", "Relu stays at 0 with every initialiser (Supp 5a)", "Supp 5a", [("cnn-deep", "relu")]),
    ("C5", "Without first-layer batch norm Exp still learns motifs (Supp 5a)", "Supp 5a",
     [("cnn-deep-nobn", "exponential")]),
    ("C6", "Exp with batch norm is robust to σ ≤ 1 and degrades for σ ≥ 2 (Supp 5b)", "Supp 5b",
     [("cnn-deep", "exponential")]),
    ("C6", "Exp without batch norm needs σ in about [0.005, 0.5] (Supp 5b)", "Supp 5b",
     [("cnn-deep-nobn", "exponential")]),
    ("C6", "Relu stays at 0 for every σ (Supp 5b)", "Supp 5b", [("cnn-deep", "relu")]),
    ("C6", "exp(s·z) with batch norm works for s in [0.5, 2] and fails for s ≤ 0.1 (Supp 9)", "Supp 9",
     [("cnn-deep", "exp_scale"), ("cnn-deep", "exponential")]),
    ("C6", "Exp's match fraction holds for PPM thresholds 0.2–0.7 (Supp 15)", "Supp 15",
     [("cnn-deep", "exponential")]),
    ("C6", "Relu stays near 0 at every PPM threshold (Supp 15)", "Supp 15", [("cnn-deep", "relu")]),
)


def _judge(tables: Sequence[pd.DataFrame], tolerance: float = TOLERANCE) -> list[dict]:
    """Each claim of :data:`CLAIMS` with its tested conditions, the paired medians as numbers and its verdict."""
    parts = [t for t in tables if t is not None and len(t)]
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["figure", "condition", "model", "activation", "this book (median)", "paper"])
    judged = []
    for cid, claim, figure, cells in CLAIMS:
        sub = rows[(rows["figure"] == figure)
                   & rows.apply(lambda r: (r["model"], r["activation"]) in cells, axis=1)] if len(rows) else rows
        if figure == "Supp 15":
            t = sub["condition"].str.removeprefix("t=").astype(float)
            sub = sub[(t >= 0.2) & (t <= 0.7)]
        ours = sub["this book (median)"].astype(float).to_numpy()
        paper = sub["paper"].astype(float).to_numpy()
        judged.append({"id": cid, "claim": claim, "conditions": list(sub["condition"]),
                       "ours": ours, "paper": paper, "verdict": verdict(ours, paper, tolerance)})
    return judged


def claim_verdicts(tables: Sequence[pd.DataFrame], tolerance: float = TOLERANCE) -> pd.DataFrame:
    """The paper's control claims judged on the "paper vs this book" rows (:func:`paper_table`) by :func:`verdict`,
    as a table to show.

    Supp 9's s = 1 row is the exponential run (figure ``Supp 9``, activation ``exponential`` mapped to
    ``exp_scale``); Supp 15's claim uses thresholds 0.2–0.7 only.

    Returns
    -------
    DataFrame with claim, conditions tested, this book (medians, as text), paper, verdict
    """
    return pd.DataFrame([{"claim": j["claim"], "conditions tested": ", ".join(j["conditions"]),
                          "this book (median)": ", ".join(f"{v:.2f}" for v in j["ours"]),
                          "paper": ", ".join(f"{v:.2f}" for v in j["paper"]), "verdict": j["verdict"]}
                         for j in _judge(tables, tolerance)])


def claims_rows(tables: Sequence[pd.DataFrame], tolerance: float = TOLERANCE) -> list[dict]:
    """The chapter's rows for the Claims page (:func:`seqlib.claims.publish`): one per paper claim id.

    ``tables`` are the "paper vs this book" rows that :func:`claim_verdicts` judges, and the verdicts are the
    same. A claim id's verdict combines its sub-claims': **reproduced** when every sub-claim that ran is,
    **not reproduced** when none is reproduced or partly, **partly** in between, **not run** when none ran.
    ``ours_higher``/``paper_higher`` are the medians over the conditions tested (of the unrounded
    per-condition medians), ``n_pairs`` counts them and ``fraction`` is the share of them within ``tolerance``
    of the paper's median.
    """
    from .claims import PAPER_CLAIMS

    judged = _judge(tables, tolerance)
    rows = []
    for cid in dict.fromkeys(j["id"] for j in judged):
        ran = [j for j in judged if j["id"] == cid and j["verdict"] != "not run"]
        found = {j["verdict"] for j in ran}
        if not ran:
            combined = "not run"
        elif found == {"reproduced"}:
            combined = "reproduced"
        elif found & {"reproduced", "partly"}:
            combined = "partly"
        else:
            combined = "not reproduced"
        ours = np.concatenate([j["ours"] for j in ran]) if ran else np.array([])
        paper = np.concatenate([j["paper"] for j in ran]) if ran else np.array([])
        keep = np.isfinite(ours) & np.isfinite(paper)
        ours, paper = ours[keep], paper[keep]
        rows.append({"id": cid, "claim": PAPER_CLAIMS[cid][0],
                     "statistic": f"match_fraction, each condition within {tolerance} of the paper's median "
                                  "(pairs: conditions, ours vs the paper's)",
                     "ours_higher": float(np.median(ours)) if len(ours) else np.nan,
                     "paper_higher": float(np.median(paper)) if len(paper) else np.nan,
                     "fraction": float(np.mean(np.abs(ours - paper) <= tolerance)) if len(ours) else np.nan,
                     "n_pairs": int(len(ours)), "verdict": combined})
    return rows


# ----------------------------------------------------------------------------- figures

def _paper_points(figure: str, model: str, activation: str, prefix: str) -> pd.DataFrame:
    from .paper import paper_numbers

    p = paper_numbers(figure=figure, model=model, activation=activation)
    p = p[p["statistic"].str.startswith(f"match_fraction@{prefix}")].copy()
    p["x"] = p["statistic"].str.split("@").str[1].str.removeprefix(prefix)
    return p


def plot_conditions(table: pd.DataFrame, x: str, figure: str, *, variants: Sequence[str], order: Sequence | None = None,
                    value: str = "match_fraction", title: str | None = None):
    """One panel per variant: our per-run values per condition (points, median bar) and the paper's median
    (red cross), e.g. Supp Fig 5a (``x="initializer"``).

    Parameters
    ----------
    table : DataFrame
        :func:`control_table` rows (``variant``, ``x``, ``value``, ``model``, ``activation``).
    x : str
        Column holding the condition (its values must be the text after ``@`` in the paper's statistic).
    figure : str
        The paper's figure for the red crosses (``"Supp 5a"``).

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    order = list(order) if order is not None else sorted(table[x].astype(str).unique())
    fig, axes = plt.subplots(1, len(variants), figsize=(3.6 * len(variants), 3.2), sharey=True, squeeze=False)
    for ax, variant in zip(axes[0], variants):
        model, activation = VARIANTS[variant]
        sub = table[table["variant"] == variant]
        for i, cond in enumerate(order):
            vals = sub.loc[sub[x].astype(str) == cond, value].astype(float).dropna()
            if len(vals):
                ax.scatter(np.full(len(vals), i) + np.linspace(-0.1, 0.1, len(vals)), vals, s=14, color="C0")
                ax.hlines(vals.median(), i - 0.25, i + 0.25, color="C0", lw=2)
        p = _paper_points(figure, model, activation, "")
        p = p[p["x"].isin(order)]
        ax.scatter([order.index(c) for c in p["x"]], p["value"], marker="x", color="C3", s=40, zorder=3,
                   label="paper (median)")
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order, rotation=45, ha="right", fontsize=8)
        ax.set_title(variant)
        ax.set_ylim(-0.05, 1.05)
    axes[0][0].set_ylabel(value.replace("_", " "))
    axes[0][-1].legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_sweep(table: pd.DataFrame, x: str, figure: str, prefix: str, *, lines: Sequence[tuple[str, str, str]],
               value: str = "match_fraction", xlabel: str | None = None, title: str | None = None):
    """Medians with quartile bands of our runs against the paper's curve, on a log x axis (Supp Figs 5b, 9).

    Parameters
    ----------
    table : DataFrame
        :func:`control_table` rows with the numeric column ``x`` (``sigma`` or ``scale``).
    prefix : str
        The condition prefix in the paper's statistic (``"sigma="``, ``"scale="``).
    lines : sequence of (label, model, activation)
        Which of our groups to draw, with the paper row each is compared with.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.4))
    for k, (label, model, activation) in enumerate(lines):
        color = f"C{k}"
        acts = ("exponential", "exp_scale") if activation == "exp_scale" else (activation,)
        sub = table[(table["model"] == model) & table["activation"].isin(acts)]
        if len(sub):
            curve = median_curve(sub.assign(group=label), x, by="group", value=value)
            ax.plot(curve[x], curve["median"], "o-", color=color, label=f"{label} (this book)")
            ax.fill_between(curve[x], curve["q1"], curve["q3"], color=color, alpha=0.2)
        p = _paper_points(figure, model, activation, prefix)
        if len(p):
            ax.plot(p["x"].astype(float), p["value"], "--", color=color, alpha=0.8, label=f"{label} (paper)")
    ax.set_xscale("log")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(value.replace("_", " "))
    ax.legend(fontsize=7, loc="best")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_histories(history: pd.DataFrame, columns: Sequence[str] = ("loss", "val_loss", "val_aupr"), *,
                   title: str | None = None):
    """Per-epoch curves of every run, one panel per column, coloured by activation (Supp Fig 3); for
    ``("grad_mean",)`` the mean ± std band of the first-layer kernel gradient is drawn (Supp Fig 4).

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    columns = list(columns)
    fig, axes = plt.subplots(1, len(columns), figsize=(3.8 * len(columns), 3.0), squeeze=False)
    acts = list(dict.fromkeys(history["activation"]))
    for ax, col in zip(axes[0], columns):
        for k, act in enumerate(acts):
            for j, (_, run) in enumerate(history[history["activation"] == act].groupby("key", sort=False)):
                label = act if j == 0 else None
                if col == "grad_mean":
                    run = run.dropna(subset=["grad_mean"])
                    if not len(run):
                        continue
                    ax.plot(run["epoch"], run["grad_mean"], color=f"C{k}", label=label)
                    ax.fill_between(run["epoch"], run["grad_mean"] - run["grad_std"],
                                    run["grad_mean"] + run["grad_std"], color=f"C{k}", alpha=0.15)
                else:
                    ax.plot(run["epoch"], run[col], color=f"C{k}", label=label, alpha=0.8)
        ax.set_xlabel("epoch")
        ax.set_ylabel("first-layer kernel gradient (mean ± std)" if col == "grad_mean" else col)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, "not recorded for these runs\n(trained before the recorder existed)",
                    ha="center", va="center", transform=ax.transAxes, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
