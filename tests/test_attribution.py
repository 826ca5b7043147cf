"""Attribution methods (seqlib.attribution): gradients, ISM, integrated gradients, DeepSHAP, files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqlib import attribution as A
from seqlib._backend import load_keras
from seqlib.activations import get_activation
from seqlib.errors import PathError, SequenceError, ShapeError, UnknownNameError

keras = load_keras()
L = 24


def tiny_model(activation="relu", *, seed=0, n_outputs=2, residual=False, length=L):
    """Conv -> BN -> activation -> dropout -> maxpool (-> residual block) -> conv -> flatten -> dense -> sigmoid,
    with randomised BN statistics so that every layer matters."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((length, 4))
    x = keras.layers.Conv1D(6, 5, padding="same", use_bias=False)(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation(get_activation(activation))(x)
    x = keras.layers.Dropout(0.1)(x)
    x = keras.layers.MaxPool1D(3)(x)
    if residual:
        skip = x
        y = keras.layers.Conv1D(6, 3, padding="same", activation="relu", use_bias=False)(x)
        y = keras.layers.BatchNormalization()(y)
        x = keras.layers.Activation("relu")(keras.layers.Add()([skip, y]))
    x = keras.layers.Conv1D(5, 3, padding="valid", activation="relu")(x)
    x = keras.layers.MaxPool1D(2, padding="same")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(8, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.Dense(n_outputs, name="logits")(x)
    model = keras.Model(inp, keras.layers.Activation("sigmoid", name="output")(x))
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            g, b, mean, var = layer.get_weights()
            layer.set_weights([g * rng.uniform(0.5, 2, g.shape), rng.normal(0, 0.5, b.shape),
                               rng.normal(0, 0.2, mean.shape), var * rng.uniform(0.5, 2, var.shape)])
    return model


def one_hot(n, length=L, seed=0):
    return np.eye(4, dtype=np.float32)[np.random.default_rng(seed).integers(0, 4, (n, length))]


@pytest.fixture(scope="module")
def model():
    return tiny_model("exponential")


# ----------------------------------------------------------------------------- gradients and saliency

def test_input_gradients_match_finite_differences(model):
    x = one_hot(1)
    g = A.input_gradients(model, x, output=1)
    eps = 1e-2
    for i, a in [(3, 0), (11, 2), (20, 3)]:
        up, down = x.copy(), x.copy()
        up[0, i, a] += eps
        down[0, i, a] -= eps
        fd = (model(up, training=False)[0, 1] - model(down, training=False)[0, 1]).numpy() / (2 * eps)
        assert g[0, i, a] == pytest.approx(fd, rel=2e-2, abs=1e-6)


def test_saliency_is_gradient_times_input_and_logit_chain_rule(model):
    X = one_hot(4, seed=1)
    g = A.input_gradients(model, X)
    np.testing.assert_allclose(A.saliency(model, X), g * X, rtol=1e-6)
    np.testing.assert_allclose(A.saliency(model, X, times_input=False), g, rtol=1e-6)
    p = A.predict_output(model, X)
    g_logit = A.input_gradients(model, X, logit=True)
    # d sigmoid(z)/dx = p (1 - p) dz/dx
    np.testing.assert_allclose(g, (p * (1 - p))[:, None, None] * g_logit, rtol=1e-4, atol=1e-9)


def test_gradient_correction_option(model):
    X = one_hot(3, seed=2)
    g = A.input_gradients(model, X)
    corrected = A.input_gradients(model, X, correct=True)
    np.testing.assert_allclose(corrected, g - g.mean(-1, keepdims=True), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(corrected.mean(-1), 0, atol=1e-7)
    assert not np.allclose(A.saliency(model, X, correct=True), A.saliency(model, X))
    with pytest.raises(ShapeError):
        A.gradient_correction(np.zeros((3, 4)))


# ----------------------------------------------------------------------------- mutagenesis

def test_mutagenesis_matches_one_prediction_per_mutant(model):
    X = one_hot(2, seed=3)
    delta = A.mutagenesis(model, X, output=1, batch_size=50)   # several chunks, mutants of one sequence split
    wt = model(X, training=False).numpy()[:, 1]
    for n in range(2):
        for i in (0, 7, L - 1):
            for a in range(4):
                mutant = X[n].copy()
                mutant[i] = np.eye(4)[a]
                expected = model(mutant[None], training=False).numpy()[0, 1] - wt[n]
                assert delta[n, i, a] == pytest.approx(expected, abs=1e-6)
    np.testing.assert_array_equal(delta[X.astype(bool)], 0)
    scores = A.ism(model, X, output=1)
    np.testing.assert_allclose(scores, np.sqrt((delta ** 2).sum(-1, keepdims=True) + 1e-10) * X, rtol=1e-5, atol=1e-7)


def test_mutagenesis_rejects_n_bases(model):
    X = one_hot(1)
    X[0, 5] = 0.25
    with pytest.raises(SequenceError):
        A.mutagenesis(model, X)


# ----------------------------------------------------------------------------- references and integrated gradients

def test_shuffled_references_keep_composition_and_follow_the_seed():
    X = one_hot(3, seed=4)
    R = A.shuffled_references(X, 5, seed=7)
    assert R.shape == (3, 5, L, 4)
    np.testing.assert_array_equal(R.sum(2), np.repeat(X.sum(1)[:, None], 5, axis=1))
    np.testing.assert_array_equal(R, A.shuffled_references(X, 5, seed=7))
    assert not np.array_equal(R, A.shuffled_references(X, 5, seed=8))
    with pytest.raises(ShapeError):
        A.shuffled_references(X, 0)


def test_paper_integrated_gradients_is_the_mean_path_gradient(model):
    X = one_hot(2, seed=5)
    R = A.shuffled_references(X, 3, seed=1)
    steps = 4
    points = np.concatenate([[R[n, r] + s / steps * (X[n] - R[n, r]) for r in range(3) for s in range(steps)]
                             for n in range(2)])
    mean_grad = A.input_gradients(model, points).reshape(2, 3 * steps, L, 4).mean(1)
    ig = A.integrated_gradients(model, X, references=R, n_steps=steps, times_input=False)
    np.testing.assert_allclose(ig, mean_grad, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(A.integrated_gradients(model, X, references=R, n_steps=steps), mean_grad * X,
                               rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("activation", ["relu", "exponential"])
def test_standard_integrated_gradients_completeness(activation):
    m = tiny_model(activation, seed=2)
    X = one_hot(3, seed=6)
    R = A.shuffled_references(X, 4, seed=2)
    target = A.predict_output(m, X) - A.predict_output(m, R.reshape(-1, L, 4)).reshape(3, 4).mean(1)
    errors = []
    for steps in (4, 128):
        ig = A.integrated_gradients(m, X, variant="standard", references=R, n_steps=steps, times_input=False)
        errors.append(np.abs(ig.sum((1, 2)) - target).max())
    assert errors[1] < 0.02 * np.abs(target).max() + 1e-5
    assert errors[1] < errors[0]


# ----------------------------------------------------------------------------- DeepSHAP

ACTIVATIONS = ["relu", "exponential", "sigmoid", "tanh", "softplus", "linear", "elu"]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_deepshap_additivity_for_each_first_layer_activation(activation):
    m = tiny_model(activation, seed=1)
    X = one_hot(3, seed=7)
    R = A.shuffled_references(X, 5, seed=3)
    expected = A.predict_output(m, X, output=1) - A.predict_output(m, R.reshape(-1, L, 4), output=1).reshape(3, 5).mean(1)
    for correct in (False, True):
        phi = A.deepshap(m, X, references=R, output=1, correct=correct, times_input=False)
        np.testing.assert_allclose(phi.sum((1, 2)), expected, atol=2e-6 + 1e-4 * np.abs(expected).max())
    if activation not in ("relu", "exponential"):
        return
    logit_phi = A.deepshap(m, X, references=R, output=1, logit=True, times_input=False)
    logit_expected = (A.predict_output(m, X, output=1, logit=True)
                      - A.predict_output(m, R.reshape(-1, L, 4), output=1, logit=True).reshape(3, 5).mean(1))
    np.testing.assert_allclose(logit_phi.sum((1, 2)), logit_expected, atol=1e-5 + 1e-4 * np.abs(logit_expected).max())


def test_deepshap_additivity_with_a_residual_block_and_fused_activations():
    m = tiny_model("exponential", seed=3, residual=True)
    X = one_hot(2, seed=8)
    R = A.shuffled_references(X, 4, seed=4)
    phi = A.deepshap(m, X, references=R, times_input=False)
    expected = A.predict_output(m, X) - A.predict_output(m, R.reshape(-1, L, 4)).reshape(2, 4).mean(1)
    np.testing.assert_allclose(phi.sum((1, 2)), expected, atol=2e-6)


def test_deepshap_on_the_zoo_cnn_dist():
    from seqlib.models import build_model

    m = build_model("cnn-dist", activation="exponential")
    X = one_hot(1, length=200, seed=9)
    R = A.shuffled_references(X, 3, seed=5)
    phi = A.deepshap(m, X, references=R, times_input=False)
    expected = A.predict_output(m, X) - A.predict_output(m, R[0]).mean()
    assert phi.sum() == pytest.approx(expected[0], abs=1e-6)
    np.testing.assert_allclose(A.deepshap(m, X, references=R), phi * X)


def test_deepshap_agrees_with_shap_deepexplainer(model):
    import shap  # a dev dependency: the reference implementation of DeepSHAP
    X = one_hot(1, seed=10)
    R = A.shuffled_references(X, 6, seed=6)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = np.asarray(shap.DeepExplainer(model, R[0]).shap_values(X))
    values = values[..., 0] if values.ndim == 4 else values[0]   # (1, L, 4, outputs) or a list per output
    ours = A.deepshap(model, X, references=R, times_input=False)
    np.testing.assert_allclose(ours, values.reshape(ours.shape), atol=1e-6 + 1e-4 * np.abs(values).max())


def test_deepshap_rejects_layers_without_a_rule():
    inp = keras.Input((L, 4))
    x = keras.layers.Conv1D(3, 5)(inp)
    x = keras.layers.LayerNormalization()(x)
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(x))
    with pytest.raises(UnknownNameError, match="LayerNormalization"):
        A.deepshap(keras.Model(inp, out), one_hot(1), n_references=2)


# ----------------------------------------------------------------------------- input checks

def test_clear_errors_for_bad_models_and_inputs(model):
    X = one_hot(2)
    with pytest.raises(ShapeError, match="channels-first"):
        A.saliency(model, X.transpose(0, 2, 1))
    with pytest.raises(ShapeError, match="length"):
        A.saliency(model, one_hot(2, length=L + 1))
    with pytest.raises(ShapeError, match="out of range"):
        A.saliency(model, X, output=2)
    with pytest.raises(UnknownNameError, match="unknown attribution method"):
        A.attribute(model, X, "gradcam")
    with pytest.raises(UnknownNameError, match="ism"):
        A.attribute(model, X, "ism", correct=True)
    with pytest.raises(UnknownNameError, match="variant"):
        A.integrated_gradients(model, X, variant="riemann")
    a, b = keras.Input((L, 4)), keras.Input((L, 4))
    two = keras.Model([a, b], keras.layers.Dense(1)(keras.layers.Flatten()(keras.layers.Add()([a, b]))))
    with pytest.raises(ShapeError, match="single sequence input"):
        A.saliency(two, X)
    inp = keras.Input((L, 4))
    no_logit = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inp)))
    with pytest.raises(ShapeError, match="logit"):
        A.saliency(no_logit, X, logit=True)


def test_attribute_dispatches_to_the_paper_post_processing(model):
    X = one_hot(2, seed=11)
    np.testing.assert_allclose(A.attribute(model, X, "saliency"), A.saliency(model, X))
    np.testing.assert_allclose(A.attribute(model, X, "ism"), A.ism(model, X))
    np.testing.assert_allclose(A.attribute(model, X, "ig", n_references=2, n_steps=3, seed=1),
                               A.integrated_gradients(model, X, n_references=2, n_steps=3, seed=1))
    scores = A.attribute(model, X, "deepshap", n_references=2, seed=1)
    np.testing.assert_array_equal(scores[~X.astype(bool)], 0)


# ----------------------------------------------------------------------------- files and experiments

def _dataset(rng, n=12):
    from seqlib.datasets import Dataset, Split

    def split():
        X = one_hot(n, seed=int(rng.integers(1 << 30)))
        ppm = np.full((n, L, 4), 0.25, dtype=np.float32)
        ppm[:, 5:11] = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, 6))]
        y = (np.arange(n) % 2 == 0).astype(np.float32)[:, None].repeat(2, 1)
        return Split(X, y, ppm)

    return Dataset(split(), split(), split())


