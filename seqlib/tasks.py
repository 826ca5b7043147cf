"""The task registry: one :class:`Task` per data set a run can train on, read by the runner, the analyses,
the command line and the notebooks.

A task says how to load (or regenerate) its data, its default size and seed, its label names, its
ground-truth motifs when they are known and the validation metric the paper monitored. The paper's tasks
are registered on import::

    task1   Task 1, 12 planted TFs (simulated; 30,000 sequences, seed 33)
    task3   Task 3, interacting core motifs (simulated; 20,000 sequences, seed 22)
    task2   Task 2, DeepSEA K562 subset (users' files in data/)
    zbed2, irf1   shipped in vivo ChIP-seq tasks
    basset  Task 4, Basset er.h5 (users' file in data/)

A user's own data registers the same way (:func:`register_hdf5`, :func:`register_fasta`); its task name
carries a digest of the file contents, so runs on two different files never share a cache entry. A task
registered in one process is re-created in another (a worker) from :attr:`Task.spec`.

This module knows nothing of runs: analyses ask it by task name (:func:`get_task`, :func:`load_task`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from .datasets import (
    ALLOW_N_HINT,
    Dataset,
    check_input_file,
    check_trainable,
    load_basset,
    load_dataset,
    load_deepsea,
    load_fasta_dataset,
    load_invivo,
)
from .errors import FormatError, UnknownNameError
from .motifs import DEFAULT_RELEASE, TASK1_MOTIF_IDS, TASK1_MOTIF_NAMES, load_jaspar
from .paths import data_dir, invivo_h5
from .simulate import simulate_task1, simulate_task3


@dataclass(frozen=True)
class Task:
    """One data set a run can train on.

    Attributes
    ----------
    name : str
        Registry key, also ``RunConfig.task`` (user data: ``<file stem>@<12 hex digits of its sha256>``).
    description : str
    load : callable ``(n_sequences, seed) -> Dataset``
        Called with the size and seed to use (the defaults below filled in); memoised by :func:`load_task`.
    n_sequences, seed : int or None
        Default size and seed (simulated tasks; a FASTA task's seed is its train/valid/test split seed).
        None: the task has no such setting, and passing one is an error.
    monitor : str
        The validation metric of early stopping and the learning-rate schedule (Methods §4).
    label_names : tuple of str or None
        One per output (None: read from the data, e.g. Basset's 164 cell types).
    motifs : tuple of str or None
        Ground-truth JASPAR matrix IDs when fixed by the task (Task 2); simulated tasks and user files
        may instead name theirs in the data set's metadata (see :meth:`ground_truth`).
    release : str
        JASPAR release of the ground-truth motifs.
    spec : dict or None
        User data: JSON-ready description that re-registers the task in another process
        (:func:`register_spec`); None for the paper's tasks, which every process registers on import.
    """

    name: str
    description: str
    load: Callable[[int | None, int | None], Dataset] = field(repr=False, compare=False)
    n_sequences: int | None = None
    seed: int | None = None
    monitor: str = "val_auroc"
    label_names: tuple[str, ...] | None = None
    motifs: tuple[str, ...] | None = None
    release: str = DEFAULT_RELEASE
    spec: dict | None = field(default=None, compare=False)

    def ground_truth(self, ds: Dataset | None = None) -> tuple[list[str], list[str]] | None:
        """JASPAR IDs and names of the ground-truth motifs (one family each), or None when unknown.

        The task's own :attr:`motifs` first; else the data set's metadata: ``class_ids`` /
        ``class_names`` (Task-1 style data, one motif per class, as ``seqlib simulate task1`` writes) or
        ``pool_ids`` (Task-3 style data: the core motifs, reverse-complement entries dropped).

        Parameters
        ----------
        ds : Dataset, optional
            The task's data (needed when the motifs live in its metadata).
        """
        meta = ds.meta if ds is not None else {}
        release = meta.get("release", self.release)
        if self.motifs is not None:
            ids = list(self.motifs)
        elif meta.get("class_ids"):
            ids = list(meta["class_ids"])
            names = meta.get("class_names")
            if names and len(names) == len(ids):
                return ids, list(names)
        elif meta.get("pool_ids"):
            ids = [i for i in meta["pool_ids"] if not str(i).endswith("_rc")]
        else:
            return None
        if self.motifs is not None and self.label_names is not None and len(self.label_names) == len(ids):
            return ids, list(self.label_names)
        return ids, [m.name for m in load_jaspar(ids, release)]


_REGISTRY: dict[str, Task] = {}
_LOCK = threading.Lock()


def register(task: Task, *, replace: bool = False) -> Task:
    """Add ``task`` to the registry (``replace``: overwrite an entry of the same name).

    Raises
    ------
    ValueError
        A different task of that name is registered and ``replace`` is False.
    """
    with _LOCK:
        old = _REGISTRY.get(task.name)
        if old is not None and not replace and (old != task or old.spec != task.spec):
            raise ValueError(f"a different task named {task.name!r} is already registered")
        _REGISTRY[task.name] = task
    return task


def task_names() -> list[str]:
    """Names of the registered tasks, the paper's first."""
    return list(_REGISTRY)


def get_task(name: str) -> Task:
    """The registered task ``name``.

    Raises
    ------
    UnknownNameError
        ``name`` is not registered; the message lists the tasks and how to register a user's data.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(f"unknown task {name!r}; choose one of {', '.join(_REGISTRY)}, or register your "
                               f"own data (seqlib run --data FILE.h5, or --fasta FILE --labels FILE)") from None


def resolve_size(task: str, n_sequences: int | None, seed: int | None) -> tuple[int | None, int | None]:
    """The size and seed a task loads with: the task's defaults where None is given.

    Raises
    ------
    ValueError
        A size or seed for a task that has none (e.g. a shipped in vivo task or a user's HDF5 file).
    """
    t = get_task(task)
    if n_sequences is not None and t.n_sequences is None:
        raise ValueError(f"task {task!r} has a fixed size: n_sequences={n_sequences} applies to simulated tasks only")
    if seed is not None and t.seed is None:
        raise ValueError(f"task {task!r} has no seed to set (data_seed={seed}); its data are read as they are")
    return (t.n_sequences if n_sequences is None else int(n_sequences),
            t.seed if seed is None else int(seed))


@functools.lru_cache(maxsize=8)
def _load(task: str, n_sequences: int | None, seed: int | None) -> Dataset:
    return get_task(task).load(n_sequences, seed)


def load_task(task: str, n_sequences: int | None = None, seed: int | None = None) -> Dataset:
    """The data set of a registered task.

    Parameters
    ----------
    task : str
        A name of :func:`task_names` (``"task1"``, ``"task3"``, ``"task2"``, ``"zbed2"``, ``"irf1"``,
        ``"basset"`` or a registered user data set).
    n_sequences : int, optional
        Simulated tasks only: total sequences before the 70/10/20 split (default: the task's).
    seed : int, optional
        Simulated tasks: the generator's seed; FASTA tasks: the split seed (default: the task's).

    Returns
    -------
    Dataset
        ``X`` (N, L, 4) per split. Treat it as read-only: it is shared between calls in one process.

    Raises
    ------
    UnknownNameError, ValueError, FileNotFoundError
    """
    n_sequences, seed = resolve_size(task, n_sequences, seed)
    ds = _load(task, n_sequences, seed)
    ds.meta["task"] = task
    return ds


def ground_truth_motifs(task: str, ds: Dataset | None = None) -> tuple[list[str], list[str]] | None:
    """:meth:`Task.ground_truth` of task ``task`` (``ds``: its data, default loaded at the task's size)."""
    t = get_task(task)
    if t.motifs is None and ds is None:
        ds = load_task(task)
    return t.ground_truth(ds)


# ----------------------------------------------------------------------------- the paper's tasks

def deepsea_location() -> Path | None:
    """Where Task-2 data were found: ``$SEQLIB_DEEPSEA`` (a file or folder), ``data/invivo_dataset.h5``
    (the authors' subset file) or the ``data/deepsea_train/`` bundle folder; None when absent."""
    if os.environ.get("SEQLIB_DEEPSEA"):
        path = Path(os.environ["SEQLIB_DEEPSEA"])
        if not path.exists():
            raise FileNotFoundError(f"$SEQLIB_DEEPSEA points to {path}, which does not exist")
        return path
    for candidate in (data_dir() / "invivo_dataset.h5", data_dir() / "deepsea_train"):
        if candidate.exists():
            return candidate
    return None


def basset_location() -> Path | None:
    """``data/er.h5`` when the user supplied Basset's data, else None."""
    path = data_dir() / "er.h5"
    return path if path.exists() else None


def _task1(n_sequences, seed):
    return simulate_task1(n_sequences=n_sequences, seed=seed)


def _task3(n_sequences, seed):
    return simulate_task3(n_sequences=n_sequences, seed=seed)


def _task2(n_sequences, seed):
    where = deepsea_location()
    if where is None:
        raise FileNotFoundError("Task 2 needs the DeepSEA data: put the authors' invivo_dataset.h5 or the "
                                "deepsea_train/ folder (train.mat, valid.mat, test.mat) in data/")
    return load_dataset(where) if where.suffix == ".h5" else load_deepsea(where)


def _invivo(name):
    return lambda n_sequences, seed: load_invivo(invivo_h5(name), reverse_complement=True)


def _basset(n_sequences, seed):
    where = basset_location()
    if where is None:
        raise FileNotFoundError("Task 4 needs Basset's er.h5 in data/ (github.com/davek44/Basset)")
    return load_basset(where, reverse_complement=True)


#: The paper's tasks (Methods §1-§3), registered on import.
PAPER_TASKS: tuple[Task, ...] = (
    Task("task1", "Task 1: 12 JASPAR motifs planted in random DNA, one class each", _task1, 30_000, 33,
         monitor="val_aupr", label_names=TASK1_MOTIF_NAMES),
    Task("task3", "Task 3: interacting core motifs (positives) vs shuffled motif pools", _task3, 20_000, 22,
         monitor="val_auroc", label_names=("positive",)),
    Task("task2", "Task 2: DeepSEA K562 ChIP-seq of the 12 Task-1 TFs", _task2, monitor="val_aupr",
         label_names=TASK1_MOTIF_NAMES, motifs=TASK1_MOTIF_IDS),
    Task("zbed2", "ZBED2 ChIP-seq peaks vs H3K27ac background (400 nt)", _invivo("ZBED2"), label_names=("ZBED2",)),
    Task("irf1", "IRF1 ChIP-seq peaks vs H3K27ac background (400 nt)", _invivo("IRF1"), label_names=("IRF1",)),
    Task("basset", "Task 4: Basset DNase-seq, 164 cell types (600 nt)", _basset),
)
for _task in PAPER_TASKS:
    register(_task)

#: The paper's task names (the registry may hold users' tasks too).
TASKS = tuple(t.name for t in PAPER_TASKS)


# ----------------------------------------------------------------------------- users' data

def file_digest(*paths, extra: dict | None = None) -> str:
    """sha256 (hex) of the contents of ``paths`` (in order) and of ``extra`` (JSON), read in 1 MiB blocks."""
    h = hashlib.sha256()
    for path in paths:
        h.update(b"\0file\0")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    if extra is not None:
        h.update(json.dumps(extra, sort_keys=True).encode())
    return h.hexdigest()


def _with_options(digest: str, **options) -> str:
    """A digest of file contents combined with the loading options that change the data."""
    return hashlib.sha256((digest + json.dumps(options, sort_keys=True)).encode()).hexdigest()


def _user_name(path: Path, digest: str, name: str | None) -> str:
    return f"{name or path.stem}@{digest[:12]}"


def _meta_label_names(ds: Dataset) -> tuple[str, ...] | None:
    names = ds.meta.get("class_names") or ds.meta.get("label_names") or ds.meta.get("target_labels")
    return tuple(str(n) for n in names) if names and len(names) == ds.n_classes else None


def _checked_file(path, digest: str | None, what: str) -> tuple[Path, str]:
    """``(resolved path, sha256)`` of a user's data file; the digest must match ``digest`` when one is given
    (a worker re-creating a task from its spec must see the contents the task was registered with)."""
    path = check_input_file(Path(path).resolve(), what)
    actual = file_digest(path)
    if digest is not None and digest != actual:
        raise FormatError(f"{path} changed since its task was registered (sha256 {actual[:12]}, expected "
                          f"{digest[:12]}): register it again to train on the new contents")
    return path, actual


def register_hdf5(path, *, name: str | None = None, motifs: Sequence[str] | None = None,
                  release: str = DEFAULT_RELEASE, reverse_complement: bool = False,
                  monitor: str = "val_auroc", digest: str | None = None) -> Task:
    """Register a user's HDF5 data set with the paper's keys (``X_train``, ``Y_train`` ... ``X_test``,
    ``Y_test``; ``model_<split>`` ground truth optional) as a task.

    The file is read once to check it (keys, shapes, one-hot sequences), so a bad file fails here.

    Parameters
    ----------
    path : str or Path
    name : str, optional
        Readable part of the task name (default: the file's stem); the task is ``<name>@<digest>``.
    motifs : sequence of str, optional
        JASPAR IDs or names of the ground-truth motifs (default: the file's ``class_ids`` / ``pool_ids``
        metadata, as ``seqlib simulate`` writes; none: filters are scored against JASPAR without families).
    reverse_complement : bool
        Append reverse-complement copies to every split (as the paper for its in vivo tasks).
    digest : str, optional
        The file's sha256 when already known (it is checked).

    Returns
    -------
    Task

    Raises
    ------
    FileNotFoundError, FormatError, MissingKeyError, ShapeError, SequenceError, UnknownMotifError
    PathError
        ``path`` is a folder.
    LabelError
        Labels other than 0 and 1, an empty split, or a valid or test split with a single class
        (:func:`seqlib.datasets.check_trainable`).
    """
    path, actual = _checked_file(path, digest, "data set")
    ds = check_trainable(load_dataset(path, reverse_complement=reverse_complement), str(path))
    ids = None
    if motifs:
        ids = tuple(m.id for m in load_jaspar(list(motifs), release))
    spec = {"kind": "hdf5", "path": str(path), "sha256": actual, "name": name, "motifs": list(ids or []) or None,
            "release": release, "reverse_complement": reverse_complement, "monitor": monitor}
    task_name = _user_name(path, _with_options(actual, reverse_complement=reverse_complement), name)

    def load(n_sequences, seed):
        return load_dataset(path, reverse_complement=reverse_complement)

    return register(Task(task_name, f"user data {path.name}", load, monitor=monitor,
                         label_names=_meta_label_names(ds), motifs=ids, release=release, spec=spec), replace=True)


def register_fasta(fasta, labels, *, name: str | None = None, motifs: Sequence[str] | None = None,
                   release: str = DEFAULT_RELEASE, allow_n: bool = False, monitor: str = "val_auroc",
                   digest: str | None = None, n_hint: str = ALLOW_N_HINT) -> Task:
    """Register a FASTA file and its labels as a task, split 70/10/20 by a seeded permutation.

    The task's seed (``RunConfig.data_seed``, default 0) is the split seed.

    Parameters
    ----------
    fasta : str or Path
        Equal-length DNA sequences (A, C, G, T; N too with ``allow_n``).
    labels : str or Path
        ``.npy`` (N,) or (N, T) in FASTA order, or a ``.tsv`` / ``.csv`` / ``.txt`` table (see
        :func:`seqlib.datasets.read_labels`).
    name, motifs, release, monitor
        As :func:`register_hdf5`.
    n_hint : str
        What the error for an N in the FASTA file says to do (the command line passes ``--allow-n``).

    Returns
    -------
    Task

    Raises
    ------
    FileNotFoundError, FormatError, SequenceError, ShapeError
    PathError
        A folder given for a file.
    LabelError
        Labels other than 0 and 1, or a valid or test split with a single class
        (:func:`seqlib.datasets.check_trainable`).
    """
    fasta = check_input_file(Path(fasta).resolve(), "FASTA file")
    labels = check_input_file(Path(labels).resolve(), "labels file")
    actual = file_digest(fasta, labels, extra={"allow_n": allow_n})
    if digest is not None and digest != actual:
        raise FormatError(f"{fasta} or {labels} changed since the task was registered: register it again")
    ds = load_fasta_dataset(fasta, labels, seed=0, allow_n=allow_n, n_hint=n_hint)   # check the files now
    check_trainable(ds, f"{fasta} with labels {labels}")
    ids = tuple(m.id for m in load_jaspar(list(motifs), release)) if motifs else None
    spec = {"kind": "fasta", "fasta": str(fasta), "labels": str(labels), "sha256": actual, "name": name,
            "motifs": list(ids or []) or None, "release": release, "allow_n": allow_n, "monitor": monitor}

    def load(n_sequences, seed):
        return check_trainable(load_fasta_dataset(fasta, labels, seed=seed, allow_n=allow_n),
                               f"{fasta} with labels {labels} (split seed {seed})")

    return register(Task(_user_name(fasta, actual, name), f"user data {fasta.name} + {labels.name}", load, seed=0,
                         monitor=monitor, label_names=_meta_label_names(ds), motifs=ids, release=release,
                         spec=spec), replace=True)


def register_basset(path, *, name: str | None = None, reverse_complement: bool = True,
                    monitor: str = "val_auroc", digest: str | None = None) -> Task:
    """Register a file in Basset's format (``train_in`` (N, 4, 1, L), ``train_out`` (N, T), ``target_labels``)
    as a task, e.g. a copy of ``er.h5`` kept elsewhere than ``data/`` or a small stand-in.

    Reverse-complement copies are appended to every split, as the paper did (Task 4). The file is read once
    to check it, so a bad file fails here.

    Parameters
    ----------
    path : str or Path
    name, monitor, digest
        As :func:`register_hdf5`.

    Returns
    -------
    Task

    Raises
    ------
    FileNotFoundError, FormatError, MissingKeyError, ShapeError, SequenceError
    """
    path, actual = _checked_file(path, digest, "Basset file")
    ds = load_basset(path, reverse_complement=reverse_complement)
    spec = {"kind": "basset", "path": str(path), "sha256": actual, "name": name,
            "reverse_complement": reverse_complement, "monitor": monitor}
    task_name = _user_name(path, _with_options(actual, reverse_complement=reverse_complement, kind="basset"), name)

    def load(n_sequences, seed):
        return load_basset(path, reverse_complement=reverse_complement)

    return register(Task(task_name, f"user data {path.name} (Basset format)", load, monitor=monitor,
                         label_names=tuple(ds.meta["target_labels"]), spec=spec), replace=True)


def register_spec(spec: dict) -> Task:
    """Re-create a user task from its :attr:`Task.spec` (in a worker process); the files' digest is checked."""
    spec = dict(spec)
    kind = spec.pop("kind", None)
    digest = spec.pop("sha256", None)
    if kind == "hdf5":
        return register_hdf5(spec.pop("path"), digest=digest, **spec)
    if kind == "fasta":
        return register_fasta(spec.pop("fasta"), spec.pop("labels"), digest=digest, **spec)
    if kind == "basset":
        return register_basset(spec.pop("path"), digest=digest, **spec)
    raise UnknownNameError(f"unknown user task kind {kind!r}; expected 'hdf5', 'fasta' or 'basset'")


def task_spec(name: str) -> dict | None:
    """The :attr:`Task.spec` of task ``name`` (None for the paper's tasks), for handing to another process."""
    return get_task(name).spec


__all__ = ["Task", "PAPER_TASKS", "TASKS", "register", "register_hdf5",
           "register_fasta", "register_basset", "register_spec", "task_spec", "get_task",
           "task_names", "load_task", "ground_truth_motifs", "resolve_size", "deepsea_location", "basset_location",
           "file_digest"]
