"""Tests of seqlib.activations: formulas (Keras vs NumPy), names, errors and .keras round trips."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from seqlib import activations as A
from seqlib.errors import UnknownNameError

REPO = Path(__file__).resolve().parents[1]

# Every activation, plus the parametric ones at non-default parameters.
CASES = [(n, {}) for n in A.ACTIVATIONS] + [
    ("exp_scale", {"scale": 0.5}), ("exp_scale", {"scale": 0.01}), ("exp_scale", {"scale": 3.0}),
    ("exp_shift", {"shift": 2.0}), ("exp_shift", {"shift": -1.5}),
]
CASE_IDS = [n + "".join(f"-{k}={v}" for k, v in p.items()) for n, p in CASES]

# Negative, near-zero and large values; no value in (88, 89) where float32 exp overflows ambiguously.
GRID = np.concatenate([np.linspace(-10, 10, 401), [-100.0, -50.0, -20.0, -1e-3, 1e-3, 0.0, 0.2,
                                                   1.0, -1.0, 6.0, 8.0, 20.0, 50.0, 100.0]])

OUTPUT_RANGE = {"shift_scale_tanh": 1000.0, "scale_tanh": 1000.0,
                "shift_scale_sigmoid": 4000.0, "scale_sigmoid": 4000.0}


def _keras_eval(fn, z) -> np.ndarray:
    return keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(np.asarray(z, np.float32))))


# ----------------------------------------------------------------------------- names and groups

def test_names_and_groups():
    assert len(A.ACTIVATIONS) == len(set(A.ACTIVATIONS)) == 27
    assert A.PAPER_ACTIVATIONS == ("relu", "exponential", "sigmoid", "tanh", "softplus", "linear",
                                   "elu")
    assert A.MODIFIED_ACTIVATIONS == ("shift_scale_relu", "shift_scale_tanh",
                                      "shift_scale_sigmoid", "exp_relu")
    assert set(A.ABLATION_ACTIVATIONS) == {"shift_relu", "scale_relu", "shift_tanh", "scale_tanh",
                                           "shift_sigmoid", "scale_sigmoid"}
    assert A.MODIFIED_OF == {"relu": "shift_scale_relu", "sigmoid": "shift_scale_sigmoid",
                             "tanh": "shift_scale_tanh", "exponential": "exp_relu"}
    groups = (A.PAPER_ACTIVATIONS + A.MODIFIED_ACTIVATIONS + A.ABLATION_ACTIVATIONS
              + A.LOG_ACTIVATIONS + A.PARAMETRIC_ACTIVATIONS + A.MODERN_ACTIVATIONS
              + A.MODERN_MODIFIED_ACTIVATIONS)
    assert sorted(groups) == sorted(A.ACTIVATIONS)  # groups partition the registry
    assert len(A.TASK1_ACTIVATIONS) == 17 and len(A.TASK3_ACTIVATIONS) == 11
    assert set(A.MODIFIED_OF.values()) == set(A.MODIFIED_ACTIVATIONS)


def test_builtins_are_keras_functions_and_custom_are_registered():
    for n in A.PAPER_ACTIVATIONS:
        assert keras.activations.serialize(A.get_activation(n)) == n  # serialised by name
    for n in set(A.ACTIVATIONS) - set(A.PAPER_ACTIVATIONS):
        fn = A.get_activation(n)
        assert isinstance(fn, A.SeqlibActivation)
        cfg = keras.activations.serialize(fn)
        assert cfg["registered_name"] == "seqlib>SeqlibActivation"
        assert keras.activations.deserialize(cfg) == fn


def test_exp_alias():
    assert A.get_activation("exp") is A.get_activation("exponential") is keras.activations.exponential
    np.testing.assert_array_equal(A.activation_numpy("exp", GRID[:50]),
                                  A.activation_numpy("exponential", GRID[:50]))
    assert A.canonical_name("exp") == "exponential"


# ----------------------------------------------------------------------------- errors

def test_unknown_name_lists_valid_names():
    with pytest.raises(UnknownNameError) as info:
        A.get_activation("softsign")
    msg = str(info.value)
    assert "'softsign'" in msg
    for n in A.ACTIVATIONS:
        assert n in msg
    assert "exp" in msg and isinstance(info.value, ValueError)
    with pytest.raises(UnknownNameError):
        A.activation_numpy("hard_swish", [0.0])
    with pytest.raises(UnknownNameError):
        A.get_activation(None)


def test_unknown_parameters_rejected():
    with pytest.raises(UnknownNameError, match="takes no parameters"):
        A.get_activation("relu", scale=2.0)
    with pytest.raises(UnknownNameError, match="scale"):
        A.get_activation("exp_scale", shift=1.0)
    with pytest.raises(UnknownNameError, match="must be a number"):
        A.get_activation("exp_shift", shift="a lot")
    with pytest.raises(UnknownNameError, match="built-in"):
        A.SeqlibActivation("relu")


# ----------------------------------------------------------------------------- formulas

@pytest.mark.parametrize("name,params", CASES, ids=CASE_IDS)
def test_keras_matches_numpy(name, params):
    z = GRID.astype(np.float32)
    got = _keras_eval(A.get_activation(name, **params), z)
    with np.errstate(over="ignore"):  # exp(100) is inf in float32, as in keras
        want = A.activation_numpy(name, z.astype(np.float64), **params).astype(np.float32)
    assert got.shape == z.shape and got.dtype == np.float32
    # 500*tanh(z-6)+500 etc. cancel near their floor, so float32 keras differs from float64 numpy
    # there by a few float32 ulps of the output range: the absolute tolerance scales with it.
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * OUTPUT_RANGE.get(name, 1.0))
    # shapes are preserved for feature maps (N, L, F)
    fmap = np.random.default_rng(0).normal(size=(2, 7, 3)).astype(np.float32)
    assert _keras_eval(A.get_activation(name, **params), fmap).shape == (2, 7, 3)
    assert A.activation_numpy(name, fmap, **params).shape == (2, 7, 3)


SPOT = [  # (name, params, z, expected) straight from Methods §3
    ("relu", {}, -2.0, 0.0), ("relu", {}, 1.5, 1.5),
    ("exponential", {}, 1.0, math.e), ("sigmoid", {}, 0.0, 0.5), ("tanh", {}, 0.0, 0.0),
    ("softplus", {}, 0.0, math.log(2.0)), ("linear", {}, -3.25, -3.25),
    ("elu", {}, -1.0, math.exp(-1.0) - 1.0), ("elu", {}, 2.0, 2.0),   # alpha = 1
    ("shift_scale_relu", {}, 1.2, 1.0), ("shift_scale_relu", {}, 0.2, 0.0),
    ("shift_scale_relu", {}, 0.0, 0.0), ("shift_scale_relu", {}, 2.2, 8.0),
    ("shift_relu", {}, 1.2, 1.0), ("shift_relu", {}, 0.1, 0.0),
    ("scale_relu", {}, 2.0, 8.0), ("scale_relu", {}, -2.0, 0.0),
    ("shift_scale_tanh", {}, 6.0, 500.0), ("shift_scale_tanh", {}, -20.0, 0.0),
    ("shift_scale_tanh", {}, 30.0, 1000.0),
    ("shift_tanh", {}, 6.0, 0.0), ("scale_tanh", {}, 0.0, 500.0),
    ("shift_scale_sigmoid", {}, 8.0, 2000.0), ("shift_sigmoid", {}, 8.0, 0.5),
    ("scale_sigmoid", {}, 0.0, 2000.0),
    ("exp_relu", {}, 0.0, 0.0), ("exp_relu", {}, -5.0, 0.0), ("exp_relu", {}, 10.0, math.e - 1.0),
    ("log", {}, math.e, 1.0), ("log", {}, -1.0, math.log(1.0 + 1e-10)), ("log", {}, 0.0, math.log(1e-10)),
    ("log_relu", {}, math.e, 1.0), ("log_relu", {}, -math.e ** 2, 2.0),
    ("exp_scale", {"scale": 0.5}, 2.0, math.e), ("exp_scale", {}, 1.0, math.e),
    ("exp_shift", {"shift": 3.0}, 3.0, 1.0), ("exp_shift", {}, 0.0, 1.0),
]


@pytest.mark.parametrize("name,params,z,expected", SPOT)
def test_formula_spot_checks(name, params, z, expected):
    assert A.activation_numpy(name, z, **params) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    got = float(_keras_eval(A.get_activation(name, **params), [z])[0])
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_log_relu_zero_inside_unit_interval():
    z = np.linspace(-0.999, 0.999, 2001)
    assert np.all(A.activation_numpy("log_relu", z) == 0.0)
    assert np.all(_keras_eval(A.get_activation("log_relu"), z) == 0.0)
    assert np.all(A.activation_numpy("log_relu", np.array([-1.5, 1.5])) > 0)


def test_exponential_overflows_without_clipping():
    # "no clipping" (Methods §3): both implementations give inf for large z in float32
    assert np.isinf(_keras_eval(A.get_activation("exponential"), [100.0])[0])
    with np.errstate(over="ignore"):
        assert np.isinf(np.float32(A.activation_numpy("exponential", 100.0)))


def test_fig1a_curves():
    z = np.linspace(-3, 3, 61)
    curves = {n: A.activation_numpy(n, z) for n in A.PAPER_ACTIVATIONS}
    assert all(c.shape == z.shape and np.isfinite(c).all() for c in curves.values())
    assert np.all(np.diff(curves["exponential"]) > 0) and curves["linear"] is not z


# ----------------------------------------------------------------------------- .keras round trips

def _tiny_model(name, params, seed=0):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((12, 4))
    x = keras.layers.Conv1D(3, 5, padding="same", use_bias=False, name="conv1")(inp)
    x = keras.layers.BatchNormalization(name="conv1_bn")(x)
    x = keras.layers.Activation(A.get_activation(name, **params), name="conv1_activation")(x)
    x = keras.layers.Flatten()(x)
    out = keras.layers.Dense(1, name="logits")(x)
    return keras.Model(inp, out)


def _one_hot(n, length, seed=1):
    idx = np.random.default_rng(seed).integers(0, 4, size=(n, length))
    return np.eye(4, dtype=np.float32)[idx]


def _predict(model, x):
    return keras.ops.convert_to_numpy(model(x, training=False))


FRESH_SCRIPT = """
import json, sys
import numpy as np
import keras
import seqlib.activations  # registers seqlib>SeqlibActivation; nothing else from seqlib
tmp, n = sys.argv[1], int(sys.argv[2])
out, configs = {}, {}
x = np.load(tmp + "/x.npy")
for i in range(n):
    m = keras.models.load_model(f"{tmp}/m{i}.keras")
    out[str(i)] = keras.ops.convert_to_numpy(m(x, training=False))
    act = m.get_layer("conv1_activation").activation
    configs[str(i)] = act.get_config() if hasattr(act, "get_config") else act.__name__