def test_attribute_files_writes_scores_logos_and_quality(tmp_path, model):
    from seqlib.datasets import save_dataset

    model_path = tmp_path / "m.keras"
    model.save(model_path)
    data = save_dataset(tmp_path / "d.h5", _dataset(np.random.default_rng(0)))
    res = A.attribute_files(model_path, data, "saliency", output=1, correct=True, out_dir=tmp_path / "out",
                            progress=False)
    scores = np.load(res["attribution"])
    assert scores.shape == (6, L, 4)                            # the 6 positives of output 1
    assert (tmp_path / "out" / "logos_saliency_corrected.png").stat().st_size > 0
    assert 0 <= res["auroc"] <= 1
    assert json.loads((tmp_path / "out" / "summary_saliency_corrected.json").read_text())["n_sequences"] == 6
    fasta = tmp_path / "s.fa"
    fasta.write_text(">a\n" + "ACGT" * 6 + "\n")
    res = A.attribute_files(model_path, fasta, "ism", out_dir=tmp_path / "fa", progress=False)
    assert np.load(res["attribution"]).shape == (1, L, 4) and "auroc" not in res
    with pytest.raises(ShapeError, match="length"):
        fasta.write_text(">a\n" + "ACGT" * 7 + "\n")
        A.attribute_files(model_path, fasta, "saliency", out_dir=tmp_path / "bad")
    with pytest.raises(ShapeError, match="out of range"):
        A.attribute_files(model_path, data, "saliency", output=5, out_dir=tmp_path / "bad")
    with pytest.raises(UnknownNameError):
        A.attribute_files(model_path, data, "lime", out_dir=tmp_path / "bad")
    with pytest.raises(FileNotFoundError):
        A.attribute_files(tmp_path / "missing.keras", data, "saliency", out_dir=tmp_path / "bad")


