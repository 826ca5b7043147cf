"""Runs: the unit of work and of caching.

A :class:`RunConfig` names everything that determines a trained model (task, model, activation,
initializer, trial, budget, data size). ``run(config)`` trains it once and stores the result under
``results/runs/<key>/`` where ``key`` is a stable hash of the config::

    config.json     the config (and the resolved training protocol)
    history.json    per-epoch loss / validation metrics / learning rate / seconds
    metrics.json    test metrics (the paper's: per-class AUROC and trapezoid AUPR, their means)
    model.keras     the trained model
    analyses/       cached analyses of this run (filter PPMs, Tomtom tables, ...)
    DONE            written last: a run without it is not finished

Training happens in a temporary sibling folder that is renamed into place only when complete, so a run
killed half-way leaves nothing that looks finished and the next call trains it again. Calling ``run``
on a finished config loads it instead of training. Notebooks, batch sweeps and cluster jobs all share
the same results folder (``$SEQLIB_RESULTS``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from ._io import atomic_path, write_text_atomic
from .errors import UnknownNameError
from .paths import results_dir

#: Bump when a change in seqlib alters trained results, so old runs are not reused by mistake.
RESULTS_VERSION = 1

#: The paper's size and seed of each synthetic task; a RunConfig stores None for these values so that
#: "the paper's data" has one cache key however it is spelled.
PAPER_DATA = {"task1": (30_000, 33), "task3": (20_000, 22)}

#: The paper's validation monitor per task (Methods §4).
TASK_MONITOR = {"task1": "val_aupr", "task2": "val_aupr", "task3": "val_auroc", "zbed2": "val_auroc",
                "irf1": "val_auroc", "basset": "val_auroc"}


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
        A task of :func:`seqlib.tasks.load_task` ("task1", "task3", "zbed2", "irf1", "task2", "basset").
    model : str
        A model of :func:`seqlib.models.build_model` ("cnn-deep", "cnn-2", ...).
    activation : str
        First-layer activation name; ``activation_params`` for parameterised ones (e.g. scale).
    initializer : str
        First-layer initializer (Keras name); ``initializer_params`` e.g. ``{"stddev": 0.1}``.
    model_options : dict
        Extra builder options (e.g. ``{"first_layer_l2": True}``).
    trial : int
        Trial index; it is also the training seed, so trial k of every activation starts from the
        same random state.
    epochs, patience, lr_patience, batch_size, learning_rate, monitor, restore_best
        The training budget and protocol (see :class:`seqlib.training.TrainConfig`); ``monitor=None``
        uses the paper's monitor for the task.
    n_sequences, data_seed : int or None
        Size and seed of a synthetic task (None: the paper's).
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

    def __post_init__(self):
        for name in ("activation_params", "initializer_params", "model_options"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        if self.monitor is None:
            object.__setattr__(self, "monitor", TASK_MONITOR.get(self.task, "val_auroc"))
        size, seed = PAPER_DATA.get(self.task, (None, None))
        if self.n_sequences is not None and self.n_sequences == size:
            object.__setattr__(self, "n_sequences", None)
        if self.data_seed is not None and self.data_seed == seed:
            object.__setattr__(self, "data_seed", None)

    def to_dict(self) -> dict:
        """JSON-ready dict (parameter tuples become dicts)."""
        d = asdict(self)
        for name in ("activation_params", "initializer_params", "model_options"):
            d[name] = dict(getattr(self, name))
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
        return f"{self.task}/{self.model}/{act}/trial{self.trial}"

    def train_config(self):
        from .training import TrainConfig
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
                           patience=self.patience, lr_patience=self.lr_patience, monitor=self.monitor,
                           restore_best=self.restore_best, seed=self.trial)

    def build(self, input_length: int, n_outputs: int):
        """A fresh, untrained keras.Model for this config."""
        import keras

        from .models import build_model

        activation = (self.activation, dict(self.activation_params)) if self.activation_params else self.activation
        initializer = keras.initializers.get({"class_name": self.initializer,
                                              "config": dict(self.initializer_params)}) \
            if self.initializer_params else self.initializer
        return build_model(self.model, activation=activation, initializer=initializer, input_length=input_length,
                           n_outputs=n_outputs, **dict(self.model_options))


@dataclass
class Run:
    """A finished run: its config, folder, test metrics and training history."""

    config: RunConfig
    path: Path
    metrics: dict = field(repr=False)
    history: dict = field(repr=False)

    def load_model(self):
        """The trained keras.Model (custom activations are registered on import of seqlib.activations)."""
        import keras

        from . import activations, models  # noqa: F401  (registers serialisable objects)
        return keras.models.load_model(self.path / "model.keras")

    def cached(self, name: str, compute: Callable[[], object], kind: str = "json"):
        """Return analysis ``name`` of this run, computing and storing it under ``analyses/`` once.

        ``kind`` is ``"json"`` (any JSON-serialisable value), ``"npy"`` (one array), ``"npz"`` (a dict
        of arrays) or ``"csv"`` (a pandas DataFrame). The file is written atomically.
        """
        import pandas as pd

        path = self.path / "analyses" / f"{name}.{kind}"
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
            elif kind == "csv":
                value.to_csv(tmp, index=False)
            else:
                raise ValueError(f"kind must be json, npy, npz or csv; got {kind!r}")
        return value


def runs_dir() -> Path:
    """``results/runs`` (moved by ``$SEQLIB_RESULTS``)."""
    return results_dir() / "runs"


def _load_finished(config: RunConfig, path: Path) -> Run | None:
    if not (path / "DONE").exists():
        return None
    metrics = json.loads((path / "metrics.json").read_text())
    history = json.loads((path / "history.json").read_text())
    return Run(config, path, metrics, history)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale(root: Path, key: str) -> None:
    """Remove temporary folders of ``key`` left by dead processes on this host."""
    host = socket.gethostname()
    for tmp in root.glob(f".{key}.*.tmp"):
        parts = tmp.name.split(".")
        owner = parts[2] if len(parts) > 3 else ""
        owner_host, _, pid = owner.rpartition("-")
        if owner_host == host and pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def find_run(config: RunConfig, root=None) -> Run | None:
    """The finished run of ``config``, or None."""
    root = Path(root) if root is not None else runs_dir()
    return _load_finished(config, root / config.key)


def _train_and_store(config: RunConfig, root: Path, dataset=None, on_epoch=None, progress: bool = False) -> None:
    """Train ``config`` in a temporary folder and rename it to ``root/<key>`` when complete."""
    from .tasks import load_task
    from .training import evaluate, train_model

    final = root / config.key
    root.mkdir(parents=True, exist_ok=True)
    _clean_stale(root, config.key)
    tmp = root / f".{config.key}.{socket.gethostname()}-{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        ds = dataset if dataset is not None else load_task(config.task, config.n_sequences, config.data_seed)
        train_cfg = config.train_config()
        start = time.time()
        model, history = train_model(lambda: config.build(ds.length, ds.n_classes), ds.train, ds.valid, train_cfg,
                                     progress=progress, description=config.label, on_epoch=on_epoch)
        history["train_seconds"] = time.time() - start
        metrics = evaluate(model, ds.test)
        metrics["valid"] = {k: v for k, v in evaluate(model, ds.valid).items() if not k.endswith("per_class")}
        model.save(tmp / "model.keras")
        (tmp / "config.json").write_text(json.dumps({"config": config.to_dict(), "key": config.key,
                                                     "train_config": train_cfg.to_dict(),
                                                     "results_version": RESULTS_VERSION,
                                                     "class_names": ds.meta.get("class_names")}, indent=1))
        (tmp / "history.json").write_text(json.dumps(history, indent=1))
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=1))
        (tmp / "DONE").write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
        if final.exists():
            shutil.rmtree(final)
        try:
            os.replace(tmp, final)
        except OSError:                       # another process finished the same run first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _worker_init(threads: int) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .training import pin_threads
    pin_threads(threads)


def _worker_task(config_dict: dict, root: str, dataset, queue) -> str:
    config = RunConfig.from_dict(config_dict)

    def on_epoch(epoch, logs):
        queue.put((config.key, epoch, logs))

    _train_and_store(config, Path(root), dataset, on_epoch)
    return config.key


def default_workers() -> int:
    """Concurrent training runs: ``$SEQLIB_WORKERS``, else the number of CPU cores."""
    return max(1, int(os.environ.get("SEQLIB_WORKERS", 0)) or os.cpu_count() or 1)


def _execute(todo: list, root: Path, workers: int, threads: int, dataset, progress: bool) -> None:
    """Train ``todo`` in ``workers`` spawned processes, each pinned to ``threads`` CPU threads."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from queue import Empty

    ctx = multiprocessing.get_context("spawn")
    manager = ctx.Manager()
    queue = manager.Queue()
    bar = runs_bar = None
    if progress:
        from tqdm.auto import tqdm
        runs_bar = tqdm(total=len(todo), desc=f"runs ({workers} worker(s))", unit="run", position=0)
        bar = tqdm(total=sum(c.epochs for c in todo), desc="epochs (all runs)", unit="epoch", position=1)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(threads,))
    labels = {c.key: c for c in todo}
    done_epochs = {c.key: 0 for c in todo}

    def drain():
        while True:
            try:
                key, epoch, logs = queue.get_nowait()
            except Empty:
                return
            done_epochs[key] = epoch + 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{labels[key].label} epoch {epoch + 1}: loss {logs['loss']:.3f}, "
                                    f"val_auroc {logs['val_auroc']:.3f}")

    try:
        pending = {pool.submit(_worker_task, c.to_dict(), str(root), dataset, queue): c for c in todo}
        while pending:
            finished, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            drain()
            for future in finished:
                config = pending.pop(future)
                future.result()                       # re-raises the worker's error
                if bar is not None:                   # early stopping: count the epochs not trained
                    bar.update(config.epochs - done_epochs[config.key])
                    runs_bar.update(1)
                    runs_bar.set_postfix_str(f"finished {config.label}")
        pool.shutdown(wait=True)
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        for b in (bar, runs_bar):
            if b is not None:
                b.close()
        manager.shutdown()


