"""Notebook 02's Task-2 (DeepSEA, Fig 1d) section, driven with a tiny stand-in in the authors' format.

The real data (~4 GB) are not shipped, so nbval only sees the "data absent" branch; this test executes the
notebook with papermill on a tiny ``invivo_dataset.h5`` (X int8 (N, 4, 1000, 1), Y int8 (N, 12)) and checks
that the in vivo branch trains 64-filter models at L = 1000 and prints the comparison with Fig 1d.
"""

import json

import h5py
import numpy as np
import pytest

from seqlib.paths import project_root

papermill = pytest.importorskip("papermill")


def _write_stand_in(path, rng):
    with h5py.File(path, "w") as f:
        for split, n in (("train", 48), ("valid", 16), ("test", 24)):
            X = np.eye(4, dtype=np.int8)[rng.integers(0, 4, (n, 1000))].transpose(0, 2, 1)[..., None]
            Y = (rng.random((n, 12)) < 0.3).astype(np.int8)
            Y[:2] = 1                                        # every class has positives in every split
            Y[2:4] = 0
            f.create_dataset(f"X_{split}", data=X)
            f.create_dataset(f"Y_{split}", data=Y)


def test_task2_section_runs_on_a_stand_in(tmp_path, monkeypatch):
    data = tmp_path / "invivo_dataset.h5"
    _write_stand_in(data, np.random.default_rng(0))
    monkeypatch.setenv("SEQLIB_RESULTS", str(tmp_path / "results"))
    out = tmp_path / "02.ipynb"
    papermill.execute_notebook(str(project_root() / "notebooks" / "02_filter_representations.ipynb"), str(out),
                               parameters=dict(profile="tiny", activations=["exponential"], epochs=1,
                                               n_sequences=600, task2_data=str(data)),
                               kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    text = "\n".join("".join(o.get("text", "")) for c in json.loads(out.read_text())["cells"]
                     for o in c.get("outputs", []) if o.get("name") == "stdout")
    assert f"Task 2 data: {data}" in text
    assert "Fig 1d" in text and "match_fraction" in text
    runs = [json.loads(p.read_text()) for p in (tmp_path / "results" / "runs").glob("*/config.json")]
    task2 = [r for r in runs if r["config"]["task"] == "task2"]
    assert len(task2) == 1 and task2[0]["config"]["model"] == "cnn-deep"
    ppms = next((tmp_path / "results" / "runs" / task2[0]["key"] / "analyses").glob("ppms_*.npz"))
    assert np.load(ppms)["ppms"].shape == (64, 20, 4)           # widths doubled at L = 1000
