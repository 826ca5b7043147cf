"""Shared fixtures: where the shipped data and the tiny test fixtures live."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_data() -> Path:
    """The repository's shipped data folder (``data/``: JASPAR files, ZBED2/IRF1 h5)."""
    return REPO / "data"


@pytest.fixture(scope="session")
def fixture_dir() -> Path:
    """``tests/data``: tiny committed fixtures (regenerate the binary ones with make_fixtures.py)."""
    return REPO / "tests" / "data"
