"""Compute profiles as plain data: ``tiny`` (tests, seconds), ``quick`` (a 2-core laptop, minutes),
``paper`` (the authors' protocol, a cluster or GPU).

A notebook's parameters cell names a profile and may override single values; :func:`get_profile`
merges them. Every key is documented here so a reader can see exactly how the quick budget differs
from the paper's.

Overrides arrive as papermill writes them: ``-y`` (YAML) gives real lists and numbers, but ``-p`` passes a list
as its text (``-p activations '["relu","exponential"]'`` gives the string ``'["relu","exponential"]'``).
:func:`get_profile` parses such text (JSON or YAML) into the setting's type, and rejects what it cannot read
with an error that says how to pass it.
"""

from __future__ import annotations

import json
import numbers
from copy import deepcopy

from ..errors import ParameterError, UnknownNameError

#: What each key means.
KEYS = {
    "task1_n_sequences": "Task-1 sequences simulated (paper: 30,000 = 21,000 / 3,000 / 6,000)",
    "task3_n_sequences": "Task-3 sequences simulated (paper: 20,000)",
    "reference_engine": "also run the authors' per-sequence generator to check the seed-33 counts",
    "epochs": "maximum training epochs (paper: 100)",
    "patience": "early-stopping patience in epochs, None = train all epochs (paper: 20)",
    "trials": "trials (seeds) per model x activation (paper: 10)",
    "headline_activations": "activations of the headline contrast, trained with headline_trials (paper: relu, exponential)",
    "headline_trials": "trials of the headline activations, at least trials (paper: 10)",
    "fig1c_models": "models of the Fig 1c grid (paper: cnn-2, cnn-50, cnn-deep)",
    "fig1c_activations": "first-layer activations of the Fig 1c grid (paper: the seven)",
    "extra_models": "models for the control panels of notebook 02 (ExtData 1a, 1b; paper: all three)",
    "extra_trials": "trials for those controls (paper: 10)",
    "log_experiment": "train cnn-deep-log for ExtData 1e (paper: yes)",
    "attribution_activations": "first-layer activations of the Task-3 attribution grid (paper: the seven)",
    "attribution_trials": "trials per Task-3 model x activation (paper: 10)",
    "attribution_epochs": "maximum epochs of the Task-3 runs (paper: 100, early stopping)",
    "n_attribution_sequences": "first positive Task-3 test sequences scored (paper: 500)",
    "method_trials": "trials in the four-method comparison, ExtData 2 (paper: 10)",
    "n_method_sequences": "sequences in the four-method comparison (paper: 500)",
    "n_deepshap_sequences": "sequences on which this book's DeepSHAP is compared with shap.DeepExplainer (this book)",
    "supp11": "train the modified and log activations on Task 3, Supp Fig 11 (paper: yes)",
    "supp16": "sweep the number of references for IG and DeepSHAP, Supp Fig 16 (paper: yes)",
    "invivo_tasks": "ChIP-seq tasks of the in vivo chapter, Fig 3b,c (paper: zbed2, irf1)",
    "invivo_epochs": "maximum epochs of the ResidualBind runs on ZBED2 / IRF1 (paper: 100, early stopping)",
    "invivo_patience": "early-stopping patience of the ResidualBind runs, None = train all epochs (paper: 20)",
    "invivo_trials": "trials per ChIP-seq task x activation (paper: one model each; this book: 10)",
    "n_invivo_sequences": "first positive forward-strand test sequences whose saliency is measured (paper: 500)",
    "basset_epochs": "maximum epochs of the Basset runs when data/er.h5 is supplied (paper: 100)",
    "basset_trials": "trials per activation on Basset (paper: one model each)",
    "invivo_subsample": "ChIP-seq sequences kept per split before reverse-complement copies, None = all (paper: all)",
    "n_invivo_examples": "saliency logo examples per ChIP-seq task, relu vs exponential (paper: a few, hand-picked)",
    "robust_epochs": "maximum epochs of the chapter-04 control runs, None = epochs (then the glorot_uniform relu and exponential baselines are notebook 02's Fig 1c runs; paper: 100)",
    "robust_trials": "trials per control grid point, Supp Figs 5 and 9 and the modern activations (paper: 10)",
    "robust_paper_monitor": "monitor the control runs on val_auroc like the authors' control scripts (paper: yes; no keeps the task's val_aupr so baselines are shared with notebook 02)",
    "init_initializers": "first-layer initialisers of Supp Fig 5a (paper: glorot/he/lecun x normal/uniform)",
    "init_variants": "columns of Supp Fig 5a: relu, exponential, exponential-nobn (paper: all three)",
    "sigma_values": "RandomNormal standard deviations of Supp Fig 5b (paper: 0.001 ... 5, 15 values)",
    "sigma_variants": "columns of Supp Fig 5b (paper: relu, exponential, exponential-nobn)",
    "scale_values": "scales s of exp(s*z), Supp Fig 9 (paper: 0.001 ... 5, 11 values; s = 1 is the exponential run)",
    "scale_models": "cnn-deep (with first-layer batch norm) and/or cnn-deep-nobn for Supp Fig 9 (paper: cnn-deep)",
    "ppm_thresholds": "PPM activation thresholds of Supp Fig 15, on the first robust_trials trained relu/exponential runs of notebook 02 (paper: 0.1 ... 0.9)",
    "modern_activations": "beyond the paper: first-layer activations compared Fig 1c-style (this book: gelu, silu, mish and their shifted-and-scaled variants)",
    "history_activations": "activations whose training histories Supp Figs 3 and 4 show (paper: relu, exponential, modified relu/sigmoid/tanh)",
    "jaspar_releases": "JASPAR releases the first robust_trials relu/exponential runs of notebook 02 are re-scored against (this book: JASPAR2016, JASPAR2026)",
}
#: The type of each key: "int", "bool", "int_or_none", "names" (a list of names), "ints" (a list of integers) or
#: "floats" (a list of numbers).
KINDS = {
    "task1_n_sequences": "int",
    "task3_n_sequences": "int",
    "reference_engine": "bool",
    "epochs": "int",
    "patience": "int_or_none",
    "trials": "int",
    "headline_activations": "names",
    "headline_trials": "int",
    "fig1c_models": "names",
    "fig1c_activations": "names",
    "extra_models": "names",
    "extra_trials": "int",
    "log_experiment": "bool",
    "attribution_activations": "names",
    "attribution_trials": "int",
    "attribution_epochs": "int",
    "n_attribution_sequences": "int",
    "method_trials": "int",
    "n_method_sequences": "int",
    "n_deepshap_sequences": "int",
    "supp11": "bool",
    "supp16": "bool",
    "invivo_tasks": "names",
    "invivo_epochs": "int",
    "invivo_patience": "int_or_none",
    "invivo_trials": "int",
    "n_invivo_sequences": "int",
    "basset_epochs": "int",
    "basset_trials": "int",
    "invivo_subsample": "int_or_none",
    "n_invivo_examples": "int",
    "robust_epochs": "int_or_none",
    "robust_trials": "int",
    "robust_paper_monitor": "bool",
    "init_initializers": "names",
    "init_variants": "names",
    "sigma_values": "floats",
    "sigma_variants": "names",
    "scale_values": "floats",
    "scale_models": "names",
    "ppm_thresholds": "floats",
    "modern_activations": "names",
    "history_activations": "names",
    "jaspar_releases": "names",
}
_DESCRIBE = {"int": "an integer", "bool": "true or false", "int_or_none": "an integer or None",
             "names": "a list of names", "ints": "a list of integers", "floats": "a list of numbers"}
