"""Executors: local worker processes and a Dask cluster, handed the function to run; a killed Dask worker."""

import contextlib
import json
import os
import signal
import threading
import time

import pytest
from _processes import alive, descendants

from seqlib import runs
from seqlib.errors import Interrupted, SchedulerError, WorkerDiedError
from seqlib.executors import DaskExecutor, Job, LocalExecutor, check_scheduler_address, default_workers, get_executor
from seqlib.runs import RunConfig, run_grid


def _square(payload, report):
    """Work for the executors: report two steps, return payload squared (or fail on a negative)."""
    if payload < 0:
        raise ValueError(f"negative payload {payload}")
    report(1, "half")
    report(2, "done")
    return payload * payload


def _jobs(values):
    return [Job(f"k{v}", f"job {v}", v, steps=2) for v in values]


def test_local_executor_runs_the_function_it_is_handed():
    with LocalExecutor(workers=2) as ex:
        assert ex.execute(_square, _jobs([2, 3, 4]), progress=True) == {"k2": 4, "k3": 9, "k4": 16}
        with pytest.raises(ValueError, match="negative payload -1"):
            ex.execute(_square, _jobs([2, -1]), progress=False)
        assert ex.execute(_square, [], progress=False) == {}


def test_dask_executor_runs_the_same_function_and_reports_errors():
    pytest.importorskip("distributed")
    with DaskExecutor.local(n_workers=1) as ex:
        assert ex.execute(_square, _jobs([2, 3]), progress=True) == {"k2": 4, "k3": 9}
        with pytest.raises(ValueError, match="negative payload -2"):
            ex.execute(_square, _jobs([-2]), progress=False)


def test_default_workers_and_the_scheduler_choice(monkeypatch):
    monkeypatch.setenv("SEQLIB_WORKERS", "3")
    assert default_workers() == 3 and get_executor().workers == 3
    monkeypatch.setenv("SEQLIB_WORKERS", "many")
    with pytest.raises(Exception, match="SEQLIB_WORKERS must be a positive integer"):
        default_workers()
    monkeypatch.delenv("SEQLIB_WORKERS")
    assert isinstance(get_executor("local", workers=1), LocalExecutor)
    monkeypatch.setenv("SEQLIB_SCHEDULER", "my-cluster:8786")
    with pytest.raises(SchedulerError, match="'my-cluster:8786' is not a Dask scheduler address"):
        get_executor()


