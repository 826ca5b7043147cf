"""Scan localisation (ExtData 1c,d): motif/PWM scans, dilation, segments, per-sequence scoring."""

import numpy as np
import pytest

from seqlib.errors import ShapeError, UnknownNameError
from seqlib.motifs import Motif, load_jaspar, with_reverse_complements
from seqlib.scans import (
    SegmentationError,
    authors_segment_instances,
    cnn_scan,
    dilate,
    localisation,
    motif_scan,
    segment_instances,
)
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


# ----------------------------------------------------------------------------- the authors' segmentation
def _labels(length, runs):
    row = np.zeros(length, int)
    for a, b in runs:
        row[a:b] = 1
    return row


def _windows(scan, windows):
    return [scan[a:b].max() for a, b in windows]


def test_authors_segmentation_on_three_motif_runs_traced_by_hand():
    # motif runs [3, 6), [10, 13), [20, 24) in 30 positions; background runs [0, 3), [6, 10), [13, 20), [24, 30)
    labels = _labels(30, [(3, 6), (10, 13), (20, 24)])
    scan = np.random.default_rng(5).permutation(30).astype(float)       # distinct values: every window differs
    got_labels, got_scores, start = authors_segment_instances(labels, scan)
    # traced by hand through the authors' loop:
    #  motif pass: [3, 6); then start 10 but the end is searched from 6 + 10 = 16, so the window is [10, 16)
    #              (it runs three positions into the background); then start 20, end searched from 16 + 20 = 36,
    #              past the sequence: no end, the third motif run is lost
    #  background pass: [0, 3); start 6, end searched from 3 + 6 = 9, first motif position 10: [6, 10);
    #              start 13, end searched from 10 + 13 = 23, where the only motif position left is position 23
    #              itself (relative index 0, which any() reads as false): the window runs to the end, [13, 30),
    #              merging the third motif run into the background
    motif = [(3, 6), (10, 16)]
    background = [(0, 3), (6, 10), (13, 30)]
    assert got_labels.tolist() == [1, 1, 0, 0, 0]
    np.testing.assert_array_equal(got_scores, _windows(scan, motif + background))
    assert start == 13
    # the clean segmentation keeps all seven runs
    clean_labels, clean_scores = segment_instances(labels, scan)
    runs = [(0, 3), (3, 6), (6, 10), (10, 13), (13, 20), (20, 24), (24, 30)]
    assert clean_labels.tolist() == [0, 1, 0, 1, 0, 1, 0]
    np.testing.assert_array_equal(clean_scores, _windows(scan, runs))


def test_authors_segmentation_reuses_the_last_start_after_the_last_run():
    # motif runs [2, 4) and [6, 8) in 40 positions
    labels = _labels(40, [(2, 4), (6, 8)])
    scan = np.random.default_rng(6).permutation(40).astype(float)
    got_labels, got_scores, start = authors_segment_instances(labels, scan)
    # motif pass: [2, 4); start 6, end searched from 4 + 6 = 10: [6, 10); no motif position after 10, so the
    #   pass stops, but its last step still searches an end from 10 + 6 = 16 with the old start: [6, 16) once more
    # background pass: [0, 2); start 4, end searched from 2 + 4 = 6 (a motif position): [4, 6);
    #   start 8, no motif position after 6 + 8 = 14: [8, 40)
    motif = [(2, 4), (6, 10), (6, 16)]
    background = [(0, 2), (4, 6), (8, 40)]
    assert got_labels.tolist() == [1, 1, 1, 0, 0, 0] and start == 8
    np.testing.assert_array_equal(got_scores, _windows(scan, motif + background))


def test_authors_segmentation_edge_cases():
    scan = np.arange(12.0)
    # no motif position: one background instance (their loop fails or scores nothing there); undefined AUROC
    got_labels, got_scores, start = authors_segment_instances(np.zeros(12, int), scan, carried_start=4)
    assert got_labels.tolist() == [0] and got_scores.tolist() == [11.0] and start == 0
    # the only motif position is position 0 of the first sequence: their loop would use 'start' unset
    with pytest.raises(SegmentationError, match="before setting it"):
        authors_segment_instances(_labels(12, [(0, 1)]), scan)
    with pytest.raises(ShapeError):
        authors_segment_instances(np.zeros(5, int), scan)
    with pytest.raises(ValueError, match="only 0 and 1"):
        authors_segment_instances(np.full(12, 2), scan)


def test_localisation_segmentation_option():
    ds = simulate_task1(n_sequences=500, seed=4)
    pool = with_reverse_complements(load_jaspar(ds.meta["class_ids"]))
    pwm = motif_scan(ds.test.X, pool, log_odds=True)
    clean = localisation(pwm, ds.test.model)
    np.testing.assert_array_equal(clean["auroc_per_sequence"],
                                  localisation(pwm, ds.test.model, segmentation="clean")["auroc_per_sequence"])
    authors = localisation(pwm, ds.test.model, segmentation="authors")
    # windows that overrun into the background lower the PWM scan's scores
    assert authors["auroc"] < clean["auroc"] and authors["aupr"] < clean["aupr"]
    assert 0 < authors["n_scored"] <= clean["n_scored"] == len(pwm)
    with pytest.raises(UnknownNameError, match="segmentation"):
        localisation(pwm, ds.test.model, segmentation="paper")


@pytest.mark.slow
def test_authors_segmentation_on_the_authors_data_prints_their_motif_scan_numbers():
    # the authors' data (seed 33 replayed) and their loop give the motif-scan values their notebook printed,
    # at the figure's buffer and across their buffer sweep
    from seqlib.book.experiments import paper_scan_statistic
    from seqlib.book.paper import paper_value
    ds = simulate_task1(engine="reference")
    pool = with_reverse_complements(load_jaspar(ds.meta["class_ids"]))
    scan = motif_scan(ds.test.X, pool)
    where = dict(figure="ExtData 1c,d", model="motif scan")
    for buffer in (5, 10, 15, 20):
        result = localisation(scan, ds.test.model, buffer=buffer, segmentation="authors")
        for stat in ("auroc", "aupr"):
            assert result[stat] == pytest.approx(paper_value(paper_scan_statistic(stat, buffer), **where), abs=5e-4)
            if buffer == 10:
                assert result[f"{stat}_std"] == pytest.approx(paper_value(f"scan_{stat}_sd", **where), abs=5e-5)
