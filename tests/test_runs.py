"""Runs: stable keys, caching, atomic completion, resumption after a crash."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from _processes import alive, descendants

import seqlib.runs as runs
from seqlib import cli
from seqlib.errors import Interrupted, PathError, ResultsNotSharedError, UnknownNameError
from seqlib.executors import Executor
from seqlib.runs import RunConfig, find_run, grid, results_table, run, run_grid
from seqlib.simulate import simulate_task1


@pytest.fixture(scope="module")
def data():
    return simulate_task1(n_sequences=600, seed=7)


def _config(**kw):
    base = dict(task="task1", model="cnn-local", activation="exponential", epochs=1, patience=None, n_sequences=600,
                data_seed=7)
    base.update(kw)
    return RunConfig(**base)


def test_key_is_stable_and_sensitive():
    a = RunConfig(activation="exp_scale", activation_params={"scale": 0.5}, initializer="RandomNormal",
                  initializer_params={"mean": 0.0, "stddev": 0.1})
    b = RunConfig(activation="exp_scale", activation_params={"scale": 0.5}, initializer="RandomNormal",
                  initializer_params={"stddev": 0.1, "mean": 0.0})
    assert a.key == b.key and len(a.key) == 16
    assert a.key != RunConfig(activation="exp_scale", activation_params={"scale": 0.6}, initializer="RandomNormal",
                              initializer_params={"mean": 0.0, "stddev": 0.1}).key
    assert RunConfig(trial=0).key != RunConfig(trial=1).key
    # the same key in a fresh interpreter (no dependence on hash randomisation)
    out = subprocess.run([sys.executable, "-c", "from seqlib.runs import RunConfig; "
                          "print(RunConfig(activation='exp_scale', activation_params={'scale': 0.5}, initializer='RandomNormal', "
                          "initializer_params={'stddev': 0.1, 'mean': 0.0}).key)"],
                         capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "123"})
    assert out.stdout.strip() == a.key


def test_the_fast_option_has_its_own_key_and_leaves_the_reference_keys_alone():
    import hashlib
    import json

    from seqlib.layers import FastDropout, FusedBatchNormalization
    from seqlib.runs import RESULTS_VERSION

    ref = RunConfig(activation="exponential")
    assert "fast" not in ref.to_dict()                     # keys of runs made before the option are unchanged
    text = json.dumps({"config": {k: v for k, v in ref.to_dict().items()}, "results_version": RESULTS_VERSION},
                      sort_keys=True)
    assert ref.key == hashlib.sha256(text.encode()).hexdigest()[:16]
    fast = RunConfig(activation="exponential", fast=True)
    assert fast.key != ref.key and fast.to_dict()["fast"] is True and fast.label.endswith("/fast")
    assert RunConfig.from_dict(fast.to_dict()) == fast and RunConfig.from_dict(ref.to_dict()) == ref
    kinds = {type(layer) for layer in fast.build(200, 12).layers}
    assert FusedBatchNormalization in kinds and FastDropout in kinds
    assert not kinds & {FusedBatchNormalization, FastDropout} & {type(x) for x in ref.build(200, 12).layers}


def test_the_papers_data_has_one_key_however_spelled():
    assert RunConfig(task="task1", n_sequences=30_000, data_seed=33).key == RunConfig(task="task1").key
    assert RunConfig(task="task1", n_sequences=3_000).key != RunConfig(task="task1").key


def test_monitor_defaults_to_the_papers_per_task():
    assert RunConfig(task="task1").monitor == "val_aupr"
    assert RunConfig(task="task3").monitor == "val_auroc"
    assert RunConfig(task="task3", monitor="val_loss").monitor == "val_loss"


def test_unknown_task_and_sizes_of_fixed_tasks_are_refused():
    with pytest.raises(UnknownNameError, match="unknown task 'task9'.*--data"):
        RunConfig(task="task9")
    with pytest.raises(ValueError, match="'zbed2' has no n_sequences"):
        RunConfig(task="zbed2", n_sequences=500)


def test_a_run_finished_where_this_process_cannot_see_it_is_an_error(tmp_path):
    class Elsewhere(Executor):                      # a worker that wrote to storage we do not share
        def execute(self, fn, jobs, *, setup=None, progress=True):
            return {j.key: "trained" for j in jobs}

    with pytest.raises(ResultsNotSharedError, match="storage every worker"):
        run(_config(trial=14), root=tmp_path, progress=False, executor=Elsewhere())


class _FailingExecutor(Executor):
    def execute(self, fn, jobs, *, setup=None, progress=True):
        pytest.fail(f"handed {len(jobs)} finished run(s) to an executor")


def test_run_trains_once_then_loads(tmp_path, data):
    cfg = _config()
    before = runs.session_tally()
    first = run(cfg, root=tmp_path, progress=False, dataset=data)
    assert runs.session_tally() == {"trained": before["trained"] + 1, "loaded": before["loaded"]}
    assert (first.path / "DONE").exists() and (first.path / "model.keras").exists()
    saved = json.loads((first.path / "config.json").read_text())
    assert saved["key"] == cfg.key and saved["config"]["activation"] == "exponential"
    assert len(first.history["loss"]) == 1 and 0 <= first.metrics["auroc"] <= 1
    again = run(cfg, root=tmp_path, progress=False, dataset=data, executor=_FailingExecutor())
    assert again.metrics == first.metrics
    assert runs.session_tally() == {"trained": before["trained"] + 1, "loaded": before["loaded"] + 1}
    model = again.load_model()
    assert model.get_layer("conv1_activation") is not None


def test_failed_run_leaves_nothing_and_reports_the_error(tmp_path, data):
    import numpy as np

    from seqlib.errors import TrainingDivergedError
    bad = simulate_task1(n_sequences=600, seed=7)
    bad.train.X[:50] = np.nan
    with pytest.raises(TrainingDivergedError, match="exponential"):
        run(_config(trial=1), root=tmp_path, progress=False, dataset=bad)
    assert list(tmp_path.iterdir()) == []


def test_run_killed_half_way_is_retrained(tmp_path):
    # a real kill: SIGKILL the whole process group (parent and its training worker) mid-run
    import signal
    import time
    cfg = _config(trial=5, epochs=6)
    script = (f"from seqlib.runs import RunConfig, run; "
              f"run(RunConfig.from_dict({cfg.to_dict()!r}), root={str(tmp_path)!r}, progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    deadline = time.time() + 120
    while not list(tmp_path.glob(f".{cfg.key}.*.tmp")) and time.time() < deadline:
        time.sleep(0.1)
    assert list(tmp_path.glob(f".{cfg.key}.*.tmp")), "training never started"
    time.sleep(2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / cfg.key).exists() and runs.find_run(cfg, root=tmp_path) is None
    finished = run(cfg, root=tmp_path, progress=False)      # the next call trains it again
    assert (finished.path / "DONE").exists() and len(finished.history["loss"]) == 6
    assert not list(tmp_path.glob(f".{cfg.key}.*.tmp"))     # the killed run's temp folder is gone


def test_same_weights_alone_or_in_a_parallel_grid(tmp_path, data):
    import numpy as np
    a, b = _config(trial=6), _config(trial=6, activation="relu")
    in_grid = run_grid([a, b], root=tmp_path / "grid", workers=2, progress=False, dataset=data)
    alone = run(a, root=tmp_path / "alone", progress=False, dataset=data)
    wa = in_grid[0].load_model().get_weights()
    wb = alone.load_model().get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(wa, wb))
    assert in_grid[0].metrics["auroc"] == alone.metrics["auroc"]


def test_stale_temp_folder_of_dead_process_is_removed(tmp_path, data):
    cfg = _config(trial=2)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".{cfg.key}.{socket.gethostname()}-{dead.pid}.tmp"
    stale.mkdir()
    (stale / "model.keras").write_text("half written")
    run(cfg, root=tmp_path, progress=False, dataset=data)
    assert not stale.exists()


def test_cached_analysis_is_keyed_by_every_argument_and_the_format_version(tmp_path, monkeypatch):
    cfg = _config(trial=3)
    _fake_finished(tmp_path, cfg)
    r = runs.find_run(cfg, root=tmp_path)
    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    assert r.cached("a", compute, threshold=0.5, db="x") == {"n": 1}
    assert r.cached("a", compute, db="x", threshold=0.5) == {"n": 1}          # stored once, argument order free
    assert r.cached("a", compute, threshold=0.6, db="x") == {"n": 2}          # each argument is in the key
    assert r.cached("a", compute, threshold=0.5, db="y") == {"n": 3}
    assert r.cached("b", compute, threshold=0.5, db="x") == {"n": 4}          # and the analysis' name
    monkeypatch.setattr(runs, "ANALYSIS_VERSION", runs.ANALYSIS_VERSION + 1)
    assert r.cached("a", compute, threshold=0.5, db="x") == {"n": 5}          # a new results format recomputes
    assert len(list((r.path / "analyses").iterdir())) == 5
    with pytest.raises(TypeError, match="db=<object"):
        r.cached("a", compute, db=object())
    with pytest.raises(ValueError, match="kind"):
        r.cached("a", compute, kind="pickle")


def test_grid_and_results_table(tmp_path, data):
    configs = grid(_config(), activation=["relu", "exponential"], trial=[0, 1])
    assert len(configs) == 4 and len({c.key for c in configs}) == 4
    with pytest.raises(UnknownNameError, match="activaton"):
        grid(_config(), activaton=["relu"])
    table = results_table([run(configs[0], root=tmp_path, progress=False, dataset=data)])
    assert {"test_auroc", "test_aupr", "epochs_trained", "activation", "key"} <= set(table.columns)


def _fake_finished(root, config, auroc=0.5):
    """A finished run folder as run() writes it (metrics, history, DONE), without training."""
    path = root / config.key
    path.mkdir(parents=True)
    (path / "metrics.json").write_text(json.dumps({"auroc": auroc, "aupr": auroc}))
    (path / "history.json").write_text(json.dumps({"loss": [1.0]}))
    (path / "DONE").write_text("now")


def test_session_tally_counts_each_distinct_run_once(tmp_path):
    cached, new, raced = _config(trial=11), _config(trial=12), _config(trial=13)
    _fake_finished(tmp_path, cached)

    class FakeExecutor(Executor):
        def execute(self, fn, jobs, *, setup=None, progress=True):
            assert [j.key for j in jobs] == [new.key, raced.key]    # the finished one is not handed to workers
            _fake_finished(tmp_path, new)
            _fake_finished(tmp_path, raced)                         # as if another process finished it first
            return {new.key: "trained", raced.key: "loaded"}

    before = runs.session_tally()
    out = run_grid([cached, new, new, raced], root=tmp_path, progress=False, executor=FakeExecutor())
    assert [r.config for r in out] == [cached, new, new, raced]
    after = runs.session_tally()
    assert (after["trained"] - before["trained"], after["loaded"] - before["loaded"]) == (1, 2)
    after["trained"] += 100                                        # a copy: the tally itself is unchanged
    assert runs.session_tally()["trained"] == after["trained"] - 100
    seen = runs.session_runs()
    assert {k: seen[k]["outcome"] for k in (cached.key, new.key, raced.key)} == {
        cached.key: "loaded", new.key: "trained", raced.key: "loaded"}
    assert seen[new.key]["label"] == new.label and seen[new.key]["train_seconds"] is None   # history without it
    # a run trained here once stays "trained" when a later call loads it; its recorded time is read
    (tmp_path / new.key / "history.json").write_text(json.dumps({"loss": [1.0], "train_seconds": 12.5}))
    run_grid([new], root=tmp_path, progress=False, executor=_FailingExecutor())
    assert runs.session_runs()[new.key] == {"label": new.label, "outcome": "trained", "train_seconds": 12.5}


def test_key_lock_excludes_and_leaves_no_file(tmp_path):
    import threading
    import time
    events = []

    def second():
        with runs._key_lock(tmp_path, "k" * 16):
            events.append("second holds")

    with runs._key_lock(tmp_path, "k" * 16):
        assert (tmp_path / f".{'k' * 16}.lock").exists()
        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(0.5)
        events.append("first releases")
    waiter.join(10)
    assert events == ["first releases", "second holds"]
    assert list(tmp_path.iterdir()) == []                           # the holder removes the lock file


def test_two_processes_asking_for_one_run_train_it_once(tmp_path):
    """Both ask while the run is locked; one trains it, the other waits and loads it (not a partial one)."""
    pytest.importorskip("psutil")
    import time
    cfg = _config(trial=7)
    script = ("import json; from seqlib.runs import RunConfig, run, session_tally; "
              f"r = run(RunConfig.from_dict({cfg.to_dict()!r}), root={str(tmp_path)!r}, progress=False); "
              "print(json.dumps({'tally': session_tally(), 'auroc': r.metrics['auroc']}))")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    lock = str(tmp_path / f".{cfg.key}.lock")
    procs = []
    try:
        with runs._key_lock(tmp_path, cfg.key):             # hold the run until both processes wait for it
            procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
                     for _ in range(2)]
            waiting, deadline = set(), time.time() + 120
            while len(waiting) < 2 and time.time() < deadline:
                for proc in procs:
                    for child in descendants(proc.pid):
                        try:
                            if any(f.path == lock for f in child.open_files()):
                                waiting.add(proc.pid)
                        except Exception:                  # a process that just ended
                            pass
                time.sleep(0.2)
            assert len(waiting) == 2, "the two runs never reached the lock"
        outs = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            for child in alive(descendants(proc.pid)):
                child.kill()
            proc.kill()
    results = []
    for (stdout, stderr), proc in zip(outs, procs):
        assert proc.returncode == 0, stderr[-2000:]
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    assert sorted(r["tally"]["trained"] for r in results) == [0, 1]          # trained once ...
    assert sorted(r["tally"]["loaded"] for r in results) == [0, 1]           # ... and loaded by the other
    assert results[0]["auroc"] == results[1]["auroc"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [cfg.key]            # no second run, temp or lock file


def test_killing_seqlib_run_ends_its_workers(tmp_path):
    """kill -9 of a running ``seqlib run``: its workers (and the resource tracker) exit; nothing looks finished."""
    psutil = pytest.importorskip("psutil")
    import signal
    import time
    env = {**os.environ, "SEQLIB_RESULTS": str(tmp_path), "SEQLIB_WORKERS": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}
    args = ["run", "--model", "cnn-local", "--activation", "relu", "exponential", "--epochs", "50",
            "--patience", "-1", "--n-sequences", "600", "--quiet"]
    root = tmp_path / "runs"
    with open(tmp_path / "stderr.txt", "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "seqlib.cli", *args], env=env, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)
    children = []
    try:
        deadline = time.time() + 120
        while len(list(root.glob(".*.tmp"))) < 2 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert len(list(root.glob(".*.tmp"))) == 2, "both runs never started: " + \
            (tmp_path / "stderr.txt").read_text()[-2000:]
        children = descendants(proc.pid)
        workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
        assert len(workers) == 2, [c.cmdline() for c in children]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed = time.time()
        while alive(children) and time.time() < killed + 5:
            time.sleep(0.1)
        left = alive(children)
        assert not left, f"still running {time.time() - killed:.1f} s after the kill: {[c.cmdline() for c in left]}"
    finally:
        for child in alive(children):
            child.kill()
        if proc.poll() is None:
            proc.kill()
    assert [p.name for p in root.iterdir() if not p.name.startswith(".")] == []  # no run folder ...
    assert list(root.rglob("DONE")) == []                                        # ... and no finished marker
    for activation in ("relu", "exponential"):
        cfg = RunConfig(task="task1", model="cnn-local", activation=activation, epochs=50, patience=None,
                        n_sequences=600)
        assert runs.find_run(cfg, root=root) is None
    runs._clean_stale(root)                    # the next call removes the killed runs' folders and lock files
    assert list(root.iterdir()) == []


# ----------------------------------------------------------------------------- Ctrl-C, progress lines, bad folders

def _write_finished(root, config, seconds):
    """What a worker leaves for a finished run (the files :func:`seqlib.runs._load_finished` reads)."""
    folder = root / config.key
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({"auroc": 0.5, "aupr": 0.5}))
    (folder / "history.json").write_text(json.dumps({"loss": [1.0], "seconds": [seconds],
                                                     "train_seconds": seconds}))
    (folder / "DONE").write_text("now")


def _dead_pid():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return dead.pid


def test_ctrl_c_in_a_grid_removes_temp_folders_and_locks_and_says_what_resumes(tmp_path):
    """Ctrl-C while runs train: the finished run is kept, the stopped run's temporary folder and lock go, and the
    message counts them: one line a user reads as "what did I lose"."""

    done, stopped, waiting = _config(trial=30), _config(trial=31), _config(trial=32)

    class CtrlC(Executor):                    # a worker finished one run; Ctrl-C came while another trained
        def execute(self, fn, jobs, *, setup=None, progress=True, on_finished=None):
            _write_finished(tmp_path, done, 3.0)
            tmp = tmp_path / f".{stopped.key}.{socket.gethostname()}-{_dead_pid()}.tmp"   # its worker was stopped
            tmp.mkdir()
            (tmp / "model.keras").write_text("half written")
            (tmp_path / f".{stopped.key}.lock").write_text("")
            raise KeyboardInterrupt

    with pytest.raises(Interrupted, match=r"^interrupted; 1 run finished, 2 will resume$") as caught:
        run_grid([done, stopped, waiting, done], root=tmp_path, progress=False, executor=CtrlC())
    assert (caught.value.finished, caught.value.unfinished) == (1, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [done.key]        # no temp folder, no lock


def test_ctrl_c_in_seqlib_run_prints_one_line_and_exits_130(tmp_path, monkeypatch, capsys):

    def interrupted(*args, **kwargs):
        raise Interrupted("interrupted; 3 runs finished, 8 will resume", 3, 8)

    monkeypatch.setattr(cli, "run_grid", interrupted)
    monkeypatch.setenv("SEQLIB_RESULTS", str(tmp_path))
    assert cli.main(["run", "--model", "cnn-local", "--n-sequences", "300", "--quiet"]) == 130
    out, err = capsys.readouterr()
    assert err == "seqlib run: interrupted; 3 runs finished, 8 will resume\n" and not out


def test_progress_file_gets_a_line_per_finished_run_with_the_time_left(tmp_path, monkeypatch):
    """$SEQLIB_PROGRESS_FILE: what `make book` shows in the terminal while a notebook trains (the kernel's own
    output is captured by papermill)."""
    configs = [_config(trial=40 + i) for i in range(4)]
    seconds = {configs[0].key: 10.0, configs[1].key: 50.0, configs[2].key: 60.0, configs[3].key: 40.0}

    class Recorded(Executor):                 # two at a time; each run records its training time
        workers = 2

        def execute(self, fn, jobs, *, setup=None, progress=True, on_finished=None):
            for job in jobs:
                config = next(c for c in configs if c.key == job.key)
                _write_finished(tmp_path / "runs", config, seconds[job.key])
                on_finished(job.key, "trained")
            return {j.key: "trained" for j in jobs}

    log = tmp_path / "progress.log"
    monkeypatch.setenv("SEQLIB_PROGRESS_FILE", str(log))
    run_grid(configs, root=tmp_path / "runs", progress=False, executor=Recorded())
    lines = log.read_text().splitlines()
    assert lines[0] == "training 4 run(s) on executor"
    assert lines[1] == f"run 1/4 trained: {configs[0].label} (10 s of training); about 20 s left for 3 run(s)"
    # the mean recorded training time (10, then 30, then 40 s) times the rounds of two runs left
    assert lines[2] == f"run 2/4 trained: {configs[1].label} (50 s of training); about 30 s left for 2 run(s)"
    assert lines[3] == f"run 3/4 trained: {configs[2].label} (60 s of training); about 40 s left for 1 run(s)"
    assert lines[4] == f"run 4/4 trained: {configs[3].label} (40 s of training); all done"
    run_grid(configs, root=tmp_path / "runs", progress=False, executor=_FailingExecutor())
    assert len(log.read_text().splitlines()) == 5            # nothing to train: nothing to report


def test_a_results_folder_that_is_a_file_is_named_before_any_work(tmp_path, monkeypatch):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    with pytest.raises(PathError, match="a_file is a file, not a folder"):
        run_grid([_config(trial=50)], root=a_file / "runs", progress=False, executor=_FailingExecutor())
    monkeypatch.setenv("SEQLIB_RESULTS", str(a_file))
    with pytest.raises(PathError, match=r"results folder \(\$SEQLIB_RESULTS\).*a_file is a file, not a folder"):
        run_grid([_config(trial=50)], progress=False, executor=_FailingExecutor())


def test_too_few_sequences_for_three_splits_are_refused():
    for n in (0, 1, 3, 6):
        with pytest.raises(ValueError, match=f"n_sequences={n} is too few sequences.*use at least 7"):
            _config(n_sequences=n)
    assert _config(n_sequences=7).n_sequences == 7


def test_workers_quiet_tensorflow_errors_such_as_cuinit(monkeypatch):
    """A worker's TensorFlow hides the C++ runtime's errors ("failed call to cuInit" without a GPU): level 3."""
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    monkeypatch.setattr(runs, "pin_threads", lambda threads: None)
    runs._worker_setup(1)
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"


def _start_seqlib_run(tmp_path, epochs):
    """``seqlib run`` of two runs on two workers in its own process group (as a terminal starts it)."""
    env = {**os.environ, "SEQLIB_RESULTS": str(tmp_path), "SEQLIB_WORKERS": "2"}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)                      # the command sets it for its workers
    args = ["run", "--model", "cnn-local", "--activation", "relu", "exponential", "--epochs", str(epochs),
            "--patience", "-1", "--n-sequences", "600", "--quiet"]
    err = open(tmp_path / "stderr.txt", "w")
    proc = subprocess.Popen([sys.executable, "-m", "seqlib.cli", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=err, start_new_session=True, preexec_fn=_default_sigint)
    err.close()
    return proc


def _default_sigint():
    """Ctrl-C as in a terminal, also when the tests run as a background job (which starts with SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_training(proc, root, tmp_path, n=2):
    deadline = time.time() + 120
    while len(list(root.glob(".*.tmp"))) < n and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert len(list(root.glob(".*.tmp"))) == n, "the runs never started: " + \
        (tmp_path / "stderr.txt").read_text()[-2000:]


@pytest.mark.slow
def test_ctrl_c_of_seqlib_run_says_what_resumes_exits_130_and_leaves_no_temp_folder_or_lock(tmp_path):
    """Ctrl-C in a terminal: SIGINT to the whole process group, workers included."""
    pytest.importorskip("psutil")
    root = tmp_path / "runs"
    proc = _start_seqlib_run(tmp_path, epochs=50)
    children = workers = []
    try:
        _wait_for_training(proc, root, tmp_path)
        children = descendants(proc.pid)
        workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(60) == 130
    finally:
        for child in alive(children):
            child.kill()
        if proc.poll() is None:
            proc.kill()
    err = (tmp_path / "stderr.txt").read_text()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-3000:]
    assert err.splitlines()[-1] == "seqlib run: interrupted; 0 runs finished, 2 will resume", err[-3000:]
    assert len(workers) == 2 and not alive(workers)          # stopped and waited for before the command ended
    gone = time.time()
    while alive(children) and time.time() < gone + 10:       # multiprocessing's resource tracker follows
        time.sleep(0.1)
    assert not alive(children)
    assert list(root.iterdir()) == []                         # no temporary folder, no lock file


