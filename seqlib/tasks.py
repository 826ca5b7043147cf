"""One entry point per task of the paper: ``load_task("task1")`` gives the data set a run trains on.

Synthetic tasks are regenerated deterministically from their seed (1-2 s) and memoised per process;
in vivo tasks load from ``data/``. Task 2 (DeepSEA) and Task 4 (Basset) load only when the user has
put their files in ``data/`` (they are several GB and are not shipped).
"""

from __future__ import annotations

import functools
from pathlib import Path

from .datasets import Dataset, load_basset, load_dataset, load_deepsea, load_invivo
from .errors import UnknownNameError
from .paths import data_dir, invivo_h5

TASKS = ("task1", "task3", "task2", "zbed2", "irf1", "basset")


def deepsea_location() -> Path | None:
    """Where Task-2 data were found: ``$SEQLIB_DEEPSEA`` (a file or folder), ``data/invivo_dataset.h5``
    (the authors' subset file) or the ``data/deepsea_train/`` bundle folder; None when absent."""
    import os

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


@functools.lru_cache(maxsize=8)
def _load(task: str, n_sequences: int | None, seed: int | None) -> Dataset:
    from .simulate import simulate_task1, simulate_task3

    if task == "task1":
        return simulate_task1(n_sequences=n_sequences or 30_000, seed=33 if seed is None else seed)
    if task == "task3":
        return simulate_task3(n_sequences=n_sequences or 20_000, seed=22 if seed is None else seed)
    if task in ("zbed2", "irf1"):
        return load_invivo(invivo_h5(task), reverse_complement=True)
    if task == "task2":
        where = deepsea_location()
        if where is None:
            raise FileNotFoundError("Task 2 needs the DeepSEA data: put the authors' invivo_dataset.h5 or the "
                                    "deepsea_train/ folder (train.mat, valid.mat, test.mat) in data/")
        return load_dataset(where) if where.suffix == ".h5" else load_deepsea(where)
    if task == "basset":
        where = basset_location()
        if where is None:
            raise FileNotFoundError("Task 4 needs Basset's er.h5 in data/ (github.com/davek44/Basset)")
        return load_basset(where, reverse_complement=True)
    raise UnknownNameError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")


def load_task(task: str, n_sequences: int | None = None, seed: int | None = None) -> Dataset:
    """The data set of a task.

    Parameters
    ----------
    task : {"task1", "task3", "task2", "zbed2", "irf1", "basset"}
    n_sequences : int, optional
        Synthetic tasks only: total sequences before the 70/10/20 split (default: the paper's).
    seed : int, optional
        Synthetic tasks only (default: the paper's, 33 for Task 1 and 22 for Task 3).

    Returns
    -------
    Dataset
        Treat it as read-only: it is shared between calls in one process.
    """
    ds = _load(task, n_sequences, seed)
    ds.meta["task"] = task
    return ds