def test_attribution_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from seqlib import plotting

    X = one_hot(1)[0]
    ppm = np.full((L, 4), 0.25)
    ppm[4:9] = np.eye(4)[[0, 1, 2, 3, 0]]
    fig = plotting.plot_attribution_maps({"relu": X * 0.3, "exponential": -X}, ground_truth=ppm, sequences=X)
    assert len(fig.axes) == 3
    for ax in fig.axes[1:]:                          # ground-truth positions shaded beneath the glyphs, not over them
        bands = [p for p in ax.patches if p.get_facecolor()[:3] == (0.85, 0.85, 0.85)]
        glyphs = [p for p in ax.patches if p not in bands]
        assert len(bands) == 1 and glyphs
        assert max(p.get_zorder() for p in bands) < min(p.get_zorder() for p in glyphs)
    plt.close(fig)
    with pytest.raises(ValueError):
        plotting.plot_attribution_maps({})


# ----------------------------------------------------------------------------- JAX backend

def attributions_to_compare(m, x) -> dict:
    """The maps the backend test compares, computed the same way in both processes: saliency (probability, and
    logit with correction), ISM and standard IG, then saliency and ISM again after the first convolution's
    weights change (compiled functions must read the weights of the moment, not those of their first call)."""
    out = dict(sal=A.saliency(m, x, output=1), sal_logit=A.saliency(m, x, logit=True, correct=True),
               ism=A.ism(m, x, output=1), ig=A.integrated_gradients(m, x, variant="standard", n_references=3, seed=1))
    conv = m.layers[1]
    conv.set_weights([w * 1.5 for w in conv.get_weights()])
    out["sal_after"] = A.saliency(m, x, output=1)
    out["ism_after"] = A.ism(m, x, output=1)
    return out


