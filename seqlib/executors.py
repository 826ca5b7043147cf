"""Executors: where work runs. Hand one a function and a list of jobs, get each job's outcome back.

Two implementations:

* :class:`LocalExecutor` (default): spawned worker processes on this machine, as many as its cores
  (``$SEQLIB_WORKERS`` overrides). The workers exit when the process that started them dies, even by
  ``kill -9``; progress (jobs done, steps of all jobs) is shown with tqdm. A worker killed by a signal (or
  by the out-of-memory killer) costs the jobs it and its siblings were running: they run once more in fresh
  processes, and :class:`~seqlib.errors.WorkerDiedError` ends the call if they are lost again. Ctrl-C stops
  the workers and raises :class:`~seqlib.errors.Interrupted`, which counts the jobs finished.
* :class:`DaskExecutor`: a ``dask.distributed`` cluster, chosen by a scheduler address
  (``tcp://host:8786``), a scheduler file (``scheduler.json``, as dask-jobqueue and dask-mpi write),
  ``$SEQLIB_SCHEDULER`` or :func:`get_executor`. A worker that dies mid-job is replaced and the job runs
  again on another worker (the scheduler's ``allowed-failures``, default 3). Install it with
  ``pip install 'seqlib[cluster]'``; dask-jobqueue and Kubernetes (dask-kubernetes) users start their
  cluster as usual and pass its scheduler address.

This module knows nothing of runs: the function is handed in (``fn(payload, report) -> outcome``, a
module-level function so it pickles by reference) together with an optional per-process ``setup``.
``report(step, note)`` shows a job's progress. Jobs write their results themselves, so whatever the
executor, the results folder must be storage every worker and the submitting process can reach.
"""

from __future__ import annotations

import abc
import logging
import multiprocessing
import os
import queue as queue_module
import re
import signal
import sys
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from tqdm import tqdm

from .errors import Interrupted, SchedulerError, SeqlibError, WorkerDiedError

#: Seconds between a local worker's checks that the process that started it is alive.
PARENT_POLL_SECONDS = 0.5

#: ``fn(payload, report) -> outcome``; ``report(step, note)`` tells the executor how far a job got.
Work = Callable[[object, Callable[[int, str], None]], object]

#: ``on_finished(key, outcome)``: called in the submitting process as each job finishes.
Finished = Callable[[str, object], None]


@dataclass(frozen=True)
class Job:
    """One unit of work.

    Attributes
    ----------
    key : str
        Unique among the jobs of one call; outcomes are returned under it.
    label : str
        Shown in progress bars.
    payload : object
        The argument of the work function (picklable).
    steps : int
        Expected number of ``report`` steps (e.g. epochs), for the progress bar; a job that stops early
        counts its remaining steps when it finishes.
    """

    key: str
    label: str
    payload: object
    steps: int = 0


