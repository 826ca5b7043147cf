"""Training protocol: determinism, early stopping / LR schedule, restore-best, NaN guard, evaluation."""

import numpy as np
import pytest

import seqlib.training as training
from seqlib.errors import TrainingDivergedError
from seqlib.models import build_model
from seqlib.simulate import simulate_task1
from seqlib.training import TrainConfig, evaluate, train_model


@pytest.fixture(scope="module")
def data():
    return simulate_task1(n_sequences=800, seed=5)


def _build(activation="exponential", **kwargs):
    return lambda: build_model("cnn-local", activation, input_length=200, n_outputs=12, **kwargs)


def _weights_equal(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))


def test_same_seed_same_weights_and_history(data):
    cfg = TrainConfig(epochs=2, patience=None, seed=3)
    m1, h1 = train_model(_build(), data.train, data.valid, cfg, progress=False)
    m2, h2 = train_model(_build(), data.train, data.valid, cfg, progress=False)
    assert _weights_equal(m1, m2)
    assert h1["loss"] == h2["loss"] and h1["val_aupr"] == h2["val_aupr"]
    m3, _ = train_model(_build(), data.train, data.valid, TrainConfig(epochs=2, patience=None, seed=4), progress=False)
    assert not _weights_equal(m1, m3)


def test_history_and_evaluation_are_the_papers_metrics(data):
    model, hist = train_model(_build(), data.train, data.valid, TrainConfig(epochs=2, patience=None), progress=False)
    assert len(hist["loss"]) == len(hist["val_auroc"]) == len(hist["lr"]) == hist["stopped_epoch"] == 2
    result = evaluate(model, data.test)
    from seqlib.metrics import classification_metrics
    scores = training.predict(model, data.test.X)
    assert result["auroc"] == pytest.approx(classification_metrics(data.test.y, scores)["auroc"])
    assert 0.0 <= result["aupr"] <= 1.0 and len(result["aupr_per_class"]) == 12


def test_early_stopping_and_lr_schedule_follow_the_monitor(data, monkeypatch):
    # a validation metric that never improves: early stopping (patience 2) ends after 3 epochs and the
    # learning rate drops by 0.2 after lr_patience=1 epoch without improvement
    monkeypatch.setattr(training, "classification_metrics",
                        lambda y, s: {"auroc": 0.5, "aupr": 0.5})
    cfg = TrainConfig(epochs=10, patience=2, lr_patience=1, seed=0)
    _, hist = train_model(_build(), data.train, data.valid, cfg, progress=False)
    assert hist["stopped_epoch"] == 3
    assert hist["lr"] == pytest.approx([1e-3, 1e-3, 2e-4])
    assert hist["best_epoch"] == 0


def test_restore_best_returns_best_epoch_weights(data, monkeypatch):
    values = iter([0.9, 0.1, 0.1])
    monkeypatch.setattr(training, "classification_metrics", lambda y, s: {"auroc": 0.5, "aupr": next(values)})
    cfg = TrainConfig(epochs=3, patience=None, lr_patience=None, restore_best=True, seed=1)
    restored, hist = train_model(_build(), data.train, data.valid, cfg, progress=False)
    assert hist["best_epoch"] == 0
    monkeypatch.setattr(training, "classification_metrics", lambda y, s: {"auroc": 0.5, "aupr": 0.5})
    one_epoch, _ = train_model(_build(), data.train, data.valid,
                               TrainConfig(epochs=1, patience=None, lr_patience=None, seed=1), progress=False)
    assert _weights_equal(restored, one_epoch)


def test_nan_stops_training_with_activation_and_epoch(data):
    bad = data.train.subset(slice(None))
    bad.X = bad.X.copy()
    bad.X[:50] = np.nan
    with pytest.raises(TrainingDivergedError, match=r"epoch 1.*exponential"):
        train_model(_build("exponential"), bad, data.valid, TrainConfig(epochs=2, patience=None), progress=False)


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="monitor"):
        TrainConfig(monitor="val_accuracy")


def test_fast_path_is_deterministic_and_learns(data):
    cfg = TrainConfig(epochs=2, patience=None, seed=3)
    m1, h1 = train_model(_build(fast=True), data.train, data.valid, cfg, progress=False)
    m2, h2 = train_model(_build(fast=True), data.train, data.valid, cfg, progress=False)
    assert _weights_equal(m1, m2) and h1["loss"] == h2["loss"]
    ref, _ = train_model(_build(), data.train, data.valid, cfg, progress=False)
    assert not _weights_equal(m1, ref)                       # other dropout masks
    assert h1["loss"][1] < h1["loss"][0]


def test_enable_onednn_applies_only_before_tensorflow_is_imported(monkeypatch):
    import sys

    assert "tensorflow" in sys.modules                       # imported by the fixtures above
    monkeypatch.delenv(training.ONEDNN_VARIABLE, raising=False)
    assert training.enable_onednn(True) is False
    assert training.ONEDNN_VARIABLE not in __import__("os").environ
    assert training.onednn_enabled() is None
    monkeypatch.setenv(training.ONEDNN_VARIABLE, "1")
    assert training.enable_onednn(True) is True and training.onednn_enabled() is True


def test_training_under_jax_compiles_the_step_and_learns(tmp_path):
    """Under KERAS_BACKEND=jax the step is compiled ("auto"; eager JAX is ~125x slower) and training works."""
    from _processes import run_under_jax

    script = (
        "import numpy as np\n"
        "from seqlib import training\n"
        "from seqlib.models import build_model\n"
        "from seqlib.simulate import simulate_task1\n"
        "assert training.compile_setting() == 'auto'\n"
        "ds = simulate_task1(n_sequences=600, seed=1)\n"
        "model, h = training.train_model(lambda: build_model('cnn-deep', 'exponential'), ds.train, ds.valid,\n"
        "    training.TrainConfig(epochs=1, patience=None, seed=0, grad_sequences=50), progress=False)\n"
        "import keras\n"
        "assert keras.backend.backend() == 'jax' and len(h['loss']) == 1 and np.isfinite(h['loss']).all()\n"
        "assert len(h['grad_mean']) == 1\n"
        "print('ok', h['loss'])\n")
    out = run_under_jax(script, timeout=600)
    assert out.returncode == 0 and "ok" in out.stdout, out.stdout[-2000:] + out.stderr[-3000:]
    assert training.compile_setting() is False                # this process: TensorFlow, no XLA
