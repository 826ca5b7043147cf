"""Attribution maps for any single-input Keras sequence model, and their quality (Methods §8, §7.2).

Four methods, each returning an array of the input's shape ``(N, L, 4)``:

* **saliency** (:func:`saliency`): the input gradient of one output, times the one-hot input;
* **in-silico mutagenesis** (:func:`ism`): the change of the output for every single-base substitution
  (:func:`mutagenesis`), all ``3 L`` mutants of many sequences batched together; the paper's score is the L2
  norm over the four bases placed at the observed base;
* **integrated gradients** (:func:`integrated_gradients`), in two forms: the paper's (the *mean* gradient on
  the straight paths from shuffled baselines to x, α = 0, 1/S, ..., (S-1)/S, times the input) and the
  standard one (the path-averaged gradient times ``x - baseline``, trapezoid rule up to α = 1), whose
  attributions sum to ``f(x) - f(baseline)``;
* **DeepSHAP** (:func:`deepshap`): DeepLIFT's rescale rule averaged over shuffled references, written here
  as a modified gradient: every element-wise nonlinearity passes back ``(f(x) - f(r)) / (x - r)`` instead of
  its derivative, and max pooling routes the output difference through the argmax of x and of the
  reference as the ``shap`` package does. Attributions sum to ``f(x) - mean_r f(r)``.

Every method attributes one output column (``output``, default 0) of the sigmoid probability, as the paper
did (``layer=-1``), or of the logit (``logit=True``). Every gradient method takes ``correct=True``: the
gradient correction of Majdandzic, Rajesh & Koo (2023, Genome Biology 24:109), which subtracts from each
position's gradient its mean over the four bases (for one-hot inputs this leaves the sums of standard IG
and DeepSHAP unchanged).

Input gradients come from the backend's own API (:data:`GRADIENT_BACKENDS`): TensorFlow (``tf.GradientTape``
in a ``tf.function``) and JAX (``jax.grad`` of the model's ``stateless_call``, compiled with ``jax.jit``), so
saliency, mutagenesis and integrated gradients run on either backend. DeepSHAP's modified gradients use
``tf.custom_gradient`` and are TensorFlow only. A PyTorch branch is one more entry of the same signature.

The paper's numbers (Methods §8): the first 500 positive test sequences of Task 3, 10 shuffled references
for IG and DeepSHAP, 20 IG steps, every score multiplied by the input before scoring with
:func:`seqlib.metrics.interpretability_performance`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from tqdm import tqdm

from . import plotting
from ._backend import load_keras, per_model
from ._io import atomic_path, check_output_dir
from ._validate import check_one_hot, check_sequence_model
from .errors import ShapeError, UnknownNameError
from .files import load_data, load_model
from .metrics import attribution_snr, interpretability_performance

keras = load_keras()

__all__ = ["METHODS", "GRADIENT_BACKENDS", "target_model", "shuffled_references", "gradient_correction",
           "input_gradients", "saliency", "mutagenesis", "ism", "integrated_gradients", "deepshap",
           "deeplift_multipliers", "predict_output", "attribute", "attribute_files"]

#: Attribution methods by name (``attribute(method=...)`` and ``seqlib attribute --method``).
METHODS = ("saliency", "ism", "ig", "deepshap")
#: Methods built on input gradients (they accept ``correct=True``).
GRADIENT_METHODS = ("saliency", "ig", "deepshap")
#: The integrated-gradients variants of :func:`integrated_gradients`.
IG_VARIANTS = ("paper", "standard")


# ----------------------------------------------------------------------------- model checks and targets

def _model_shape(model) -> tuple[int, int]:
    """(L, T) of a model with one input ``(None, L, 4)`` and one output ``(None, T)``; ShapeError otherwise."""
    if not isinstance(model, keras.Model):
        raise ShapeError(f"expected a keras.Model; got {type(model).__name__}")
    if len(model.inputs) != 1:
        raise ShapeError(f"model {model.name!r} must take a single sequence input (N, L, 4); it has "
                         f"{len(model.inputs)} inputs")
    shape = tuple(model.inputs[0].shape)
    if len(shape) != 3 or shape[-1] != 4:
        raise ShapeError(f"model {model.name!r} must take one-hot sequences of shape (N, L, 4); its input has "
                         f"shape {shape}")
    if len(model.outputs) != 1 or len(model.outputs[0].shape) != 2:
        raise ShapeError(f"model {model.name!r} must have one output of shape (N, T); it has "
                         f"{[tuple(o.shape) for o in model.outputs]}")
    return shape[1], int(model.outputs[0].shape[-1])


def _check_output(model, output) -> int:
    n_out = _model_shape(model)[1]
    if isinstance(output, bool) or not isinstance(output, (int, np.integer)) or not 0 <= output < n_out:
        raise ShapeError(f"output index {output!r} is out of range: model {model.name!r} has {n_out} output(s), "
                         f"indices 0..{n_out - 1}")
    return int(output)


def _check_inputs(model, X, name: str = "X", *, allow_n: bool = True, strict: bool = True) -> np.ndarray:
    """X as float32 ``(N, L, 4)`` of the model's length; one-hot unless ``strict=False`` (points on IG paths)."""
    L = _model_shape(model)[0]
    X = check_one_hot(X, name, allow_n=allow_n, strict=strict)
    if L is not None and X.shape[1] != L:
        raise ShapeError(f"{name} has length {X.shape[1]} but model {model.name!r} takes sequences of length {L}")
    if len(X) == 0:
        raise ShapeError(f"{name} holds no sequences")
    return X


