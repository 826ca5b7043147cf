"""Tests of seqlib.models: parameter counts pinned from Methods §2, layer order, variants,
serialisation, first-layer probes and a JAX-backend forward pass."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
from _processes import jax_environment

from seqlib import models as M
from seqlib.activations import SeqlibActivation
from seqlib.errors import ShapeError, UnknownNameError

REPO = Path(__file__).resolve().parents[1]


def _one_hot(n, length, seed=0):
    idx = np.random.default_rng(seed).integers(0, 4, size=(n, length))
    return np.eye(4, dtype=np.float32)[idx]


@functools.lru_cache(maxsize=None)
def _built(name, L=None, n_out=None, **options):
    """build_model with plain arguments, cached: tests only read these models."""
    return M.build_model(name, input_length=L, n_outputs=n_out, **options)


def _np(t):
    return keras.ops.convert_to_numpy(t)


# ----------------------------------------------------------------------------- parameter counts

# Exact counts from model.count_params() (weights + output bias + BN gamma, beta, moving mean and
# moving variance, the same bookkeeping as the spec's hand counts).
EXACT = [
    ("cnn-2", 200, 12, 158_076),        # spec: 158,076
    ("cnn-50", 200, 12, 158_076),       # spec: 158,076
    ("cnn-deep", 200, 12, 288_332),     # spec: 288,332
    ("cnn-2", 1000, 12, 2_641_388),     # spec: 2,641,388 (widths x2)
    ("cnn-50", 1000, 12, 2_641_388),    # same flatten size (10 x 248) as cnn-2
    ("cnn-deep", 1000, 12, 5_323_916),  # spec: "5.32 M"
    ("cnn-deep-nobn", 200, 12, 288_204),  # cnn-deep minus the first BN's 4 x 32 values
    ("cnn-deep-log", 200, 12, 288_332),   # same shapes as cnn-deep
    ("cnn-local", 200, 1, 15_265),      # spec: "about 15.3 k"
    ("cnn-dist", 200, 1, 46_753),       # spec: "about 46.8 k"
    ("cnn-dist-log", 200, 1, 46_753),   # same shapes as cnn-dist
    ("residualbind", 400, 1, 32_225),   # spec: "about 32 k"
    ("basset", 600, 164, 4_137_764),    # spec: "about 4.14 M"
]


@pytest.mark.parametrize("name,L,n_out,expected", EXACT, ids=[f"{n}-L{L}" for n, L, _, _ in EXACT])
def test_parameter_counts(name, L, n_out, expected):
    model = _built(name, L, n_out)
    assert model.count_params() == expected
    assert model.input_shape == (None, L, 4)
    assert model.output_shape == (None, n_out)


def test_parameter_counts_round_to_spec_approximations():
    count = {(n, L): c for n, L, _, c in EXACT}
    assert round(count[("cnn-deep", 1000)] / 1e6, 2) == 5.32
    assert round(count[("cnn-local", 200)] / 1e3, 1) == 15.3
    assert round(count[("cnn-dist", 200)] / 1e3, 1) == 46.8
    assert round(count[("residualbind", 400)] / 1e3) == 32
    assert round(count[("basset", 600)] / 1e6, 2) == 4.14


def test_cnn_local_count_by_hand():
    # conv1 24*19*4 + BN 4*24; conv2 48*3*24 + BN 4*48; dense 96*96 + BN 4*96; out 96 + 1
    by_hand = (24 * 19 * 4 + 4 * 24) + (48 * 3 * 24 + 4 * 48) + (96 * 96 + 4 * 96) + 97
    assert _built("cnn-local").count_params() == by_hand == 15_265


def test_paper_defaults_and_shapes():
    assert M.MODEL_NAMES == ("cnn-2", "cnn-50", "cnn-deep", "cnn-deep-nobn", "cnn-local",
                             "cnn-dist", "cnn-deep-log", "cnn-dist-log", "residualbind", "basset")
    for name in M.MODEL_NAMES:
        L, n_out = M.MODEL_DEFAULTS[name]
        model = _built(name)
        assert model.input_shape == (None, L, 4) and model.output_shape == (None, n_out)
    # the spec's shape walks (Methods §2.2)
    assert M.output_lengths("cnn-deep") == [200, 200, 50, 44, 11, 9, 3]
    assert M.output_lengths("cnn-deep", 1000) == [1000, 1000, 250, 244, 61, 59, 19]
    assert M.output_lengths("cnn-2") == [200, 100, 100, 2]
    assert M.output_lengths("cnn-50") == [200, 4, 4, 2]
    assert M.output_lengths("cnn-local") == [200, 4, 4, 2]
    assert M.output_lengths("cnn-dist-log") == [200, 200, 50, 44, 11, 9, 3]
    assert M.output_lengths("residualbind") == [400, 400, 40, 40, 8, 6, 1]
    assert M.output_lengths("basset") == [600, 200, 190, 47, 41, 10]


def test_forward_pass_shapes_tf():
    for name, L, n_out in [("cnn-deep", 200, 12), ("residualbind", 400, 1), ("cnn-50", 200, 3)]:
        model = M.build_model(name, activation="exponential", input_length=L, n_outputs=n_out)
        y = _np(model(_one_hot(3, L), training=False))
        assert y.shape == (3, n_out) and np.all((y > 0) & (y < 1))


# ----------------------------------------------------------------------------- layer structure

def test_cnn_deep_layer_order_and_names():
    layers = _built("cnn-deep").layers
    assert isinstance(layers[0], keras.layers.InputLayer)
    assert [type(l) for l in layers[1:5]] == [keras.layers.Conv1D, keras.layers.BatchNormalization,
                                              keras.layers.Activation, keras.layers.Dropout]
    assert [l.name for l in layers[1:5]] == ["conv1", "conv1_bn", "conv1_activation",
                                             "conv1_dropout"]
    assert layers[-2].name == "logits" and layers[-1].name == "output"
    conv1 = layers[1]
    assert conv1.filters == 32 and conv1.kernel_size == (19,) and conv1.padding == "same"
    assert not conv1.use_bias and conv1.strides == (1,)
    assert layers[4].rate == 0.1


def test_nobn_drops_only_the_first_batchnorm():
    layers = _built("cnn-deep-nobn").layers
    assert [type(l) for l in layers[1:4]] == [keras.layers.Conv1D, keras.layers.Activation,
                                              keras.layers.Dropout]
    n_bn = lambda m: sum(isinstance(l, keras.layers.BatchNormalization) for l in m.layers)
    assert n_bn(_built("cnn-deep")) - n_bn(_built("cnn-deep-nobn")) == 1
    assert M.build_model("cnn-deep", first_layer_bn=False).count_params() == 288_204


@pytest.mark.parametrize("name", M.MODEL_NAMES)
def test_building_block_settings(name):
    model = _built(name)
    first = [type(l) for l in model.layers[1:4]]  # the paper's index convention (Methods §0)
    if name == "cnn-deep-nobn":
        assert first == [keras.layers.Conv1D, keras.layers.Activation, keras.layers.Dropout]
    else:
        assert first == [keras.layers.Conv1D, keras.layers.BatchNormalization,
                         keras.layers.Activation]
        assert [l.name for l in model.layers[1:4]] == ["conv1", "conv1_bn", "conv1_activation"]
    assert model.layers[-2].name == "logits" and model.layers[-1].name == "output"
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv1D, keras.layers.Dense)) and layer.name != "logits":
            assert not layer.use_bias
            reg = layer.kernel_regularizer
            if layer.name == "conv1" and name in ("cnn-deep-log", "cnn-dist-log"):
                assert isinstance(reg, M.FirstLayerL2) and reg.coefficient == 0.1
            else:
                assert isinstance(reg, keras.regularizers.L2) and reg.l2 == pytest.approx(1e-6)
        if isinstance(layer, keras.layers.BatchNormalization):
            assert layer.momentum == 0.99 and layer.epsilon == 1e-3
        if isinstance(layer, keras.layers.MaxPool1D):
            assert layer.strides == layer.pool_size
    logits = model.get_layer("logits")
    assert logits.use_bias and logits.kernel_regularizer is None
    assert keras.activations.serialize(logits.activation) == "linear"
    assert keras.activations.serialize(model.get_layer("output").activation) == "sigmoid"


def test_residual_block_keeps_double_relu():
    model = _built("residualbind")
    names = [l.name for l in model.layers]
    i = names.index("res1_conv1")
    assert names[i:i + 7] == ["res1_conv1", "res1_bn1", "res1_activation1", "res1_conv2",
                              "res1_bn2", "res1_add", "res1_activation_out"]
    for n in ("res1_conv1", "res1_conv2"):
        conv = model.get_layer(n)
        assert keras.activations.serialize(conv.activation) == "relu"  # the internal ReLU quirk
        assert conv.filters == 24 and conv.kernel_size == (5,)
        assert isinstance(conv.kernel_initializer, keras.initializers.HeNormal)
    assert not any(isinstance(model.get_layer(n), keras.layers.Dropout) for n in names[i:i + 7])


def test_pool_padding_of_log_variants():
    pads = lambda m: [l.padding for l in m.layers if isinstance(l, keras.layers.MaxPool1D)]
    assert pads(_built("cnn-deep")) == ["valid", "valid", "valid"]
    assert pads(_built("cnn-deep-log")) == ["valid", "valid", "same"]
    assert pads(_built("cnn-dist")) == ["valid", "valid", "same"]
    assert pads(_built("cnn-dist-log")) == ["same", "same", "same"]
    assert pads(_built("cnn-2")) == ["same", "same"]
    assert isinstance(_built("cnn-dist-log").get_layer("logits").kernel_initializer,
                      keras.initializers.GlorotNormal)


def test_first_layer_l2_switch():
    off = M.build_model("cnn-dist-log", first_layer_l2=False)
    assert off.get_layer("conv1").kernel_regularizer is None
    reg = M.FirstLayerL2()
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert float(_np(reg(keras.ops.convert_to_tensor(w)))) == pytest.approx(0.1 * (w ** 2).sum())
    assert M.FirstLayerL2.from_config(reg.get_config()).coefficient == 0.1


def _configs_except_first_activation(model):
    return [l.get_config() for l in model.layers if l.name != "conv1_activation"]


@pytest.mark.parametrize("name", M.MODEL_NAMES)
def test_only_first_activation_varies(name):
    relu = _built(name)
    for act in ("exponential", ("exp_scale", {"scale": 0.5})):
        other = M.build_model(name, activation=act)
        assert _configs_except_first_activation(other) == _configs_except_first_activation(relu)
        assert other.count_params() == relu.count_params()
    exp_scale = M.build_model(name, activation=("exp_scale", {"scale": 0.5}))
    assert exp_scale.get_layer("conv1_activation").activation == SeqlibActivation("exp_scale",
                                                                                  scale=0.5)
    for layer in relu.layers:  # every deeper activation is ReLU
        if isinstance(layer, keras.layers.Activation) and layer.name != "output":
            assert keras.activations.serialize(layer.activation) == "relu", layer.name


@pytest.mark.parametrize("name", ["cnn-deep", "cnn-dist-log", "residualbind"])
def test_initializer_applies_only_to_conv1(name):
    model = M.build_model(name, initializer=keras.initializers.RandomNormal(stddev=0.5))
    conv1 = model.get_layer("conv1")
    assert isinstance(conv1.kernel_initializer, keras.initializers.RandomNormal)
    assert conv1.kernel_initializer.stddev == 0.5
    assert np.std(_np(conv1.kernel)) == pytest.approx(0.5, rel=0.1)
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv1D, keras.layers.Dense)) and layer.name != "conv1":
            if layer.name.startswith("res"):
                expected = keras.initializers.HeNormal
            elif layer.name == "logits" and name == "cnn-dist-log":
                expected = keras.initializers.GlorotNormal
            else:
                expected = keras.initializers.GlorotUniform
            assert type(layer.kernel_initializer) is expected, layer.name
    default = _built(name).get_layer("conv1").kernel_initializer
    assert type(default) is keras.initializers.GlorotUniform
    assert type(M.build_model(name, initializer="he_uniform").get_layer("conv1")
                .kernel_initializer) is keras.initializers.HeUniform


def test_width_multiplier():
    first = lambda m: m.get_layer("conv1").filters
    assert first(_built("cnn-deep", 1000, 12)) == 64
    cnn2 = _built("cnn-2", 1000, 12)
    assert first(cnn2) == 64 and cnn2.get_layer("conv2").filters == 248
    assert cnn2.get_layer("dense1").units == 1024
    assert first(M.build_model("cnn-local", input_length=1000)) == 24   # not a Task-2 model
    assert first(M.build_model("cnn-deep", input_length=1000, width_multiplier=1)) == 32
    assert first(M.build_model("cnn-deep", width_multiplier=3)) == 96
    assert first(M.build_model("basset", width_multiplier=2, input_length=200)) == 600
    with pytest.raises(ShapeError, match="width_multiplier"):
        M.build_model("cnn-deep", width_multiplier=0)


def test_pool_sizes_option():
    assert M.build_model("cnn-2", pool_sizes=(25, 4)).count_params() == \
        M.build_model("cnn-50", pool_sizes=(25, 4)).count_params()
    assert M.output_lengths("cnn-2", 200, pool_sizes=(25, 4)) == [200, 8, 8, 2]


# ----------------------------------------------------------------------------- errors

def test_unknown_model_lists_names():
    with pytest.raises(UnknownNameError) as info:
        M.build_model("cnn-4")
    for name in M.MODEL_NAMES:
        assert name in str(info.value)


def test_unknown_activation_and_option():
    with pytest.raises(UnknownNameError, match="valid names: relu, exponential"):
        M.build_model("cnn-deep", activation="swish")
    with pytest.raises(UnknownNameError, match="takes only"):
        M.build_model("cnn-deep", activation=("exp_scale", {"temperature": 2}))
    with pytest.raises(UnknownNameError, match="first_layer_l2"):
        M.build_model("cnn-deep", first_layer_l2=True)
    with pytest.raises(UnknownNameError, match="activation must be"):
        M.build_model("cnn-deep", activation=3)


def test_input_length_validation():
    with pytest.raises(ShapeError, match="first-layer kernel"):
        M.build_model("cnn-2", input_length=18)
    with pytest.raises(ShapeError, match=r"needs input_length >= 104"):
        M.build_model("cnn-deep", input_length=60)
    with pytest.raises(ShapeError, match="positive integer"):
        M.build_model("cnn-deep", n_outputs=0)
    for name in M.MODEL_NAMES:  # the reported minimum really builds, one less does not
        n = M.min_input_length(name)
        assert M.build_model(name, input_length=n).output_shape[0] is None
        if n > 19:
            with pytest.raises(ShapeError):
                M.build_model(name, input_length=n - 1)


# ----------------------------------------------------------------------------- first-layer probes

@pytest.mark.parametrize("name", ["cnn-deep", "cnn-deep-nobn", "residualbind"])
def test_first_layer_probe_models(name):
    model = M.build_model(name, activation="exponential")
    L = model.input_shape[1]
    x = _one_hot(4, L)
    post = M.first_layer_activation_model(model)
    pre = M.first_layer_preactivation_model(model)
    F = model.get_layer("conv1").filters
    z, a = _np(pre(x, training=False)), _np(post(x, training=False))
    assert z.shape == a.shape == (4, L, F)
    np.testing.assert_allclose(a, np.exp(z), rtol=1e-5)
    expected_pre = "conv1" if name == "cnn-deep-nobn" else "conv1_bn"
    assert pre.output.name == model.get_layer(expected_pre).output.name


def test_probe_falls_back_to_paper_index_convention():
    inp = keras.Input((30, 4))
    x = keras.layers.Conv1D(5, 19, padding="same", use_bias=False)(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inp, keras.layers.Dense(1)(x))
    assert M.first_layer_activation_model(model).output.name == model.layers[3].output.name
    assert M.first_layer_preactivation_model(model).output.name == model.layers[2].output.name
    dense_only = keras.Model(inp, keras.layers.Dense(1)(keras.layers.Flatten()(inp)))
    with pytest.raises(UnknownNameError):
        M.first_layer_activation_model(dense_only)


# ----------------------------------------------------------------------------- saving and JAX

def test_save_load_in_process(tmp_path):
    model = M.build_model("cnn-dist-log", activation=("exp_shift", {"shift": 1.5}))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.get_layer("conv1_activation").activation == SeqlibActivation("exp_shift",
                                                                               shift=1.5)
    reg = loaded.get_layer("conv1").kernel_regularizer
    assert isinstance(reg, M.FirstLayerL2) and reg.coefficient == 0.1
    x = _one_hot(3, 200)
    np.testing.assert_array_equal(_np(loaded(x, training=False)), _np(model(x, training=False)))


JAX_SCRIPT = """
import json, sys
import numpy as np
import keras
from seqlib.models import MODEL_NAMES, build_model, min_input_length
from seqlib.activations import ACTIVATIONS, get_activation

