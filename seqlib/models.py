"""The model zoo of Koo & Ploenzke (2021), Methods §2, in Keras 3.

Every model maps one-hot sequences of shape ``(N, L, 4)`` (channels last, A, C, G, T) to sigmoid
probabilities of shape ``(N, n_outputs)``. Each architecture is written down as data (a tuple of
blocks, see :data:`ARCHITECTURES`) and turned into a ``keras.Model`` by one builder, so the layer
list in this file can be read against the spec line by line.

Building blocks (Methods §2.1):

* conv block: Conv1D (stride 1, no bias, kernel L2 1e-6) -> BatchNormalization (momentum 0.99,
  eps 1e-3) -> Activation -> Dropout;
* dense block: Dense (no bias, kernel L2 1e-6) -> BN -> ReLU -> Dropout;
* output: Dense(n_outputs, bias, linear, no regulariser) named ``"logits"`` -> sigmoid ``"output"``.

Only the first-layer activation and the first-layer initializer change between variants; every
deeper layer is ReLU with glorot_uniform weights. The first layer's layers are named ``"conv1"``,
``"conv1_bn"``, ``"conv1_activation"`` and ``"conv1_dropout"``, and the paper's index convention
holds: ``model.layers[0]`` is the input, ``[1]`` conv1, ``[2]`` its BN, ``[3]`` its activation
(``[2]`` is the activation in ``cnn-deep-nobn``), ``[-2]`` the logits and ``[-1]`` the sigmoid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

from ._backend import load_keras

keras = load_keras()
from keras import ops  # noqa: E402  (after the quiet import of the backend)

from .activations import SeqlibActivation, get_activation
from .errors import ShapeError, UnknownNameError
from .layers import FastDropout, FusedBatchNormalization

__all__ = ["FAST_PARTS", "MODEL_NAMES", "MODEL_DEFAULTS", "ARCHITECTURES", "FirstLayerL2", "build_model",
           "first_layer_activation_model", "first_layer_preactivation_model", "output_lengths",
           "min_input_length"]

L2_LAMBDA = 1e-6          # kernel L2 coefficient of every conv / hidden dense layer (Keras L2(l2))
FIRST_KERNEL_SIZE = 19    # first-layer filter width of every model in the zoo


@keras.saving.register_keras_serializable(package="seqlib")
class FirstLayerL2(keras.regularizers.Regularizer):
    """The log experiments' first-layer penalty ``coefficient * sum(W**2)`` (default 0.1).

    The authors wrote it as a closure ``0.1 * K.sum(K.square(W))`` in ``cnn_deep_log.py`` /
    ``cnn_dist_log.py``. Numerically it equals ``keras.regularizers.L2(0.1)``; a class of its own
    keeps the intent visible in a saved model's config and serialises as ``seqlib>FirstLayerL2``.

    Parameters
    ----------
    coefficient : float
        Multiplies the sum of squared kernel entries.
    """

    def __init__(self, coefficient: float = 0.1):
        self.coefficient = float(coefficient)

    def __call__(self, x):
        return ops.cast(self.coefficient, x.dtype) * ops.sum(ops.square(x))

    def get_config(self) -> dict:
        return {"coefficient": self.coefficient}


# ----------------------------------------------------------------------------- architectures as data

@dataclass(frozen=True)
class Conv:
    """Conv1D block. ``first=True`` marks the first layer (activation and initializer vary)."""
    filters: int
    kernel: int
    padding: str
    dropout: float
    first: bool = False


@dataclass(frozen=True)
class Pool:
    """MaxPool1D with stride = size."""
    size: int
    padding: str = "valid"


@dataclass(frozen=True)
class Residual:
    """ResidualBind's residual block (filters = incoming channels)."""
    kernel: int


@dataclass(frozen=True)
class Dense:
    """Hidden Dense block (ReLU)."""
    units: int
    dropout: float


def _pool_model(p1: int, p2: int) -> tuple:
    """cnn-2 / cnn-50 (``cnn_model.py``): two conv layers with 'same' pools of sizes p1, p2."""
    return (Conv(32, 19, "same", 0.1, first=True), Pool(p1, "same"),
            Conv(124, 5, "same", 0.1), Pool(p2, "same"),  # 124 (sic) as in the authors' code
            Dense(512, 0.5))


