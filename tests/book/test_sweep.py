"""Sweeps: notebooks executed into a sweep folder, skipped when done, resumed after a kill."""

import json
import os
import signal
import subprocess
import sys
import time
import types

import nbformat
import pytest
from _processes import alive

from seqlib.book.notebooks import build_book, is_current, run_notebooks, sweep
from seqlib.errors import SeqlibError
from seqlib.runs import PROGRESS_FILE_ENV


def _notebook(path, body):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('profile = "quick"\nlabel = "a"', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture()
def notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "01_first.ipynb", 'print("first", profile, label)')
    # the second one waits while $SWEEP_TEST_SLEEP says so (long enough to be killed in)
    _notebook(folder / "02_second.ipynb", 'import os, time\ntime.sleep(float(os.environ.get("SWEEP_TEST_SLEEP", 0)))\n'
                                          'print("second", profile)')
    return folder


def _outputs(path):
    nb = json.loads(path.read_text())
    return "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))


def test_a_sweep_skips_what_it_already_executed_with_the_same_parameters(tmp_path, notebooks):
    out = tmp_path / "sweep"
    first = sweep(profile="tiny", out_dir=out, notebooks_dir=notebooks, build=False)
    assert [p.name for p in first["executed"]] == ["01_first.ipynb", "02_second.ipynb"] and not first["skipped"]
    assert "first tiny a" in _outputs(out / "01_first.ipynb")
    again = sweep(profile="tiny", out_dir=out, notebooks_dir=notebooks, build=False)
    assert not again["executed"] and len(again["skipped"]) == 2
    other = sweep(["01"], profile="tiny", out_dir=out, notebooks_dir=notebooks, parameters={"label": "b"},
                  build=False)                                          # other parameters: run again
    assert [p.name for p in other["executed"]] == ["01_first.ipynb"] and "first tiny b" in _outputs(out / "01_first.ipynb")
    _notebook(notebooks / "02_second.ipynb", 'print("changed", profile)')  # a changed notebook: run again
    assert not is_current(out / "02_second.ipynb", notebooks / "02_second.ipynb", {"profile": "tiny"})
    changed = sweep(["02"], profile="tiny", out_dir=out, notebooks_dir=notebooks, build=False)
    assert [p.name for p in changed["executed"]] == ["02_second.ipynb"]
    chapters = tmp_path / "chapters"
    build_book(out, chapters_dir=chapters, run_builder=False)           # the book's chapters come from the sweep
    assert sorted(p.name for p in chapters.iterdir()) == ["01_first.ipynb", "02_second.ipynb", "claims.md",
                                                           "claims_summary.md", "status.md", "status_summary.md"]


def test_a_sweep_killed_and_restarted_does_only_the_missing_work(tmp_path, notebooks):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "sweep"
    script = ("from seqlib.book.notebooks import sweep; "
              f"sweep(profile='tiny', out_dir={str(out)!r}, notebooks_dir={str(notebooks)!r}, build=False)")
    env = {**os.environ, "SWEEP_TEST_SLEEP": "120"}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    children = []
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None and not (
                (out / "01_first.ipynb").exists() and list(out.glob(".02_second.ipynb.*.tmp.ipynb"))):
            time.sleep(0.2)
        assert (out / "01_first.ipynb").exists(), "the first notebook never finished"
        time.sleep(3)                                               # the second one's kernel is sleeping
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "no kernel running"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 15
        while alive(children) and time.time() < deadline:
            time.sleep(0.2)
        assert not alive(children), [c.cmdline() for c in alive(children)]   # its kernel exits with it
    finally:
        for child in alive(children):
            child.kill()
        if proc.poll() is None:
            proc.kill()
    assert not (out / "02_second.ipynb").exists()                   # nothing half-written under the final name
    first_written = (out / "01_first.ipynb").stat().st_mtime_ns
    resumed = sweep(profile="tiny", out_dir=out, notebooks_dir=notebooks, build=False)
    assert [p.name for p in resumed["skipped"]] == ["01_first.ipynb"]
    assert [p.name for p in resumed["executed"]] == ["02_second.ipynb"]
    assert (out / "01_first.ipynb").stat().st_mtime_ns == first_written
    assert "second tiny" in _outputs(out / "02_second.ipynb")
    assert sorted(p.name for p in out.iterdir()) == [".sweep.lock", "01_first.ipynb", "02_second.ipynb"]


def test_runs_trained_inside_a_notebook_show_in_the_terminal(tmp_path, notebooks, monkeypatch, capsys):
    """papermill puts the kernel's output into the notebook; the runs it trains still reach the terminal through
    the kernel's $SEQLIB_PROGRESS_FILE (what `make book` shows while a chapter trains for an hour)."""


    seen = []

    def execute_notebook(source, output, **kwargs):           # a kernel whose run_grid reports two runs
        seen.append(os.environ[PROGRESS_FILE_ENV])
        with open(os.environ[PROGRESS_FILE_ENV], "a") as fh:
            fh.write("training 2 run(s) on 2 local worker(s)\n")
            fh.write("run 1/2 trained: task1/cnn-deep/relu/trial0 (5 min of training); about 5 min left\n")
        with open(source) as src, open(output, "w") as out:
            out.write(src.read())

    monkeypatch.setitem(sys.modules, "papermill", types.SimpleNamespace(execute_notebook=execute_notebook))
    sweep(["01"], profile="quick", out_dir=tmp_path / "sweep", notebooks_dir=notebooks, build=False)
    err = capsys.readouterr().err
    assert "[seqlib] 01_first: training 2 run(s) on 2 local worker(s)\n" in err
    assert "[seqlib] 01_first: run 1/2 trained: task1/cnn-deep/relu/trial0 (5 min of training); about 5 min left" in err
    assert PROGRESS_FILE_ENV not in os.environ                  # the kernels' setting does not leak
    assert len(seen) == 1 and not os.path.exists(seen[0])       # and its file is removed


def test_notebooks_and_sweep_without_papermill_say_which_extra_to_install(tmp_path, notebooks, monkeypatch):
    monkeypatch.setitem(sys.modules, "papermill", None)
    with pytest.raises(SeqlibError, match=r"sweep needs the book extra .* pip install 'seqlib\[book\]'"):
        sweep(["01"], out_dir=tmp_path / "sweep", notebooks_dir=notebooks, build=False)
    with pytest.raises(SeqlibError, match=r"needs the book extra"):
        run_notebooks(["01"], out_dir=tmp_path / "chapters")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks"]      # nothing made


def test_a_real_kernel_gets_the_progress_file_and_its_lines_reach_the_terminal(tmp_path, capsys):
    """The same through papermill and a Jupyter kernel: the kernel inherits $SEQLIB_PROGRESS_FILE."""
    folder = tmp_path / "nb"
    folder.mkdir()
    _notebook(folder / "01_kernel.ipynb", 'import os\nwith open(os.environ["SEQLIB_PROGRESS_FILE"], "a") as fh:\n'
                                          '    fh.write("run 1/1 trained: from the kernel; all done\\n")')
    sweep(["01"], profile="quick", out_dir=tmp_path / "sweep", notebooks_dir=folder, build=False)
    assert "[seqlib] 01_kernel: run 1/1 trained: from the kernel; all done\n" in capsys.readouterr().err