def target_model(model, logit: bool = False):
    """The model whose output is attributed: ``model`` itself (sigmoid probability), or its logit.

    Parameters
    ----------
    model : keras.Model
        One input ``(N, L, 4)``, one output ``(N, T)``.
    logit : bool
        Attribute the pre-sigmoid value: the layer named ``"logits"`` (models of :func:`seqlib.models.build_model`)
        or the input of a final sigmoid ``Activation`` layer.

    Returns
    -------
    keras.Model
        Maps ``(N, L, 4)`` to ``(N, T)``.
    """
    _model_shape(model)
    if not logit:
        return model
    try:
        layer = model.get_layer("logits")
        return keras.Model(model.inputs, layer.output, name=f"{model.name}_logits")
    except ValueError:
        pass
    last = model.layers[-1]
    if isinstance(last, keras.layers.Activation) and getattr(last.activation, "__name__", "") == "sigmoid":
        return keras.Model(model.inputs, last.input, name=f"{model.name}_logits")
    raise ShapeError(f"model {model.name!r} has no layer named 'logits' and does not end in a sigmoid Activation "
                     f"layer, so its logit cannot be found; attribute the output itself (logit=False)")


# ----------------------------------------------------------------------------- backend: gradients

def _output_fn(target, output: int) -> Callable:
    """``x (B, L, 4) -> target(x)[:, output] (B,)`` in inference mode."""
    return lambda x: target(x, training=False)[:, output]


def _tensorflow_gradients(target, output: int) -> Callable:
    """TensorFlow branch: a compiled function ``x (B, L, 4) -> d sum(target(x)[:, output]) / dx (B, L, 4)``."""
    import tensorflow as tf

    fn = _output_fn(target, output)

    @tf.function(reduce_retracing=True)
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(fn(x))
        return tape.gradient(y, x)

    return lambda x: grad(tf.convert_to_tensor(x, tf.float32)).numpy()


def _jax_pure(target, output: int) -> Callable:
    """``(trainable, non_trainable, x) -> target(x)[:, output]`` as a pure function of the weights, so that a
    ``jax.jit`` of it reads the model's current weights on every call instead of baking them in."""
    def pure(trainable, non_trainable, x):
        y, _ = target.stateless_call(trainable, non_trainable, x, training=False)
        return y[:, output]
    return pure


def _jax_weights(target) -> tuple[list, list]:
    return ([v.value for v in target.trainable_variables], [v.value for v in target.non_trainable_variables])


def _jax_gradients(target, output: int) -> Callable:
    """JAX branch: ``jax.grad`` of the summed output with respect to the input, compiled once per model."""
    import jax
    import jax.numpy as jnp

    pure = _jax_pure(target, output)
    grad = jax.jit(jax.grad(lambda tw, nw, x: jnp.sum(pure(tw, nw, x)), argnums=2))
    return lambda x: np.asarray(grad(*_jax_weights(target), jnp.asarray(x, jnp.float32)))


#: Backend name -> builder ``(target model, output index) -> compiled input-gradient function``.
#: A ``"torch"`` branch would be one more entry.
GRADIENT_BACKENDS: dict[str, Callable] = {"tensorflow": _tensorflow_gradients, "jax": _jax_gradients}


def _gradient_fn(model, output: int, logit: bool) -> Callable:
    """Compiled ``x (B, L, 4) -> d f(x)[:, output] / dx (B, L, 4)`` through :data:`GRADIENT_BACKENDS`."""
    backend = keras.backend.backend()
    if backend not in GRADIENT_BACKENDS:
        raise UnknownNameError(f"input gradients are implemented for the {', '.join(GRADIENT_BACKENDS)} backend(s); "
                               f"Keras runs on {backend!r}: set KERAS_BACKEND=tensorflow before importing keras")
    return per_model(model, ("attribution gradient", output, logit),
                   lambda: GRADIENT_BACKENDS[backend](target_model(model, logit), output))


def _forward_fn(model, output: int, logit: bool) -> Callable:
    """Compiled ``x (B, L, 4) -> f(x)[:, output] (B,)`` in inference mode."""
    def build():
        target = target_model(model, logit)
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            compiled = tf.function(_output_fn(target, output), reduce_retracing=True)
            return lambda x: compiled(tf.convert_to_tensor(x, tf.float32)).numpy()
        if backend == "jax":
            import jax
            import jax.numpy as jnp

            pure = jax.jit(_jax_pure(target, output))
            return lambda x: np.asarray(pure(*_jax_weights(target), jnp.asarray(x, jnp.float32)))
        fn = _output_fn(target, output)
        return lambda x: keras.ops.convert_to_numpy(fn(x))

    return per_model(model, ("attribution forward", output, logit), build)