def _deep_model(last_pool_padding: str = "valid") -> tuple:
    """cnn-deep (``cnn_deep.py``); cnn-deep-log differs only in its last pool's padding."""
    return (Conv(32, 19, "same", 0.1, first=True),
            Conv(48, 7, "same", 0.2), Pool(4),
            Conv(96, 7, "valid", 0.3), Pool(4),
            Conv(128, 3, "valid", 0.4), Pool(3, last_pool_padding),
            Dense(512, 0.5))


def _dist_model(pool_padding: str = "valid") -> tuple:
    """cnn-dist (``cnn_dist.py``); cnn-dist-log uses 'same' for all three pools."""
    return (Conv(24, 19, "same", 0.1, first=True),
            Conv(32, 7, "same", 0.2), Pool(4, pool_padding),
            Conv(48, 7, "valid", 0.3), Pool(4, pool_padding),
            Conv(64, 3, "valid", 0.4), Pool(3, "same"),
            Dense(96, 0.5))


#: Layer lists of every model, Methods §2.2 (widths before any width multiplier).
ARCHITECTURES: dict[str, tuple] = {
    "cnn-2": _pool_model(2, 50),
    "cnn-50": _pool_model(50, 2),
    "cnn-deep": _deep_model(),
    "cnn-deep-nobn": _deep_model(),
    "cnn-local": (Conv(24, 19, "same", 0.1, first=True), Pool(50),
                  Conv(48, 3, "same", 0.2), Pool(2),
                  Dense(96, 0.5)),
    "cnn-dist": _dist_model(),
    "cnn-deep-log": _deep_model(last_pool_padding="same"),
    "cnn-dist-log": _dist_model(pool_padding="same"),
    "residualbind": (Conv(24, 19, "same", 0.1, first=True),
                     Residual(5), Pool(10),
                     Conv(48, 7, "same", 0.3), Pool(5),
                     Conv(64, 3, "valid", 0.4), Pool(4),
                     Dense(96, 0.5)),
    "basset": (Conv(300, 19, "same", 0.2, first=True), Pool(3),
               Conv(200, 11, "valid", 0.2), Pool(4),
               Conv(200, 7, "valid", 0.2), Pool(4),
               Dense(1000, 0.5), Dense(1000, 0.5)),
}

#: Every model name :func:`build_model` accepts.
MODEL_NAMES = tuple(ARCHITECTURES)

#: The paper's (input_length, n_outputs) per model, used when build_model gets None.
MODEL_DEFAULTS: dict[str, tuple[int, int]] = {
    "cnn-2": (200, 12), "cnn-50": (200, 12), "cnn-deep": (200, 12), "cnn-deep-nobn": (200, 12),
    "cnn-local": (200, 1), "cnn-dist": (200, 1), "cnn-deep-log": (200, 12),
    "cnn-dist-log": (200, 1), "residualbind": (400, 1), "basset": (600, 164),
}

# Task 2 (L = 1000) doubles every width of these models (the authors' `multiplier = 2`).
_AUTO_DOUBLED = ("cnn-2", "cnn-50", "cnn-deep", "cnn-deep-nobn")

# Options each model accepts besides width_multiplier.
_OPTIONS: dict[str, dict] = {
    "cnn-2": {"pool_sizes": (2, 50)},
    "cnn-50": {"pool_sizes": (50, 2)},
    "cnn-deep": {"first_layer_bn": True},
    "cnn-deep-nobn": {"first_layer_bn": False},
    "cnn-local": {}, "cnn-dist": {}, "residualbind": {}, "basset": {},
    "cnn-deep-log": {"first_layer_l2": True},
    "cnn-dist-log": {"first_layer_l2": True},
}


# ----------------------------------------------------------------------------- shape arithmetic

