"""Runs: the unit of work and of caching.

A :class:`RunConfig` names everything that determines a trained model (task, model, activation,
initializer, trial, budget, data size). ``run(config)`` trains it once and stores the result under
``results/runs/<key>/`` where ``key`` is a stable hash of the config::

    config.json     the config (and the resolved training protocol)
    history.json    per-epoch loss / validation metrics / learning rate / seconds
    metrics.json    test metrics (the paper's: per-class AUROC and trapezoid AUPR, their means)
    model.keras     the trained model
    analyses/       cached analyses of this run (:meth:`Run.cached`: named by a hash of every argument)
    DONE            written last: a run without it is not finished

Training happens in a temporary sibling folder that is renamed into place only when complete, so a run
killed half-way leaves nothing that looks finished and the next call trains it again. Calling ``run``
on a finished config loads it instead of training. Notebooks, batch sweeps and cluster jobs all share
the same results folder (``$SEQLIB_RESULTS``).

Several processes may ask for the same run at once: a lock file per key (``fcntl.flock`` on
``.<key>.lock``, removed again by its holder) lets one train it while the others wait and then load it.
Runs train through an executor (:mod:`seqlib.executors`): local worker processes that exit when the
process that started them dies, even by ``kill -9``, or a Dask cluster (``scheduler=``,
``$SEQLIB_SCHEDULER``). :func:`session_tally` counts the runs this process trained and loaded.

Ctrl-C during :func:`run_grid` stops the workers, removes the temporary folders and lock files of the runs
in progress and raises :class:`seqlib.errors.Interrupted` ("interrupted; N runs finished, M will resume"):
the finished runs are kept, and the next call trains only the others.

``$SEQLIB_PROGRESS_FILE`` (:data:`PROGRESS_FILE_ENV`): when set to a file path, :func:`run_grid` appends
one line to that file as each run finishes, with an estimate of the time left from the training times the
finished runs recorded. A process whose own output is captured (a notebook kernel run by papermill, a batch
job) can so show its progress elsewhere, e.g. a terminal that tails the file.

What a task is (its data, default size and seed, monitor) comes from :mod:`seqlib.tasks`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import itertools
import json
import math
import os
import re
import shutil
import socket
import threading
import time
import weakref
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ._backend import load_keras
from ._io import atomic_path, check_output_dir, ensure_dir
from .activation_names import activation_params, canonical_name
from .datasets import check_split_size
from .errors import Interrupted, ResultsNotSharedError, UnknownNameError
from .executors import Executor, Job, check_workers, default_workers, get_executor
from .files import load_model
from .paths import results_dir
from .tasks import get_task, load_task, register_spec, task_spec
from .training import MONITOR_MODES, TrainConfig, evaluate, late_gain, pin_threads, train_model

#: Bump when a change in seqlib alters trained results, so old runs are not reused by mistake.
RESULTS_VERSION = 1

#: Bump when a change in seqlib alters what an analysis of a run computes (filter PPMs, Tomtom tables,
#: statistics, scans ...): every cached analysis is named by a hash that includes it (:meth:`Run.cached`).
ANALYSIS_VERSION = 1

#: Environment variable: a file :func:`run_grid` appends a progress line to as each run finishes.
PROGRESS_FILE_ENV = "SEQLIB_PROGRESS_FILE"

__all__ = ["RunConfig", "Run", "run", "run_grid", "grid", "results_table", "find_run", "runs_dir", "session_tally", "session_runs",
           "default_workers", "RESULTS_VERSION", "ANALYSIS_VERSION", "PROGRESS_FILE_ENV"]


def _frozen(params) -> tuple:
    if params is None:
        return ()
    if isinstance(params, dict):
        return tuple(sorted(params.items()))
    return tuple(sorted(tuple(p) for p in params))


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines one trained model.

    Attributes
    ----------
    task : str
        A registered task (:func:`seqlib.tasks.task_names`: "task1", "task3", "zbed2", "irf1", "task2",
        "basset", or a user's data set registered with :func:`seqlib.tasks.register_hdf5` /
        :func:`seqlib.tasks.register_fasta`, whose name carries a digest of the file's contents).
    model : str
        A model of :func:`seqlib.models.build_model` ("cnn-deep", "cnn-2", ...).
    activation : str
        First-layer activation name (an alias such as ``"exp"`` is stored as its canonical name, so both give one
        run); ``activation_params`` for parameterised ones (e.g. scale).
    initializer : str
        First-layer initializer (Keras name); ``initializer_params`` e.g. ``{"stddev": 0.1}``.
    model_options : dict
        Extra builder options (e.g. ``{"first_layer_l2": True}``).
    trial : int
        Trial index; it is also the training seed, so trial k of every activation starts from the
        same random state.
    epochs, patience, lr_patience, batch_size, learning_rate, monitor, restore_best
        The training budget and protocol (see :class:`seqlib.training.TrainConfig`); ``monitor=None``
        uses the task's monitor (:attr:`seqlib.tasks.Task.monitor`).
    n_sequences, data_seed : int or None
        Size and seed of a simulated task, or the split seed of a FASTA task (None: the task's default;
        the default spelled out is stored as None too, so the task's own data have one cache key).
    fast : bool
        Build the model with the fast layers (:class:`seqlib.layers.FusedBatchNormalization`,
        :class:`seqlib.layers.FastDropout`; Methods §4): same architecture and protocol, cheaper steps on a
        CPU, numerics that differ in the last bits (an option: it did not pass the fidelity guard's AUROC
        tolerance). False is left out of the cache key, so the reference runs keep their keys.

    Raises
    ------
    UnknownNameError
        ``task`` or ``activation`` is not known, or an activation parameter it does not take.
    ValueError
        A size or seed for a task that has none; ``epochs`` < 1, ``trial`` < 0, a negative patience, ``batch_size``
        < 1, a learning rate that is not positive, or too few sequences for non-empty splits.
    """

    task: str = "task1"
    model: str = "cnn-deep"
    activation: str = "relu"
    activation_params: tuple = ()
    initializer: str = "glorot_uniform"
    initializer_params: tuple = ()
    model_options: tuple = ()
    trial: int = 0
    epochs: int = 100
    patience: int | None = 20
    lr_patience: int | None = 5
    batch_size: int = 100
    learning_rate: float = 1e-3
    monitor: str | None = None
    restore_best: bool = False
    n_sequences: int | None = None
    data_seed: int | None = None
    fast: bool = False

    def __post_init__(self):
        for name in ("activation_params", "initializer_params", "model_options"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        # checked here, before any worker starts; the canonical name keeps one cache key per model ("exp" and
        # "exponential" are one run), and canonical names are stored as before, so existing runs keep their keys
        object.__setattr__(self, "activation", canonical_name(self.activation))
        activation_params(self.activation, **dict(self.activation_params))
        for name, low in (("epochs", 1), ("trial", 0), ("batch_size", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"RunConfig {name} must be an integer >= {low}; got {value!r}")
        for name in ("patience", "lr_patience"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                                      or value < 0):
                raise ValueError(f"RunConfig {name} must be None or an integer >= 0; got {value!r}")
        if not (isinstance(self.learning_rate, (int, float)) and self.learning_rate > 0):
            raise ValueError(f"RunConfig learning_rate must be a positive number; got {self.learning_rate!r}")
        task = get_task(self.task)
        if self.monitor is None:
            object.__setattr__(self, "monitor", task.monitor)
        for name, default in (("n_sequences", task.n_sequences), ("data_seed", task.seed)):
            value = getattr(self, name)
            if value is None:
                continue
            if default is None:
                raise ValueError(f"task {self.task!r} has no {name} to set (got {value}): its data are read as "
                                 f"they are")
            if name == "n_sequences":
                check_split_size(value, what="RunConfig n_sequences")
            if int(value) == default:
                object.__setattr__(self, name, None)

    def to_dict(self) -> dict:
        """JSON-ready dict (parameter tuples become dicts)."""
        d = asdict(self)
        for name in ("activation_params", "initializer_params", "model_options"):
            d[name] = dict(getattr(self, name))
        if not d["fast"]:
            del d["fast"]                        # the reference path: the keys of runs made before the option
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise UnknownNameError(f"unknown RunConfig field(s) {sorted(unknown)}; fields: {sorted(known)}")
        return cls(**d)

    @property
    def key(self) -> str:
        """Stable 16-hex-digit hash of the config and :data:`RESULTS_VERSION`."""
        text = json.dumps({"config": self.to_dict(), "results_version": RESULTS_VERSION}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        act = self.activation + ("" if not self.activation_params else
                                 "(" + ",".join(f"{k}={v}" for k, v in self.activation_params) + ")")
        init = "" if self.initializer == "glorot_uniform" and not self.initializer_params else \
            "/" + self.initializer + ("(" + ",".join(f"{k}={v}" for k, v in self.initializer_params) + ")"
                                      if self.initializer_params else "")
        return f"{self.task}/{self.model}/{act}{init}/trial{self.trial}" + ("/fast" if self.fast else "")

    def dataset(self):
        """The data set this config trains on (:func:`seqlib.tasks.load_task`; memoised per process)."""
        return load_task(self.task, self.n_sequences, self.data_seed)

    def train_config(self):
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
                           patience=self.patience, lr_patience=self.lr_patience, monitor=self.monitor,
                           restore_best=self.restore_best, seed=self.trial)

    def build(self, input_length: int, n_outputs: int):
        """A fresh, untrained keras.Model for this config."""
        from .models import build_model

        keras = load_keras()

        activation = (self.activation, dict(self.activation_params)) if self.activation_params else self.activation
        initializer = keras.initializers.get({"class_name": self.initializer,
                                              "config": dict(self.initializer_params)}) \
            if self.initializer_params else self.initializer
        return build_model(self.model, activation=activation, initializer=initializer, input_length=input_length,
                           n_outputs=n_outputs, fast=self.fast, **dict(self.model_options))


@dataclass
class Run:
    """A finished run: its config, folder, test metrics and training history."""

    config: RunConfig
    path: Path
    metrics: dict = field(repr=False)
    history: dict = field(repr=False)

    def load_model(self):
        """The trained keras.Model (:func:`seqlib.files.load_model`: seqlib's activations and layers registered,
        training configuration left out)."""
        return load_model(self.path / "model.keras")

    def cached(self, name: str, compute: Callable[[], object], kind: str = "json", **key_args):
        """Return analysis ``name`` of this run, computing and storing it under ``analyses/`` once.

        The file is ``analyses/<name>_<hash>.<kind>``, the hash covering ``key_args`` and
        :data:`ANALYSIS_VERSION`: pass every argument that changes the result, so a change of any of them
        (or of the results format) computes it again instead of reusing another setting's result.

        Parameters
        ----------
        name : str
            What the analysis is (``"ppms"``, ``"tomtom"`` ...).
        compute : callable
            Called without arguments when the analysis is not stored yet.
        kind : {"json", "npy", "npz", "csv"}
            Any JSON-serialisable value, one array, a dict of arrays, or a pandas DataFrame.
        **key_args
            JSON-serialisable values (numbers, strings, lists, dicts; use a digest for arrays or files).

        Returns
        -------
        The stored or computed value. The file is written atomically.

        Raises
        ------
        TypeError
            A key argument that is not JSON-serialisable.
        ValueError
            An unknown ``kind``.
        """
        if kind not in ("json", "npy", "npz", "csv"):
            raise ValueError(f"kind must be json, npy, npz or csv; got {kind!r}")
        path = self.path / "analyses" / f"{name}_{analysis_key(**key_args)}.{kind}"
        if path.exists():
            if kind == "json":
                return json.loads(path.read_text())
            if kind == "npy":
                return np.load(path)
            if kind == "npz":
                with np.load(path) as data:
                    return {k: data[k] for k in data.files}
            return pd.read_csv(path, keep_default_na=False, na_values=[""])
        value = compute()
        with atomic_path(path, suffix=f".{kind}") as tmp:
            if kind == "json":
                tmp.write_text(json.dumps(value, indent=1))
            elif kind == "npy":
                with open(tmp, "wb") as fh:
                    np.save(fh, np.asarray(value))
            elif kind == "npz":
                with open(tmp, "wb") as fh:
                    np.savez(fh, **{k: np.asarray(v) for k, v in value.items()})
            else:
                value.to_csv(tmp, index=False)
        return value


def analysis_key(**key_args) -> str:
    """16 hex digits of a sha256 over ``key_args`` (JSON, sorted keys) and :data:`ANALYSIS_VERSION`.

    Raises
    ------
    TypeError
        A value that is not JSON-serialisable (the message names its argument).
    """
    for name, value in key_args.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise TypeError(f"cache key argument {name}={value!r} is not JSON-serialisable; pass a digest "
                            f"of arrays or files instead") from None
    text = json.dumps({"args": key_args, "analysis_version": ANALYSIS_VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_DIGESTS: dict[tuple, tuple] = {}


def array_digest(*arrays) -> str:
    """16 hex digits of a sha256 over arrays (dtype, shape and bytes of each; None skipped): the data part of an
    analysis cache key (:meth:`Run.cached`). Memoised per tuple of array objects while they live.

    Parameters
    ----------
    *arrays : numpy.ndarray or None

    Returns
    -------
    str
    """
    ids = tuple(id(a) for a in arrays)
    hit = _DIGESTS.get(ids)
    if hit is not None and all(ref() is a for ref, a in zip(hit[0], arrays)):
        return hit[1]
    h = hashlib.sha256()
    for array in arrays:
        if array is not None:
            array = np.ascontiguousarray(array)
            h.update(f"{array.dtype.str}{array.shape}".encode())
            h.update(array.tobytes())
    digest = h.hexdigest()[:16]
    try:
        forget = lambda _ref: _DIGESTS.pop(ids, None)  # noqa: E731  (an array that dies drops its entry)
        refs = tuple(weakref.ref(a, forget) if a is not None else (lambda: None) for a in arrays)
    except TypeError:                           # an object that takes no weak reference: not memoised
        return digest
    _DIGESTS[ids] = (refs, digest)
    return digest


def runs_dir() -> Path:
    """``results/runs`` (moved by ``$SEQLIB_RESULTS``)."""
    return results_dir() / "runs"


def _load_finished(config: RunConfig, path: Path) -> Run | None:
    if not (path / "DONE").exists():
        return None
    try:
        metrics = json.loads((path / "metrics.json").read_text())
        history = json.loads((path / "history.json").read_text())
    except FileNotFoundError:                 # moved aside this instant by a process replacing it (force)
        return None
    return Run(config, path, metrics, history)


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:         # Linux: the state follows the parenthesised name
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


_TMP_NAME = re.compile(r"^\.(?P<key>[0-9a-f]{16})\.(?P<host>.+)-(?P<pid>\d+)(?:\.old)?\.tmp$")


def _clean_stale(root: Path, key: str | None = None) -> None:
    """Remove temporary folders (of ``key``, or of every key) left by dead processes on this host.

    Sweeping every key also removes lock files nobody holds (left by a killed process).
    """
    host = socket.gethostname()
    for tmp in root.glob(f".{key if key is not None else '*'}.*.tmp"):
        match = _TMP_NAME.match(tmp.name)
        if match and (key is None or match["key"] == key) and match["host"] == host \
                and not _pid_alive(int(match["pid"])):
            shutil.rmtree(tmp, ignore_errors=True)
    if key is None:
        for lock in root.glob(".*.lock"):
            _remove_unheld_lock(lock)


def _remove_unheld_lock(path: Path) -> None:
    """Delete lock file ``path`` if no process holds it (taking it first, as :func:`_key_lock` does)."""
    try:
        import fcntl
    except ImportError:                      # pragma: no cover - not POSIX: no lock files
        return
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.path.samestat(os.stat(path), os.fstat(fd)):
            path.unlink()
    except OSError:                          # held by a live process, or already gone
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def _key_lock(root: Path, key: str):
    """Hold the lock of run ``key`` in ``root``: one process at a time trains (or replaces) a key.

    An exclusive ``flock`` on ``root/.<key>.lock``; the holder deletes the file before unlocking, so
    the results folder keeps no lock files, and a waiter that wakes up on a deleted file tries again.
    The kernel drops the lock of a killed process. Without ``fcntl`` (Windows) nothing is locked.
    """
    try:
        import fcntl
    except ImportError:                      # pragma: no cover - not POSIX: no cross-process lock
        yield
        return
    root.mkdir(parents=True, exist_ok=True)
    path = root / f".{key}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                current = None
            if current is not None and os.path.samestat(current, os.fstat(fd)):
                break                        # still the file at that path: ours
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)                         # its holder removed it after we opened it: try again
    try:
        yield
    finally:
        try:
            path.unlink()
        finally:
            os.close(fd)


def find_run(config: RunConfig, root=None) -> Run | None:
    """The finished run of ``config``, or None."""
    root = Path(root) if root is not None else runs_dir()
    return _load_finished(config, root / config.key)


def _train_and_store(config: RunConfig, root: Path, dataset=None, on_epoch=None, progress: bool = False,
                     force: bool = False) -> str:
    """Train ``config`` in a temporary folder and rename it to ``root/<key>`` when complete.

    Holds the key's lock (:func:`_key_lock`) throughout; if another process finished the run while
    this one waited, the run is not trained again (unless ``force``).

    Returns
    -------
    str
        ``"trained"``, or ``"loaded"`` when the run was already finished.
    """
    final = root / config.key
    root.mkdir(parents=True, exist_ok=True)
    with _key_lock(root, config.key):
        if not force and _load_finished(config, final) is not None:
            return "loaded"
        _clean_stale(root, config.key)
        owner = f"{socket.gethostname()}-{os.getpid()}"
        tmp = root / f".{config.key}.{owner}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            ds = dataset if dataset is not None else config.dataset()
            train_cfg = config.train_config()
            start = time.time()
            model, history = train_model(lambda: config.build(ds.length, ds.n_classes), ds.train, ds.valid,
                                         train_cfg, progress=progress, description=config.label, on_epoch=on_epoch)
            history["train_seconds"] = time.time() - start
            metrics = evaluate(model, ds.test)
            metrics["valid"] = {k: v for k, v in evaluate(model, ds.valid).items() if not k.endswith("per_class")}
            model.save(tmp / "model.keras")
            (tmp / "config.json").write_text(json.dumps({"config": config.to_dict(), "key": config.key,
                                                         "train_config": train_cfg.to_dict(),
                                                         "results_version": RESULTS_VERSION,
                                                         "task_spec": task_spec(config.task), "trained_by": owner,
                                                         "class_names": ds.meta.get("class_names")}, indent=1))
            (tmp / "history.json").write_text(json.dumps(history, indent=1))
            (tmp / "metrics.json").write_text(json.dumps(metrics, indent=1))
            (tmp / "DONE").write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
            old = None
            if final.exists():               # force: move the old run aside in one step, never delete it in place
                old = root / f".{config.key}.{owner}.old.tmp"
                shutil.rmtree(old, ignore_errors=True)
                os.replace(final, old)
            os.replace(tmp, final)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return "trained"


def _worker_setup(threads: int) -> None:
    """Once in each worker process: quiet TensorFlow (level 3 hides its C++ runtime's errors too, such as
    "failed call to cuInit" on a machine without a GPU), pin its CPU threads (see :func:`run_grid`)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    pin_threads(threads)


def _train_job(payload: tuple, report) -> str:
    """The work an executor runs for one config: train it (or load it) into the results folder.

    ``payload`` is ``(config dict, root, dataset or None, force, task spec or None)``; a user's task is
    registered again from its spec first (a fresh worker process knows only the paper's tasks).
    """
    config_dict, root, dataset, force, spec = payload
    if spec is not None:
        register_spec(spec)
    config = RunConfig.from_dict(config_dict)

    def on_epoch(epoch, logs):
        metric = config.monitor.removeprefix("val_")
        report(epoch + 1, f"loss {logs.get('loss', float('nan')):.3f}, "
                          f"{config.monitor} {logs.get(config.monitor, logs.get('val_' + metric, float('nan'))):.3f}")

    return _train_and_store(config, Path(root), dataset, on_epoch, force=force)


def _takes(function, name: str) -> bool:
    """Whether ``function`` accepts keyword ``name`` (executors written before ``on_finished`` do not)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):          # pragma: no cover - a builtin without a signature
        return False
    return name in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class _ProgressLog:
    """Lines for ``$SEQLIB_PROGRESS_FILE``: one when a grid starts, one as each run finishes, with an estimate of
    the time left (the mean training time the finished runs recorded, times the runs left, over the workers)."""

    def __init__(self, todo: Sequence[RunConfig], root: Path, executor):
        path = os.environ.get(PROGRESS_FILE_ENV, "").strip()
        self.path = Path(path) if path else None
        self.root, self.total, self.done, self.seconds = root, len(todo), 0, []
        self.labels = {c.key: c.label for c in todo}
        self.executor = executor
        self.write(f"training {self.total} run(s) on {getattr(executor, 'name', 'an executor')}")

    def write(self, line: str) -> None:
        if self.path is None:
            return
        try:
            with open(self.path, "a") as fh:      # one write per line: readers never see half a line
                fh.write(line + "\n")
        except OSError:                           # progress is best effort
            pass

    def finished(self, key: str, outcome) -> None:
        if self.path is None:                     # no progress file: nothing to read the run's history for
            return
        self.done += 1
        seconds = None
        try:
            seconds = json.loads((self.root / key / "history.json").read_text()).get("train_seconds")
        except (OSError, ValueError):
            pass
        if outcome == "trained" and seconds is not None:
            self.seconds.append(float(seconds))
        left = self.total - self.done
        line = f"run {self.done}/{self.total} {outcome}: {self.labels.get(key, key)}"
        if seconds is not None:
            line += f" ({_duration(float(seconds))} of training)"
        if left and self.seconds:
            at_once = max(1, min(left, int(getattr(self.executor, "workers", 1) or 1)))
            line += f"; about {_duration(np.mean(self.seconds) * math.ceil(left / at_once))} left for {left} run(s)"
        elif left:
            line += f"; {left} run(s) left"
        else:
            line += "; all done"
        self.write(line)


_tally_lock = threading.Lock()
_tally = {"trained": 0, "loaded": 0}
_session_runs: dict[str, dict] = {}


def session_tally() -> dict[str, int]:
    """Runs :func:`run_grid` (and :func:`run`) trained and loaded from the cache in this process so far.

    Each distinct run a call asks for counts once: ``"trained"`` when a worker trained it (``force``
    included), ``"loaded"`` when it was already finished, or another process finished it while this one
    waited for it. :func:`find_run` does not count.

    Returns
    -------
    dict
        ``{"trained": int, "loaded": int}`` (a copy).
    """
    with _tally_lock:
        return dict(_tally)


def _count(outcome: str, n: int = 1) -> None:
    with _tally_lock:
        _tally[outcome] += n


def session_runs() -> dict[str, dict]:
    """Every distinct run :func:`run_grid` returned in this process so far, by key.

    Returns
    -------
    dict
        ``key -> {"label": str, "outcome": "trained" | "loaded", "train_seconds": float | None}``, where
        ``train_seconds`` is the training time the run recorded when it was trained (on whichever machine
        and load that was); a run trained here once counts as trained even if a later call loads it.
    """
    with _tally_lock:
        return {k: dict(v) for k, v in _session_runs.items()}


def _note_runs(runs, trained_keys: set) -> None:
    with _tally_lock:
        for r in runs:
            key = r.config.key
            trained = key in trained_keys or _session_runs.get(key, {}).get("outcome") == "trained"
            seconds = r.history.get("train_seconds")
            _session_runs[key] = {"label": r.config.label, "outcome": "trained" if trained else "loaded",
                                  "train_seconds": float(seconds) if seconds is not None else None}


def run_grid(configs: Iterable[RunConfig], *, root=None, workers: int | None = None, threads: int = 1,
             progress: bool = True, force: bool = False, dataset=None, executor: Executor | None = None,
             scheduler: str | None = None) -> list:
    """Train (or load) every config; unfinished ones train in parallel, through an executor.

    By default each run trains in a fresh local worker process pinned to ``threads`` CPU threads, so a
    config gives the same weights whether it trains alone, in a grid or on a 64-core node (see
    :func:`seqlib.training.pin_threads`); on a 2-core machine two 1-thread workers also train faster than
    one 2-thread process (``benchmarks/bench_training.py``). Workers are started with ``spawn``: in a
    script, call this under ``if __name__ == "__main__":`` (notebooks and ``seqlib run`` need nothing).
    A run another process is training is not trained twice: this call waits for it and loads it.
    :func:`session_tally` counts what was trained and what loaded.

    Parameters
    ----------
    configs : iterable of RunConfig
    root : path, optional
        Folder of runs (default ``results/runs``, ``$SEQLIB_RESULTS/runs``). With a cluster it must be
        storage every worker and this process reach.
    workers : int, optional
        Concurrent local runs, at least 1 (default :func:`seqlib.executors.default_workers`).
    threads : int
        CPU threads per run (1: results independent of the core count).
    progress : bool
        tqdm bars over runs and over all epochs to train (with the latest run's loss and monitor).
    force : bool
        Retrain even finished runs (each is replaced atomically).
    dataset : Dataset, optional
        Data to train every config on instead of the task's (tests); the cache key does not see it, so it
        must be what the configs describe. Register a user's data as a task instead.
    executor : seqlib.executors.Executor, optional
        Where to train (kept open); default :func:`seqlib.executors.get_executor` of ``scheduler``.
    scheduler : str, optional
        A Dask scheduler (``tcp://host:port`` or a scheduler file; default ``$SEQLIB_SCHEDULER``, else
        local processes).

    Returns
    -------
    list of Run, in the order of ``configs``

    Raises
    ------
    PathError
        ``root`` (``$SEQLIB_RESULTS``) cannot be a writable folder (checked before anything runs).
    ValueError
        ``workers`` is not a positive integer.
    SchedulerError
        A malformed or unreachable scheduler.
    ResultsNotSharedError
        A worker finished a run that this process cannot see under ``root``.
    Interrupted
        Ctrl-C: the workers are stopped and the temporary folders and locks of the runs in progress removed; the
        message says how many runs finished (kept) and how many will resume (train on the next call).
    WorkerDiedError
        A local worker process died twice while training a run (each run lost to a dead worker is retried once).

    Notes
    -----
    With ``$SEQLIB_PROGRESS_FILE`` set, a line is appended to that file as each run finishes (see the module
    docstring).
    """
    configs = list(configs)
    if workers is not None:
        workers = check_workers(workers)
    default_root = root is None
    root = Path(root) if root is not None else runs_dir()
    what = ("results folder ($SEQLIB_RESULTS)" if default_root and os.environ.get("SEQLIB_RESULTS")
            else "results folder")
    check_output_dir(root, what)              # a file where the folder should be: say so before any work
    if root.is_dir():
        _clean_stale(root)                    # temporary folders of killed runs, whatever their key
    todo, seen, loaded = [], set(), 0
    for config in configs:
        if config.key in seen:
            continue
        seen.add(config.key)
        if force or _load_finished(config, root / config.key) is None:
            todo.append(config)
        else:
            loaded += 1
    _count("loaded", loaded)
    if todo:
        jobs = [Job(c.key, c.label, (c.to_dict(), str(root), dataset, force, task_spec(c.task)), c.epochs)
                for c in todo]
        own = executor is None
        if own:
            executor = get_executor(scheduler, workers=min(len(todo), workers or default_workers()))
        try:
            ensure_dir(root, what)
            log = _ProgressLog(todo, root, executor)
            hook = {"on_finished": log.finished} if _takes(executor.execute, "on_finished") else {}
            outcomes = executor.execute(_train_job, jobs, setup=functools.partial(_worker_setup, threads),
                                        progress=progress, **hook)
        except KeyboardInterrupt:
            _clean_stale(root)                # the stopped runs' temporary folders and lock files
            unique = list({c.key: c for c in configs}.values())
            done = sum(_load_finished(c, root / c.key) is not None for c in unique)
            raise Interrupted(f"interrupted; {done} run{'s' if done != 1 else ''} finished, {len(unique) - done} "
                              f"will resume", finished=done, unfinished=len(unique) - done) from None
        finally:
            if own:
                executor.close()
        for outcome in outcomes.values():
            _count(outcome)
        trained_keys = {key for key, outcome in outcomes.items() if outcome == "trained"}
    else:
        trained_keys = set()
    runs = []
    for config in configs:
        finished = _load_finished(config, root / config.key)
        if finished is None:                  # being replaced by another process (force): wait for it
            with _key_lock(root, config.key):
                finished = _load_finished(config, root / config.key)
        if finished is None:
            raise ResultsNotSharedError(
                f"run {config.label} ({config.key}) was reported finished, but {root / config.key} holds no "
                f"finished run here: the results folder must be storage every worker and this process share "
                f"(set root= or $SEQLIB_RESULTS to it)")
        runs.append(finished)
    _note_runs(runs, trained_keys)
    return runs


def run(config: RunConfig, *, root=None, progress: bool = True, force: bool = False, dataset=None,
        threads: int = 1, executor: Executor | None = None, scheduler: str | None = None):
    """Train ``config`` once (in a worker process) and cache it; later calls load the finished run.

    See :func:`run_grid` for the parameters.
    """
    return run_grid([config], root=root, workers=1, threads=threads, progress=progress, force=force,
                    dataset=dataset, executor=executor, scheduler=scheduler)[0]


def grid(base: RunConfig | None = None, **axes: Sequence) -> list[RunConfig]:
    """The Cartesian product of ``axes`` (field name → values) applied to ``base``.

    Example: ``grid(RunConfig(epochs=15), model=["cnn-deep"], activation=["relu", "exponential"], trial=range(3))``.
    """
    base = base if base is not None else RunConfig()
    names = list(axes)
    unknown = set(names) - {f.name for f in fields(RunConfig)}
    if unknown:
        raise UnknownNameError(f"unknown RunConfig field(s) {sorted(unknown)}")
    return [replace(base, **dict(zip(names, values))) for values in itertools.product(*(list(axes[n]) for n in names))]


def select(runs: Iterable[Run], **wanted) -> list[Run]:
    """The runs whose config has every ``field=value`` given (e.g. ``select(runs, activation="relu", trial=0)``).

    Raises
    ------
    UnknownNameError
        A field that :class:`RunConfig` does not have.
    """
    known = {f.name for f in fields(RunConfig)}
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise UnknownNameError(f"unknown RunConfig field(s) {unknown}; fields: {sorted(known)}")
    return [r for r in runs if all(getattr(r.config, k) == v for k, v in wanted.items())]


def results_table(runs: Iterable[Run]) -> pd.DataFrame:
    """One row per run: its config fields, test AUROC/AUPR, epochs trained, training time, and ``late_gain``: the
    share of the run's gain on its monitored validation metric made in its last epochs
    (:func:`seqlib.training.late_gain`; near 0 once a run has levelled off)."""
    rows = []
    for r in runs:
        row = {k: v for k, v in r.config.to_dict().items()}
        monitor = r.config.monitor
        row.update(key=r.config.key, test_auroc=r.metrics["auroc"], test_aupr=r.metrics["aupr"],
                   epochs_trained=r.history.get("stopped_epoch"), best_epoch=r.history.get("best_epoch"),
                   train_seconds=r.history.get("train_seconds"),
                   late_gain=late_gain(r.history.get(monitor, []), MONITOR_MODES.get(monitor, "max")))
        rows.append(row)
    return pd.DataFrame(rows)
