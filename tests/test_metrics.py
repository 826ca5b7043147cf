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
    from seqlib.metrics import curve_areas
    from sklearn.metrics import roc_curve
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