def predict_output(model, X, *, output: int = 0, logit: bool = False, batch_size: int = 1024) -> np.ndarray:
    """The attributed output on a batch of sequences, in inference mode.

    Parameters
    ----------
    X : array_like, shape=(N, L, 4)

    Returns
    -------
    numpy.ndarray, shape=(N,), float64
    """
    output = _check_output(model, output)
    X = _check_inputs(model, X)
    f = _forward_fn(model, output, logit)
    return np.concatenate([f(X[i:i + batch_size]) for i in range(0, len(X), batch_size)]).astype(np.float64)


def gradient_correction(grads) -> np.ndarray:
    """Subtract from each position its mean over the four bases (Majdandzic, Rajesh & Koo 2023).

    Parameters
    ----------
    grads : array_like, shape=(N, L, 4)

    Returns
    -------
    numpy.ndarray, shape=(N, L, 4)
    """
    grads = np.asarray(grads)
    if grads.ndim != 3 or grads.shape[-1] != 4:
        raise ShapeError(f"gradients must have shape (N, L, 4); got {grads.shape}")
    return grads - grads.mean(-1, keepdims=True)


def _chunks(n: int, size: int, progress: bool, desc: str):
    starts = range(0, n, size)
    return tqdm(starts, desc=desc, unit="chunk", disable=not progress or len(starts) < 2, leave=False)