def run_grid(configs: Iterable[RunConfig], *, root=None, workers: int | None = None, threads: int = 1,
             progress: bool = True, force: bool = False, dataset=None) -> list:
    """Train (or load) every config; unfinished ones train in parallel worker processes.

    Each worker is a fresh process pinned to ``threads`` CPU threads, so a config gives the same weights
    whether it trains alone, in a grid or on a 64-core node (see :func:`seqlib.training.pin_threads`);
    on this 2-core machine two 1-thread workers also train faster than one 2-thread process
    (``benchmarks/bench_training.py``). Workers are started with ``spawn``: in a script, call this under
    ``if __name__ == "__main__":`` (notebooks and the ``seqlib run`` command need nothing).

    Parameters
    ----------
    configs : iterable of RunConfig
    root : path, optional
        Folder of runs (default ``results/runs``).
    workers : int, optional
        Concurrent runs (default :func:`default_workers`).
    threads : int
        CPU threads per run (1: results independent of the core count).
    progress : bool
        tqdm bars over runs and over all epochs to train (with the latest run's loss and AUROC).
    force : bool
        Retrain even finished runs (each is replaced atomically).
    dataset : Dataset, optional
        Data to train every config on instead of ``load_task(...)`` (tests, user data); the cache key
        does not see it, so it must be what the configs describe.

    Returns
    -------
    list of Run, in the order of ``configs``
    """
    configs = list(configs)
    root = Path(root) if root is not None else runs_dir()
    todo, seen = [], set()
    for config in configs:
        if config.key in seen:
            continue
        seen.add(config.key)
        if force or _load_finished(config, root / config.key) is None:
            todo.append(config)
    if todo:
        _execute(todo, root, min(len(todo), workers or default_workers()), threads, dataset, progress)
    runs = []
    for config in configs:
        finished = _load_finished(config, root / config.key)
        if finished is None:  # pragma: no cover - a worker returned without finishing
            raise RuntimeError(f"run {config.label} ({config.key}) did not finish")
        runs.append(finished)
    return runs