def test_scheduler_addresses_are_checked_and_an_absent_scheduler_is_named(tmp_path):
    assert check_scheduler_address("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    with pytest.raises(SchedulerError, match="not a Dask scheduler address"):
        check_scheduler_address("http://host:8786/status")
    with pytest.raises(SchedulerError, match="scheduler file .*absent.json does not exist"):
        check_scheduler_address(str(tmp_path / "absent.json"))
    start = time.time()
    with pytest.raises(SchedulerError, match="no Dask scheduler answered at tcp://127.0.0.1:9"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=2)
    assert time.time() - start < 30


def _descendants(pid):
    import psutil
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_a_dask_worker_killed_mid_run_is_retried_and_the_run_finishes_once(tmp_path):
    """kill -9 of the Dask worker training a run: the scheduler runs it again on the restarted worker."""
    pytest.importorskip("distributed")
    cfg = RunConfig(task="task1", model="cnn-local", activation="relu", epochs=8, patience=None, n_sequences=600,
                    data_seed=7)
    ex = DaskExecutor.local(n_workers=1)
    try:
        (victim,) = ex.client.run(os.getpid).values()
        before = runs.session_tally()
        out, errors = {}, []

        def submit():
            try:
                out["run"] = run_grid([cfg], root=tmp_path, progress=False, executor=ex)[0]
            except BaseException as err:       # reported below
                errors.append(err)

        thread = threading.Thread(target=submit)
        thread.start()
        deadline = time.time() + 120
        while not list(tmp_path.glob(f".{cfg.key}.*.tmp")) and time.time() < deadline:
            time.sleep(0.1)
        assert list(tmp_path.glob(f".{cfg.key}.*.tmp")), "training never started"
        time.sleep(0.5)
        os.kill(victim, signal.SIGKILL)
        thread.join(150)
        assert not thread.is_alive() and not errors, errors
        finished = out["run"]
        record = json.loads((finished.path / "config.json").read_text())
        assert not record["trained_by"].endswith(f"-{victim}")              # a second worker trained it ...
        assert len(finished.history["loss"]) == 8                           # ... from the start, to the end
        assert sorted(p.name for p in tmp_path.iterdir()) == [cfg.key]      # once: no second run, temp or lock
        after = runs.session_tally()
        assert (after["trained"] - before["trained"], after["loaded"] - before["loaded"]) == (1, 0)
    finally:
        ex.close()


# ----------------------------------------------------------------------------- dead workers, Ctrl-C, workers=0

def _die_once(payload, report):
    """Work that kills its own process the first time (a marker file says it happened), then returns the value."""
    marker, value = payload
    if marker is not None and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return value


def _die_always(payload, report):
    """Work whose process is killed every time (as by the out-of-memory killer)."""
    os.kill(os.getpid(), signal.SIGKILL)


def _interrupt_parent(payload, report):
    """Work that presses Ctrl-C on the process that started it, then waits to be stopped."""
    os.kill(os.getppid(), signal.SIGINT)
    time.sleep(120)
    return "not stopped"


def _spawned_workers():
    """Live spawned worker processes of this process (not multiprocessing's resource tracker)."""
    out = []
    for p in alive(descendants(os.getpid())):
        try:
            if "spawn_main" in " ".join(p.cmdline()):
                out.append(p)
        except Exception:
            pass
    return out


def test_a_killed_local_worker_loses_its_jobs_and_they_run_again_once(tmp_path):
    pytest.importorskip("psutil")
    marker = tmp_path / "killed-once"
    jobs = [Job("victim", "victim job", (str(marker), "v")), Job("sibling", "sibling job", (None, "s")),
            Job("later", "later job", (None, "l"))]
    with LocalExecutor(workers=2) as ex:
        assert ex.execute(_die_once, jobs, progress=False) == {"victim": "v", "sibling": "s", "later": "l"}
    assert marker.exists()                                    # it did die once, and its job ran again
    assert not _spawned_workers()


def test_a_job_whose_worker_always_dies_ends_with_a_clear_error(tmp_path, capsys):
    pytest.importorskip("psutil")
    with LocalExecutor(workers=1) as ex:
        with pytest.raises(WorkerDiedError, match=r"died \(killed by SIGKILL\) while running doomed job.*already "
                                                  r"been retried.*fewer workers"):
            ex.execute(_die_always, [Job("doomed", "doomed job", None)], progress=False)

    assert "running its 1 unfinished job(s) again" in capsys.readouterr().err       # the retry was said
    assert not _spawned_workers()


def test_ctrl_c_stops_the_local_workers_and_says_what_finished():
    pytest.importorskip("psutil")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)   # as in a terminal, also in a background job
    with LocalExecutor(workers=1) as ex, contextlib.ExitStack() as stack:
        stack.callback(signal.signal, signal.SIGINT, previous)
        with pytest.raises(Interrupted) as caught:
            ex.execute(_interrupt_parent, [Job("k", "waits", None)], progress=False)
    assert isinstance(caught.value, KeyboardInterrupt)       # what a caller that handles Ctrl-C expects
    assert (caught.value.finished, caught.value.unfinished) == (0, 1)
    assert str(caught.value).startswith("interrupted; 0 job(s) finished")
    assert not _spawned_workers()                            # stopped, and waited for


def test_workers_zero_is_refused_as_SEQLIB_WORKERS_0_is(monkeypatch):
    for bad in (0, -1):
        with pytest.raises(ValueError, match=f"workers must be a positive integer.*got {bad}"):
            LocalExecutor(bad)
        with pytest.raises(ValueError, match="workers must be a positive integer"):
            run_grid([RunConfig(task="task1", model="cnn-local", epochs=1, n_sequences=300)], workers=bad,
                     progress=False)
    monkeypatch.setenv("SEQLIB_WORKERS", "0")
    with pytest.raises(Exception, match="SEQLIB_WORKERS must be a positive integer"):
        LocalExecutor()


def test_on_finished_is_called_here_as_each_job_finishes():
    seen = []
    with LocalExecutor(workers=2) as ex:
        out = ex.execute(_square, _jobs([2, 3, 4]), progress=False, on_finished=lambda k, o: seen.append((k, o)))
    assert sorted(seen) == sorted(out.items()) == [("k2", 4), ("k3", 9), ("k4", 16)]


def test_a_local_dask_cluster_listens_on_loopback_only_and_names_its_dashboard(capsys):
    pytest.importorskip("distributed")
    psutil = pytest.importorskip("psutil")
    with DaskExecutor.local(n_workers=1) as ex:
        err = capsys.readouterr().err
        assert "Dask LocalCluster at tcp://127.0.0.1:" in err and "dashboard" in err, err
        info = ex.client.scheduler_info()
        assert info["address"].startswith("tcp://127.0.0.1:")
        assert info["workers"] and all(w.startswith("tcp://127.0.0.1:") for w in info["workers"])
        if "dashboard" in info.get("services", {}):
            assert "127.0.0.1" in ex.client.dashboard_link
        listening = [c.laddr.ip for p in [psutil.Process(), *descendants(os.getpid())]
                     for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
        assert listening and set(listening) == {"127.0.0.1"}, listening