_HOW = ("papermill's -p passes a list as text: write it as JSON, -p NAME '[\"relu\", \"exponential\"]', "
        "or pass it with -y, -y 'NAME: [relu, exponential]'")

_SEVEN = ["relu", "exponential", "sigmoid", "tanh", "softplus", "linear", "elu"]

PROFILES: dict[str, dict] = {
    "tiny": {
        "task1_n_sequences": 3_000,
        "task3_n_sequences": 2_000,
        "reference_engine": True,
        "epochs": 3,
        "patience": None,
        "trials": 1,
        "headline_activations": ["relu", "exponential"],
        "headline_trials": 1,
        "fig1c_models": ["cnn-deep"],
        "fig1c_activations": ["relu", "exponential"],
        "extra_models": [],
        "extra_trials": 1,
        "log_experiment": False,
        "attribution_activations": ["relu", "exponential"],
        "attribution_trials": 1,
        "attribution_epochs": 2,
        "n_attribution_sequences": 20,
        "method_trials": 1,
        "n_method_sequences": 8,
        "n_deepshap_sequences": 2,
        "supp11": False,
        "supp16": False,
        "invivo_tasks": ["irf1"],
        "invivo_epochs": 1,
        "invivo_patience": None,
        "invivo_trials": 1,
        "n_invivo_sequences": 40,
        "basset_epochs": 1,
        "basset_trials": 1,
        "invivo_subsample": 400,
        "n_invivo_examples": 1,
        "robust_epochs": None,
        "robust_trials": 1,
        "robust_paper_monitor": False,
        "init_initializers": ["glorot_uniform"],
        "init_variants": ["exponential"],
        "sigma_values": [],
        "sigma_variants": ["exponential"],
        "scale_values": [1.0],
        "scale_models": ["cnn-deep"],
        "ppm_thresholds": [0.3, 0.5],
        "modern_activations": ["gelu"],
        "history_activations": ["relu", "exponential"],
        "jaspar_releases": ["JASPAR2016", "JASPAR2026"],
    },
    "quick": {
        "task1_n_sequences": 30_000,
        "task3_n_sequences": 20_000,
        "reference_engine": True,
        "epochs": 25,
        "patience": None,
        "trials": 1,
        "headline_activations": ["relu", "exponential"],
        "headline_trials": 3,
        "fig1c_models": ["cnn-deep"],
        "fig1c_activations": ["relu", "exponential"],
        "extra_models": [],
        "extra_trials": 1,
        "log_experiment": False,
        "attribution_activations": ["relu", "exponential"],
        "attribution_trials": 3,
        "attribution_epochs": 25,
        "n_attribution_sequences": 500,
        "method_trials": 3,
        "n_method_sequences": 40,
        "n_deepshap_sequences": 10,
        "supp11": False,
        "supp16": False,
        "invivo_tasks": ["zbed2", "irf1"],
        "invivo_epochs": 25,
        "invivo_patience": 4,
        "invivo_trials": 3,
        "n_invivo_sequences": 500,
        "basset_epochs": 2,
        "basset_trials": 1,
        "invivo_subsample": None,
        "n_invivo_examples": 2,
        "robust_epochs": None,
        "robust_trials": 1,
        "robust_paper_monitor": False,
        "init_initializers": ["glorot_uniform", "he_normal", "lecun_uniform"],
        "init_variants": ["relu", "exponential"],
        "sigma_values": [],
        "sigma_variants": ["exponential"],
        "scale_values": [1.0],
        "scale_models": ["cnn-deep"],
        "ppm_thresholds": [0.4, 0.5, 0.6, 0.7],
        "modern_activations": [],
        "history_activations": ["relu", "exponential"],
        "jaspar_releases": ["JASPAR2016", "JASPAR2026"],
    },
    "paper": {
        "task1_n_sequences": 30_000,
        "task3_n_sequences": 20_000,
        "reference_engine": True,
        "epochs": 100,
        "patience": 20,
        "trials": 10,
        "headline_activations": ["relu", "exponential"],
        "headline_trials": 10,
        "fig1c_models": ["cnn-2", "cnn-50", "cnn-deep"],
        "fig1c_activations": _SEVEN,
        "extra_models": ["cnn-2", "cnn-50", "cnn-deep"],
        "extra_trials": 10,
        "log_experiment": True,
        "attribution_activations": _SEVEN,
        "attribution_trials": 10,
        "attribution_epochs": 100,
        "n_attribution_sequences": 500,
        "method_trials": 10,
        "n_method_sequences": 500,
        "n_deepshap_sequences": 20,
        "supp11": True,
        "supp16": True,
        "invivo_tasks": ["zbed2", "irf1"],
        "invivo_epochs": 100,
        "invivo_patience": 20,
        "invivo_trials": 10,
        "n_invivo_sequences": 500,
        "basset_epochs": 100,
        "basset_trials": 1,
        "invivo_subsample": None,
        "n_invivo_examples": 2,
        "robust_epochs": None,
        "robust_trials": 10,
        "robust_paper_monitor": True,
        "init_initializers": ["glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal",
                              "lecun_uniform"],
        "init_variants": ["relu", "exponential", "exponential-nobn"],
        "sigma_values": [0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.0, 3.0, 4.0, 5.0],
        "sigma_variants": ["relu", "exponential", "exponential-nobn"],
        "scale_values": [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0],
        "scale_models": ["cnn-deep", "cnn-deep-nobn"],
        "ppm_thresholds": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        "modern_activations": ["gelu", "silu", "mish", "shift_scale_gelu", "shift_scale_silu", "shift_scale_mish"],
        "history_activations": ["relu", "exponential", "shift_scale_relu", "shift_scale_sigmoid", "shift_scale_tanh"],
        "jaspar_releases": ["JASPAR2016", "JASPAR2026"],
    },
}


