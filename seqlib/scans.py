"""Scanning sequences for motifs, and how well a scan localises the planted motifs (Methods §7.3,
paper Extended Data Fig 1c,d).

Three scans over one-hot sequences ``(N, L, 4)``, each giving a score per position ``(N, L)``:

* **motif (PPM) scan**: the dot product of the zero-padded sequence with each motif PPM (both strands),
  maximum over motifs;
* **PWM scan**: the same with log-odds weights ``log2(p / 0.25 + 1e-10)``;
* **CNN scan**: the maximum over first-layer filters of the post-activation feature map.

Localisation score (the authors' notebook-local ``interpretability_performance(..., buffer)``): ground-truth
positions (IC > 0.01 bits) are dilated by a box of width ``buffer``; the sequence is cut into maximal runs
of positive and negative positions; each run is one instance scored by the scan's maximum inside it; AUROC
and AUPR are computed per sequence over its instances and averaged over sequences.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import ShapeError
from .metrics import curve_areas
from .motifs import Motif, information_content


def motif_scan(X, motifs: Sequence[Motif], *, log_odds: bool = False) -> np.ndarray:
    """Best motif match score at every position (Methods §7.3).

    Parameters
    ----------
    X : array_like, shape=(N, L, 4)
    motifs : sequence of Motif
        Include reverse complements yourself (the paper scans 12 TFs and their 12 RCs).
    log_odds : bool
        Score with ``log2(p / 0.25 + 1e-10)`` (a PWM scan) instead of the probabilities.

    Returns
    -------
    numpy.ndarray, shape=(N, L)
        Position ``i`` is the motif window starting at ``i - floor(M / 2)`` (zero padding outside).
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 3 or X.shape[-1] != 4:
        raise ShapeError(f"X must have shape (N, L, 4); got {X.shape}")
    n, length, _ = X.shape
    best = np.full((n, length), -np.inf, dtype=np.float32)
    for motif in motifs:
        weights = np.log2(motif.ppm / 0.25 + 1e-10) if log_odds else motif.ppm
        weights = weights.astype(np.float32)
        width = len(weights)
        left = width // 2
        padded = np.pad(X, ((0, 0), (left, width - 1 - left), (0, 0)))
        score = np.zeros((n, length), np.float32)
        for j in range(width):
            score += padded[:, j:j + length] @ weights[j]
        np.maximum(best, score, out=best)
    return best


def cnn_scan(fmaps) -> np.ndarray:
    """Maximum over filters of first-layer feature maps ``(N, L, F)`` → ``(N, L)``."""
    fmaps = np.asarray(fmaps)
    if fmaps.ndim != 3:
        raise ShapeError(f"fmaps must have shape (N, L, F); got {fmaps.shape}")
    return fmaps.max(-1)


def dilate(labels, buffer: int) -> np.ndarray:
    """Position ``i`` becomes positive if a positive lies in ``[i - buffer // 2, i + buffer - buffer // 2 - 1]``.

    With ``buffer=10`` that is ``[i-5, i+4]``, as the authors' box filter. ``labels`` is (N, L) 0/1.
    """
    labels = np.asarray(labels, dtype=bool)
    if buffer <= 1:
        return labels.copy()
    before, after = buffer // 2, buffer - buffer // 2 - 1
    out = np.zeros_like(labels)
    length = labels.shape[1]
    for shift in range(-before, after + 1):
        src = slice(max(0, shift), length + min(0, shift))
        dst = slice(max(0, -shift), length - max(0, shift))
        out[:, dst] |= labels[:, src]
    return out


def segment_instances(labels_row: np.ndarray, scan_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximal runs of equal label in one sequence → (run labels, max of the scan in each run)."""
    labels_row = np.asarray(labels_row, dtype=int)
    edges = np.flatnonzero(np.diff(labels_row)) + 1
    starts = np.concatenate([[0], edges])
    return labels_row[starts], np.maximum.reduceat(np.asarray(scan_row, dtype=np.float64), starts)


def localisation(scan, model_ppm, *, buffer: int = 10, threshold: float = 0.01) -> dict:
    """How well a scan localises ground-truth motifs (segment-level AUROC/AUPR per sequence).

    Parameters
    ----------
    scan : array_like, shape=(N, L)
    model_ppm : array_like, shape=(N, L, 4)
        Ground-truth sequence models (positions with IC > ``threshold`` are motif positions).
    buffer : int
        Dilation width (paper: 10).

    Returns
    -------
    dict with ``auroc`` and ``aupr`` (means over sequences with both kinds of segment), their standard
    deviations, per-sequence arrays ``auroc_per_sequence`` / ``aupr_per_sequence`` (NaN where undefined)
    and ``n_scored``.
    """
    scan = np.asarray(scan, dtype=np.float64)
    model_ppm = np.asarray(model_ppm)
    if scan.shape != model_ppm.shape[:2]:
        raise ShapeError(f"scan {scan.shape} must match the ground truth's (N, L) {model_ppm.shape[:2]}")
    labels = dilate(information_content(model_ppm) > threshold, buffer)
    rocs, prs = [], []
    for lab, sc in zip(labels, scan):
        seg_labels, seg_scores = segment_instances(lab, sc)
        if seg_labels.min() == seg_labels.max():
            rocs.append(np.nan)
            prs.append(np.nan)
            continue
        roc, pr = curve_areas(seg_labels, seg_scores)
        rocs.append(roc)
        prs.append(pr)
    rocs, prs = np.array(rocs), np.array(prs)
    return {"auroc": float(np.nanmean(rocs)), "aupr": float(np.nanmean(prs)),
            "auroc_std": float(np.nanstd(rocs)), "aupr_std": float(np.nanstd(prs)),
            "auroc_per_sequence": rocs, "aupr_per_sequence": prs, "n_scored": int(np.isfinite(rocs).sum())}
