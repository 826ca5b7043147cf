import numpy as np
import pytest
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score

from seqlib.errors import ShapeError
from seqlib.metrics import aupr, auroc, binary_crossentropy, classification_metrics


def test_perfect_and_reversed_scores():
    y = np.array([0, 0, 1, 1])
    assert auroc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert auroc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert aupr(y, [0.1, 0.2, 0.8, 0.9]) == 1.0


def test_aupr_is_trapezoid_not_average_precision():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = y * 0.3 + rng.random(500)
    precision, recall, _ = precision_recall_curve(y, s)
    assert aupr(y, s) == pytest.approx(auc(recall, precision))
    # the paper's trapezoid AUPR is not sklearn's step-wise average precision
    assert abs(aupr(y, s) - average_precision_score(y, s)) > 1e-4
    assert auroc(y, s) == pytest.approx(roc_auc_score(y, s))


def test_multi_label_means_ignore_single_class_columns():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, (300, 3)).astype(float)
    y[:, 2] = 0                       # no positives: undefined AUROC/AUPR
    s = rng.random((300, 3))
    m = classification_metrics(y, s)
    assert np.isnan(m["auroc_per_class"][2]) and np.isnan(m["aupr_per_class"][2])
    assert m["auroc"] == pytest.approx(np.mean([roc_auc_score(y[:, t], s[:, t]) for t in range(2)]))
    assert m["n"] == 300 and m["n_classes"] == 3


def test_errors_name_the_problem():
    with pytest.raises(ShapeError, match="same shape"):
        classification_metrics(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="NaN or inf"):
        classification_metrics([0, 1], [0.5, np.nan])


def test_binary_crossentropy_matches_formula():
    y = np.array([[1.0, 0.0]])
    p = np.array([[0.8, 0.3]])
    assert binary_crossentropy(y, p) == pytest.approx(-(np.log(0.8) + np.log(0.7)) / 2)


@pytest.mark.parametrize("ties", [False, True])
def test_curve_areas_equal_scikit_learn_on_random_data(ties):
    from sklearn.metrics import roc_curve

    from seqlib.metrics import curve_areas
    rng = np.random.default_rng(7 + ties)
    for _ in range(500):
        n = int(rng.integers(2, 40))
        y = rng.integers(0, 2, n)
        if y.min() == y.max():
            continue
        s = rng.integers(0, 4, n).astype(float) if ties else rng.random(n)
        fpr, tpr, _ = roc_curve(y, s)
        precision, recall, _ = precision_recall_curve(y, s)
        roc, pr = curve_areas(y, s)
        assert roc == pytest.approx(auc(fpr, tpr)) and pr == pytest.approx(auc(recall, precision))
    assert all(np.isnan(curve_areas([1, 1], [0.2, 0.3])))


# ----------------------------------------------------------------------------- attribution quality (Methods §7.2)

from seqlib.metrics import attribution_snr, ground_truth_positions, interpretability_performance  # noqa: E402


def _truth(rng, n=6, length=40):
    """Uniform sequence models with two planted motif stretches per sequence (one a low-IC column)."""
    ppm = np.full((n, length, 4), 0.25)
    for j in range(n):
        start = rng.integers(0, length - 8)
        ppm[j, start:start + 6] = np.eye(4)[rng.integers(0, 4, 6)]
        ppm[j, start + 6] = [0.2501, 0.2499, 0.25, 0.25]      # IC far below 0.01: not ground truth
    return ppm


def test_ground_truth_positions_threshold():
    ppm = _truth(np.random.default_rng(0))
    labels = ground_truth_positions(ppm)
    assert labels.shape == ppm.shape[:2]
    assert (labels.sum(1) == 6).all()                          # the near-uniform column is excluded
    with pytest.raises(ShapeError):
        ground_truth_positions(ppm[0])


def test_interpretability_performance_matches_sklearn_per_sequence():
    rng = np.random.default_rng(1)
    ppm = _truth(rng)
    X = np.eye(4)[rng.integers(0, 4, ppm.shape[:2])]
    labels = ground_truth_positions(ppm)
    raw = rng.normal(size=ppm.shape) + 1.5 * labels[..., None]
    scores = raw * X
    res = interpretability_performance(X, scores, ppm)
    s = scores.sum(-1)                                          # signed score at the observed base
    rocs = [roc_auc_score(labels[j], s[j]) for j in range(len(s))]
    prs = []
    for j in range(len(s)):
        precision, recall, _ = precision_recall_curve(labels[j], s[j])
        prs.append(auc(recall, precision))
    assert res["auroc"] == pytest.approx(np.mean(rocs))
    assert res["aupr"] == pytest.approx(np.mean(prs))
    assert res["n_scored"] == len(s)
    # signed: flipping the sign of the scores turns AUROC into 1 - AUROC
    assert interpretability_performance(X, -scores, ppm)["auroc"] == pytest.approx(1 - res["auroc"])


def test_interpretability_performance_errors():
    ppm = _truth(np.random.default_rng(2))
    with pytest.raises(ShapeError):
        interpretability_performance(None, np.zeros((6, 40)), ppm)
    with pytest.raises(ShapeError):
        interpretability_performance(None, np.zeros((6, 41, 4)), ppm)
    with pytest.raises(ValueError, match="NaN"):
        interpretability_performance(None, np.full(ppm.shape, np.nan), ppm)
    with pytest.raises(ValueError, match="nothing to score"):
        interpretability_performance(None, np.ones(ppm.shape), np.full(ppm.shape, 0.25))


def test_attribution_snr_on_a_constructed_map():
    ppm = _truth(np.random.default_rng(3))
    labels = ground_truth_positions(ppm)
    scores = np.zeros(ppm.shape)
    scores[..., 0] = np.where(labels, -2.0, 0.5)               # absolute values: motif 2, background 0.5
    res = attribution_snr(scores, ppm)
    assert res["snr"] == pytest.approx(4.0)
    motif_share = labels.mean(1)
    expected_mass = np.mean(2 * motif_share / (2 * motif_share + 0.5 * (1 - motif_share)))
    assert res["mass_fraction"] == pytest.approx(expected_mass)
    assert res["motif_fraction"] == pytest.approx(labels.mean())
    flat = attribution_snr(np.ones(ppm.shape), ppm)
    assert flat["snr"] == pytest.approx(1.0)
