"""Notebook 02's branches that nbval (tiny profile) does not execute, in one papermill run at a tiny budget:

* Task 2 (DeepSEA, Fig 1d), driven by a tiny stand-in in the authors' ``invivo_dataset.h5`` format
  (X int8 (N, 4, 1000, 1), Y int8 (N, 12)): the real data (~4 GB) are not shipped;
* ExtData 1a/1b (modified and ablated activations) and ExtData 1e (log activations ± the L2 penalty),
  which the quick profile leaves to the paper profile.
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


def test_task2_and_control_sections_run(tmp_path, monkeypatch):
    data = tmp_path / "invivo_dataset.h5"
    _write_stand_in(data, np.random.default_rng(0))
    monkeypatch.setenv("SEQLIB_RESULTS", str(tmp_path / "results"))
    out = tmp_path / "02.ipynb"
    papermill.execute_notebook(str(project_root() / "notebooks" / "02_filter_representations.ipynb"), str(out),
                               parameters=dict(profile="tiny", activations=["exponential"], epochs=1,
                                               n_sequences=600, task2_data=str(data), extra_models=["cnn-2"],
                                               log_experiment=True),
                               kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    text = "\n".join("".join(o.get("text", "")) for c in json.loads(out.read_text())["cells"]
                     for o in c.get("outputs", []) if o.get("name") == "stdout")
    assert f"Task 2 data: {data}" in text
    assert "Fig 1d" in text and "match_fraction" in text
    assert "shift_scale_relu" in text and "p_value" in text                  # ExtData 1a table
    assert "ExtData 1b" in text                                               # ablation in the comparison
    figures = {p.name for p in (tmp_path / "results" / "figures").iterdir()}
    assert {"extdata1b_ablation.png", "extdata1e_log.png", "fig1d_match_fraction.png"} <= figures
    runs = [json.loads(p.read_text()) for p in (tmp_path / "results" / "runs").glob("*/config.json")]
    log_runs = [r for r in runs if r["config"]["model"] == "cnn-deep-log"]
    assert sorted((r["config"]["activation"], r["config"]["model_options"].get("first_layer_l2")) for r in log_runs) \
        == [("log_relu", False), ("log_relu", True), ("relu", False), ("relu", True)]
    task2 = [r for r in runs if r["config"]["task"] == "task2"]
    assert len(task2) == 1 and task2[0]["config"]["model"] == "cnn-deep"
    ppms = next((tmp_path / "results" / "runs" / task2[0]["key"] / "analyses").glob("ppms_*.npz"))
    assert np.load(ppms)["ppms"].shape == (64, 20, 4)           # widths doubled at L = 1000