@pytest.mark.slow
def test_a_killed_worker_of_seqlib_run_costs_a_retry_not_the_runs(tmp_path):
    """kill -9 of one training worker: both runs in progress are lost with the pool and trained again, once."""
    pytest.importorskip("psutil")
    root = tmp_path / "runs"
    proc = _start_seqlib_run(tmp_path, epochs=8)
    try:
        _wait_for_training(proc, root, tmp_path)
        victim = next(c for c in descendants(proc.pid) if "spawn_main" in " ".join(c.cmdline()))
        os.kill(victim.pid, signal.SIGKILL)
        assert proc.wait(300) == 0, (tmp_path / "stderr.txt").read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    err = (tmp_path / "stderr.txt").read_text()
    assert "a worker process died (killed by SIGKILL); running its" in err and "Traceback" not in err
    assert "cuInit" not in err                                # the workers' TensorFlow runtime errors stay hidden
    finished = sorted(p for p in root.iterdir())
    assert len(finished) == 2 and all((p / "DONE").exists() for p in finished)     # no temp folder or lock left
    for run_folder in finished:
        history = json.loads((run_folder / "history.json").read_text())
        assert len(history["loss"]) == 8                                           # trained from the start
        assert not json.loads((run_folder / "config.json").read_text())["trained_by"].endswith(f"-{victim.pid}")


