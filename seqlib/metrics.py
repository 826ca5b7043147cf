"""Classification metrics exactly as the paper computes them (``tfomics.metrics.calculate_metrics``).

Per class: AUROC from ``roc_curve`` + ``auc`` and AUPR as the **trapezoid area under the PR curve**,
``auc(recall, precision)`` (not average precision, which is a step sum and comes out lower). The model
score is the mean over classes, ignoring classes without both positives and negatives.
"""

from __future__ import annotations

import numpy as np

from .errors import ShapeError
from .motifs import information_content


def _as_2d(a, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ShapeError(f"{name} must have shape (N,) or (N, T); got {a.shape}")
    return a


def curve_areas(y_true, y_score) -> tuple[float, float]:
    """AUROC and trapezoid AUPR of one class, identical to scikit-learn's
    ``auc(*roc_curve(y, s)[:2])`` and ``auc(recall, precision)`` from ``precision_recall_curve``
    (ties handled the same way; tests pin the equality), without scikit-learn's per-call overhead,
    which dominates when scoring thousands of short per-sequence segment lists.

    Parameters
    ----------
    y_true : array_like, shape=(N,), 0/1
    y_score : array_like, shape=(N,)

    Returns
    -------
    (auroc, aupr), both NaN when only one class is present
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    s = np.asarray(y_score, dtype=np.float64).ravel()
    if len(y) != len(s):
        raise ShapeError(f"y_true ({len(y)}) and y_score ({len(s)}) must have the same length")
    if len(y) == 0 or y.min() == y.max():
        return float("nan"), float("nan")
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(y) - 1]      # last index of each distinct threshold
    tps = np.cumsum(y)[last]
    fps = 1 + last - tps
    roc = np.trapezoid(np.r_[0.0, tps / tps[-1]], np.r_[0.0, fps / fps[-1]])
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    pr = -np.trapezoid(np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0])
    return float(roc), float(pr)


def auroc(y_true, y_score) -> float:
    """Area under the ROC curve of one class (NaN when only one class is present).

    Parameters
    ----------
    y_true : array_like, shape=(N,), 0/1
    y_score : array_like, shape=(N,)
    """
    return curve_areas(y_true, y_score)[0]


def aupr(y_true, y_score) -> float:
    """Trapezoid area under the precision-recall curve of one class, ``auc(recall, precision)``.

    NaN when the class has no positives (or no negatives).
    """
    return curve_areas(y_true, y_score)[1]


def classification_metrics(y_true, y_score) -> dict:
    """Per-class and mean AUROC / AUPR as the paper reports them.

    Parameters
    ----------
    y_true : array_like, shape=(N, T) or (N,), 0/1 labels
    y_score : array_like, same shape, predicted probabilities

    Returns
    -------
    dict
        ``auroc`` and ``aupr`` (nan-mean over classes), ``auroc_per_class`` and ``aupr_per_class``
        (lists of T floats, NaN for a class without both labels), ``n`` and ``n_classes``.
    """
    y_true = _as_2d(y_true, "y_true")
    y_score = _as_2d(y_score, "y_score")
    if y_true.shape != y_score.shape:
        raise ShapeError(f"y_true {y_true.shape} and y_score {y_score.shape} must have the same shape")
    if not np.isfinite(y_score).all():
        raise ValueError("y_score contains NaN or inf; the model's predictions are not finite")
    areas = [curve_areas(y_true[:, t], y_score[:, t]) for t in range(y_true.shape[1])]
    per_roc = [a[0] for a in areas]
    per_pr = [a[1] for a in areas]
    with np.errstate(all="ignore"):
        mean_roc = float(np.nanmean(per_roc)) if not np.isnan(per_roc).all() else float("nan")
        mean_pr = float(np.nanmean(per_pr)) if not np.isnan(per_pr).all() else float("nan")
    return {"auroc": mean_roc, "aupr": mean_pr, "auroc_per_class": per_roc, "aupr_per_class": per_pr,
            "n": int(len(y_true)), "n_classes": int(y_true.shape[1])}


def binary_crossentropy(y_true, y_score, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy over all entries (Keras' clipping at ``eps``)."""
    y_true = _as_2d(y_true, "y_true")
    p = np.clip(_as_2d(y_score, "y_score"), eps, 1 - eps)
    return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))


# ----------------------------------------------------------------------------- attribution quality (Methods §7.2)

def ground_truth_positions(model_ppm, threshold: float = 0.01) -> np.ndarray:
    """Ground-truth motif positions: information content of the sequence model above ``threshold`` bits.

    Parameters
    ----------
    model_ppm : array_like, shape=(N, L, 4)
        Ground-truth sequence-model PPMs (``Split.model``; uniform columns outside planted motifs).
    threshold : float
        IC threshold in bits (paper: 0.01), IC = 2 + Σ_a p_a log2(p_a + 1e-10).

    Returns
    -------
    numpy.ndarray, shape=(N, L), bool
    """
    model_ppm = np.asarray(model_ppm, dtype=np.float64)
    if model_ppm.ndim != 3 or model_ppm.shape[-1] != 4:
        raise ShapeError(f"model_ppm must have shape (N, L, 4); got {model_ppm.shape}")
    return information_content(model_ppm) > threshold


