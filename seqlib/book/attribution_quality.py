"""Attribution quality on Task 3 (chapter 05; Fig 2, Extended Data Fig 2, Supp Figs 11 and 16; Methods §7.2, §8).

The library computes attribution maps for any model (:mod:`seqlib.attribution`); this module scores the book's
trained runs against the planted ground truth, caches each score in its run folder, and judges the paper's Task-3
claims:

* which sequences: the first ``n`` positive test sequences and their ground truth (:func:`positive_test_sequences`);
* one run's attribution quality, cached (:func:`score_run`), and one row per run × method × correction
  (:func:`attribution_table`);
* which example to draw, by a rule (:func:`pick_example`);
* what gradient correction changes (:func:`correction_effect`);
* the paper's Task-3 claims judged on paired trials (:func:`claims_table`);
* this book's DeepSHAP against the reference implementation on the trained models (:func:`deepshap_agreement`).
"""

from __future__ import annotations

import time
import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..attribution import GRADIENT_METHODS, METHODS, attribute, deepshap, shuffled_references
from ..errors import ShapeError, UnknownNameError
from ..metrics import attribution_snr, interpretability_performance
from ..runs import array_digest, results_table
from .paper import paper_value
from .verdict import judge

__all__ = ["positive_test_sequences", "score_run", "attribution_table", "pick_example", "correction_effect",
           "claims_table", "direction_text", "deepshap_agreement", "DEEPSHAP_REFERENCES", "DEEPSHAP_TOLERANCE"]


