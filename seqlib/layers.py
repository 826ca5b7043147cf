"""Drop-in Keras layers that train the model zoo faster on a CPU, with the same numerics (Methods §2.1, §4).

The paper's conv and dense blocks spend most of a CPU training step outside their matrix products: in
batch normalisation (statistics, normalisation and their gradients as a dozen separate element-wise
passes) and in dropout (a float32 uniform draw, a comparison, a cast and two products per element).
Two layers here compute the same functions with fewer passes over memory:

* :class:`FusedBatchNormalization` is ``keras.layers.BatchNormalization`` (same weights, same config,
  same moving-statistics update) whose training and inference passes run as one TensorFlow
  ``FusedBatchNormV3`` kernel on a 4-D view ``(N, L, 1, C)`` of the input (and one fused kernel for the
  gradient). On any other backend, or with options the fused kernel does not cover (masks, renorm,
  synchronised statistics, an axis other than the last), it falls back to the Keras layer's own code,
  so models still build and run under JAX.
* :class:`FastDropout` is ``keras.layers.Dropout`` (inverted dropout: each element kept with
  probability ``1 - rate`` and scaled by ``1 / (1 - rate)``) whose Bernoulli mask is drawn as 16
  random bits per element from a counter-based integer hash (:func:`random_bits16`, a few vectorised
  integer passes instead of one Philox draw per element) and applied with one product forward and one
  backward. The keep probability is ``1 - rate`` rounded to a
  multiple of 2**-16 (at most 8e-6 from it). Masks differ element-wise from Keras's draw with the same
  seed, so trained weights differ as between two seeds of the same protocol; the fidelity guard
  (``benchmarks/fidelity_guard.py``) checks that results do not change beyond that. Other backends use
  Keras's own dropout.

Both are registered as ``seqlib>FusedBatchNormalization`` and ``seqlib>FastDropout``; a saved model
needs ``import seqlib.layers`` (``import seqlib.models`` does it) before ``keras.models.load_model``.
"""

from __future__ import annotations

from ._backend import load_keras

keras = load_keras()

__all__ = ["FusedBatchNormalization", "FastDropout", "random_bits16"]


def _tensorflow() -> bool:
    return keras.backend.backend() == "tensorflow"