tmp = sys.argv[1]
out = {"backend": keras.backend.backend(), "models": {}}
rng = np.random.default_rng(0)
for name in MODEL_NAMES:
    # short inputs, one length where possible so that models share compiled JAX kernels
    L = max(200, min_input_length(name))
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, size=(2, L))]
    for act in ("relu", "exponential"):
        y = keras.ops.convert_to_numpy(build_model(name, activation=act, input_length=L)(
            x, training=False))
        out["models"][f"{name}|{act}"] = [list(y.shape), bool(np.isfinite(y).all()), L]
z = np.load(tmp + "/z.npy")
acts = {n: keras.ops.convert_to_numpy(get_activation(n)(keras.ops.convert_to_tensor(z)))
        for n in ACTIVATIONS}
np.savez(tmp + "/jax_activations.npz", **acts)
# a .keras file written by the TensorFlow backend, loaded here on JAX
m = keras.models.load_model(tmp + "/tf_model.keras")
xs = np.load(tmp + "/x.npy")
np.save(tmp + "/jax_pred.npy", keras.ops.convert_to_numpy(m(xs, training=False)))
out["loaded"] = [m.get_layer("conv1_activation").activation.get_config(),
                 m.get_layer("conv1").kernel_regularizer.get_config()]
# the fast path's layers fall back to Keras' own code on JAX: build, run (training and inference),
# and load a fast model saved by TensorFlow
fast = build_model("cnn-deep", activation="exponential", fast=True)
xf = np.eye(4, dtype="float32")[rng.integers(0, 4, size=(8, 200))]
yt = keras.ops.convert_to_numpy(fast(xf, training=True))
yi = keras.ops.convert_to_numpy(fast(xf, training=False))
mf = keras.models.load_model(tmp + "/tf_fast_model.keras")
np.save(tmp + "/jax_fast_pred.npy", keras.ops.convert_to_numpy(mf(xs, training=False)))
out["fast"] = [list(yt.shape), bool(np.isfinite(yt).all() and np.isfinite(yi).all()),
               type(mf.get_layer("conv2_bn")).__name__, type(mf.get_layer("conv2_dropout")).__name__]