JAX_ATTRIBUTION = """
import json, sys
import numpy as np
import keras
sys.path.insert(0, "tests")
from test_attribution import A, attributions_to_compare
from seqlib.errors import UnknownNameError

tmp = sys.argv[1]
m = keras.models.load_model(tmp + "/m.keras")
x = np.load(tmp + "/x.npy")
np.savez(tmp + "/jax_attr.npz", **attributions_to_compare(m, x))
try:
    A.deepshap(m, x, n_references=2)
    msg = None
except UnknownNameError as err:
    msg = str(err)
json.dump({"backend": keras.backend.backend(), "deepshap": msg}, open(tmp + "/jax.json", "w"))
"""


def test_saliency_ism_and_ig_agree_between_the_tensorflow_and_jax_backends(tmp_path):
    """A model saved here (TensorFlow) gives the same attributions in a fresh JAX-backend process, also after
    its weights change; DeepSHAP says clearly that it is TensorFlow only."""
    from _processes import run_under_jax

    m = tiny_model("exponential", seed=3)
    m.save(tmp_path / "m.keras")
    x = one_hot(3, seed=4)
    np.save(tmp_path / "x.npy", x)
    proc = run_under_jax(JAX_ATTRIBUTION, tmp_path, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads((tmp_path / "jax.json").read_text())
    assert info["backend"] == "jax"
    assert "TensorFlow" in info["deepshap"] and "'jax'" in info["deepshap"]
    got = np.load(tmp_path / "jax_attr.npz")
    ref = attributions_to_compare(m, x)
    assert not np.allclose(ref["sal_after"], ref["sal"], atol=1e-6)
    for key, want in ref.items():
        np.testing.assert_allclose(got[key], want, rtol=1e-4, atol=1e-6 * np.abs(want).max(), err_msg=key)


def test_only_tensorflows_retracing_warning_is_filtered():
    """Scoring many models compiles one function per model on purpose: TensorFlow's retracing warning is dropped,
    every other TensorFlow warning still shows."""
    import logging
    filters = [f for f in logging.getLogger("tensorflow").filters if type(f).__name__ == "_RetracingFilter"]
    assert len(filters) == 1
    record = lambda msg: logging.makeLogRecord({"name": "tensorflow", "levelno": logging.WARNING, "msg": msg})  # noqa: E731
    assert not filters[0].filter(record("5 out of the last 9 calls to <function f> triggered tf.function retracing."))
    assert filters[0].filter(record("Gradients do not exist for variables"))


def test_attribute_files_checks_n_and_the_output_folder_before_any_work(tmp_path, model, monkeypatch, capsys):
    model_path = tmp_path / "m.keras"
    model.save(model_path)
    fasta = tmp_path / "s.fa"
    fasta.write_text("".join(f">s{i}\n{'ACGT' * 6}\n" for i in range(3)))
    monkeypatch.setattr(A, "load_model", lambda path: pytest.fail("loaded the model before checking the arguments"))
    for bad in (0, -1):                                        # -1 took all but the last sequence
        with pytest.raises(ValueError, match=f"n_sequences \\(-n\\) must be a positive number of sequences; got {bad}"):
            A.attribute_files(model_path, fasta, n_sequences=bad, out_dir=tmp_path / "out")
    (tmp_path / "a_file").write_text("")
    with pytest.raises(PathError, match="a_file is a file, not a folder"):
        A.attribute_files(model_path, fasta, out_dir=tmp_path / "a_file" / "sub")
    monkeypatch.undo()
    res = A.attribute_files(model_path, fasta, "saliency", n_sequences=2, out_dir=tmp_path / "out", progress=False)
    assert res["n_sequences"] == 2 and res["summary"].endswith("summary_saliency.json")
    assert "results/figures" not in capsys.readouterr().out       # no caption claiming another folder