def _check_batch(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ShapeError(f"batch_size must be a positive integer; got {batch_size!r}")
    return int(batch_size)


def input_gradients(model, X, *, output: int = 0, logit: bool = False, correct: bool = False,
                    batch_size: int = 256, progress: bool = False) -> np.ndarray:
    """Gradient of one output with respect to the one-hot input.

    Parameters
    ----------
    model : keras.Model
        One input ``(N, L, 4)``, one output ``(N, T)``.
    X : array_like, shape=(N, L, 4)
        Any real values (one-hot sequences, or points between sequences as on integrated-gradient paths).
    output : int
        Output column attributed.
    logit : bool
        Differentiate the logit instead of the sigmoid probability.
    correct : bool
        Apply :func:`gradient_correction`.
    batch_size : int

    Returns
    -------
    numpy.ndarray, shape=(N, L, 4), float32
    """
    output = _check_output(model, output)
    X = _check_inputs(model, X, strict=False)
    batch_size = _check_batch(batch_size)
    grad = _gradient_fn(model, output, logit)
    g = np.concatenate([grad(X[i:i + batch_size]) for i in _chunks(len(X), batch_size, progress, "gradients")])
    return gradient_correction(g) if correct else g


def saliency(model, X, *, output: int = 0, logit: bool = False, correct: bool = False, times_input: bool = True,
             batch_size: int = 256, progress: bool = False) -> np.ndarray:
    """Saliency as the paper scores it: input gradient × input (Methods §8).

    Parameters
    ----------
    X : array_like, shape=(N, L, 4)
    times_input : bool
        Multiply by X (paper); False returns the (corrected) gradient itself.

    Returns
    -------
    numpy.ndarray, shape=(N, L, 4)
    """
    X = _check_inputs(model, X)
    g = input_gradients(model, X, output=output, logit=logit, correct=correct, batch_size=batch_size,
                        progress=progress)
    return g * X if times_input else g


# ----------------------------------------------------------------------------- in-silico mutagenesis

def _mutants(X: np.ndarray, alt: np.ndarray) -> np.ndarray:
    """All single-base mutants, ``(n * L * 3, L, 4)`` in (sequence, position, alternative) order, from
    ``X (n, L, 4)`` and the alternative bases ``alt (n, L, 3)``."""
    n, L, A = X.shape
    mut = np.repeat(X, 3 * L, axis=0)
    positions = np.tile(np.repeat(np.arange(L), 3), n)
    mut[np.arange(len(mut)), positions] = np.eye(A, dtype=X.dtype)[alt.ravel()]
    return mut


def mutagenesis(model, X, *, output: int = 0, logit: bool = False, batch_size: int = 1024,
                progress: bool = False) -> np.ndarray:
    """Output change for every single-base substitution, ``f(mutant) - f(x)``.

    The ``3 L`` mutants of several sequences go through the model together in batches of about
    ``batch_size`` (one compiled forward pass per batch).

    Parameters
    ----------
    X : array_like, shape=(N, L, 4)
        Strictly one-hot (no N bases).
    batch_size : int
        Mutants per forward pass (rounded to whole sequences, at least one sequence).

    Returns
    -------
    numpy.ndarray, shape=(N, L, 4), float64
        0 at the observed base.
    """
    output = _check_output(model, output)
    X = _check_inputs(model, X, allow_n=False)
    batch_size = _check_batch(batch_size)
    N, L, _ = X.shape
    f = _forward_fn(model, output, logit)
    obs = X.argmax(-1)
    alt = (obs[..., None] + np.arange(1, 4)) % 4                       # (N, L, 3): the three other bases
    per_chunk = max(1, batch_size // (3 * L))
    delta = np.zeros((N, L, 4), dtype=np.float64)
    for start in _chunks(N, per_chunk, progress, "mutagenesis"):
        sl = slice(start, start + per_chunk)
        x = X[sl]
        n = len(x)
        pred = f(np.concatenate([x, _mutants(x, alt[sl])])).astype(np.float64)
        wt, mut = pred[:n], pred[n:].reshape(n, L, 3)
        k, i, j = np.meshgrid(np.arange(n), np.arange(L), np.arange(3), indexing="ij")
        delta[start + k, i, alt[sl][k, i, j]] = mut - wt[:, None, None]
    return delta


def ism(model, X, *, output: int = 0, logit: bool = False, times_input: bool = True, batch_size: int = 1024,
        progress: bool = False) -> np.ndarray:
    """In-silico mutagenesis as the paper scores it: ``sqrt(Σ_b Δ_b² + 1e-10)`` at the observed base (Methods §8).

    Parameters
    ----------
    X : array_like, shape=(N, L, 4)
    times_input : bool
        Place the norm at the observed base (paper); False returns the raw changes of :func:`mutagenesis`.

    Returns
    -------
    numpy.ndarray, shape=(N, L, 4)
    """
    X = _check_inputs(model, X, allow_n=False)
    delta = mutagenesis(model, X, output=output, logit=logit, batch_size=batch_size, progress=progress)
    if not times_input:
        return delta
    return np.sqrt((delta ** 2).sum(-1, keepdims=True) + 1e-10) * X


# ----------------------------------------------------------------------------- references

def shuffled_references(X, n: int, seed: int = 0) -> np.ndarray:
    """Random position shuffles of each sequence (same base composition), the paper's IG/DeepSHAP references.

    Parameters
    ----------
    X : array_like, shape=(N, L, 4)
    n : int
        References per sequence.
    seed : int

    Returns
    -------
    numpy.ndarray, shape=(N, n, L, 4), float32
    """
    X = check_one_hot(X, allow_n=True)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ShapeError(f"the number of references must be a positive integer; got {n!r}")
    rng = np.random.default_rng(seed)
    N, L, _ = X.shape
    order = np.argsort(rng.random((N, n, L)), axis=-1)
    return X[np.arange(N)[:, None, None], order]


def _references(X: np.ndarray, references, n: int, seed: int) -> np.ndarray:
    if references is None:
        return shuffled_references(X, n, seed)
    R = np.asarray(references, dtype=np.float32)
    if R.ndim == 3:
        R = np.broadcast_to(R[None], (len(X),) + R.shape)
    if R.ndim != 4 or R.shape[0] != len(X) or R.shape[2:] != X.shape[1:]:
        raise ShapeError(f"references must have shape (n, L, 4) or (N, n, L, 4) with N={len(X)}, "
                         f"L={X.shape[1]}; got {np.shape(references)}")
    check_one_hot(R.reshape(-1, *X.shape[1:]), "references", allow_n=True)
    return R


# ----------------------------------------------------------------------------- integrated gradients

def integrated_gradients(model, X, *, variant: str = "paper", references=None, n_references: int = 10,
                         n_steps: int = 20, seed: int = 0, output: int = 0, logit: bool = False,
                         correct: bool = False, times_input: bool = True, batch_size: int = 1024,
                         progress: bool = False) -> np.ndarray:
    """Integrated gradients from shuffled baselines, in the paper's form or the standard one.

    * ``variant="paper"`` (Methods §8): the mean gradient over the points ``b + α (x - b)``,
      α = 0, 1/S, ..., (S-1)/S (α = 1 excluded), over all baselines b; not multiplied by ``x - b``.
    * ``variant="standard"`` (Sundararajan et al. 2017): for each baseline, the path-averaged gradient
      (trapezoid rule on α = 0, 1/S, ..., 1) times ``x - b``, averaged over baselines; the attributions of
      a sequence sum to ``f(x) - mean_b f(b)`` up to the quadrature error.

    Parameters
    ----------
    X : array_like, shape=(N, L, 4)
    references : array_like, optional, shape=(n, L, 4) or (N, n, L, 4)
        Baselines; default ``n_references`` position shuffles of each sequence (:func:`shuffled_references`).
    n_steps : int
        S above (paper: 20).
    seed : int
        Seed of the shuffles.
    correct : bool
        Gradient correction of every path gradient.
    times_input : bool
        Multiply the result by X, as the paper scores every method.

    Returns
    -------
    numpy.ndarray, shape=(N, L, 4)
    """
    if variant not in IG_VARIANTS:
        raise UnknownNameError(f"unknown integrated-gradients variant {variant!r}; choose one of {', '.join(IG_VARIANTS)}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ShapeError(f"n_steps must be a positive integer; got {n_steps!r}")
    output = _check_output(model, output)
    X = _check_inputs(model, X)
    batch_size = _check_batch(batch_size)
    R = _references(X, references, n_references, seed)
    N, n_ref, L, _ = R.shape
    if variant == "paper":
        alphas = np.arange(n_steps) / n_steps
        weights = np.full(n_steps, 1.0 / n_steps)
    else:
        alphas = np.linspace(0.0, 1.0, n_steps + 1)
        weights = np.full(n_steps + 1, 1.0 / n_steps)
        weights[[0, -1]] /= 2
    n_alpha = len(alphas)
    grad = _gradient_fn(model, output, logit)
    per_chunk = max(1, batch_size // (n_ref * n_alpha))
    out = np.zeros((N, L, 4), dtype=np.float64)
    a = alphas.astype(np.float32)[None, None, :, None, None]
    for start in _chunks(N, per_chunk, progress, "integrated gradients"):
        x = X[start:start + per_chunk, None, None]                            # (n, 1, 1, L, 4)
        b = R[start:start + per_chunk, :, None]                               # (n, r, 1, L, 4)
        points = (b + a * (x - b)).reshape(-1, L, 4)
        g = np.concatenate([grad(points[i:i + batch_size]) for i in range(0, len(points), batch_size)])
        g = g.reshape(len(x), n_ref, n_alpha, L, 4).astype(np.float64)
        if correct:
            g = g - g.mean(-1, keepdims=True)
        path = np.tensordot(g, weights, axes=([2], [0]))                       # (n, r, L, 4)
        if variant == "paper":
            out[start:start + len(x)] = path.mean(1)
        else:
            out[start:start + len(x)] = (path * (x[:, :, 0] - b[:, :, 0])).mean(1)
    return out * X if times_input else out


# ----------------------------------------------------------------------------- DeepSHAP (rescale rule)

def _split2(t):
    import tensorflow as tf
    return tf.split(t, 2, axis=0)


def _rescale(f: Callable, z):
    """Element-wise nonlinearity ``f`` on a paired batch ``[x-half; reference-half]`` whose gradient is
    DeepLIFT's rescale multiplier ``(f(x) - f(r)) / (x - r)`` (the derivative at x where ``x ≈ r``)."""
    import tensorflow as tf

    @tf.custom_gradient
    def op(z):
        y = f(z)

        def grad(dy):
            zx, zr = _split2(z)
            yx, yr = _split2(y)
            dyx, _ = _split2(dy)
            mid = (zx + zr) / 2
            with tf.GradientTape() as tape:
                tape.watch(mid)
                fmid = f(mid)
            slope = tape.gradient(fmid, mid)          # secant = slope at the midpoint up to O(delta^2)
            delta = zx - zr
            small = tf.abs(delta) < 1e-4
            m = tf.where(small, slope, (yx - yr) / tf.where(small, tf.ones_like(delta), delta))
            gx = dyx * m
            return tf.concat([gx, tf.zeros_like(gx)], 0)

        return y, grad

    return op(z)


def _maxpool(layer, z):
    """Max pooling on a paired batch: the output difference ``y_x - y_r`` is split at ``max(y_x, y_r)``, the part
    above ``y_r`` routed through the argmax of x and the rest through the argmax of the reference (the rule of
    the shap package), then divided by the input difference at those positions."""
    import tensorflow as tf

    @tf.custom_gradient
    def op(z):
        y = layer(z)

        def grad(dy):
            zx, zr = _split2(z)
            yx, yr = _split2(y)
            dyx, _ = _split2(dy)
            cross = tf.maximum(yx, yr)
            with tf.GradientTape(persistent=True) as tape:
                tape.watch([zx, zr])
                px, pr = layer(zx), layer(zr)
            # the whole difference goes through the argmax of the larger of the two maxima, whose input
            # difference is at least the output difference, so the multipliers stay bounded
            gx = tape.gradient(px, zx, output_gradients=dyx * (cross - yr))
            gr = tape.gradient(pr, zr, output_gradients=dyx * (yx - cross))
            del tape
            delta = zx - zr
            small = tf.abs(delta) < 1e-7
            m = tf.where(small, tf.zeros_like(delta), (gx + gr) / tf.where(small, tf.ones_like(delta), delta))
            return tf.concat([m, tf.zeros_like(m)], 0)

        return y, grad

    return op(z)


_L = keras.layers
#: Layers DeepSHAP passes through unchanged: linear (or affine) maps, exact under the rescale rule.
_LINEAR_LAYERS = tuple(c for c in (
    _L.Flatten, _L.Reshape, _L.Add, _L.Subtract, _L.Concatenate, _L.Average, _L.AveragePooling1D,
    _L.GlobalAveragePooling1D, _L.ZeroPadding1D, _L.Cropping1D, _L.Permute, _L.Identity, _L.InputLayer))
_NOISE_LAYERS = (_L.Dropout, _L.SpatialDropout1D, _L.GaussianNoise, _L.GaussianDropout, _L.AlphaDropout)
_ELEMENTWISE_LAYERS = (_L.ReLU, _L.ELU, _L.LeakyReLU)


def _is_linear_activation(fn) -> bool:
    return fn is None or getattr(fn, "__name__", "") == "linear"


def _deeplift_operation(layer):
    """The callable that replaces ``layer`` in the DeepSHAP forward pass (see :func:`deeplift_multipliers`)."""
    if isinstance(layer, _L.Activation):
        return lambda z, **kw: _rescale(layer.activation, z)
    if isinstance(layer, _ELEMENTWISE_LAYERS):
        return lambda z, **kw: _rescale(layer, z)
    if isinstance(layer, (_L.MaxPooling1D, _L.MaxPooling2D)):
        return lambda z, **kw: _maxpool(layer, z)
    if isinstance(layer, _L.BatchNormalization):
        return lambda z, **kw: layer(z, training=False)
    if isinstance(layer, _NOISE_LAYERS):
        return lambda z, **kw: z
    if isinstance(layer, (_L.Conv1D, _L.Conv2D, _L.Dense)):
        if _is_linear_activation(layer.activation):
            return lambda z, **kw: layer(z)

        def split_activation(z, **kw):          # Conv1D(activation=...) = linear map, then the rescale rule
            activation = layer.activation
            layer.activation = keras.activations.linear
            try:
                pre = layer(z)
            finally:
                layer.activation = activation
            return _rescale(activation, pre)

        return split_activation
    if isinstance(layer, _LINEAR_LAYERS):
        return lambda *args, **kw: layer(*args, **{k: v for k, v in kw.items() if k != "training"})
    raise UnknownNameError(
        f"DeepSHAP has no rule for layer {layer.name!r} ({type(layer).__name__}); supported: Conv1D/Conv2D/Dense "
        f"(any element-wise activation), Activation, ReLU/ELU/LeakyReLU, BatchNormalization, MaxPooling1D/2D, "
        f"dropout and noise layers, and linear layers ({', '.join(c.__name__ for c in _LINEAR_LAYERS)})")


def _graph_of(model):
    graph = getattr(model, "_functional", None) if isinstance(model, keras.Sequential) else model
    if graph is None or not hasattr(graph, "_run_through_graph"):
        raise ShapeError(f"DeepSHAP needs a functional or built Sequential Keras model; {model.name!r} is a "
                         f"subclassed model whose layer graph cannot be walked")
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            raise UnknownNameError(f"DeepSHAP does not descend into nested model {layer.name!r}; flatten the model")
        _deeplift_operation(layer)              # raises for unsupported layers before any computation
    return graph


def deeplift_multipliers(model, X, references, *, output: int = 0, logit: bool = False,
                         batch_size: int = 512) -> np.ndarray:
    """DeepLIFT (rescale rule) multipliers of one output for sequence/reference pairs.

    The pairs run through the network as one batch ``[x; r]``; linear layers (convolutions, dense layers,
    batch normalisation in inference mode, dropout, flatten, add) act on it unchanged, every element-wise
    nonlinearity returns the multiplier ``(f(x) - f(r)) / (x - r)`` as its gradient, and max pooling routes the
    output difference through both argmaxes. Then ``Σ multipliers × (x - r) = f(x) - f(r)`` for every pair.

    Parameters
    ----------
    X : array_like, shape=(M, L, 4)
    references : array_like, shape=(M, L, 4)
        One reference per row of X.

    Returns
    -------
    numpy.ndarray, shape=(M, L, 4), float32
    """
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise UnknownNameError(f"DeepSHAP's modified gradients are written for TensorFlow; Keras runs on {backend!r}: "
                               "set KERAS_BACKEND=tensorflow for DeepSHAP (saliency, ism and ig run on either)")
    import tensorflow as tf

    output = _check_output(model, output)
    X = _check_inputs(model, X)
    R = np.asarray(references, dtype=np.float32)
    if R.shape != X.shape:
        raise ShapeError(f"references {R.shape} must have the shape of X {X.shape} (one reference per sequence)")
    def build():
        graph = _graph_of(target_model(model, logit))

        @tf.function(reduce_retracing=True)
        def multipliers(x, r):
            joint = tf.concat([x, r], 0)
            with tf.GradientTape() as tape:
                tape.watch(joint)
                out = graph._run_through_graph(joint, operation_fn=_deeplift_operation)
                out = out[0] if isinstance(out, (list, tuple)) else out
                y = tf.reduce_sum(_split2(out)[0][:, output])
            return _split2(tape.gradient(y, joint))[0]

        return multipliers

    multipliers = per_model(model, ("deeplift", output, logit), build)

    batch_size = _check_batch(batch_size)
    return np.concatenate([multipliers(tf.constant(X[i:i + batch_size]), tf.constant(R[i:i + batch_size])).numpy()
                           for i in range(0, len(X), batch_size)])


def deepshap(model, X, *, references=None, n_references: int = 10, seed: int = 0, output: int = 0,
             logit: bool = False, correct: bool = False, times_input: bool = True, batch_size: int = 512,
             progress: bool = False) -> np.ndarray:
    """DeepSHAP: DeepLIFT rescale-rule attributions averaged over shuffled references (Methods §8).

    ``phi = mean_r [m(x, r) × (x - r)]`` with the multipliers ``m`` of :func:`deeplift_multipliers`; each
    sequence's ``phi`` sums to ``f(x) - mean_r f(r)``. The paper used ``shap.DeepExplainer`` with 10 position
    shuffles of each sequence and multiplied the values by the input before scoring.

    Parameters
    ----------
    X : array_like, shape=(N, L, 4)
    references : array_like, optional, shape=(n, L, 4) or (N, n, L, 4)
        Default: ``n_references`` position shuffles of each sequence.
    correct : bool
        Gradient correction of the multipliers (the sum over a one-hot position is unchanged).
    times_input : bool
        Multiply by X (paper); False returns ``phi`` itself.

    Returns
    -------
    numpy.ndarray, shape=(N, L, 4)
    """
    output = _check_output(model, output)
    X = _check_inputs(model, X)
    R = _references(X, references, n_references, seed)
    N, n_ref, L, _ = R.shape
    batch_size = _check_batch(batch_size)
    per_chunk = max(1, batch_size // n_ref)
    out = np.zeros((N, L, 4), dtype=np.float64)
    for start in _chunks(N, per_chunk, progress, "deepshap"):
        x = X[start:start + per_chunk]
        r = R[start:start + per_chunk]
        xx = np.repeat(x[:, None], n_ref, axis=1).reshape(-1, L, 4)
        m = deeplift_multipliers(model, xx, r.reshape(-1, L, 4), output=output, logit=logit,
                                 batch_size=batch_size).astype(np.float64)
        if correct:
            m = m - m.mean(-1, keepdims=True)
        out[start:start + len(x)] = (m * (xx - r.reshape(-1, L, 4))).reshape(len(x), n_ref, L, 4).mean(1)
    return out * X if times_input else out


# ----------------------------------------------------------------------------- one entry point

def attribute(model, X, method: str = "saliency", *, output: int = 0, logit: bool = False, correct: bool = False,
              n_references: int = 10, n_steps: int = 20, seed: int = 0, progress: bool = False) -> np.ndarray:
    """Attribution scores of ``method``, post-processed as the paper scores them (Methods §8).

    Parameters
    ----------
    model : keras.Model
        One input ``(N, L, 4)``, one output ``(N, T)``.
    X : array_like, shape=(N, L, 4)
    method : {"saliency", "ism", "ig", "deepshap"}
        ``ig`` is the paper's variant of :func:`integrated_gradients`.
    output : int
        Output column.
    logit : bool
        Attribute the logit instead of the sigmoid probability (the paper's choice).
    correct : bool
        Gradient correction (gradient methods only; ``ism`` rejects it).
    n_references, n_steps, seed
        References and path steps of ``ig`` and ``deepshap`` (paper: 10 shuffles, 20 steps).

    Returns
    -------
    numpy.ndarray, shape=(N, L, 4)
        Scores at the observed bases (zero elsewhere).
    """
    if method not in METHODS:
        raise UnknownNameError(f"unknown attribution method {method!r}; choose one of {', '.join(METHODS)}")
    if method == "saliency":
        return saliency(model, X, output=output, logit=logit, correct=correct, progress=progress)
    if method == "ism":
        if correct:
            raise UnknownNameError("gradient correction applies to gradient methods (saliency, ig, deepshap), not ism")
        return ism(model, X, output=output, logit=logit, progress=progress)
    if method == "ig":
        return integrated_gradients(model, X, variant="paper", n_references=n_references, n_steps=n_steps,
                                    seed=seed, output=output, logit=logit, correct=correct, progress=progress)
    return deepshap(model, X, n_references=n_references, seed=seed, output=output, logit=logit, correct=correct,
                    progress=progress)

# ----------------------------------------------------------------------------- files (the CLI's entry point)

def attribute_files(model_path, data_path, method: str = "saliency", output: int = 0, correct: bool = False,
                    out_dir="attribution", *, logit: bool = False, n_sequences: int | None = None,
                    n_logos: int = 5, n_references: int = 10, n_steps: int = 20, seed: int = 0,
                    progress: bool = True) -> dict:
    """Attribute a saved model on a data file and write the results (``seqlib attribute``).

    Parameters
    ----------
    model_path : path
        A ``.keras`` model with one sequence input ``(N, L, 4)`` and one output ``(N, T)``.
    data_path : path
        An HDF5 data set with the paper's keys (the test split is used; ``model_test`` gives ground truth),
        an HDF5 file with ``X_test`` only, a FASTA file or a ``.npy`` array ``(N, L, 4)``.
    method : {"saliency", "ism", "ig", "deepshap"}
    output : int
        Output column attributed.
    correct : bool
        Gradient correction.
    out_dir : path
        Created if needed (checked first, before anything is computed); receives, each named
        ``<method>`` or ``<method>_corrected`` so that several methods share a folder: ``attribution_<method>.npy``
        (shape (N, L, 4)), ``logos_<method>.png`` (the ``n_logos`` sequences with the largest total absolute
        attribution), ``summary_<method>.json`` (what the function returns) and, with ground truth,
        ``quality_<method>.csv`` (AUROC/AUPR/SNR, Methods §7.2).
    logit : bool
        Attribute the logit instead of the output.
    n_sequences : int, optional
        Only the first n sequences (with ground truth and labels: the first n positives of output ``output``);
        at least 1.
    progress : bool
        A tqdm bar (on stderr).

    Returns
    -------
    dict
        Paths written (``attribution``, ``logos``, ``summary`` and, with ground truth, ``quality``) and, with
        ground truth, the quality numbers.

    Raises
    ------
    PathError
        ``out_dir`` cannot be written.
    ValueError
        ``n_sequences`` < 1.
    FileNotFoundError, FormatError, ShapeError, UnknownNameError
        As :func:`seqlib.files.load_model` and :func:`seqlib.files.load_data`; a method or output that does not
        apply.
    """
    if method not in METHODS:
        raise UnknownNameError(f"unknown attribution method {method!r}; choose one of {', '.join(METHODS)}")
    if correct and method not in GRADIENT_METHODS:
        raise UnknownNameError("gradient correction (--correct) applies to saliency, ig and deepshap, not ism")
    if n_sequences is not None and (isinstance(n_sequences, bool) or not isinstance(n_sequences, (int, np.integer))
                                    or n_sequences < 1):
        raise ValueError(f"n_sequences (-n) must be a positive number of sequences; got {n_sequences!r}")
    model_path, data_path = Path(model_path), Path(data_path)
    out_dir = check_output_dir(out_dir, "out_dir")
    model = load_model(model_path)
    check_sequence_model(model, str(model_path))
    L, n_out = _model_shape(model)
    output = _check_output(model, output)
    X, truth, y = load_data(data_path)
    if L is not None and X.shape[1] != L:
        raise ShapeError(f"{data_path} holds sequences of length {X.shape[1]}, but {model_path.name} takes length {L}")
    if truth is not None and y is not None:
        keep = np.flatnonzero(y[:, min(output, y.shape[1] - 1)] > 0.5)
        X, truth = X[keep], truth[keep]
    if len(X) == 0:
        raise ShapeError(f"{data_path} holds no sequences to attribute" + (
            f" (none is positive for output {output})" if truth is not None and y is not None else ""))
    if n_sequences is not None:
        X = X[:n_sequences]
        truth = None if truth is None else truth[:n_sequences]
    scores = attribute(model, X, method, output=output, logit=logit, correct=correct, n_references=n_references,
                       n_steps=n_steps, seed=seed, progress=progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {"model": str(model_path), "data": str(data_path), "method": method, "output": output,
              "logit": logit, "correct": correct, "n_sequences": int(len(X))}
    tag = f"{method}{'_corrected' if correct else ''}"
    npy = out_dir / f"attribution_{tag}.npy"
    with atomic_path(npy, suffix=".npy") as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, scores.astype(np.float32))
    result["attribution"] = str(npy)

    top = np.argsort(-np.abs(scores).sum((1, 2)), kind="stable")[:n_logos]
    fig = plotting.plot_attribution_maps({f"sequence {i}": scores[i] for i in top},
                                         ground_truth=None if truth is None else truth[top], sequences=X[top],
                                         title=f"{method}{' (corrected)' if correct else ''}, output {output}")
    result["logos"] = str(plotting.save_figure(fig, f"logos_{tag}", out_dir, caption=False))
    plt.close(fig)

    if truth is not None:
        perf = interpretability_performance(X, scores, truth)
        snr = attribution_snr(scores, truth)
        table = pd.DataFrame([{"method": method, "correct": correct, "output": output, "auroc": perf["auroc"],
                               "aupr": perf["aupr"], "snr": snr["snr"], "mass_fraction": snr["mass_fraction"],
                               "n_sequences": perf["n_scored"]}])
        csv = out_dir / f"quality_{tag}.csv"
        with atomic_path(csv, suffix=".csv") as tmp:
            table.to_csv(tmp, index=False)
        result.update(quality=str(csv), auroc=perf["auroc"], aupr=perf["aupr"], snr=snr["snr"])
    result["summary"] = str(out_dir / f"summary_{tag}.json")
    with atomic_path(out_dir / f"summary_{tag}.json", suffix=".json") as tmp:
        tmp.write_text(json.dumps(result, indent=1))
    return result