def _load_text(text: str):
    """A JSON value, else a YAML value (when PyYAML is installed), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        import yaml
    except ImportError:                     # pragma: no cover - PyYAML comes with papermill
        return text
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_parameter(name: str, value, kind: str):
    """``value`` as a setting of ``kind``, parsing the text papermill's ``-p`` passes for lists and numbers.

    Parameters
    ----------
    name : str
        The setting or notebook parameter, for error messages.
    value
        What the notebook received: a value of the right type, or text such as ``'["relu", "exponential"]'``,
        ``"[relu, exponential]"`` (YAML), ``"relu,exponential"`` or ``"relu"`` (one name) for ``"names"``;
        ``"3"`` for ``"int"``; ``"true"`` for ``"bool"``; ``"[5, 10]"`` for ``"ints"``. None stays None.
    kind : {"int", "bool", "int_or_none", "names", "ints", "floats"}

    Returns
    -------
    int, bool, None or list

    Raises
    ------
    ParameterError
        The value cannot be read as ``kind``; the message says how to pass it.
    UnknownNameError
        ``kind`` is not one of the kinds above.
    """
    if kind not in _DESCRIBE:
        raise UnknownNameError(f"unknown parameter kind {kind!r}; choose one of {', '.join(_DESCRIBE)}")
    original = value
    if isinstance(value, str):
        text = value.strip()
        value = _load_text(text) if text else text
        if kind == "names" and isinstance(value, str):
            if value.startswith(("[", "(", "{")):
                raise ParameterError(f"{name} = {original!r} is not a readable list; {_HOW}")
            value = [part.strip() for part in value.split(",") if part.strip()]   # "relu,exponential" or "relu"
        if kind == "int_or_none" and isinstance(value, str) and value.lower() in ("none", "null"):
            value = None
    if value is None:
        return None

    def fail(what: str):
        hint = f"; {_HOW}" if kind in ("names", "ints", "floats") else ""
        raise ParameterError(f"{name} must be {_DESCRIBE[kind]}; got {original!r}{what}{hint}")

    def as_int(v):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or v != int(v):
            fail("")
        return int(v)

    if kind == "bool":
        if not isinstance(value, bool):
            fail("")
        return value
    if kind in ("int", "int_or_none"):
        return as_int(value)
    if kind == "floats" and isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = [value]                                      # one number: a list of one
    if not isinstance(value, (list, tuple)):
        fail("")
    if kind == "ints":
        return [as_int(v) for v in value]
    if kind == "floats":
        if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in value):
            fail("")
        return [float(v) for v in value]
    bad = [v for v in value if not isinstance(v, str) or not v]
    if bad:
        fail(f" (entries {bad!r} are not names)")
    return list(value)


def get_profile(name: str = "quick", **overrides) -> dict:
    """The settings of profile ``name`` with ``overrides`` applied (None values are ignored).

    Overrides may be text as papermill's ``-p`` passes it (``'["relu", "exponential"]'``, ``"8"``, ``"true"``):
    it is parsed into the key's type (:data:`KINDS`, :func:`parse_parameter`).

    Raises
    ------
    UnknownNameError
        ``name`` is not a profile, or an override names an unknown key.
    ParameterError
        An override cannot be read as its key's type.
    """
    if name not in PROFILES:
        raise UnknownNameError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    settings = deepcopy(PROFILES[name])
    for key, value in overrides.items():
        if key not in settings:
            raise UnknownNameError(f"unknown profile setting {key!r}; valid settings: {', '.join(sorted(settings))}")
        value = parse_parameter(f"profile setting {key!r}", value, KINDS[key])
        if value is not None:
            settings[key] = value
    settings["profile"] = name
    return settings


def settings_table(settings: dict, keys, *, describe: bool = False):
    """A chapter's budget beside the paper's: one row per setting in ``keys``.

    Parameters
    ----------
    settings : dict
        The chapter's profile (:func:`get_profile`; its ``profile`` names the column).
    keys : sequence of str
        Settings to show, in order.
    describe : bool
        Label rows with each setting's description (:data:`KEYS`) instead of its name.

    Returns
    -------
    pandas.DataFrame with columns ``this run (<profile>)`` and ``paper``
    """
    import pandas as pd  # lazy: the profiles are plain data and import without pandas

    unknown = [k for k in keys if k not in KEYS]
    if unknown:
        raise UnknownNameError(f"unknown profile setting(s) {unknown}; valid settings: {', '.join(sorted(KEYS))}")
    paper = PROFILES["paper"]
    return pd.DataFrame({f"this run ({settings.get('profile', '?')})": [settings[k] for k in keys],
                         "paper": [paper[k] for k in keys]}, index=[KEYS[k] if describe else k for k in keys])