def _walk(blocks, input_length: int) -> list[int]:
    """Sequence length after each block; raises ShapeError when a length would drop below 1."""
    lengths, n = [], input_length
    for b in blocks:
        if isinstance(b, Conv) and b.padding == "valid":
            if n < b.kernel:
                raise ShapeError(f"a 'valid' Conv1D with kernel {b.kernel} meets length {n}")
            n = n - b.kernel + 1
        elif isinstance(b, Pool):
            if b.padding == "same":
                n = math.ceil(n / b.size)
            else:
                if n < b.size:
                    raise ShapeError(f"a 'valid' MaxPool1D of size {b.size} meets length {n}")
                n = (n - b.size) // b.size + 1
        lengths.append(n)
    return lengths


def _blocks(name: str, options: Mapping) -> tuple:
    if name in ("cnn-2", "cnn-50"):
        p1, p2 = options["pool_sizes"]
        return _pool_model(int(p1), int(p2))
    return ARCHITECTURES[name]


def _check_name(name: str) -> str:
    if name not in ARCHITECTURES:
        raise UnknownNameError(f"unknown model {name!r}; valid names: {', '.join(MODEL_NAMES)}")
    return name


def min_input_length(name: str, **options) -> int:
    """Smallest input length a model accepts (at least the first kernel size, 19).

    Parameters
    ----------
    name : str
        A name in :data:`MODEL_NAMES`.
    **options
        ``pool_sizes`` for cnn-2 / cnn-50 changes the answer; other options do not.

    Returns
    -------
    int
    """
    _check_name(name)
    return _min_length(_blocks(name, {**_OPTIONS[name], **options}))


def _min_length(blocks) -> int:
    for n in range(FIRST_KERNEL_SIZE, 100_000):
        try:
            _walk(blocks, n)
            return n
        except ShapeError:
            continue
    raise ShapeError("no input length below 100000 fits this architecture")  # pragma: no cover


def output_lengths(name: str, input_length: int | None = None, **options) -> list[int]:
    """Sequence length after every conv / pool block, for checking shapes by hand.

    Parameters
    ----------
    name : str
        A name in :data:`MODEL_NAMES`.
    input_length : int, optional
        Defaults to the model's paper length (:data:`MODEL_DEFAULTS`).

    Returns
    -------
    list of int
        One entry per conv, residual or pool block, in order (dense blocks omitted).
    """
    _check_name(name)
    L = MODEL_DEFAULTS[name][0] if input_length is None else int(input_length)
    blocks = _blocks(name, {**_OPTIONS[name], **options})
    _validate_length(name, L, blocks)
    return [n for b, n in zip(blocks, _walk(blocks, L)) if not isinstance(b, Dense)]


def _validate_length(name: str, L: int, blocks) -> None:
    if L < FIRST_KERNEL_SIZE:
        raise ShapeError(f"input_length={L} is shorter than the first-layer kernel "
                         f"({FIRST_KERNEL_SIZE}) of model {name!r}")
    try:
        _walk(blocks, L)
    except ShapeError as err:
        raise ShapeError(f"input_length={L} is too short for model {name!r} ({err}); "
                         f"it needs input_length >= {_min_length(blocks)}") from None


# ----------------------------------------------------------------------------- builder

def _resolve_activation(activation) -> Callable:
    """Name, (name, params) pair, or a ready callable -> a Keras activation callable."""
    if isinstance(activation, str):
        return get_activation(activation)
    if isinstance(activation, (tuple, list)) and len(activation) == 2 \
            and isinstance(activation[0], str) and isinstance(activation[1], Mapping):
        return get_activation(activation[0], **activation[1])
    if isinstance(activation, SeqlibActivation) or callable(activation):
        return activation
    raise UnknownNameError(f"activation must be a name, a (name, params) pair or a callable; "
                           f"got {activation!r}")


FAST_PARTS = ("batchnorm", "dropout")


def _fast_parts(fast) -> frozenset:
    """``fast`` (bool, or a collection of :data:`FAST_PARTS`) -> the set of layers to swap."""
    if isinstance(fast, bool):
        return frozenset(FAST_PARTS if fast else ())
    if isinstance(fast, str):
        fast = (fast,)
    parts = frozenset(fast)
    unknown = sorted(parts - set(FAST_PARTS))
    if unknown:
        raise UnknownNameError(f"unknown fast part(s) {unknown}; valid: {list(FAST_PARTS)} (or True / False)")
    return parts


