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


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """One trained Task-1 run (CNN-deep, exponential, 1 epoch on 600 simulated sequences) and its data set, shared
    by the tests of the cached analyses and of the book's experiments: ``(run, dataset)``."""
    from seqlib.runs import RunConfig, run
    from seqlib.simulate import simulate_task1

    data = simulate_task1(n_sequences=600, seed=11)
    root = tmp_path_factory.mktemp("runs")
    cfg = RunConfig(task="task1", model="cnn-deep", activation="exponential", epochs=1, patience=None,
                    n_sequences=600, data_seed=11)
    return run(cfg, root=root, progress=False, dataset=data), data