json.dump(out, open(tmp + "/jax.json", "w"))
"""


@pytest.fixture(scope="module", autouse=True)
def jax_run(tmp_path_factory):
    """Start the JAX-backend subprocess when this module starts, so that it runs while the
    TensorFlow-backend tests below run; ``test_jax_backend...`` (last in the file) collects it."""
    tmp = tmp_path_factory.mktemp("jax")
    saved = M.build_model("cnn-dist-log", activation=("exp_scale", {"scale": 0.5}))
    saved.save(tmp / "tf_model.keras")
    fast = M.build_model("cnn-deep", activation="exponential", fast=True)
    fast.save(tmp / "tf_fast_model.keras")
    x = _one_hot(3, 200, seed=5)
    np.save(tmp / "x.npy", x)
    np.save(tmp / "z.npy", np.linspace(-10, 10, 201).astype(np.float32))
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(JAX_SCRIPT), str(tmp)],
                            cwd=REPO, env=jax_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    expected = _np(saved(x, training=False))
    yield {"proc": proc, "tmp": tmp, "expected": expected, "expected_fast": _np(fast(x, training=False))}
    if proc.poll() is None:  # a failure elsewhere left it running: stop our own child
        proc.kill()
        proc.communicate()


def test_jax_backend_builds_and_runs_every_model(jax_run):
    """One fresh JAX process: every model x {relu, exponential} at a short input length, every
    activation against NumPy, and a TF-saved .keras file (parameterised activation, FirstLayerL2)
    loaded and run on JAX."""
    from seqlib.activations import ACTIVATIONS, activation_numpy

    proc, tmp = jax_run["proc"], jax_run["tmp"]
    try:
        _, stderr = proc.communicate(timeout=400)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, stderr[-3000:]
    out = json.loads((tmp / "jax.json").read_text())
    assert out["backend"] == "jax"
    assert len(out["models"]) == 2 * len(M.MODEL_NAMES)
    for key, (shape, finite, L) in out["models"].items():
        name = key.split("|")[0]
        assert shape == [2, M.MODEL_DEFAULTS[name][1]], key
        assert finite, key
        assert L == max(200, M.min_input_length(name))
    z = np.load(tmp / "z.npy")
    acts = np.load(tmp / "jax_activations.npz")
    assert sorted(acts.files) == sorted(ACTIVATIONS)
    for name in ACTIVATIONS:  # absolute tolerance scaled by the output range (500*tanh+500 ...)
        scale = {"shift_scale_tanh": 1e3, "scale_tanh": 1e3, "shift_scale_sigmoid": 4e3,
                 "scale_sigmoid": 4e3}.get(name, 1.0)
        np.testing.assert_allclose(acts[name], activation_numpy(name, z.astype(np.float64)),
                                   rtol=1e-5, atol=1e-6 * scale, err_msg=name)
    assert out["loaded"] == [{"name": "exp_scale", "scale": 0.5}, {"coefficient": 0.1}]
    np.testing.assert_allclose(np.load(tmp / "jax_pred.npy"), jax_run["expected"],
                               rtol=1e-4, atol=1e-6)
    assert out["fast"] == [[8, 12], True, "FusedBatchNormalization", "FastDropout"]
    np.testing.assert_allclose(np.load(tmp / "jax_fast_pred.npy"), jax_run["expected_fast"],
                               rtol=1e-4, atol=1e-6)
