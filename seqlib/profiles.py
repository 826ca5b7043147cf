"""Compute profiles as plain data: ``tiny`` (tests, seconds), ``quick`` (a 2-core laptop, minutes),
``paper`` (the authors' protocol, a cluster or GPU).

A notebook's parameters cell names a profile and may override single values; :func:`get_profile`
merges them. Every key is documented here so a reader can see exactly how the quick budget differs
from the paper's.
"""

from __future__ import annotations

from copy import deepcopy

from .errors import UnknownNameError

#: What each key means.
KEYS = {
    "task1_n_sequences": "Task-1 sequences simulated (paper: 30,000 = 21,000 / 3,000 / 6,000)",
    "task3_n_sequences": "Task-3 sequences simulated (paper: 20,000)",
    "reference_engine": "also run the authors' per-sequence generator to check the seed-33 counts",
    "epochs": "maximum training epochs (paper: 100)",
    "patience": "early-stopping patience in epochs, None = train all epochs (paper: 20)",
    "trials": "trials (seeds) per model x activation (paper: 10)",
    "fig1c_models": "models of the Fig 1c grid (paper: cnn-2, cnn-50, cnn-deep)",
    "fig1c_activations": "first-layer activations of the Fig 1c grid (paper: the seven)",
    "extra_models": "models for the control panels of notebook 02 (ExtData 1a, 1b; paper: all three)",
    "extra_trials": "trials for those controls (paper: 10)",
    "log_experiment": "train cnn-deep-log for ExtData 1e (paper: yes)",
}
_SEVEN = ["relu", "exponential", "sigmoid", "tanh", "softplus", "linear", "elu"]

PROFILES: dict[str, dict] = {
    "tiny": {
        "task1_n_sequences": 3_000,
        "task3_n_sequences": 2_000,
        "reference_engine": True,
        "epochs": 3,
        "patience": None,
        "trials": 1,
        "fig1c_models": ["cnn-deep"],
        "fig1c_activations": ["relu", "exponential"],
        "extra_models": [],
        "extra_trials": 1,
        "log_experiment": False,
    },
    "quick": {
        "task1_n_sequences": 30_000,
        "task3_n_sequences": 20_000,
        "reference_engine": True,
        "epochs": 8,
        "patience": None,
        "trials": 1,
        "fig1c_models": ["cnn-deep"],
        "fig1c_activations": _SEVEN,
        "extra_models": [],
        "extra_trials": 1,
        "log_experiment": False,
    },
    "paper": {
        "task1_n_sequences": 30_000,
        "task3_n_sequences": 20_000,
        "reference_engine": True,
        "epochs": 100,
        "patience": 20,
        "trials": 10,
        "fig1c_models": ["cnn-2", "cnn-50", "cnn-deep"],
        "fig1c_activations": _SEVEN,
        "extra_models": ["cnn-2", "cnn-50", "cnn-deep"],
        "extra_trials": 10,
        "log_experiment": True,
    },
}


def get_profile(name: str = "quick", **overrides) -> dict:
    """The settings of profile ``name`` with ``overrides`` applied (None values are ignored).

    Raises
    ------
    UnknownNameError
        ``name`` is not a profile, or an override names an unknown key.
    """
    if name not in PROFILES:
        raise UnknownNameError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    settings = deepcopy(PROFILES[name])
    for key, value in overrides.items():
        if key not in settings:
            raise UnknownNameError(f"unknown profile setting {key!r}; valid settings: {', '.join(sorted(settings))}")
        if value is not None:
            settings[key] = value
    settings["profile"] = name
    return settings
