"""Runs: stable keys, caching, atomic completion, resumption after a crash."""

import json
import os
import subprocess
import sys

import pytest

import seqlib.runs as runs
from _processes import alive, descendants
from seqlib.errors import ResultsNotSharedError, UnknownNameError
from seqlib.executors import Executor
from seqlib.runs import RunConfig, grid, results_table, run, run_grid
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
    a = RunConfig(activation="exp_scale", activation_params={"scale": 0.5, "x": 1})
    b = RunConfig(activation="exp_scale", activation_params={"x": 1, "scale": 0.5})
    assert a.key == b.key and len(a.key) == 16
    assert a.key != RunConfig(activation="exp_scale", activation_params={"scale": 0.6, "x": 1}).key
    assert RunConfig(trial=0).key != RunConfig(trial=1).key
    # the same key in a fresh interpreter (no dependence on hash randomisation)
    out = subprocess.run([sys.executable, "-c", "from seqlib.runs import RunConfig; "
                          "print(RunConfig(activation='exp_scale', activation_params={'scale': 0.5, 'x': 1}).key)"],
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
    import socket
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
