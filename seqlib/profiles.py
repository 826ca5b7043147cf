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
}

PROFILES: dict[str, dict] = {
    "tiny": {
        "task1_n_sequences": 3_000,
        "task3_n_sequences": 2_000,
        "reference_engine": True,
    },
    "quick": {
        "task1_n_sequences": 30_000,
        "task3_n_sequences": 20_000,
        "reference_engine": True,
    },
    "paper": {
        "task1_n_sequences": 30_000,
        "task3_n_sequences": 20_000,
        "reference_engine": True,
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