def check_workers(workers, what: str = "workers") -> int:
    """``workers`` as an int if it is a positive integer.

    Raises
    ------
    ValueError
        Anything else (0 included: it does not mean "the default"), naming ``what``.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) and not hasattr(workers, "__index__") \
            or int(workers) < 1:
        raise ValueError(f"{what} must be a positive integer (the number of worker processes); got {workers!r}")
    return int(workers)


def default_workers() -> int:
    """Concurrent local jobs: ``$SEQLIB_WORKERS``, else the CPU cores this process may use."""
    env = os.environ.get("SEQLIB_WORKERS", "").strip()
    if env:
        try:
            value = int(env)
        except ValueError:
            raise SeqlibError(f"$SEQLIB_WORKERS must be a positive integer; got {env!r}") from None
        if value < 1:
            raise SeqlibError(f"$SEQLIB_WORKERS must be a positive integer; got {env!r}")
        return value
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                   # pragma: no cover - not Linux
        return os.cpu_count() or 1


class _Progress:
    """Two tqdm bars: jobs finished, and steps of all jobs (with the latest job's note)."""

    def __init__(self, jobs: Sequence[Job], description: str, enabled: bool):
        self.jobs = {j.key: j for j in jobs}
        self.done = {j.key: 0 for j in jobs}
        self.bar = self.steps = None
        if enabled:
            self.bar = tqdm(total=len(jobs), desc=description, unit="run", position=0)
            self.steps = tqdm(total=sum(j.steps for j in jobs), desc="epochs (all runs)", unit="epoch", position=1)

    def step(self, key: str, step: int, note: str) -> None:
        if key not in self.done:
            return
        new = max(0, step - self.done[key])
        self.done[key] = max(self.done[key], step)
        if self.steps is not None:
            self.steps.update(new)
            self.steps.set_postfix_str(f"{self.jobs[key].label} epoch {step}: {note}")

    def finished(self, key: str, outcome) -> None:
        job = self.jobs[key]
        if self.steps is not None:
            self.steps.update(max(0, job.steps - self.done[key]))      # stopped early: count the rest
            self.done[key] = job.steps
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(f"{outcome} {job.label}")

    def close(self) -> None:
        for b in (self.steps, self.bar):
            if b is not None:
                b.close()


class Executor(abc.ABC):
    """Runs jobs somewhere; use as a context manager (or call :meth:`close`)."""

    #: A short description ("2 local worker(s)", "Dask tcp://...").
    name: str = "executor"

    @abc.abstractmethod
    def execute(self, fn: Work, jobs: Sequence[Job], *, setup: Callable[[], None] | None = None,
                progress: bool = True, on_finished: Finished | None = None) -> dict[str, object]:
        """Run ``fn(job.payload, report)`` for every job; ``setup()`` first, once in each worker process.

        ``on_finished(key, outcome)``, when given, is called here (in the submitting process) as each job finishes.

        Returns
        -------
        dict job key → what ``fn`` returned

        Raises
        ------
        Exception
            The first error a job raised (the other jobs are cancelled).
        Interrupted
            Ctrl-C (KeyboardInterrupt): the jobs are stopped; ``finished`` / ``unfinished`` count them.
        """

    #: Jobs that run at once (for estimates of the time left).
    workers: int = 1

    def close(self) -> None:
        """Release what the executor holds (worker processes, a cluster connection)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ----------------------------------------------------------------------------- local worker processes

def _exit_with_parent(parent_pid: int, use_pdeathsig: bool) -> None:
    """Make this process exit when ``parent_pid`` (the process that started it) dies, however it dies.

    On Linux the kernel kills it at once (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, only when the parent started
    it from its main thread: the signal follows the starting thread). Everywhere a daemon thread also checks
    every :data:`PARENT_POLL_SECONDS` that the parent is still ours. The job it was running stays unfinished.
    """
    if use_pdeathsig and sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)          # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):                        # pragma: no cover - no prctl: the thread does it
            pass
    if os.getppid() != parent_pid:                               # the parent died before we could watch it
        os._exit(1)

    def watch():
        while True:
            time.sleep(PARENT_POLL_SECONDS)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="seqlib-parent-watch", daemon=True).start()


_progress_queue = None                   # in a local worker: where steps are reported (set by _local_init)


def _local_init(parent_pid: int, use_pdeathsig: bool, queue, setup) -> None:
    global _progress_queue
    # Ctrl-C reaches every process of the terminal's group; the submitting process handles it (it stops the
    # workers and cleans up), so a worker does not die half-way through its own cleanup
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent_pid, use_pdeathsig)
    _progress_queue = queue
    if setup is not None:
        setup()


def _local_call(fn: Work, key: str, payload) -> object:
    queue = _progress_queue

    def report(step: int, note: str = "") -> None:
        if queue is not None:
            queue.put((key, int(step), str(note)))

    return fn(payload, report)


class LocalExecutor(Executor):
    """Jobs in ``workers`` spawned processes on this machine.

    Each call starts fresh processes (``spawn``; in a script, call under ``if __name__ == "__main__":``)
    that exit when this process dies, even by ``kill -9``; steps come back through a pipe handed to each
    worker at start, so no manager process is needed. An error or interrupt terminates the workers (and waits
    for them to exit). Workers ignore SIGINT: Ctrl-C is handled here.

    A worker that dies (a signal, the out-of-memory killer) breaks the pool and loses every job running in it;
    the unfinished jobs run once more in a fresh pool, and :class:`~seqlib.errors.WorkerDiedError` is raised if
    a job is lost a second time.

    Parameters
    ----------
    workers : int, optional
        Processes at once (default :func:`default_workers`; never more than there are jobs).

    Raises
    ------
    ValueError
        ``workers`` is not a positive integer.
    """

    #: How many times a job lost to a dead worker is run again.
    RETRIES = 1

    def __init__(self, workers: int | None = None):
        self.workers = default_workers() if workers is None else check_workers(workers)
        self.name = f"{self.workers} local worker(s)"

    def execute(self, fn: Work, jobs: Sequence[Job], *, setup=None, progress: bool = True,
                on_finished: Finished | None = None) -> dict[str, object]:
        jobs = list(jobs)
        if not jobs:
            return {}
        ctx = multiprocessing.get_context("spawn")
        bars = _Progress(jobs, f"runs ({min(self.workers, len(jobs))} worker(s))", progress)
        outcomes: dict[str, object] = {}
        lost: dict[str, int] = {}
        todo = jobs
        try:
            while todo:
                died = self._run_pool(fn, todo, ctx, setup, bars, outcomes, on_finished)
                if died is None:
                    break
                todo = [j for j in todo if j.key not in outcomes]
                again = [j for j in todo if lost.get(j.key, 0) >= self.RETRIES]
                if again:
                    raise WorkerDiedError(
                        f"a worker process died ({died}) while running {_labels(again)}, which had already been "
                        f"retried after a worker died: stopped. If it was killed for memory (the out-of-memory "
                        f"killer sends SIGKILL), use fewer workers (--workers, $SEQLIB_WORKERS) or less data; "
                        f"{len(outcomes)} of {len(jobs)} job(s) finished")
                for job in todo:
                    lost[job.key] = lost.get(job.key, 0) + 1
                print(f"seqlib: a worker process died ({died}); running its {len(todo)} unfinished job(s) again in "
                      f"fresh processes: {_labels(todo)}", file=sys.stderr, flush=True)
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted; {len(outcomes)} job(s) finished, {len(jobs) - len(outcomes)} not",
                              finished=len(outcomes), unfinished=len(jobs) - len(outcomes)) from None
        finally:
            bars.close()
        return outcomes

    def _run_pool(self, fn, jobs, ctx, setup, bars, outcomes, on_finished) -> str | None:
        """Run ``jobs`` in one fresh pool, filling ``outcomes``; None when the pool ended normally, else how a
        worker died (the pool is broken: the jobs it was running are lost).

        Each pool gets its own progress pipe: a worker killed while writing to one may leave its lock held."""
        queue = ctx.SimpleQueue()
        use_pdeathsig = threading.current_thread() is threading.main_thread()
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)), mp_context=ctx, initializer=_local_init,
                                   initargs=(os.getpid(), use_pdeathsig, queue, setup))
        processes: dict = {}

        def drain():
            while not queue.empty():
                bars.step(*queue.get())

        def submit(job):
            future = pool.submit(_local_call, fn, job.key, job.payload)
            processes.update(getattr(pool, "_processes", None) or {})   # the Process objects, to see how one died
            return future

        try:
            pending = {submit(job): job for job in jobs}
            return self._wait(pool, pending, processes, drain, bars, outcomes, on_finished)
        except BaseException:
            _stop(pool, processes)
            raise
        finally:
            queue.close()

    @staticmethod
    def _wait(pool, pending, processes, drain, bars, outcomes, on_finished) -> str | None:
        """Collect the outcomes of ``pending`` (future → job) as they finish; None, or how a worker died."""
        broken = False
        while pending:
            processes.update(getattr(pool, "_processes", None) or {})
            finished, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            drain()
            for future in finished:
                job = pending.pop(future)
                try:
                    outcome = future.result()                      # re-raises the worker's error
                except BrokenProcessPool:
                    broken = True
                    continue
                outcomes[job.key] = outcome
                bars.finished(job.key, outcome)
                if on_finished is not None:
                    on_finished(job.key, outcome)
        if broken:
            _stop(pool, processes)
            return _how_died(processes)
        pool.shutdown(wait=True)
        return None


def _labels(jobs: Sequence[Job], most: int = 4) -> str:
    names = [j.label for j in jobs]
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _stop(pool, processes: dict) -> None:
    """Terminate the pool's workers and wait until they have exited (so their temporary files can be removed)."""
    processes = {**processes, **(getattr(pool, "_processes", None) or {})}
    for process in processes.values():
        try:
            process.terminate()
        except (OSError, ValueError, AttributeError):     # already gone or closed
            pass
    for process in processes.values():
        try:
            process.join(5)
            if process.exitcode is None:
                process.kill()
                process.join(5)
        except (OSError, ValueError, AssertionError, AttributeError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def _how_died(processes: dict) -> str:
    """How the workers of a broken pool ended, e.g. "killed by SIGKILL" (SIGTERM is how the pool stops the rest)."""
    causes = []
    for process in processes.values():
        code = getattr(process, "exitcode", None)
        if code is None or code == 0 or code == -signal.SIGTERM:
            continue
        if code < 0:
            try:
                causes.append(f"killed by {signal.Signals(-code).name}")
            except ValueError:
                causes.append(f"killed by signal {-code}")
        else:
            causes.append(f"exit status {code}")
    return ", ".join(sorted(set(causes))) or "it exited unexpectedly"


# ----------------------------------------------------------------------------- Dask

_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss|inproc)://[^\s/]+(:\d+)?/?$")
_TOPIC = "seqlib-progress"
_setups_done: set = set()
_setup_lock = threading.Lock()


def _dask_call(fn: Work, key: str, payload, setup) -> object:
    """Run one job on a Dask worker: ``setup`` once per worker process, steps sent as worker events."""
    if setup is not None:
        with _setup_lock:
            tag = repr(setup)
            if tag not in _setups_done:
                setup()
                _setups_done.add(tag)
    try:
        from distributed import get_worker
        worker = get_worker()
    except (ImportError, ValueError):        # pragma: no cover - called outside a worker
        worker = None

    def report(step: int, note: str = "") -> None:
        if worker is not None:
            try:
                worker.log_event(_TOPIC, {"key": key, "step": int(step), "note": str(note)})
            except Exception:                # pragma: no cover - progress is best effort
                pass

    return fn(payload, report)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise SeqlibError("a Dask scheduler was given but dask.distributed is not installed: "
                          "pip install 'seqlib[cluster]' (or 'dask[distributed]')") from None
    return distributed


def check_scheduler_address(address: str) -> str:
    """``address`` if it is a Dask scheduler address (``tcp://host:port``, ``tls://...``) or an existing
    scheduler file (``.json``).

    Raises
    ------
    SchedulerError
        Anything else, naming the value and what is expected.
    """
    text = str(address).strip()
    if _ADDRESS.match(text):
        return text
    if text.endswith(".json"):
        if not Path(text).exists():
            raise SchedulerError(f"Dask scheduler file {text} does not exist")
        return text
    raise SchedulerError(f"{address!r} is not a Dask scheduler address: expected tcp://HOST:PORT (or tls://, "
                         f"ucx://, ws://) or the path of a scheduler .json file")


class DaskExecutor(Executor):
    """Jobs on a ``dask.distributed`` cluster.

    Parameters
    ----------
    scheduler : str, optional
        ``tcp://host:port`` or a scheduler file; ignored when ``client`` is given.
    client : distributed.Client, optional
        An existing client (not closed by :meth:`close`).
    timeout : float
        Seconds to wait for the scheduler.
    cluster : object, optional
        A cluster (e.g. ``LocalCluster``) this executor owns and closes.

    Raises
    ------
    SchedulerError
        A malformed address, or a scheduler that does not answer within ``timeout``.
    SeqlibError
        dask.distributed is not installed.
    """

    def __init__(self, scheduler: str | None = None, *, client=None, timeout: float = 10.0, cluster=None):
        distributed = _import_distributed()
        self._owns_client = client is None
        self._cluster = cluster
        if client is None:
            if scheduler is None:
                raise SchedulerError("DaskExecutor needs a scheduler address, a scheduler file or a client")
            target = check_scheduler_address(scheduler)
            kwargs = {"scheduler_file": target} if target.endswith(".json") else {"address": target}
            try:
                client = distributed.Client(timeout=f"{timeout}s", set_as_default=False, **kwargs)
            except (OSError, TimeoutError) as err:
                raise SchedulerError(f"no Dask scheduler answered at {scheduler} within {timeout:g} s ({err})") from err
        self.client = client
        self.name = f"Dask {client.scheduler.address}"

    @classmethod
    def local(cls, n_workers: int = 2, threads_per_worker: int = 1, *, host: str = "127.0.0.1",
              dashboard_port: int = 0, announce: bool = True, **cluster_kwargs) -> "DaskExecutor":
        """An executor on a new ``LocalCluster`` of ``n_workers`` processes (closed with the executor).

        The scheduler, its workers (and their nannies) and the dashboard listen on ``host`` only: loopback by
        default, so nothing on the network can reach them. ``dashboard_port`` 0 takes a free port.

        Parameters
        ----------
        announce : bool
            Print where the scheduler and the dashboard are (one line, on stderr).
        """
        distributed = _import_distributed()
        cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker,
                                           processes=True, host=host,
                                           dashboard_address=f"{host}:{int(dashboard_port)}", **cluster_kwargs)
        executor = cls(client=distributed.Client(cluster, set_as_default=False), cluster=cluster)
        if announce:
            print(f"seqlib: Dask LocalCluster at {cluster.scheduler_address}, {n_workers} worker(s) on {host}; "
                  f"{executor.dashboard}", file=sys.stderr, flush=True)
        return executor

    @property
    def dashboard(self) -> str:
        """Where the scheduler's dashboard is ("dashboard: http://..."), or why there is none."""
        try:
            services = self.client.scheduler_info().get("services", {})
        except Exception:                    # pragma: no cover - best effort
            services = {}
        if "dashboard" not in services:
            return "no dashboard (it needs bokeh: pip install bokeh)"
        return f"dashboard: {self.client.dashboard_link}"

    @property
    def workers(self) -> int:
        """Workers the cluster has now (at least 1)."""
        try:
            return max(1, len(self.client.scheduler_info().get("workers", {})))
        except Exception:                    # pragma: no cover - best effort
            return 1

    def execute(self, fn: Work, jobs: Sequence[Job], *, setup=None, progress: bool = True,
                on_finished: Finished | None = None) -> dict[str, object]:
        jobs = list(jobs)
        if not jobs:
            return {}
        events: queue_module.Queue = queue_module.Queue()
        bars = _Progress(jobs, f"runs ({self.name})", progress)
        subscribed = False
        if progress:
            try:
                self.client.subscribe_topic(_TOPIC, lambda event: events.put(event[1]))
                subscribed = True
            except Exception:                # pragma: no cover - progress of steps is best effort
                pass
        tag = uuid.uuid4().hex[:8]
        futures = {self.client.submit(_dask_call, fn, job.key, job.payload, setup, key=f"seqlib-{job.key}-{tag}",
                                      pure=False): job for job in jobs}
        outcomes: dict[str, object] = {}
        try:
            pending = dict(futures)
            while pending:
                while not events.empty():
                    e = events.get()
                    bars.step(e["key"], e["step"], e["note"])
                for future in [f for f in pending if f.done()]:
                    job = pending.pop(future)
                    outcomes[job.key] = future.result()          # re-raises the job's error
                    bars.finished(job.key, outcomes[job.key])
                    if on_finished is not None:
                        on_finished(job.key, outcomes[job.key])
                if pending:
                    time.sleep(0.2)
        except KeyboardInterrupt:
            self.client.cancel(list(futures))
            raise Interrupted(f"interrupted; {len(outcomes)} job(s) finished, {len(jobs) - len(outcomes)} not",
                              finished=len(outcomes), unfinished=len(jobs) - len(outcomes)) from None
        except BaseException:
            self.client.cancel(list(futures))
            raise
        finally:
            bars.close()
            if subscribed:
                try:
                    self.client.unsubscribe_topic(_TOPIC)
                except Exception:            # pragma: no cover
                    pass
        return outcomes

    def close(self) -> None:
        if self._owns_client:
            self.client.close()
        if self._cluster is not None:
            # TensorFlow's threads keep a worker from exiting at once; the nanny then kills it (and warns)
            nanny = logging.getLogger("distributed.nanny")
            level = nanny.level
            nanny.setLevel(logging.ERROR)
            try:
                self._cluster.close()
            finally:
                nanny.setLevel(level)


def get_executor(scheduler: str | None = None, *, workers: int | None = None) -> Executor:
    """The executor to use: Dask when ``scheduler`` (or ``$SEQLIB_SCHEDULER``) names one, else local processes.

    Parameters
    ----------
    scheduler : str, optional
        ``tcp://host:port``, a scheduler ``.json`` file, or ``"local"`` for local processes.
    workers : int, optional
        Local worker processes (default :func:`default_workers`).

    Raises
    ------
    SchedulerError
        A malformed or unreachable scheduler.
    """
    scheduler = scheduler if scheduler is not None else os.environ.get("SEQLIB_SCHEDULER") or None
    if scheduler is None or str(scheduler).strip().lower() == "local":
        return LocalExecutor(workers)
    return DaskExecutor(scheduler)


__all__ = ["Job", "Executor", "LocalExecutor", "DaskExecutor", "get_executor", "default_workers", "check_workers",
           "check_scheduler_address"]
