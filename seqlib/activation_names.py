"""Names of the first-layer activations, their groups and parameters, without Keras.

A run's config checks and canonicalises its activation name here (:func:`canonical_name`) before any worker
starts, so ``exp`` and ``exponential`` name one run and an unknown name fails at once. The Keras callables live in
:mod:`seqlib.activations`, which re-exports everything below.
"""

from __future__ import annotations

from .errors import UnknownNameError

__all__ = [
    "ACTIVATIONS", "PAPER_ACTIVATIONS", "MODIFIED_ACTIVATIONS", "ABLATION_ACTIVATIONS", "LOG_ACTIVATIONS",
    "PARAMETRIC_ACTIVATIONS", "MODERN_ACTIVATIONS", "MODERN_MODIFIED_ACTIVATIONS", "TASK1_ACTIVATIONS",
    "TASK3_ACTIVATIONS", "MODIFIED_OF", "MODERN_MODIFIED_OF", "ALIASES", "DISPLAY_NAMES", "PARAMS", "canonical_name",
    "activation_params",
]

# ----------------------------------------------------------------------------- names and groups

#: The seven activations compared throughout the paper (Fig 1a order), Keras built-ins.
PAPER_ACTIVATIONS = ("relu", "exponential", "sigmoid", "tanh", "softplus", "linear", "elu")

#: The "modified" activations: a shift and a scale that make the original behave like exp.
MODIFIED_ACTIVATIONS = ("shift_scale_relu", "shift_scale_tanh", "shift_scale_sigmoid", "exp_relu")

#: Ablations of the modified activations: the shift alone or the scale alone.
ABLATION_ACTIVATIONS = ("shift_relu", "scale_relu", "shift_tanh", "scale_tanh",
                        "shift_sigmoid", "scale_sigmoid")

#: Log activations of the log experiments (Methods §9.5).
LOG_ACTIVATIONS = ("log", "log_relu")

#: Controls with a free parameter: exp(scale * z) and exp(z - shift).
PARAMETRIC_ACTIVATIONS = ("exp_scale", "exp_shift")

#: Beyond the paper: smooth relu-like activations of later CNNs and transformers. ``gelu`` is the exact
#: z·Φ(z) (Φ the standard normal CDF; not the tanh approximation), ``silu`` (swish) is z·σ(z) and ``mish`` is
#: z·tanh(softplus(z)).
MODERN_ACTIVATIONS = ("gelu", "silu", "mish")

#: Their shifted-and-scaled variants, built the way the paper modified relu: shift the pre-activation by
#: 0.2 and cube the result, (f(z − 0.2))³ (for relu this is exactly ``shift_scale_relu``).
MODERN_MODIFIED_ACTIVATIONS = ("shift_scale_gelu", "shift_scale_silu", "shift_scale_mish")

#: Every activation name, in Methods §3 order, then the parametric controls, then the modern ones.
ACTIVATIONS = ("relu", "exponential", "sigmoid", "tanh", "softplus", "linear", "elu",
               "shift_scale_relu", "shift_relu", "scale_relu",
               "shift_scale_tanh", "shift_tanh", "scale_tanh",
               "shift_scale_sigmoid", "shift_sigmoid", "scale_sigmoid",
               "exp_relu", "log", "log_relu", "exp_scale", "exp_shift") \
    + MODERN_ACTIVATIONS + MODERN_MODIFIED_ACTIVATIONS

#: Activations trained in Tasks 1 and 2: the paper's seven plus the 10 modified / ablated variants.
TASK1_ACTIVATIONS = PAPER_ACTIVATIONS + (
    "shift_scale_relu", "shift_relu", "scale_relu", "shift_scale_tanh", "shift_tanh", "scale_tanh",
    "shift_scale_sigmoid", "shift_sigmoid", "scale_sigmoid", "exp_relu")

#: Activations trained in Task 3: the paper's seven plus the four modified ones.
TASK3_ACTIVATIONS = PAPER_ACTIVATIONS + MODIFIED_ACTIVATIONS

#: Original activation -> its modified ("shift + scale") counterpart.
MODIFIED_OF = {"relu": "shift_scale_relu", "sigmoid": "shift_scale_sigmoid",
               "tanh": "shift_scale_tanh", "exponential": "exp_relu"}

#: Modern activation -> its shifted-and-scaled counterpart (beyond the paper).
MODERN_MODIFIED_OF = {"gelu": "shift_scale_gelu", "silu": "shift_scale_silu", "mish": "shift_scale_mish"}

#: Alternative spellings accepted everywhere a name is (the authors' code says 'exp').
ALIASES = {"exp": "exponential"}

#: Labels used in the paper's figures.
DISPLAY_NAMES = {"relu": "Relu", "exponential": "Exp", "sigmoid": "Sigmoid", "tanh": "Tanh",
                 "softplus": "Softplus", "linear": "Linear", "elu": "Elu",
                 "shift_scale_relu": "Modified-Relu", "shift_scale_tanh": "Modified-Tanh",
                 "shift_scale_sigmoid": "Modified-Sigmoid", "exp_relu": "Modified-Exp",
                 "gelu": "GELU", "silu": "SiLU", "mish": "Mish", "shift_scale_gelu": "Modified-GELU",
                 "shift_scale_silu": "Modified-SiLU", "shift_scale_mish": "Modified-Mish"}

#: Parameters (and their defaults) of the parametric activations; the others take none.
PARAMS = {"exp_scale": {"scale": 1.0}, "exp_shift": {"shift": 0.0}}


def _valid_names_message() -> str:
    aliases = ", ".join(f"'{a}' (= '{n}')" for a, n in ALIASES.items())
    return f"valid names: {', '.join(ACTIVATIONS)}; aliases: {aliases}"


def canonical_name(name: str) -> str:
    """Resolve aliases and check a name.

    Parameters
    ----------
    name : str
        An activation name from :data:`ACTIVATIONS` or an alias (``'exp'``).

    Returns
    -------
    str
        The canonical name.

    Raises
    ------
    UnknownNameError
        If the name is unknown; the message lists every valid name.
    """
    if not isinstance(name, str):
        raise UnknownNameError(f"activation name must be a string; got {name!r} "
                               f"({_valid_names_message()})")
    key = ALIASES.get(name, name)
    if key not in ACTIVATIONS:
        raise UnknownNameError(f"unknown activation {name!r}; {_valid_names_message()}")
    return key


def activation_params(name: str, **params) -> dict:
    """The full parameter dict of an activation: defaults overridden by ``params``.

    Parameters
    ----------
    name : str
        Activation name (aliases allowed).
    **params : float
        Only ``scale`` for ``'exp_scale'`` and ``shift`` for ``'exp_shift'`` exist.

    Returns
    -------
    dict
        ``{}`` for activations without parameters.

    Raises
    ------
    UnknownNameError
        For an unknown activation or a parameter the activation does not take.
    """
    key = canonical_name(name)
    accepted = PARAMS.get(key, {})
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        takes = f"takes only {sorted(accepted)}" if accepted else "takes no parameters"
        raise UnknownNameError(f"activation {key!r} {takes}; got unknown parameter(s) {unknown}")
    full = dict(accepted)
    for k, v in params.items():
        try:
            full[k] = float(v)
        except (TypeError, ValueError):
            raise UnknownNameError(f"parameter {k!r} of activation {key!r} must be a number; "
                                   f"got {v!r}") from None
    return full
