"""Runs: stable keys, caching, atomic completion, resumption after a crash."""

import json
import os
import subprocess
import sys

import pytest

import seqlib.runs as runs
from seqlib.errors import UnknownNameError
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


def test_the_papers_data_has_one_key_however_spelled():
    assert RunConfig(task="task1", n_sequences=30_000, data_seed=33).key == RunConfig(task="task1").key
    assert RunConfig(task="task1", n_sequences=3_000).key != RunConfig(task="task1").key


def test_monitor_defaults_to_the_papers_per_task():
    assert RunConfig(task="task1").monitor == "val_aupr"
    assert RunConfig(task="task3").monitor == "val_auroc"
    assert RunConfig(task="task3", monitor="val_loss").monitor == "val_loss"


def test_run_trains_once_then_loads(tmp_path, data, monkeypatch):
    cfg = _config()
    first = run(cfg, root=tmp_path, progress=False, dataset=data)
    assert (first.path / "DONE").exists() and (first.path / "model.keras").exists()
    saved = json.loads((first.path / "config.json").read_text())
    assert saved["key"] == cfg.key and saved["config"]["activation"] == "exponential"
    assert len(first.history["loss"]) == 1 and 0 <= first.metrics["auroc"] <= 1
    monkeypatch.setattr(runs, "_execute", lambda *a, **k: pytest.fail("retrained a finished run"))
    again = run(cfg, root=tmp_path, progress=False, dataset=data)
    assert again.metrics == first.metrics
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


def test_cached_analysis_is_computed_once(tmp_path, data):
    r = run(_config(trial=3), root=tmp_path, progress=False, dataset=data)
    calls = []
    value = r.cached("answer", lambda: calls.append(1) or {"x": 1})
    assert value == {"x": 1} and r.cached("answer", lambda: calls.append(1) or {"x": 2}) == {"x": 1}
    assert calls == [1]


def test_grid_and_results_table(tmp_path, data):
    configs = grid(_config(), activation=["relu", "exponential"], trial=[0, 1])
    assert len(configs) == 4 and len({c.key for c in configs}) == 4
    with pytest.raises(UnknownNameError, match="activaton"):
        grid(_config(), activaton=["relu"])
    table = results_table([run(configs[0], root=tmp_path, progress=False, dataset=data)])
    assert {"test_auroc", "test_aupr", "epochs_trained", "activation", "key"} <= set(table.columns)
