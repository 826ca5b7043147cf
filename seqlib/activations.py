"""First-layer activation functions of Koo & Ploenzke (2021), Methods §3.

Every activation is applied to the first-layer pre-activation ``z`` (the BatchNorm output, because
the first Conv1D has no bias) element-wise, so input and output have the same shape, typically
``(N, L, F)``: N sequences, L positions, F filters.

Two implementations are kept side by side and must agree (the tests check it):

* :func:`get_activation` returns a Keras callable for ``keras.layers.Activation(...)``, written with
  ``keras.ops`` only, so it runs on the TensorFlow, JAX and PyTorch backends.
* :func:`activation_numpy` is a NumPy reference, used by tests and to draw Fig 1a.

Serialisation
-------------
The seven activations the paper names (relu, exponential, sigmoid, tanh, softplus, linear, elu) are
returned as Keras's own built-in functions, so a saved model that uses them serialises them by name
and loads without seqlib. Every other activation is a :class:`SeqlibActivation`: a small callable
object registered with ``keras.saving.register_keras_serializable(package="seqlib")`` whose
``get_config()`` holds the activation name and its parameters (e.g. ``{"name": "exp_scale",
"scale": 0.5}``). A ``.keras`` file stores that config, and ``keras.models.load_model`` rebuilds the
object with the same parameters. The class is registered when this module is imported, so a fresh
process must ``import seqlib.activations`` (``import seqlib.models`` does it too) before loading.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._backend import load_keras

keras = load_keras()
from keras import ops  # noqa: E402  (after the quiet import of the backend)
from scipy.special import erf

from .activation_names import (
    ABLATION_ACTIVATIONS,
    ACTIVATIONS,
    ALIASES,
    DISPLAY_NAMES,
    LOG_ACTIVATIONS,
    MODERN_ACTIVATIONS,
    MODERN_MODIFIED_ACTIVATIONS,
    MODERN_MODIFIED_OF,
    MODIFIED_ACTIVATIONS,
    MODIFIED_OF,
    PAPER_ACTIVATIONS,
    PARAMETRIC_ACTIVATIONS,
    TASK1_ACTIVATIONS,
    TASK3_ACTIVATIONS,
    activation_params,
    canonical_name,
)
from .errors import UnknownNameError

__all__ = [
    "ACTIVATIONS", "PAPER_ACTIVATIONS", "MODIFIED_ACTIVATIONS", "ABLATION_ACTIVATIONS",
    "LOG_ACTIVATIONS", "PARAMETRIC_ACTIVATIONS", "MODERN_ACTIVATIONS", "MODERN_MODIFIED_ACTIVATIONS",
    "TASK1_ACTIVATIONS", "TASK3_ACTIVATIONS",
    "MODIFIED_OF", "MODERN_MODIFIED_OF", "ALIASES", "DISPLAY_NAMES", "SeqlibActivation", "get_activation",
    "activation_numpy", "activation_params", "canonical_name",
]

_KERAS_BUILTINS = {"relu": keras.activations.relu, "exponential": keras.activations.exponential,
                   "sigmoid": keras.activations.sigmoid, "tanh": keras.activations.tanh,
                   "softplus": keras.activations.softplus, "linear": keras.activations.linear,
                   "elu": keras.activations.elu}  # keras elu has alpha=1, as the paper's models used

_EPS_LOG = 1e-10  # inside log(|z| + eps), as in the authors' tfomics/utils.py


# ----------------------------------------------------------------------------- keras formulas

def _relu3(x):
    return ops.relu(x * x * x)


def _cube(x):
    return x * x * x


def _mish(x):
    return x * ops.tanh(ops.softplus(x))


_KERAS_FORMULAS: dict[str, Callable] = {
    "shift_scale_relu": lambda z, p: _relu3(z - 0.2),
    "shift_relu": lambda z, p: ops.relu(z - 0.2),
    "scale_relu": lambda z, p: _relu3(z),
    "shift_scale_tanh": lambda z, p: 500.0 * ops.tanh(z - 6.0) + 500.0,
    "shift_tanh": lambda z, p: ops.tanh(z - 6.0),
    "scale_tanh": lambda z, p: 500.0 * ops.tanh(z) + 500.0,
    "shift_scale_sigmoid": lambda z, p: 4000.0 * ops.sigmoid(z - 8.0),
    "shift_sigmoid": lambda z, p: ops.sigmoid(z - 8.0),
    "scale_sigmoid": lambda z, p: 4000.0 * ops.sigmoid(z),
    "exp_relu": lambda z, p: ops.relu(ops.exp(0.1 * z) - 1.0),
    "log": lambda z, p: ops.log(ops.abs(z) + _EPS_LOG),
    "log_relu": lambda z, p: ops.relu(ops.log(ops.abs(z) + _EPS_LOG)),
    "exp_scale": lambda z, p: ops.exp(p["scale"] * z),
    "exp_shift": lambda z, p: ops.exp(z - p["shift"]),
    "gelu": lambda z, p: ops.gelu(z, approximate=False),
    "silu": lambda z, p: ops.silu(z),
    "mish": lambda z, p: _mish(z),
    "shift_scale_gelu": lambda z, p: _cube(ops.gelu(z - 0.2, approximate=False)),
    "shift_scale_silu": lambda z, p: _cube(ops.silu(z - 0.2)),
    "shift_scale_mish": lambda z, p: _cube(_mish(z - 0.2)),
}


@keras.saving.register_keras_serializable(package="seqlib")
class SeqlibActivation:
    """A seqlib activation as a Keras-serialisable callable.

    Parameters
    ----------
    name : str
        One of the non-built-in names of :data:`ACTIVATIONS` (modified, ablation, log or
        parametric activations).
    **params : float
        ``scale`` for ``'exp_scale'``, ``shift`` for ``'exp_shift'``; defaults fill the rest.

    Notes
    -----
    Calling the object on a tensor ``z`` of any shape, e.g. ``(N, L, F)``, returns the activation
    of the same shape and dtype. ``get_config()`` returns ``{"name": ..., **params}``, which Keras
    writes into a saved model; ``from_config`` rebuilds an equal object.
    """

    def __init__(self, name: str, **params):
        key = canonical_name(name)
        if key not in _KERAS_FORMULAS:
            raise UnknownNameError(f"{key!r} is a Keras built-in activation; use "
                                   f"get_activation({key!r}) instead of SeqlibActivation")
        self.name = key
        self.params = activation_params(key, **params)
        self.__name__ = key  # some tooling reads an activation's __name__

    def __call__(self, x):
        return _KERAS_FORMULAS[self.name](x, self.params)

    def get_config(self) -> dict:
        return {"name": self.name, **self.params}

    @classmethod
    def from_config(cls, config: dict) -> "SeqlibActivation":
        return cls(**config)

    def __eq__(self, other) -> bool:
        return (isinstance(other, SeqlibActivation) and other.name == self.name
                and other.params == self.params)

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.params.items()))))

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"SeqlibActivation({self.name!r}{args})"


def get_activation(name: str, **params) -> Callable:
    """A Keras activation callable by name.

    Parameters
    ----------
    name : str
        Any name in :data:`ACTIVATIONS`, or the alias ``'exp'`` for ``'exponential'``.
    **params : float
        ``scale`` for ``'exp_scale'`` (exp(scale * z), default 1) and ``shift`` for
        ``'exp_shift'`` (exp(z - shift), default 0). Other activations take none.

    Returns
    -------
    callable
        Maps a tensor of any shape, e.g. ``(N, L, F)``, to one of the same shape; pass it as
        ``keras.layers.Activation(get_activation(name))``. The paper's seven activations are the
        Keras built-in functions (serialised by name); the rest are :class:`SeqlibActivation`.

    Raises
    ------
    UnknownNameError
        For an unknown name (the message lists all valid names) or an unknown parameter.
    """
    key = canonical_name(name)
    if key in _KERAS_BUILTINS:
        activation_params(key, **params)  # rejects parameters
        return _KERAS_BUILTINS[key]
    return SeqlibActivation(key, **params)


# ----------------------------------------------------------------------------- numpy reference

def _np_sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def _np_relu3(x):
    return np.maximum(0.0, x * x * x)


def _np_gelu(z):
    return 0.5 * z * (1.0 + erf(z / np.sqrt(2.0)))


def _np_silu(z):
    return z * _np_sigmoid(z)


def _np_mish(z):
    return z * np.tanh(np.logaddexp(0.0, z))


_NUMPY_FORMULAS: dict[str, Callable] = {
    "relu": lambda z, p: np.maximum(0.0, z),
    "exponential": lambda z, p: np.exp(z),
    "sigmoid": lambda z, p: _np_sigmoid(z),
    "tanh": lambda z, p: np.tanh(z),
    "softplus": lambda z, p: np.logaddexp(0.0, z),
    "linear": lambda z, p: z.copy(),
    "elu": lambda z, p: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
    "shift_scale_relu": lambda z, p: _np_relu3(z - 0.2),
    "shift_relu": lambda z, p: np.maximum(0.0, z - 0.2),
    "scale_relu": lambda z, p: _np_relu3(z),
    "shift_scale_tanh": lambda z, p: 500.0 * np.tanh(z - 6.0) + 500.0,
    "shift_tanh": lambda z, p: np.tanh(z - 6.0),
    "scale_tanh": lambda z, p: 500.0 * np.tanh(z) + 500.0,
    "shift_scale_sigmoid": lambda z, p: 4000.0 * _np_sigmoid(z - 8.0),
    "shift_sigmoid": lambda z, p: _np_sigmoid(z - 8.0),
    "scale_sigmoid": lambda z, p: 4000.0 * _np_sigmoid(z),
    "exp_relu": lambda z, p: np.maximum(0.0, np.exp(0.1 * z) - 1.0),
    "log": lambda z, p: np.log(np.abs(z) + _EPS_LOG),
    "log_relu": lambda z, p: np.maximum(0.0, np.log(np.abs(z) + _EPS_LOG)),
    "exp_scale": lambda z, p: np.exp(p["scale"] * z),
    "exp_shift": lambda z, p: np.exp(z - p["shift"]),
    "gelu": lambda z, p: _np_gelu(z),
    "silu": lambda z, p: _np_silu(z),
    "mish": lambda z, p: _np_mish(z),
    "shift_scale_gelu": lambda z, p: _np_gelu(z - 0.2) ** 3,
    "shift_scale_silu": lambda z, p: _np_silu(z - 0.2) ** 3,
    "shift_scale_mish": lambda z, p: _np_mish(z - 0.2) ** 3,
}


def activation_numpy(name: str, z, **params) -> np.ndarray:
    """NumPy reference implementation of an activation.

    Parameters
    ----------
    name : str
        Any name in :data:`ACTIVATIONS` (or ``'exp'``).
    z : array_like, any shape, e.g. shape=(n,) for a plot axis or shape=(N, L, F)
        Pre-activation values.
    **params : float
        As for :func:`get_activation`.

    Returns
    -------
    numpy.ndarray, same shape as ``z``, float64
        Overflow gives ``inf`` silently (e.g. ``exponential`` of large z), as in Keras.

    Examples
    --------
    The seven curves of Fig 1a::

        z = np.linspace(-3, 3, 601)
        curves = {n: activation_numpy(n, z) for n in PAPER_ACTIVATIONS}
    """
    key = canonical_name(name)
    p = activation_params(key, **params)
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.asarray(_NUMPY_FORMULAS[key](z, p), dtype=np.float64)