def _position_scores(X, scores, model_ppm) -> tuple[np.ndarray, np.ndarray]:
    """Checked per-position scores ``(N, L)`` (sum over the bases of ``scores``) and ground truth ``(N, L, 4)``."""
    scores = np.asarray(scores, dtype=np.float64)
    model_ppm = np.asarray(model_ppm, dtype=np.float64)
    if scores.ndim != 3 or scores.shape[-1] != 4:
        raise ShapeError(f"scores must have shape (N, L, 4); got {scores.shape}")
    if model_ppm.shape != scores.shape:
        raise ShapeError(f"model_ppm {model_ppm.shape} must have the shape of scores {scores.shape}")
    if X is not None and np.shape(X) != scores.shape:
        raise ShapeError(f"X {np.shape(X)} must have the shape of scores {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or inf; the attribution method did not return finite values")
    return scores.sum(-1), model_ppm


def interpretability_performance(X, scores, model_ppm, *, threshold: float = 0.01) -> dict:
    """Attribution AUROC and AUPR against ground-truth motif positions, as the paper scores them (Methods §7.2).

    For each sequence, the per-position score is the **signed** sum of ``scores`` over the four bases (scores
    are multiplied by the one-hot sequence beforehand, so this is the score at the observed base); the labels
    are the positions whose ground-truth information content exceeds ``threshold``. AUROC and the trapezoid
    AUPR (:func:`curve_areas`) are computed per sequence and averaged over sequences.

    Parameters
    ----------
    X : array_like or None, shape=(N, L, 4)
        The one-hot sequences (only their shape is checked; the scores are expected already multiplied by X).
    scores : array_like, shape=(N, L, 4)
        Attribution scores, e.g. from :func:`seqlib.attribution.attribute`.
    model_ppm : array_like, shape=(N, L, 4)
        Ground-truth sequence models.
    threshold : float
        IC threshold in bits for a ground-truth position (paper: 0.01).

    Returns
    -------
    dict
        ``auroc``, ``aupr`` (means over sequences with both kinds of position), ``auroc_std``, ``aupr_std``,
        ``auroc_per_sequence``, ``aupr_per_sequence`` (shape=(N,), NaN where a sequence has one class only)
        and ``n_scored``.
    """
    s, model_ppm = _position_scores(X, scores, model_ppm)
    labels = ground_truth_positions(model_ppm, threshold)
    areas = np.array([curve_areas(lab, sc) for lab, sc in zip(labels, s)], dtype=np.float64).reshape(-1, 2)
    rocs, prs = areas[:, 0], areas[:, 1]
    scored = np.isfinite(rocs)
    if not scored.any():
        raise ValueError("no sequence has both ground-truth and background positions; nothing to score")
    return {"auroc": float(np.nanmean(rocs)), "aupr": float(np.nanmean(prs)),
            "auroc_std": float(np.nanstd(rocs)), "aupr_std": float(np.nanstd(prs)),
            "auroc_per_sequence": rocs, "aupr_per_sequence": prs, "n_scored": int(scored.sum())}


def attribution_snr(scores, model_ppm, *, threshold: float = 0.01) -> dict:
    """Signal-to-noise of attribution maps: how much attribution sits on ground-truth motif positions.

    Not a statistic of the paper (Methods §7.2 has none); defined here, per sequence, on the absolute
    per-position score ``a_i = |Σ_b scores[i, b]|``:

    * ``snr``: mean ``a_i`` over motif positions divided by mean ``a_i`` over background positions (1 when
      attribution does not prefer motifs; larger is better);
    * ``mass_fraction``: the share of the total ``Σ_i a_i`` on motif positions (compare with
      ``motif_fraction``, the share of positions that are motif positions).

    Parameters
    ----------
    scores : array_like, shape=(N, L, 4)
    model_ppm : array_like, shape=(N, L, 4)
    threshold : float
        IC threshold in bits for a ground-truth position.

    Returns
    -------
    dict
        ``snr`` (median over sequences: the ratio is heavy-tailed), ``snr_mean``, ``mass_fraction`` and
        ``motif_fraction`` (means over sequences), ``snr_per_sequence`` (shape=(N,), NaN where a sequence has
        one class only or no background attribution).
    """
    s, model_ppm = _position_scores(None, scores, model_ppm)
    labels = ground_truth_positions(model_ppm, threshold)
    a = np.abs(s)
    n_pos = labels.sum(1)
    n_neg = (~labels).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        signal = np.where(labels, a, 0).sum(1) / n_pos
        noise = np.where(labels, 0, a).sum(1) / n_neg
        snr = np.where((n_pos > 0) & (n_neg > 0) & (noise > 0), signal / noise, np.nan)
        mass = np.where(a.sum(1) > 0, np.where(labels, a, 0).sum(1) / a.sum(1), np.nan)
    if np.isnan(snr).all():
        raise ValueError("no sequence has both ground-truth and background positions with attribution")
    return {"snr": float(np.nanmedian(snr)), "snr_mean": float(np.nanmean(snr)),
            "mass_fraction": float(np.nanmean(mass)), "motif_fraction": float(labels.mean()),
            "snr_per_sequence": snr}