def positive_test_sequences(dataset, n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` positive test sequences and their ground truth (Methods §8: 500 of Task 3).

    Parameters
    ----------
    dataset : seqlib.datasets.Dataset
        With ground-truth models (``dataset.test.model``).
    n : int

    Returns
    -------
    X : numpy.ndarray, shape=(n, L, 4)
    model_ppm : numpy.ndarray, shape=(n, L, 4)
    """
    test = dataset.test
    if test.model is None:
        raise ShapeError("the data set carries no ground truth (model_test); attribution quality needs it")
    positive = np.flatnonzero(test.y[:, 0] > 0.5)[:n]
    if len(positive) == 0:
        raise ShapeError("the test split has no positive sequence")
    return test.X[positive], test.model[positive]


def score_run(run, X, model_ppm, method: str = "saliency", *, correct: bool = False, n_references: int = 10,
              n_steps: int = 20, seed: int = 0, logit: bool = False, model=None) -> dict:
    """Attribution quality of one trained run, cached in the run's folder.

    Parameters
    ----------
    run : seqlib.runs.Run
    X, model_ppm : numpy.ndarray, shape=(N, L, 4)
        Sequences and ground truth (:func:`positive_test_sequences`).
    model : keras.Model, optional
        The run's loaded model (saves loading it once per method).

    Returns
    -------
    dict
        ``auroc``, ``aupr`` (Methods §7.2), ``snr``, ``mass_fraction`` (:func:`seqlib.metrics.attribution_snr`),
        ``n_sequences``, ``seconds``.
    """
    digest = array_digest(X)
    extra = f"_r{n_references}_s{n_steps}_seed{seed}" if method in ("ig", "deepshap") else ""
    name = (f"attribution_{method}{'_corrected' if correct else ''}{'_logit' if logit else ''}{extra}"
            f"_{len(X)}_{digest}")

    def compute():
        m = model if model is not None else run.load_model()
        t0 = time.perf_counter()
        scores = attribute(m, X, method, correct=correct, n_references=n_references, n_steps=n_steps, seed=seed,
                           logit=logit)
        seconds = time.perf_counter() - t0
        perf = interpretability_performance(X, scores, model_ppm)
        snr = attribution_snr(scores, model_ppm)
        return {"auroc": perf["auroc"], "aupr": perf["aupr"], "snr": snr["snr"],
                "mass_fraction": snr["mass_fraction"], "n_sequences": int(len(X)), "seconds": seconds}

    return run.cached(name, compute)


def attribution_table(runs: Sequence, X, model_ppm, methods: Sequence[str] = ("saliency",), *,
                      corrections: Sequence[bool] = (False,), n_references: int = 10, n_steps: int = 20,
                      seed: int = 0, progress: bool = True):
    """One row per run × method × correction: the run's config and its attribution quality.

    Parameters
    ----------
    runs : sequence of seqlib.runs.Run
    X, model_ppm : numpy.ndarray, shape=(N, L, 4)
    methods : sequence of str
        Names of :data:`METHODS`.
    corrections : sequence of bool
        Score without (False) and/or with (True) gradient correction (``ism`` only uncorrected).

    Returns
    -------
    pandas.DataFrame
        Columns task, model, activation, trial, key, test_auroc, epochs_trained, late_gain (the adequacy columns
        of :func:`seqlib.runs.results_table`), method, correct, auroc, aupr, snr, mass_fraction, n_sequences,
        seconds.
    """
    for method in methods:
        if method not in METHODS:
            raise UnknownNameError(f"unknown attribution method {method!r}; choose one of {', '.join(METHODS)}")
    runs = list(runs)
    meta = results_table(runs).set_index("key") if runs else None
    rows = []
    for run in tqdm(runs, desc="attribution (runs)", unit="run", disable=not progress):
        trained = meta.loc[run.config.key]
        model = None
        for method in methods:
            for corr in corrections:
                if corr and method not in GRADIENT_METHODS:
                    continue
                if model is None:
                    model = run.load_model()
                res = score_run(run, X, model_ppm, method, correct=corr, n_references=n_references,
                                n_steps=n_steps, seed=seed, model=model)
                rows.append({"task": run.config.task, "model": run.config.model,
                             "activation": run.config.activation, "trial": run.config.trial, "key": run.config.key,
                             "test_auroc": run.metrics["auroc"], "epochs_trained": trained["epochs_trained"],
                             "late_gain": trained["late_gain"], "method": method, "correct": bool(corr), **res})
    return pd.DataFrame(rows)


def pick_example(scores_by_name: dict, model_ppm, *, rule: str = "median") -> int:
    """Index of the sequence to draw, by a stated rule rather than by hand.

    ``rule="median"``: the sequence whose per-sequence saliency AUROC, averaged over the given score maps,
    is closest to the median over sequences (a typical example, neither the best nor the worst).

    Parameters
    ----------
    scores_by_name : dict of name -> array, shape=(N, L, 4)
    model_ppm : array_like, shape=(N, L, 4)

    Returns
    -------
    int
    """
    if rule != "median":
        raise UnknownNameError(f"unknown example rule {rule!r}; the only rule is 'median'")
    if not scores_by_name:
        raise ShapeError("scores_by_name is empty")
    per_seq = np.mean([interpretability_performance(None, s, model_ppm)["auroc_per_sequence"]
                       for s in scores_by_name.values()], axis=0)
    target = np.nanmedian(per_seq)
    return int(np.nanargmin(np.abs(per_seq - target)))


def correction_effect(table):
    """How much gradient correction changes attribution AUROC/AUPR, per model × activation × method.

    Parameters
    ----------
    table : DataFrame
        From :func:`attribution_table` with ``corrections=(False, True)``.

    Returns
    -------
    DataFrame
        One row per model × activation × method: medians over trials of ``auroc`` without and with the
        correction, the median paired change ``delta_auroc`` (and ``delta_aupr``), the share of trials the
        correction improved, and ``n_trials``.
    """
    keys = ["model", "activation", "method", "trial"]
    wide = table.pivot_table(index=keys, columns="correct", values=["auroc", "aupr"]).dropna()
    if wide.empty:
        return pd.DataFrame(columns=["model", "activation", "method", "auroc", "auroc_corrected", "delta_auroc",
                                     "delta_aupr", "improved", "n_trials"])
    flat = pd.DataFrame({"auroc": wide[("auroc", False)], "auroc_corrected": wide[("auroc", True)],
                         "delta_auroc": wide[("auroc", True)] - wide[("auroc", False)],
                         "delta_aupr": wide[("aupr", True)] - wide[("aupr", False)]}).reset_index()
    flat["improved"] = flat["delta_auroc"] > 0
    grouped = flat.groupby(["model", "activation", "method"], sort=False)
    out = grouped[["auroc", "auroc_corrected", "delta_auroc", "delta_aupr"]].median()
    out["improved"] = grouped["improved"].mean()
    out["n_trials"] = grouped.size()
    return out.reset_index()


def claims_table(saliency_table, classification_table, methods_table=None):
    """The paper's Task-3 claims, each judged on our paired trials by the book's rule
    (:func:`seqlib.book.verdict.judge`).

    Claims: C7, exponential beats relu on saliency AUROC (CNN-local, CNN-dist; size: the Fig 2b median, a bare value
    read off the figure); C7a, CNN-dist beats CNN-local on classification AUROC (relu, exponential; size: the Fig 2a
    centroid, a bare value); and, with ``methods_table``, C8, exponential beats relu for in-silico mutagenesis,
    integrated gradients and DeepSHAP (size: the Extended Data Fig 2 median). Saliency is C7's and is not repeated
    under C8.

    Parameters
    ----------
    saliency_table : DataFrame
        :func:`attribution_table` rows of method ``saliency`` (uncorrected rows are used).
    classification_table : DataFrame
        One row per run with model, activation, trial, ``test_auroc`` and the adequacy columns
        (:func:`seqlib.runs.results_table`).
    methods_table : DataFrame, optional
        :func:`attribution_table` rows of the four methods.

    Returns
    -------
    DataFrame with the columns of :func:`seqlib.book.verdict.judge`.
    """
    rows = []

    def paper(figure, statistic, model, activation):
        return paper_value(statistic, figure=figure, model=model, activation=activation)

    sal = saliency_table[(saliency_table["method"] == "saliency") & ~saliency_table["correct"].astype(bool)]
    for model in ("cnn-local", "cnn-dist"):
        rows.append(judge(sal, claim=f"{model}: saliency AUROC exponential > relu", value="auroc",
                          group="activation", higher="exponential", lower="relu", where={"model": model},
                          paper_higher=paper("Fig 2b", "saliency_auroc", model, "exponential"),
                          paper_lower=paper("Fig 2b", "saliency_auroc", model, "relu"), claim_id="C7",
                          not_run=NOT_RUN))
    for act in ("relu", "exponential"):
        rows.append(judge(classification_table, claim=f"{act}: classification AUROC cnn-dist > cnn-local",
                          value="test_auroc", group="model", higher="cnn-dist", lower="cnn-local",
                          where={"activation": act}, paper_higher=paper("Fig 2a", "test_auroc", "cnn-dist", act),
                          paper_lower=paper("Fig 2a", "test_auroc", "cnn-local", act), claim_id="C7a",
                          not_run=NOT_RUN))
    if methods_table is not None:
        unc = methods_table[~methods_table["correct"].astype(bool)]
        for model in ("cnn-local", "cnn-dist"):
            for method in METHODS:
                if method == "saliency":                  # C7's claim, on more sequences there
                    continue
                rows.append(judge(unc[unc["method"] == method], claim=f"{model}: {method} AUROC exponential > relu",
                                  value="auroc", group="activation", higher="exponential", lower="relu",
                                  where={"model": model},
                                  paper_higher=paper("ExtData 2", f"{method}_auroc", model, "exponential"),
                                  paper_lower=paper("ExtData 2", f"{method}_auroc", model, "relu"), claim_id="C8",
                                  not_run=NOT_RUN))
    return pd.DataFrame(rows)


#: References per sequence in the DeepSHAP comparison (the paper's number for DeepSHAP).
DEEPSHAP_REFERENCES = 10
#: This book's DeepSHAP agrees with ``shap.DeepExplainer`` when no attribution differs by more than this share of
#: the sequence's largest attribution: float32 arithmetic summed in another order, not another rule (a wrong rule
#: for one layer moves attributions by a sizeable fraction of their scale).
DEEPSHAP_TOLERANCE = 1e-4


def deepshap_agreement(runs: Sequence, X, *, n_references: int = DEEPSHAP_REFERENCES, seed: int = 0) -> pd.DataFrame:
    """This book's DeepSHAP (:func:`seqlib.attribution.deepshap`) against the ``shap`` package's
    ``DeepExplainer`` on trained runs' models, with the same shuffled references, cached in each run's folder.

    Parameters
    ----------
    runs : sequence of seqlib.runs.Run
        Single-output models (Task 3's CNN-local and CNN-dist).
    X : array_like, shape=(N, L, 4)
        Sequences to attribute (each is explained against its own ``n_references`` position shuffles).

    Returns
    -------
    DataFrame, one row per run: model, activation, trial, n_sequences, ``max_relative_difference`` (largest
    |ours − shap| over positions and bases, divided by the sequence's largest |shap| value, maximised over
    sequences), ``correlation`` (Pearson, all values), ``agrees`` (max_relative_difference ≤
    :data:`DEEPSHAP_TOLERANCE`), ``shap_seconds``
    """
    import shap  # deliberately lazy: the reference implementation is a dev dependency and slow to import

    X = np.asarray(X, dtype=np.float32)
    R = shuffled_references(X, n_references, seed)                      # (N, n_references, L, 4)
    rows = []
    for run in runs:
        def compute(run=run):
            model = run.load_model()
            ours = deepshap(model, X, references=R, times_input=False)
            t0 = time.perf_counter()
            theirs = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for i in range(len(X)):
                    values = np.asarray(shap.DeepExplainer(model, R[i]).shap_values(X[i:i + 1]))
                    theirs.append(values[..., 0] if values.ndim == 4 else values[0])
            theirs = np.concatenate(theirs).reshape(ours.shape)
            scale = np.abs(theirs).reshape(len(X), -1).max(1)
            rel = np.abs(ours - theirs).reshape(len(X), -1).max(1) / np.where(scale > 0, scale, 1)
            return {"max_relative_difference": float(rel.max()),
                    "correlation": float(np.corrcoef(ours.ravel(), theirs.ravel())[0, 1]),
                    "shap_seconds": time.perf_counter() - t0, "shap_version": shap.__version__}

        res = run.cached("deepshap_vs_shap", compute, data=array_digest(X), n_references=int(n_references),
                         seed=int(seed))
        rows.append({"model": run.config.model, "activation": run.config.activation, "trial": run.config.trial,
                     "n_sequences": int(len(X)), **res,
                     "agrees": res["max_relative_difference"] <= DEEPSHAP_TOLERANCE})
    return pd.DataFrame(rows)


def direction_text(task3_claims: pd.DataFrame) -> str:
    """One sentence per model on the direction of claim C7 (saliency AUROC, exponential > relu) in this build."""
    parts = []
    for _, r in task3_claims[task3_claims["id"] == "C7"].iterrows():
        if r["n_pairs"]:
            holds = "holds" if r["direction_holds"] else "does not hold"
            parts.append(f"{r['claim'].split(':')[0]}: exponential above relu in {r['fraction']:.0%} of "
                         f"{r['n_pairs']} paired trials (median {r['ours_higher']:.3f} vs {r['ours_lower']:.3f}), "
                         f"so the direction {holds}; verdict: {r['verdict']}")
    return "; ".join(parts) if parts else "not judged at this profile"


#: Why a Task-3 claim is not run, and the command that runs it.
NOT_RUN = "no trials of both sides in this build; `seqlib notebooks 05 --profile paper` runs it"