def _bn_dropout(fast: frozenset = frozenset()):
    """The batch-norm and dropout classes of a block: Keras' own, or the fused drop-ins of ``fast``."""
    return (FusedBatchNormalization if "batchnorm" in fast else keras.layers.BatchNormalization,
            FastDropout if "dropout" in fast else keras.layers.Dropout)


def _conv_block(x, block: Conv, idx: int, width: int, activation, initializer, regularizer,
                bn: bool = True, fast: frozenset = frozenset()):
    p = f"conv{idx}"
    BatchNorm, Dropout = _bn_dropout(fast)
    x = keras.layers.Conv1D(block.filters * width, block.kernel,
                            strides=1, padding=block.padding, use_bias=False,
                            kernel_initializer=initializer, kernel_regularizer=regularizer,
                            name=p)(x)
    if bn:
        x = BatchNorm(momentum=0.99, epsilon=1e-3, name=f"{p}_bn")(x)
    x = keras.layers.Activation(activation, name=f"{p}_activation")(x)
    return Dropout(block.dropout, name=f"{p}_dropout")(x)


def _residual_block(x, block: Residual, idx: int, fast: frozenset = frozenset()):
    """ResidualBind's residual block, reproduced as the authors wrote it (tfomics/layers.py).

    Both convs carry an internal ``activation='relu'`` *and* the first is followed by BN -> ReLU,
    so the first branch is Conv -> ReLU -> BN -> ReLU (a double ReLU around BN), and the second is
    Conv -> ReLU -> BN before the skip addition and the final ReLU. This quirk is kept on purpose
    (Methods §2.2 ⚠); the parameter count is unaffected.
    """
    p = f"res{idx}"
    BatchNorm, _ = _bn_dropout(fast)
    filters = x.shape[-1]
    reg = keras.regularizers.L2(L2_LAMBDA)
    skip = x
    x = keras.layers.Conv1D(filters, block.kernel, padding="same", use_bias=False,
                            activation="relu",  # internal ReLU (quirk, see docstring)
                            kernel_initializer="he_normal", kernel_regularizer=reg,
                            name=f"{p}_conv1")(x)
    x = BatchNorm(name=f"{p}_bn1")(x)
    x = keras.layers.Activation("relu", name=f"{p}_activation1")(x)  # second ReLU of the branch
    x = keras.layers.Conv1D(filters, block.kernel, padding="same", use_bias=False,
                            activation="relu",  # internal ReLU again (quirk)
                            kernel_initializer="he_normal", kernel_regularizer=reg,
                            name=f"{p}_conv2")(x)
    x = BatchNorm(name=f"{p}_bn2")(x)
    x = keras.layers.Add(name=f"{p}_add")([skip, x])
    return keras.layers.Activation("relu", name=f"{p}_activation_out")(x)