def run(config: RunConfig, *, root=None, progress: bool = True, force: bool = False, dataset=None,
        threads: int = 1):
    """Train ``config`` once (in a worker process) and cache it; later calls load the finished run.

    See :func:`run_grid` for the parameters.
    """
    return run_grid([config], root=root, workers=1, threads=threads, progress=progress, force=force,
                    dataset=dataset)[0]


def grid(base: RunConfig | None = None, **axes: Sequence) -> list[RunConfig]:
    """The Cartesian product of ``axes`` (field name → values) applied to ``base``.

    Example: ``grid(RunConfig(epochs=15), model=["cnn-deep"], activation=["relu", "exponential"], trial=range(3))``.
    """
    import itertools
    from dataclasses import replace

    base = base if base is not None else RunConfig()
    names = list(axes)
    unknown = set(names) - {f.name for f in fields(RunConfig)}
    if unknown:
        raise UnknownNameError(f"unknown RunConfig field(s) {sorted(unknown)}")
    return [replace(base, **dict(zip(names, values))) for values in itertools.product(*(list(axes[n]) for n in names))]


def results_table(runs: Iterable[Run]) -> "pd.DataFrame":
    """One row per run: its config fields, test AUROC/AUPR, epochs trained and training time."""
    import pandas as pd

    rows = []
    for r in runs:
        row = {k: v for k, v in r.config.to_dict().items()}
        row.update(key=r.config.key, test_auroc=r.metrics["auroc"], test_aupr=r.metrics["aupr"],
                   epochs_trained=r.history.get("stopped_epoch"), best_epoch=r.history.get("best_epoch"),
                   train_seconds=r.history.get("train_seconds"))
        rows.append(row)
    return pd.DataFrame(rows)