np.savez(tmp + "/pred.npz", **out)
json.dump(configs, open(tmp + "/configs.json", "w"))
"""


@pytest.fixture(scope="module", autouse=True)
def saved_models(tmp_path_factory):
    """Every case as a tiny model saved to ``m{i}.keras`` with its predictions; a fresh process
    (same backend) starts loading them at once and runs while the in-process tests run."""
    tmp = tmp_path_factory.mktemp("saved")
    x = _one_hot(5, 12)
    np.save(tmp / "x.npy", x)
    models, expected = {}, {}
    for i, (name, params) in enumerate(CASES):
        models[i] = _tiny_model(name, params, seed=i)
        models[i].save(tmp / f"m{i}.keras")
        expected[i] = _predict(models[i], x)
    env = {**os.environ, "KERAS_BACKEND": keras.backend.backend(), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "-c", FRESH_SCRIPT, str(tmp), str(len(CASES))],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    yield {"tmp": tmp, "x": x, "models": models, "expected": expected, "proc": proc}
    if proc.poll() is None:  # a failure elsewhere left it running: stop our own child
        proc.kill()
        proc.communicate()


@pytest.mark.parametrize("i", range(len(CASES)), ids=CASE_IDS)
def test_save_load_round_trip(i, saved_models):
    name, params = CASES[i]
    loaded = keras.models.load_model(saved_models["tmp"] / f"m{i}.keras")
    act = loaded.get_layer("conv1_activation").activation
    if name in A.PAPER_ACTIVATIONS:
        assert act is A.get_activation(name)
    else:
        assert isinstance(act, A.SeqlibActivation)
        assert act.get_config() == {"name": name, **A.activation_params(name, **params)}
        original = saved_models["models"][i].get_layer("conv1_activation").activation
        assert act is not original and act == original  # rebuilt from the config, equal
    np.testing.assert_array_equal(_predict(loaded, saved_models["x"]), saved_models["expected"][i])


def test_round_trip_in_fresh_process(saved_models):
    """The models saved here load in a new process that only imports seqlib.activations."""
    tmp, proc = saved_models["tmp"], saved_models["proc"]
    try:
        _, stderr = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, stderr[-3000:]
    pred = np.load(tmp / "pred.npz")
    configs = json.loads((tmp / "configs.json").read_text())
    for i, (name, params) in enumerate(CASES):
        np.testing.assert_array_equal(pred[str(i)], saved_models["expected"][i],
                                      err_msg=CASE_IDS[i])
        if name in A.PAPER_ACTIVATIONS:
            assert configs[str(i)] == name
        else:
            assert configs[str(i)] == {"name": name, **A.activation_params(name, **params)}
    # the parameter really reached the file: exp_scale at 0.5, not at the default 1
    i05 = CASES.index(("exp_scale", {"scale": 0.5}))
    assert configs[str(i05)] == {"name": "exp_scale", "scale": 0.5}
