"""seqlib.book.status (the generated Status page) and the quiet import of the Keras backend."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest

from seqlib.book import status


def _executed_notebook(path, *, record=None, duration=12.5, parameters=None, png=1):
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"duration": duration, "parameters": parameters or {}}
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="}) for _ in range(png)]
    if record is not None:
        cell.outputs.append(nbformat.v4.new_output(
            "display_data", data={"application/papermill.record/text/plain": repr(record)},
            metadata={"scrapbook": {"name": status.GLUE_KEY, "mime_prefix": "application/papermill.record/"}}))
    nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def test_environment_names_versions_cpu_and_commit():
    env = status.environment()
    for key in ("python", "cpu", "cpu_count", "tensorflow", "keras", "memelite", "pyjaspar", "git_commit"):
        assert key in env and env[key] not in ("", None), key
    assert env["tensorflow"] != "not installed"
    json.dumps(env)


def test_chapter_record_reads_papermill_metadata_and_glue(tmp_path):
    record = {"profile": "quick", "settings": {"epochs": 8}, "runs_trained": 3, "runs_loaded": 4,
              "environment": {"python": "3.11", "git_commit": "abc"}}
    path = _executed_notebook(tmp_path / "02_x.ipynb", record=record, duration=75.0,
                              parameters={"profile": "quick"}, png=2)
    r = status.chapter_record(path)
    assert r == {"chapter": "02_x", "parameters": {"profile": "quick"}, "seconds": 75.0, "status": record,
                 "figures": 2}


def test_status_page_lists_every_chapter_with_time_runs_and_environment(tmp_path):
    rec = {"profile": "tiny", "settings": {"epochs": 3, "trials": 1}, "runs_trained": 2, "runs_loaded": 0,
           "environment": {"python": "3.11.7", "tensorflow": "2.21.0", "git_commit": "abc123"}}
    _executed_notebook(tmp_path / "01_a.ipynb", record=rec, duration=30)
    _executed_notebook(tmp_path / "02_b.ipynb", record={**rec, "runs_trained": 0, "runs_loaded": 2}, duration=150)
    _executed_notebook(tmp_path / "02_b.failed.ipynb", record=rec)
    out = status.status_page(tmp_path)
    text = out.read_text()
    assert out == tmp_path / "status.md"
    assert "| {doc}`01_a` | tiny | 30 s | 17 % | 2 | 0 | 1 |" in text
    assert "| {doc}`02_b` | tiny | 2.5 min | 83 % | 0 | 2 | 1 |" in text
    assert "failed" not in text
    assert "All chapters together: 3.0 min." in text
    assert "| tensorflow | 2.21.0 |" in text and "| epochs | 3 |" in text


def test_fresh_clone_estimate_charges_cached_runs_to_the_first_chapter_that_uses_them(tmp_path):
    env = {"python": "3.11", "git_commit": "abc", "cpu_count": 2}
    run = lambda outcome, sec: {"label": "x", "outcome": outcome, "train_seconds": sec}  # noqa: E731
    base = {"profile": "quick", "settings": {}, "runs_trained": 0, "runs_loaded": 0, "environment": env}
    # 02 loads a (600 s) and b (300 s) from an old cache and trains c; 03 loads a again and c (trained by 02)
    _executed_notebook(tmp_path / "02_a.ipynb", duration=120, record={
        **base, "runs": {"a": run("loaded", 600.0), "b": run("loaded", 300.0), "c": run("trained", 50.0)}})
    _executed_notebook(tmp_path / "03_b.ipynb", duration=60, record={
        **base, "runs": {"a": run("loaded", 600.0), "c": run("loaded", 50.0), "d": run("loaded", 90.0)}})
    _executed_notebook(tmp_path / "04_c.ipynb", duration=30, record=base)          # ran before runs were recorded
    data = status.fresh_clone_data([status.chapter_record(p) for p in status.executed_chapters(tmp_path)])
    assert data["per_chapter"] == {"02_a": (2, 900.0), "03_b": (1, 90.0)}
    assert data["workers"] == 2 and data["n_runs"] == 3 and data["train_seconds"] == 990.0
    assert data["unrecorded"] == ["04_c"]
    text = status.status_page(tmp_path).read_text()
    assert "| {doc}`02_a` | 2.0 min | 2 | 15.0 min | 9.5 min |" in text     # 120 s + 900 s / 2
    assert "| {doc}`03_b` | 60 s | 1 | 1.5 min | 1.8 min |" in text        # 60 s + 90 s / 2
    assert "Estimated from a fresh clone, all chapters: 11.8 min." in text   # 570 + 105 + 30 s
    assert "not counted: 04_c." in text
    # a build that trained everything it used is its own fresh-clone time
    for p in tmp_path.glob("0*.ipynb"):
        p.unlink()
    _executed_notebook(tmp_path / "02_a.ipynb", duration=120, record={**base, "runs": {"c": run("trained", 50.0)}})
    assert "its wall time above is the time from a fresh clone" in status.status_page(tmp_path).read_text()


def test_status_page_without_chapters_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="no executed chapters"):
        status.status_page(tmp_path)
    from seqlib.cli import main

    assert main(["status", str(tmp_path)]) == 2
    assert "no executed chapters" in capsys.readouterr().err
    assert main(["status", str(tmp_path / "missing")]) == 2
    assert "not a folder of executed chapters" in capsys.readouterr().err


def test_importing_the_models_prints_no_tensorflow_startup_lines(tmp_path):
    code = ("import numpy as np, seqlib.models as m\n"
            "model = m.build_model('cnn-deep', activation='exponential', input_length=200, n_outputs=12)\n"
            "print(model(np.zeros((1, 200, 4), 'float32')).shape)\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "(1, 12)" in proc.stdout
    for noise in ("cuInit", "cuda", "absl", "cpu_feature_guard"):
        assert noise not in proc.stderr, proc.stderr


def test_a_failing_backend_import_still_shows_its_error(tmp_path):
    code = ("import os, sys; sys.modules.pop('keras', None)\n"
            "os.environ['KERAS_BACKEND'] = 'no_such_backend'\n"
            "from seqlib._backend import load_keras\nload_keras()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode != 0
    assert "no_such_backend" in proc.stderr


def test_the_notebook_runner_removes_files_a_killed_run_left_half_written(tmp_path):
    from seqlib.book.notebooks import run_notebooks

    stale = tmp_path / ".05_attribution_quality.ipynb.abc123.tmp.ipynb"
    stale.write_text("{}")
    keep = tmp_path / "01_synthetic_data.ipynb"
    keep.write_text("{}")
    with pytest.raises(FileNotFoundError, match="no notebook matches"):
        run_notebooks(["99_no_such_chapter"], out_dir=tmp_path)
    assert not stale.exists() and keep.exists()