def test_activation_names_are_canonical_and_checked_before_any_worker_starts():
    from seqlib.errors import UnknownNameError

    assert RunConfig(activation="exp").activation == "exponential"
    assert RunConfig(activation="exp").key == RunConfig(activation="exponential").key
    # the key a canonical config had before names were canonicalised (commit 9e50248): existing runs keep theirs
    assert RunConfig(activation="exponential").key == "9c8d28e90d4f20b3"
    assert RunConfig(task="task1", model="cnn-deep", activation="relu", epochs=15, patience=None).key == \
        "638c1099af74d8f8"
    with pytest.raises(UnknownNameError, match="unknown activation 'expo'"):
        RunConfig(activation="expo")
    with pytest.raises(UnknownNameError, match="takes only"):
        RunConfig(activation="exp_scale", activation_params={"x": 1})
    for bad in ({"epochs": 0}, {"trial": -1}, {"patience": -2}, {"batch_size": 0}, {"learning_rate": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            RunConfig(**bad)


def test_an_old_run_folder_loads_under_the_alias(tmp_path):
    cfg = RunConfig(task="task1", model="cnn-deep", activation="exponential", epochs=1, patience=None,
                    n_sequences=600)
    folder = tmp_path / "runs" / cfg.key                    # a run stored before the change, under its old key
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"key": cfg.key, "config": cfg.to_dict()}))
    (folder / "metrics.json").write_text(json.dumps({"auroc": 0.9, "aupr": 0.5}))
    (folder / "history.json").write_text(json.dumps({"loss": [0.5]}))
    (folder / "DONE").write_text("")
    found = find_run(RunConfig(task="task1", model="cnn-deep", activation="exp", epochs=1, patience=None,
                               n_sequences=600), root=tmp_path / "runs")
    assert found is not None and found.path == folder and found.metrics["auroc"] == 0.9


def test_array_digest_is_memoised_while_the_arrays_live_and_forgotten_after():
    import gc

    import numpy as np

    from seqlib import runs as R
    a, b = np.arange(12.0).reshape(3, 4), np.ones(3, np.float32)
    digest = R.array_digest(a, b, None)
    assert len(digest) == 16 and R.array_digest(a, b, None) == digest
    assert R.array_digest(a.copy(), b.copy(), None) == digest               # a digest of the values, not the objects
    assert R.array_digest(a, b + 1, None) != digest                          # other values, another digest
    assert R.array_digest(a.astype(np.float32), b, None) != digest          # the dtype is part of it
    key = (id(a), id(b), id(None))
    assert key in R._DIGESTS
    del a
    gc.collect()
    assert key not in R._DIGESTS                                            # a dead array leaves no entry behind
