"""Scan localisation (ExtData 1c,d): motif/PWM scans, dilation, segments, per-sequence scoring."""

import numpy as np
import pytest

from seqlib.errors import ShapeError
from seqlib.motifs import Motif, load_jaspar, with_reverse_complements
from seqlib.scans import cnn_scan, dilate, localisation, motif_scan, segment_instances
from seqlib.simulate import simulate_task1


def test_motif_scan_peaks_where_the_motif_is():
    X = np.eye(4, dtype=np.float32)[np.zeros((1, 30), int)]        # poly-A
    X[0, 10:14] = np.eye(4)                                         # ACGT at 10-13
    motif = Motif("m", "m", np.eye(4))
    scan = motif_scan(X, [motif])
    assert scan.shape == (1, 30) and scan[0].argmax() == 10 + 4 // 2 and scan[0].max() == pytest.approx(4)
    pwm = motif_scan(X, [motif], log_odds=True)
    assert pwm[0].argmax() == 12 and pwm[0, 12] == pytest.approx(8, abs=1e-6)      # 4 x log2(1 / 0.25)
    with pytest.raises(ShapeError):
        motif_scan(X[0], [motif])


def test_dilation_box_and_segments():
    labels = np.zeros((1, 30), bool)
    labels[0, 15] = True
    d = dilate(labels, 10)
    assert np.flatnonzero(d[0]).tolist() == list(range(11, 21))     # i in [15-4, 15+5]: i-5 <= 15 <= i+4
    seg_labels, seg_max = segment_instances(d[0].astype(int), np.arange(30.0))
    assert seg_labels.tolist() == [0, 1, 0] and seg_max.tolist() == [10, 20, 29]


def test_perfect_scan_scores_one_and_shapes_are_checked():
    ds = simulate_task1(n_sequences=300, seed=3)
    from seqlib.motifs import information_content
    truth = (information_content(ds.test.model) > 0.01).astype(float)
    result = localisation(dilate(truth, 10).astype(float), ds.test.model)
    assert result["auroc"] == pytest.approx(1.0) and result["aupr"] == pytest.approx(1.0)
    with pytest.raises(ShapeError, match="must match"):
        localisation(np.zeros((3, 10)), ds.test.model)
    assert cnn_scan(np.ones((2, 5, 3))).shape == (2, 5)


def test_motif_scan_localises_planted_motifs_like_the_paper():
    # the paper's historical motif-scan numbers: AUROC 0.667 +- 0.337, AUPR 0.648 (methods §7.3, [P])
    ds = simulate_task1(n_sequences=3000, seed=33)
    pool = with_reverse_complements(load_jaspar(ds.meta["class_ids"]))
    result = localisation(motif_scan(ds.test.X, pool), ds.test.model)
    assert abs(result["auroc"] - 0.667) < 0.05 and abs(result["aupr"] - 0.648) < 0.05
    pwm = localisation(motif_scan(ds.test.X, pool, log_odds=True), ds.test.model)
    assert pwm["auroc"] > result["auroc"]