def build_model(name: str, activation="relu", initializer="glorot_uniform",
                input_length: int | None = None, n_outputs: int | None = None, *, fast: bool = False,
                **options) -> keras.Model:
    """Build one model of the zoo by name.

    Parameters
    ----------
    name : str
        One of :data:`MODEL_NAMES`: ``cnn-2``, ``cnn-50``, ``cnn-deep``, ``cnn-deep-nobn`` (no BN
        in the first layer only), ``cnn-local``, ``cnn-dist``, ``cnn-deep-log``, ``cnn-dist-log``,
        ``residualbind``, ``basset``.
    activation : str, (str, dict) or callable
        First-layer activation: a name of :data:`seqlib.activations.ACTIVATIONS` (or ``'exp'``),
        a pair such as ``("exp_scale", {"scale": 0.5})``, or a callable from
        :func:`seqlib.activations.get_activation`. Deeper layers are always ReLU.
    initializer : str, keras.initializers.Initializer or dict
        Kernel initializer of the first Conv1D only (Methods §9.1-9.2); every other layer
        keeps its default (glorot_uniform; he_normal inside the residual block).
    input_length : int, optional
        Sequence length L. Default: the paper's length for the model (:data:`MODEL_DEFAULTS`:
        200, but 400 for residualbind and 600 for basset).
    n_outputs : int, optional
        Number of sigmoid outputs. Default: the paper's (12 for the Task-1 models, 1 for
        cnn-local / cnn-dist / cnn-dist-log / residualbind, 164 for basset).
    fast : bool or collection of {"batchnorm", "dropout"}
        True: build every batch norm as :class:`seqlib.layers.FusedBatchNormalization` and every
        dropout as :class:`seqlib.layers.FastDropout` (same layer names, order, weights, config and
        functions; cheaper on a CPU with TensorFlow; Methods §4); a collection swaps only the named
        kind. False (default): Keras' own layers, the reference.
    **options
        ``width_multiplier`` (int, every model): multiplies every conv / dense width; default 2
        for cnn-2, cnn-50, cnn-deep and cnn-deep-nobn at ``input_length == 1000`` (Task 2),
        else 1. ``pool_sizes`` (cnn-2 / cnn-50): the two pool sizes, default (2, 50) / (50, 2).
        ``first_layer_bn`` (cnn-deep / cnn-deep-nobn). ``first_layer_l2`` (cnn-deep-log /
        cnn-dist-log, default True): first-conv regulariser 0.1 * sum(W**2)
        (:class:`FirstLayerL2`) when True, none when False.

    Returns
    -------
    keras.Model
        Input shape ``(None, L, 4)``, output shape ``(None, n_outputs)`` (sigmoid
        probabilities). Uncompiled.

    Raises
    ------
    UnknownNameError
        Unknown model name (the message lists all), unknown activation or unknown option.
    ShapeError
        ``input_length`` shorter than the first kernel (19) or too short for the pooling stack.
    """
    _check_name(name)
    default_L, default_out = MODEL_DEFAULTS[name]
    L = default_L if input_length is None else input_length
    n_out = default_out if n_outputs is None else n_outputs
    for arg, val in (("input_length", L), ("n_outputs", n_out)):
        if isinstance(val, bool) or not isinstance(val, int) or val < 1:
            raise ShapeError(f"{arg} must be a positive integer; got {val!r}")

    accepted = {**_OPTIONS[name], "width_multiplier": None}
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UnknownNameError(f"unknown option(s) {unknown} for model {name!r}; "
                               f"accepted: {sorted(accepted)}")
    opts = {**accepted, **options}
    width = opts["width_multiplier"]
    if width is None:
        width = 2 if (name in _AUTO_DOUBLED and L == 1000) else 1
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ShapeError(f"width_multiplier must be a positive integer; got {width!r}")
    if name in ("cnn-2", "cnn-50"):
        ps = opts["pool_sizes"]
        if len(ps) != 2 or any(int(p) < 1 for p in ps):
            raise ShapeError(f"pool_sizes must be two positive integers; got {ps!r}")

    fast = _fast_parts(fast)
    act = _resolve_activation(activation)
    init = keras.initializers.get(initializer)
    blocks = _blocks(name, opts)
    _validate_length(name, L, blocks)

    first_bn = opts.get("first_layer_bn", True)
    if name in ("cnn-deep-log", "cnn-dist-log"):
        first_reg = FirstLayerL2(0.1) if opts["first_layer_l2"] else None
    else:
        first_reg = keras.regularizers.L2(L2_LAMBDA)

    inputs = keras.Input(shape=(L, 4), name="sequence")
    x = inputs
    conv_i = pool_i = dense_i = res_i = 0
    for b in blocks:
        if isinstance(b, Conv):
            conv_i += 1
            if b.first:
                x = _conv_block(x, b, conv_i, width, act, init, first_reg, bn=first_bn, fast=fast)
            else:
                x = _conv_block(x, b, conv_i, width, "relu", "glorot_uniform",
                                keras.regularizers.L2(L2_LAMBDA), fast=fast)
        elif isinstance(b, Pool):
            pool_i += 1
            x = keras.layers.MaxPool1D(b.size, strides=b.size, padding=b.padding,
                                       name=f"pool{pool_i}")(x)
        elif isinstance(b, Residual):
            res_i += 1
            x = _residual_block(x, b, res_i, fast=fast)
        elif isinstance(b, Dense):
            if dense_i == 0:
                x = keras.layers.Flatten(name="flatten")(x)
            dense_i += 1
            p = f"dense{dense_i}"
            x = keras.layers.Dense(b.units * width, use_bias=False,
                                   kernel_regularizer=keras.regularizers.L2(L2_LAMBDA), name=p)(x)
            BatchNorm, Dropout = _bn_dropout(fast)
            x = BatchNorm(momentum=0.99, epsilon=1e-3, name=f"{p}_bn")(x)
            x = keras.layers.Activation("relu", name=f"{p}_activation")(x)
            x = Dropout(b.dropout, name=f"{p}_dropout")(x)

    # cnn_dist_log.py sets glorot_normal / zeros on its output layer; the others use the defaults.
    out_init = "glorot_normal" if name == "cnn-dist-log" else "glorot_uniform"
    logits = keras.layers.Dense(n_out, activation="linear", use_bias=True,
                                kernel_initializer=out_init, bias_initializer="zeros",
                                name="logits")(x)
    outputs = keras.layers.Activation("sigmoid", name="output")(logits)
    return keras.Model(inputs, outputs, name=name.replace("-", "_"))