@keras.saving.register_keras_serializable(package="seqlib")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` computed by TensorFlow's fused batch-norm kernel.

    Same arguments, weights (``gamma``, ``beta``, ``moving_mean``, ``moving_variance``) and config as
    the Keras layer. In training mode it normalises with the batch mean and the biased batch variance
    and updates ``moving_mean`` / ``moving_variance`` exactly as the Keras layer does
    (``moving = moving * momentum + batch * (1 - momentum)``, biased variance); in inference mode it
    uses the moving statistics. Inputs of rank 2 to 4 normalised over the last axis take the fused
    path on TensorFlow; anything else falls back to the Keras implementation.
    """

    def _fusable(self, inputs, mask) -> bool:
        rank = len(inputs.shape)
        return (_tensorflow() and mask is None and not self.renorm and not self.synchronized
                and self.axis in (-1, rank - 1) and 2 <= rank <= 4 and self.scale and self.center
                and inputs.shape[-1] is not None)

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        channels = inputs.shape[-1]
        shape = tf.shape(inputs)
        rank = len(inputs.shape)
        # NHWC view: (N, L, 1, C) for sequences, (N, 1, 1, C) for dense features (no copy)
        if rank == 2:
            x = tf.reshape(inputs, [-1, 1, 1, channels])
        elif rank == 3:
            x = tf.expand_dims(inputs, 2)
        else:
            x = inputs
        # the kernel takes float32 or bfloat16/float16 activations with float32 statistics
        if x.dtype not in (tf.float32, tf.bfloat16, tf.float16):
            x = tf.cast(x, tf.float32)
        gamma = tf.cast(self.gamma, tf.float32)
        beta = tf.cast(self.beta, tf.float32)
        if training and self.trainable:
            y, mean, variance, _, _, _ = tf.raw_ops.FusedBatchNormV3(
                x=x, scale=gamma, offset=beta, mean=tf.constant([], tf.float32),
                variance=tf.constant([], tf.float32), epsilon=float(self.epsilon), exponential_avg_factor=1.0,
                data_format="NHWC", is_training=True)
            # the kernel reports the unbiased (Bessel-corrected) variance; Keras' layer keeps the biased one
            count = tf.cast(tf.size(x) // channels, tf.float32)
            variance = variance * ((count - 1.0) / tf.maximum(count, 1.0))
            mean = tf.stop_gradient(mean)
            variance = tf.stop_gradient(variance)
            momentum = float(self.momentum)
            self.moving_mean.assign(tf.cast(self.moving_mean, tf.float32) * momentum + mean * (1.0 - momentum))
            self.moving_variance.assign(tf.cast(self.moving_variance, tf.float32) * momentum
                                        + variance * (1.0 - momentum))
        else:
            y, _, _, _, _, _ = tf.raw_ops.FusedBatchNormV3(
                x=x, scale=gamma, offset=beta, mean=tf.cast(self.moving_mean, tf.float32),
                variance=tf.cast(self.moving_variance, tf.float32), epsilon=float(self.epsilon),
                exponential_avg_factor=1.0, data_format="NHWC", is_training=False)
        y = tf.reshape(y, shape) if rank != 4 else y
        return tf.cast(y, self.compute_dtype)


_GOLDEN = 0x9E3779B9   # 2**32 / golden ratio: SplitMix's stream increment


def _mix32(h):
    """The ``lowbias32`` integer finaliser (C. Wellons): a bijective, well-avalanching uint32 hash."""
    import tensorflow as tf

    h = tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, tf.constant(16, tf.uint32)))
    h = h * tf.constant(0x7FEB352D, tf.uint32)
    h = tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, tf.constant(15, tf.uint32)))
    h = h * tf.constant(0x846CA68B, tf.uint32)
    return tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, tf.constant(16, tf.uint32)))


def random_bits16(n, seed):
    """``n`` pseudo-random uint16 values (a 1-D tensor) from a 2-element int seed, cheaply on a CPU.

    A SplitMix32-style counter generator: a uint32 start state ``k`` is hashed from the seed, and
    element pair ``i`` gets ``mix32(k + i * 0x9E3779B9)``, split into two 16-bit halves. That is about
    ten vectorised integer passes over ``n / 2`` words, against one Philox-4x32-10 draw per element for
    ``tf.random.stateless_uniform`` (about 4x the CPU time here).
    """
    import tensorflow as tf

    seed = tf.bitcast(tf.cast(seed, tf.int32), tf.uint32)
    key = _mix32(tf.bitwise.bitwise_xor(_mix32(seed[0] + tf.constant(_GOLDEN, tf.uint32)), seed[1]))
    half = (n + 1) // 2
    counter = tf.bitcast(tf.range(half, dtype=tf.int32), tf.uint32)
    words = _mix32(key + counter * tf.constant(_GOLDEN, tf.uint32))
    return tf.reshape(tf.bitcast(words, tf.uint16), [-1])[:n]


@keras.saving.register_keras_serializable(package="seqlib")
class FastDropout(keras.layers.Dropout):
    """``keras.layers.Dropout`` with a cheaper mask on TensorFlow (16 hashed random bits per element).

    Same arguments and config as the Keras layer (``noise_shape`` goes through the Keras fallback).
    Inverted dropout: an element is kept when its 16 random bits are ``>= round(rate * 2**16)`` and
    scaled by ``1 / (1 - rate)``. The per-step seed comes from the layer's own ``SeedGenerator``
    (seeded from Keras' global seed by ``keras.utils.set_random_seed``, or from ``seed``), so a run is
    reproducible; the bits come from :func:`random_bits16`.
    """

    def call(self, inputs, training=False):
        if not (training and 0.0 < self.rate < 1.0 and _tensorflow() and self.noise_shape is None):
            return super().call(inputs, training=training)
        import tensorflow as tf

        shape = tf.shape(inputs)
        bits = random_bits16(tf.size(inputs), self.seed_generator.next())
        threshold = tf.constant(min(65535, int(round(self.rate * 65536))), tf.uint16)
        scale = tf.constant(1.0 / (1.0 - self.rate), inputs.dtype)
        mask = tf.reshape(tf.cast(bits >= threshold, inputs.dtype), shape) * scale
        return _masked(inputs, mask)


def _masked(x, mask):
    """``x * mask`` whose gradient is ``dy * mask`` (the mask gets none, no extra product)."""
    import tensorflow as tf

    @tf.custom_gradient
    def apply(x):
        return x * mask, lambda dy: dy * mask

    return apply(x)
