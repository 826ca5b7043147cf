"""The fast-path layers (seqlib.layers) against Keras' own: numerics, moving statistics, masks, saving."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqlib.layers import FastDropout, FusedBatchNormalization, random_bits16
from seqlib.models import build_model


def _pair(shape, seed=0, **kwargs):
    rng = np.random.default_rng(seed)
    ref, fused = keras.layers.BatchNormalization(**kwargs), FusedBatchNormalization(**kwargs)
    for layer in (ref, fused):
        layer.build(shape)
    channels = shape[kwargs.get("axis", -1)]
    gamma = rng.normal(1.0, 0.3, size=channels).astype("float32")
    beta = rng.normal(0.0, 0.5, size=channels).astype("float32")
    for layer in (ref, fused):
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
    return ref, fused, rng


@pytest.mark.parametrize("shape", [(100, 200, 32), (100, 512), (8, 5, 3, 6)])
def test_fused_batchnorm_matches_keras_in_training_and_inference(shape):
    ref, fused, rng = _pair(shape, momentum=0.99, epsilon=1e-3)
    weights = tf.constant(rng.normal(size=shape).astype("float32"))   # a well-conditioned loss
    for step in range(3):
        x = tf.constant(rng.normal(2.0, 3.0, size=shape).astype("float32"))
        grads, outs = [], []
        for layer in (ref, fused):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x, training=True)
                loss = tf.reduce_sum(y * weights)
            outs.append(y.numpy())
            grads.append([g.numpy() for g in tape.gradient(loss, [x, layer.gamma, layer.beta])])
        np.testing.assert_allclose(outs[1], outs[0], rtol=1e-4, atol=2e-5)
        for g_ref, g_fused in zip(*grads):
            np.testing.assert_allclose(g_fused, g_ref, rtol=1e-3, atol=1e-4 * np.abs(g_ref).max())
        # moving statistics: same update (biased batch variance, momentum 0.99)
        np.testing.assert_allclose(fused.moving_mean.numpy(), ref.moving_mean.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(fused.moving_variance.numpy(), ref.moving_variance.numpy(), rtol=1e-5)
    x = tf.constant(rng.normal(2.0, 3.0, size=shape).astype("float32"))
    np.testing.assert_allclose(fused(x, training=False).numpy(), ref(x, training=False).numpy(),
                               rtol=1e-5, atol=1e-5)


def test_fused_batchnorm_falls_back_to_keras_for_other_axes():
    ref, fused, rng = _pair((4, 6, 5), axis=1)
    x = tf.constant(rng.normal(size=(4, 6, 5)).astype("float32"))
    np.testing.assert_allclose(fused(x, training=True).numpy(), ref(x, training=True).numpy(), rtol=1e-5, atol=1e-6)


def test_fused_batchnorm_config_is_keras_config():
    layer = FusedBatchNormalization(momentum=0.9, epsilon=1e-2, name="bn")
    config = layer.get_config()
    assert config == {**keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-2, name="bn").get_config(),
                      "name": "bn"}
    assert keras.saving.get_registered_name(FusedBatchNormalization) == "seqlib>FusedBatchNormalization"


def test_random_bits_are_uniform_and_seeded():
    seed = tf.constant([3, 7], tf.int32)
    bits = random_bits16(tf.constant(200_001), seed).numpy().astype(np.int64)
    assert bits.shape == (200_001,) and bits.dtype == np.int64
    np.testing.assert_array_equal(bits, random_bits16(tf.constant(200_001), seed).numpy())
    other = random_bits16(tf.constant(200_001), tf.constant([3, 8], tf.int32)).numpy().astype(np.int64)
    assert np.mean(bits == other) < 0.001
    # 64 equal bins: chi-square with 63 degrees of freedom stays far below 150 for a uniform source
    counts = np.bincount(bits >> 10, minlength=64)
    expected = len(bits) / 64
    assert ((counts - expected) ** 2 / expected).sum() < 150
    # neighbouring values are not correlated
    centred = bits - bits.mean()
    assert abs(np.mean(centred[1:] * centred[:-1])) / bits.var() < 0.01


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_fast_dropout_is_inverted_dropout(rate):
    layer = FastDropout(rate, seed=11)
    x = tf.ones((100, 200, 32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
    values = np.unique(y.numpy())
    np.testing.assert_allclose(values, [0.0, 1.0 / (1.0 - rate)], rtol=1e-6)
    assert abs(np.mean(y.numpy() == 0) - rate) < 0.005
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), y.numpy())   # gradient = the scaled mask
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x.numpy())
    assert not np.array_equal(layer(x, training=True).numpy(), y.numpy())   # a new mask every call


def test_fast_dropout_is_deterministic_for_a_seed():
    x = tf.ones((10, 50, 8))
    a = [FastDropout(0.3, seed=5)(x, training=True).numpy() for _ in range(2)]
    np.testing.assert_array_equal(a[0], a[1])
    keras.utils.set_random_seed(1)
    b = FastDropout(0.3)(x, training=True).numpy()
    keras.utils.set_random_seed(1)
    np.testing.assert_array_equal(FastDropout(0.3)(x, training=True).numpy(), b)
    assert keras.saving.get_registered_name(FastDropout) == "seqlib>FastDropout"
    assert FastDropout(0.3, name="d").get_config() == keras.layers.Dropout(0.3, name="d").get_config()


def test_fast_model_has_the_same_architecture_and_saves(tmp_path):
    ref = build_model("cnn-deep", "exponential")
    fast = build_model("cnn-deep", "exponential", fast=True)
    assert [l.name for l in fast.layers] == [l.name for l in ref.layers]
    assert [type(l).__name__ for l in fast.layers if "bn" in l.name] == ["FusedBatchNormalization"] * 5
    assert [type(l).__name__ for l in fast.layers if "dropout" in l.name] == ["FastDropout"] * 5
    assert fast.count_params() == ref.count_params()
    for part, cls in (("batchnorm", FusedBatchNormalization), ("dropout", FastDropout)):
        only = build_model("cnn-deep", "relu", fast=[part])
        assert sum(isinstance(l, cls) for l in only.layers) == 5
    fast.set_weights(ref.get_weights())
    x = np.eye(4, dtype="float32")[np.random.default_rng(0).integers(0, 4, size=(4, 200))]
    np.testing.assert_allclose(fast(x, training=False).numpy(), ref(x, training=False).numpy(), rtol=1e-5,
                               atol=1e-6)
    fast.save(tmp_path / "fast.keras")
    loaded = keras.models.load_model(tmp_path / "fast.keras")
    assert type(loaded.get_layer("conv2_bn")) is FusedBatchNormalization
    assert type(loaded.get_layer("dense1_dropout")) is FastDropout
    np.testing.assert_array_equal(loaded(x, training=False).numpy(), fast(x, training=False).numpy())


def test_unknown_fast_part_is_rejected():
    from seqlib.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="fast part"):
        build_model("cnn-deep", fast=["pooling"])