# ----------------------------------------------------------------------------- first-layer probes

def _find_layer(model: keras.Model, names: tuple[str, ...]):
    for n in names:
        try:
            return model.get_layer(n)
        except ValueError:
            continue
    return None


def first_layer_activation_model(model: keras.Model) -> keras.Model:
    """A model from the input to the first layer's post-activation feature maps.

    Parameters
    ----------
    model : keras.Model
        A model from :func:`build_model` (found by the layer name ``"conv1_activation"``). For
        other models the paper's convention is used: the first Activation layer after the first
        Conv1D (``model.layers[3]`` with BN, ``[2]`` without).

    Returns
    -------
    keras.Model
        Maps ``(N, L, 4)`` to ``(N, L, F)``: activation of each of the F first-layer filters at
        each position ('same' padding, so position i is the filter centred at i).
    """
    layer = _find_layer(model, ("conv1_activation",))
    if layer is None:
        layer = _paper_convention(model, post=True)
    return keras.Model(_inputs_of(model), layer.output, name=f"{model.name}_conv1_activation")


def first_layer_preactivation_model(model: keras.Model) -> keras.Model:
    """A model from the input to the first layer's pre-activation (BN output, or conv output
    when the first layer has no BN).

    Parameters
    ----------
    model : keras.Model
        A model from :func:`build_model`, or one following the paper's index convention.

    Returns
    -------
    keras.Model
        Maps ``(N, L, 4)`` to ``(N, L, F)``.
    """
    layer = _find_layer(model, ("conv1_bn", "conv1"))
    if layer is None:
        layer = _paper_convention(model, post=False)
    return keras.Model(_inputs_of(model), layer.output, name=f"{model.name}_conv1_preactivation")


def _inputs_of(model: keras.Model):
    """The model's input tensor (a list only for multi-input models)."""
    return model.inputs[0] if len(model.inputs) == 1 else model.inputs


def _paper_convention(model: keras.Model, post: bool):
    """Layer 1 = Conv1D, then optional BN, then Activation (Methods §0)."""
    layers = list(model.layers)
    i = next((k for k, l in enumerate(layers) if isinstance(l, keras.layers.Conv1D)), None)
    if i is None:
        raise UnknownNameError(f"model {model.name!r} has no Conv1D layer and no layer named "
                               f"'conv1'; build it with seqlib.models.build_model")
    j = i + 1
    has_bn = j < len(layers) and isinstance(layers[j], keras.layers.BatchNormalization)
    if not post:
        return layers[j] if has_bn else layers[i]
    k = j + 1 if has_bn else j
    if k < len(layers) and isinstance(layers[k], keras.layers.Activation):
        return layers[k]
    fused = getattr(layers[i], "activation", None)
    if fused is not None and getattr(fused, "__name__", "") != "linear":
        return layers[i]                      # Conv1D(activation=...): its output is post-activation
    raise UnknownNameError(f"model {model.name!r} has no activation after its first Conv1D (no Activation "
                           f"layer, no fused activation, no layer named 'conv1_activation')")
