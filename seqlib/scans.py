"""Scanning sequences for motifs, and how well a scan localises the planted motifs (Methods §7.3,
paper Extended Data Fig 1c,d).

Three scans over one-hot sequences ``(N, L, 4)``, each giving a score per position ``(N, L)``:

* **motif (PPM) scan**: the dot product of the zero-padded sequence with each motif PPM (both strands),
  maximum over motifs;
* **PWM scan**: the same with log-odds weights ``log2(p / 0.25 + 1e-10)``;
* **CNN scan**: the maximum over first-layer filters of the post-activation feature map.

Localisation score (the authors' notebook-local ``interpretability_performance(..., buffer)``): ground-truth
positions (IC > 0.01 bits) are dilated by a box of width ``buffer``; the sequence is cut into instances of
motif and background, each scored by the scan's maximum inside it; AUROC and AUPR are computed per sequence
over its instances and averaged over sequences. Two ways of cutting (``segmentation=``):

* ``"clean"`` (default): every maximal run of positive or negative positions is one instance, as Methods §7.3
  describes the procedure (:func:`segment_instances`);
* ``"authors"``: the loop of the authors' notebook, replayed step by step (:func:`authors_segment_instances`).
  Its search for the end of a run restarts at ``index + start`` although ``start`` is already a position in
  the sequence, so from the second run on a window can reach past the run's end into the next background
  and motif runs; the runs it jumps over are merged into that window or lost. It also re-uses the last
  run's start once more after the last run. Only the first run of each kind is cut as described.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import SegmentationError, ShapeError, UnknownNameError
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


#: Ways of cutting a sequence into scored instances, for :func:`localisation`.
SEGMENTATIONS = ("clean", "authors")


def _any_nonzero(indices: np.ndarray) -> bool:
    # the authors test a list of positions with Python's any(): an empty list and the list [0] are both false
    return bool(np.any(indices != 0))


def authors_segment_instances(labels_row, scan_row, carried_start: int | None = None
                              ) -> tuple[np.ndarray, np.ndarray, int]:
    """One sequence cut into instances exactly as the authors' notebook loop does (Methods §7.3, §9.8).

    Two passes, one collecting motif (label 1) instances, then one collecting background (label 0) instances.
    Each pass keeps a cursor ``index`` (0 at first). Per step it finds the next position ``start`` at or after
    ``index`` with the pass's label; it then looks for the first position of the other label at or after
    ``index + start`` (not at or after ``start``: ``start`` already counts from the beginning of the
    sequence), calls that position ``end``, scores ``scan_row[start:end]`` by its maximum and moves
    ``index`` to ``end``. Quirks reproduced as they are:

    * a step finds its ``start`` only when the positions found contain one other than the cursor itself
      (Python's ``any()`` on a list of positions); otherwise the pass ends after this step, which still looks
      for an end with the previous ``start`` (from earlier in the pass, from the other pass or from the
      previous sequence: ``carried_start``) and can add one more instance with it;
    * the motif pass adds no instance when no end is found (a run reaching the end of the sequence, or
      ``index + start`` past it); the background pass then scores ``scan_row[start:]`` and stops.

    Parameters
    ----------
    labels_row : array_like, shape=(L,)
        0/1 labels (dilated motif positions).
    scan_row : array_like, shape=(L,)
        Scan score per position.
    carried_start : int, optional
        The ``start`` the loop left behind for the previous sequence (None before the first sequence).

    Returns
    -------
    labels : numpy.ndarray, shape=(K,)
        1 for each motif instance, then 0 for each background instance.
    scores : numpy.ndarray, shape=(K,)
        The scan's maximum in each instance's window.
    start : int
        The loop's ``start`` after this sequence, to pass on as the next sequence's ``carried_start``.

    Raises
    ------
    SegmentationError
        Where the authors' loop fails: a stale ``start`` is needed before any was set, or a window is
        empty. A sequence without any motif position (on which their loop usually fails) is instead given
        what the loop computes when it survives it: no motif instance and one background instance, the
        whole sequence (``start`` left at 0); its AUROC/AUPR are then undefined.
    """
    labels_row = np.asarray(labels_row)
    scan_row = np.asarray(scan_row, dtype=np.float64)
    if labels_row.ndim != 1 or labels_row.shape != scan_row.shape:
        raise ShapeError(f"labels_row {labels_row.shape} and scan_row {scan_row.shape} must be equal 1-d shapes")
    if not np.isin(labels_row, (0, 1)).all():
        raise ValueError("labels_row must hold only 0 and 1")
    length = len(labels_row)
    if not (labels_row == 1).any():
        return np.zeros(1), np.array([scan_row.max()]), 0
    start = carried_start
    scores = {1: [], 0: []}
    for wanted in (1, 0):
        other = 1 - wanted
        index, going = 0, True
        while going:
            found = np.flatnonzero(labels_row[index:] == wanted)
            if _any_nonzero(found):
                start = index + int(found[0])
            else:
                going = False
            if start is None:
                raise SegmentationError("the authors' loop would use its 'start' before setting it (the first "
                                        "sequence's only motif position is position 0)")
            after = np.flatnonzero(labels_row[index + start:] == other)
            if _any_nonzero(after):
                end = index + start + int(after[0])
            elif wanted == 1:
                going = False
                continue
            else:
                end, going = length, False
            if end <= start:
                raise SegmentationError(f"the authors' loop would take the maximum of an empty window "
                                        f"[{start}, {end})")
            scores[wanted].append(scan_row[start:end].max())
            index = end
    labels = np.r_[np.ones(len(scores[1])), np.zeros(len(scores[0]))]
    return labels, np.asarray(scores[1] + scores[0], dtype=np.float64), int(start)


def localisation(scan, model_ppm, *, buffer: int = 10, threshold: float = 0.01,
                 segmentation: str = "clean") -> dict:
    """How well a scan localises ground-truth motifs (segment-level AUROC/AUPR per sequence).

    Parameters
    ----------
    scan : array_like, shape=(N, L)
    model_ppm : array_like, shape=(N, L, 4)
        Ground-truth sequence models (positions with IC > ``threshold`` are motif positions).
    buffer : int
        Dilation width (paper: 10).
    segmentation : {"clean", "authors"}
        How sequences are cut into instances: maximal runs (``"clean"``, :func:`segment_instances`) or the
        authors' loop (``"authors"``, :func:`authors_segment_instances`, whose state carries over from one
        sequence to the next as in their notebook).

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
    if segmentation not in SEGMENTATIONS:
        raise UnknownNameError(f"unknown segmentation {segmentation!r}; choose one of {', '.join(SEGMENTATIONS)}")
    labels = dilate(information_content(model_ppm) > threshold, buffer)
    rocs, prs = [], []
    carried = None
    for lab, sc in zip(labels, scan):
        if segmentation == "authors":
            seg_labels, seg_scores, carried = authors_segment_instances(lab.astype(int), sc, carried)
        else:
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
