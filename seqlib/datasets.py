"""Data sets: containers, HDF5 save/load (atomic) and loaders for the paper's and users' data.

Inside seqlib every sequence array is channels-last, ``(N, L, 4)`` in A, C, G, T order. The paper's
files are channels-first ``(N, 4, L)`` (or ``(N, 4, L, 1)`` / ``(N, 4, 1, L)``); loaders convert once.
Files written by :func:`save_dataset` use the paper's keys and layout (``X_train`` ... ``model_test``,
channels-first), so they also load in the authors' code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import h5py
import numpy as np

from ._io import atomic_path
from ._validate import check_one_hot
from .errors import FormatError, LabelError, MissingKeyError, PathError, SequenceError, ShapeError, UnknownNameError
from .motifs import reverse_complement

SPLITS = ("train", "valid", "test")

#: DeepSEA label columns of the 12 Task-2 TFs (K562 ChIP-seq), in Task-1 class order (Methods §1.2).
DEEPSEA_TASK2_COLUMNS = (592, 602, 344, 345, 635, 636, 349, 642, 359, 361, 661, 369)
#: DeepSEA stores channels as A, G, C, T; this reorders them to A, C, G, T.
DEEPSEA_TO_ACGT = (0, 2, 1, 3)


@dataclass
class Split:
    """One split of a data set.

    Attributes
    ----------
    X : numpy.ndarray, shape=(N, L, 4), float32
    y : numpy.ndarray, shape=(N, T), float32
    model : numpy.ndarray or None, shape=(N, L, 4)
        Ground-truth sequence-model PPM (synthetic data only).
    planted, starts : numpy.ndarray or None, shape=(N, K)
        Pool index and start of each planted motif (-1 padded; synthetic data only).
    """

    X: np.ndarray
    y: np.ndarray
    model: np.ndarray | None = None
    planted: np.ndarray | None = None
    starts: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.X)

    def subset(self, index) -> "Split":
        """Rows ``index`` of every array (a slice, integer array or boolean mask)."""
        pick = lambda a: None if a is None else a[index]  # noqa: E731
        return Split(self.X[index], self.y[index], pick(self.model), pick(self.planted), pick(self.starts))


@dataclass
class Dataset:
    """Train / valid / test splits plus free-form metadata (task, seed, class names ...)."""

    train: Split
    valid: Split
    test: Split
    meta: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> Split:
        if name not in SPLITS:
            raise KeyError(f"split must be one of {SPLITS}; got {name!r}")
        return getattr(self, name)

    def splits(self):
        """Iterate over ``(name, Split)`` pairs."""
        return ((name, self[name]) for name in SPLITS)

    @property
    def length(self) -> int:
        return int(self.train.X.shape[1])

    @property
    def n_classes(self) -> int:
        return int(self.train.y.shape[1])

    def subsample(self, n_train: int | None = None, n_valid: int | None = None,
                  n_test: int | None = None) -> "Dataset":
        """The first ``n`` sequences of each split (splits are already shuffled); None keeps all."""
        sizes = dict(train=n_train, valid=n_valid, test=n_test)
        return Dataset(**{k: s.subset(slice(None, sizes[k])) for k, s in self.splits()}, meta=dict(self.meta))


def split_indices(order: np.ndarray, fractions: Sequence[float]) -> dict[str, np.ndarray]:
    """Cut a permutation into train / valid / test as the paper did (cumulative fractions × N).

    Parameters
    ----------
    order : numpy.ndarray, shape=(N,)
        A permutation of ``range(N)``.
    fractions : 3 floats summing to 1

    Returns
    -------
    dict {"train", "valid", "test"} -> index array
    """
    fractions = np.asarray(fractions, dtype=float)
    if fractions.shape != (3,) or (fractions < 0).any() or not np.isclose(fractions.sum(), 1):
        raise ValueError(f"split must be 3 non-negative fractions summing to 1; got {fractions.tolist()}")
    n = len(order)
    cuts = np.floor(np.round(np.cumsum(np.concatenate([[0], fractions])) * n, 6)).astype(int)
    return {name: order[cuts[i]:cuts[i + 1]] for i, name in enumerate(SPLITS)}


def check_input_file(path, what: str = "file") -> Path:
    """``path`` if it is a non-empty file.

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``.
    PathError
        A folder.
    FormatError
        An empty (0-byte) file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} not found: {path}")
    if path.is_dir():
        raise PathError(f"{what} {path} is a folder; give the file itself")
    if path.stat().st_size == 0:
        raise FormatError(f"{path}: the {what} is empty (0 bytes); was it written completely?")
    return path


def min_split_size(fractions: Sequence[float] = (0.7, 0.1, 0.2), *, limit: int = 100_000) -> int:
    """The fewest sequences from which on every size gives non-empty train, valid and test splits
    (:func:`split_indices`); 7 for the paper's 70/10/20.

    Parameters
    ----------
    fractions : 3 floats summing to 1, each > 0

    Returns
    -------
    int

    Raises
    ------
    ValueError
        A fraction of 0 (that split is always empty), or fractions too small for ``limit`` sequences.
    """
    fractions = np.asarray(fractions, dtype=float)
    if fractions.shape != (3,) or (fractions <= 0).any() or not np.isclose(fractions.sum(), 1):
        raise ValueError(f"split must be 3 positive fractions summing to 1; got {fractions.tolist()}")
    # sizes of at least 1 / smallest fraction always work (each cut then advances by >= 1)
    sure = int(np.ceil(1 / fractions.min() - 1e-9))
    if sure > limit:
        raise ValueError(f"split fractions {fractions.tolist()} need more than {limit:,} sequences")
    smallest = sure
    for n in range(sure - 1, 0, -1):
        if any(len(idx) == 0 for idx in split_indices(np.arange(n), fractions).values()):
            break
        smallest = n
    return smallest


def check_split_size(n_sequences, fractions: Sequence[float] = (0.7, 0.1, 0.2), what: str = "n_sequences") -> int:
    """``n_sequences`` as an int if splitting it by ``fractions`` leaves no split empty.

    Raises
    ------
    ValueError
        Too few sequences; the message gives the minimum (:func:`min_split_size`) and names ``what``.
    """
    if isinstance(n_sequences, bool) or not isinstance(n_sequences, (int, np.integer)):
        raise ValueError(f"{what} must be an integer; got {n_sequences!r}")
    n = int(n_sequences)
    fractions = tuple(float(f) for f in fractions)
    if n < 1 or any(len(idx) == 0 for idx in split_indices(np.arange(n), fractions).values()):
        sizes = " / ".join(str(len(i)) for i in split_indices(np.arange(max(n, 0)), fractions).values())
        given = f"{what} {n}" if what.startswith("-") else f"{what}={n}"
        raise ValueError(f"{given} is too few sequences: a {'/'.join(f'{f:g}' for f in fractions)} "
                         f"train/valid/test split of {max(n, 0)} gives {sizes}; use at least "
                         f"{min_split_size(fractions)}")
    return n


def check_label_values(y, where: str) -> np.ndarray:
    """``y`` if every label is 0 or 1 (NaN and other values are refused, naming ``where`` and the first bad row).

    Parameters
    ----------
    y : numpy.ndarray, shape=(N, T)
    where : str
        The file (and key) the labels came from, for the message.

    Raises
    ------
    LabelError
    """
    y = np.asarray(y)
    bad = ~np.isin(y, (0, 1))                      # NaN is not in {0, 1}
    if bad.any():
        row, col = np.argwhere(bad.reshape(len(y), -1))[0]
        value = y.reshape(len(y), -1)[row, col]
        what = "NaN" if np.isnan(value) else f"{value:g}"
        values = np.unique(y[~np.isnan(y)]) if np.issubdtype(y.dtype, np.floating) else np.unique(y)
        raise LabelError(f"{where}: labels must be 0 or 1; row {row}, column {col} holds {what} (values in the "
                         f"file: {', '.join(f'{v:g}' for v in values[:8])}{', NaN' if np.isnan(y).any() else ''}). "
                         f"Binarise them first (e.g. 1 for bound, 0 for unbound)")
    return y


def check_trainable(ds: "Dataset", source: str) -> "Dataset":
    """Refuse a data set whose test metrics could not be computed: an empty split, or a valid or test split
    in which no label column holds both classes (AUROC and AUPR would be NaN).

    Parameters
    ----------
    ds : Dataset
    source : str
        The file(s) it was read from, for the message.

    Raises
    ------
    LabelError
    """
    for name, split in ds.splits():
        if len(split) == 0:
            raise LabelError(f"{source}: the {name} split holds 0 sequences; a model needs sequences in train, "
                             f"valid and test")
    for name in ("valid", "test"):
        y = ds[name].y
        if not ((y == 1).any(0) & (y == 0).any(0)).any():
            only = "1s" if (y == 1).all() else "0s" if (y == 0).all() else "one class per label"
            raise LabelError(f"{source}: every label of the {name} split ({len(y)} sequences) has only {only}, so "
                             f"AUROC and AUPR are undefined; the {name} split needs positives (1) and negatives "
                             f"(0) of at least one label")
    return ds


# ----------------------------------------------------------------------------- layout helpers

def to_channels_last(X, name: str = "X") -> np.ndarray:
    """Convert ``(N, 4, L)``, ``(N, 4, L, 1)`` or ``(N, 4, 1, L)`` to ``(N, L, 4)``.

    Arrays already ``(N, L, 4)`` are returned unchanged (an axis of size 4 after the length axis
    is taken as the channel axis; pass unambiguous data when L == 4).
    """
    X = np.asarray(X)
    if X.ndim == 4:
        if X.shape[1] == 4 and 1 in X.shape[2:]:
            X = X.reshape(X.shape[0], 4, -1)
        elif X.shape[-1] == 4 and X.shape[2] == 1:          # (N, L, 1, 4)
            X = X.reshape(X.shape[0], -1, 4)
        else:
            raise ShapeError(f"{name}: cannot read shape {X.shape} as one-hot DNA (expected (N, 4, L[, 1]))")
    if X.ndim != 3:
        raise ShapeError(f"{name}: expected a 3-D (N, 4, L) or (N, L, 4) array; got shape {X.shape}")
    if X.shape[2] == 4 and X.shape[1] != 4:
        return X
    if X.shape[1] == 4:
        return np.ascontiguousarray(X.transpose(0, 2, 1))
    raise ShapeError(f"{name}: no axis of size 4 (A, C, G, T) in shape {X.shape}")


def reverse_complement_augment(split: Split) -> Split:
    """Append the reverse complement of every sequence (labels duplicated), as the paper's loader.

    The copies are appended after the originals (``vstack``), so row ``i + N`` is the RC of row ``i``.
    """
    rc = lambda a: None if a is None else np.concatenate([a, reverse_complement(a)])  # noqa: E731
    return Split(rc(split.X), np.concatenate([split.y, split.y]), rc(split.model))


# ----------------------------------------------------------------------------- HDF5

def save_dataset(path, dataset: Dataset, *, compression: str | None = "gzip", compression_opts: int = 1) -> Path:
    """Save a data set to HDF5 with the paper's keys, atomically.

    Keys: ``X_{split}`` (N, 4, L) uint8 one-hot (channels-first, as the paper; float32 if it holds
    N bases encoded 0.25), ``Y_{split}`` (N, T),
    ``model_{split}`` (N, 4, L) float32 when ground truth exists, ``planted_{split}`` and
    ``starts_{split}`` (N, K) int16 when known. ``dataset.meta`` is stored as JSON in the ``meta``
    attribute. The file appears under ``path`` only when complete.
    """
    path = Path(path)
    opts = dict(compression=compression, compression_opts=compression_opts) if compression == "gzip" else \
        dict(compression=compression)
    with atomic_path(path, suffix=".h5") as tmp:
        with h5py.File(tmp, "w") as f:
            for name, s in dataset.splits():
                X = np.asarray(s.X).transpose(0, 2, 1)
                # uint8 would turn N bases (0.25) into all-zero columns; keep those as float32
                X = X.astype(np.uint8) if np.isin(X, (0, 1)).all() else X.astype(np.float32)
                f.create_dataset(f"X_{name}", data=X, **opts)
                f.create_dataset(f"Y_{name}", data=np.asarray(s.y, dtype=np.float32), **opts)
                if s.model is not None:
                    f.create_dataset(f"model_{name}", data=np.asarray(s.model, np.float32).transpose(0, 2, 1), **opts)
                if s.planted is not None:
                    f.create_dataset(f"planted_{name}", data=s.planted.astype(np.int16), **opts)
                    f.create_dataset(f"starts_{name}", data=s.starts.astype(np.int16), **opts)
            f.attrs["meta"] = json.dumps(dataset.meta)
            f.attrs["layout"] = "channels_first"
    return path


def _read_key(f, key: str, path) -> np.ndarray:
    if key not in f:
        raise MissingKeyError(f"{path}: missing key {key!r}; the file has {sorted(f.keys())}")
    return f[key][()]


def load_dataset(path, *, x_key: str = "X_{}", y_key: str = "Y_{}", reverse_complement: bool = False,
                 strict: bool = True) -> Dataset:
    """Load an HDF5 data set with the paper's keys (``X_train``, ``Y_train`` ... ``model_test``).

    Works for files written by :func:`save_dataset`, the authors' ``synthetic_dataset.h5`` /
    ``synthetic_code_dataset.h5`` / ``invivo_dataset.h5`` and the shipped ZBED2/IRF1 files.

    Parameters
    ----------
    path : str or Path
    x_key, y_key : str
        Key patterns, ``{}`` is replaced by the split name.
    reverse_complement : bool
        Append reverse-complement copies to every split (the paper does so for Tasks 4-6).
    strict : bool
        Check that X is one-hot (N bases encoded 0.25 are accepted).

    Returns
    -------
    Dataset
        ``X`` as (N, L, 4) float32, ``y`` as (N, T) float32, ``model`` (N, L, 4) when present.

    Raises
    ------
    FileNotFoundError, FormatError, MissingKeyError, ShapeError, SequenceError
    LabelError
        Labels other than 0 and 1 (NaN included).
    """
    path = Path(path)
    check_input_file(path, "data set")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise FormatError(f"{path}: not a readable HDF5 file ({err})") from err
    with f:
        meta = json.loads(f.attrs["meta"]) if "meta" in f.attrs else {}
        splits = {}
        for name in SPLITS:
            X = to_channels_last(_read_key(f, x_key.format(name), path), f"{path}:{x_key.format(name)}")
            X = check_one_hot(X, f"{path}:{x_key.format(name)}", allow_n=True, strict=strict)
            y = np.asarray(_read_key(f, y_key.format(name), path), dtype=np.float32)
            if y.ndim == 1:
                y = y[:, None]
            check_label_values(y, f"{path}:{y_key.format(name)}")
            if len(y) != len(X):
                raise ShapeError(f"{path}: {len(X)} sequences in split {name!r} but {len(y)} labels")
            model = to_channels_last(f[f"model_{name}"][()]).astype(np.float32) if f"model_{name}" in f else None
            planted = f[f"planted_{name}"][()] if f"planted_{name}" in f else None
            starts = f[f"starts_{name}"][()] if f"starts_{name}" in f else None
            splits[name] = Split(X, y, model, planted, starts)
    lengths = {s.X.shape[1] for s in splits.values()}
    if len(lengths) != 1:
        raise ShapeError(f"{path}: splits have different sequence lengths {sorted(lengths)}")
    if reverse_complement:
        splits = {k: reverse_complement_augment(s) for k, s in splits.items()}
    meta.setdefault("source", str(path))
    return Dataset(**splits, meta=meta)


def read_sequences(path, split: str = "test") -> np.ndarray:
    """One-hot sequences ``(N, L, 4)`` from a FASTA file or from ``X_<split>`` of an HDF5 data set
    (any layout :func:`to_channels_last` understands), for tools that need sequences only."""
    path = Path(path)
    check_input_file(path, "sequence file")
    if path.suffix.lower() in (".fa", ".fasta", ".fna"):
        return read_fasta(path, allow_n=True)[1]
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise FormatError(f"{path}: neither FASTA (.fa/.fasta) nor a readable HDF5 file ({err})") from err
    with f:
        key = f"X_{split}"
        X = to_channels_last(_read_key(f, key, path), f"{path}:{key}")
    return check_one_hot(X, f"{path}:{key}", allow_n=True)


def load_invivo(path, reverse_complement: bool = False) -> Dataset:
    """Load a shipped in vivo ChIP-seq task (``ZBED2_400_h3k27ac.h5``, ``IRF1_400_h3k27ac.h5``).

    The files hold ``X_*`` float32 (N, 4, 400) and ``Y_*`` int8 (N, 1); returned as (N, 400, 4).
    The paper trains with ``reverse_complement=True`` (copies appended, test set included).
    """
    ds = load_dataset(path, reverse_complement=reverse_complement)
    ds.meta.setdefault("task", Path(path).stem)
    return ds


# ----------------------------------------------------------------------------- DeepSEA / Basset

def _positive_rows(y: np.ndarray, columns) -> np.ndarray:
    return np.flatnonzero((y[:, list(columns)] == 1).any(1))


def _read_columns(dataset, index: np.ndarray, chunk: int = 100_000) -> np.ndarray:
    """``dataset[:, :, index]`` for an HDF5 dataset stored (L, 4, N), read in blocks of ``chunk``
    sequences so memory stays proportional to the rows kept (the full DeepSEA train set is 17.6 GB)."""
    out = np.empty(dataset.shape[:2] + (len(index),), dtype=dataset.dtype)
    filled = 0
    for start in range(0, dataset.shape[2], chunk):
        keep = index[(index >= start) & (index < start + chunk)] - start
        if keep.size:
            block = dataset[:, :, start:start + chunk]
            out[:, :, filled:filled + keep.size] = block[:, :, keep]
            filled += keep.size
    return out


def load_deepsea(directory, columns: Sequence[int] = DEEPSEA_TASK2_COLUMNS, *, keep_all: bool = False) -> Dataset:
    """Task 2: a DeepSEA label subset from the ``deepsea_train`` bundle (``train.mat`` etc.).

    Keeps only sequences positive for at least one of ``columns`` (unless ``keep_all``), takes those
    label columns in the given order and reorders DeepSEA's A, G, C, T channels to A, C, G, T, as the
    authors' ``task2_generate_invivo_dataset`` did. ``train.mat`` is MATLAB v7.3 (HDF5, stored
    transposed: ``trainxdata`` (L, 4, N), ``traindata`` (919, N)); ``valid.mat`` / ``test.mat`` are
    MATLAB v5 (``validxdata`` (N, 4, L), ``validdata`` (N, 919)).

    Parameters
    ----------
    directory : str or Path
        Folder holding ``train.mat``, ``valid.mat`` and ``test.mat``.
    columns : sequence of int
        0-based label columns; default: the paper's 12 K562 TFs.

    Returns
    -------
    Dataset with X (N, L, 4) float32 and y (N, len(columns)) float32
    """
    directory = Path(directory)
    splits = {}
    for name in SPLITS:
        path = directory / f"{name}.mat"
        if not path.exists():
            raise FileNotFoundError(f"DeepSEA file not found: {path} (expected train.mat, valid.mat, test.mat)")
        xkey, ykey = f"{name}xdata", f"{name}data"
        if h5py.is_hdf5(path):
            with h5py.File(path, "r") as f:
                y = np.asarray(_read_key(f, ykey, path)).T
                index = np.arange(len(y)) if keep_all else _positive_rows(y, columns)
                xs = f[xkey] if xkey in f else None
                if xs is None:
                    raise MissingKeyError(f"{path}: missing key {xkey!r}; the file has {sorted(f.keys())}")
                if xs.ndim != 3 or xs.shape[1] != 4:
                    raise ShapeError(f"{path}:{xkey} must be stored (L, 4, N); got {xs.shape}")
                X = _read_columns(xs, index).transpose(2, 1, 0)            # (N, 4, L)
        else:
            try:
                import scipy.io  # lazy: only DeepSEA's .mat files need it, and it doubles `import seqlib`

                mat = scipy.io.loadmat(path)
            except Exception as err:  # scipy raises several types for corrupt files
                raise FormatError(f"{path}: not a readable MATLAB file ({err})") from err
            for key in (xkey, ykey):
                if key not in mat:
                    raise MissingKeyError(f"{path}: missing key {key!r}; the file has "
                                          f"{sorted(k for k in mat if not k.startswith('__'))}")
            y = np.asarray(mat[ykey])
            index = np.arange(len(y)) if keep_all else _positive_rows(y, columns)
            X = np.asarray(mat[xkey])[index]
        if X.ndim != 3 or X.shape[1] != 4:
            raise ShapeError(f"{path}:{xkey} must give (N, 4, L); got {X.shape}")
        X = X[:, list(DEEPSEA_TO_ACGT), :].transpose(0, 2, 1).astype(np.float32)
        y = y[index][:, list(columns)].astype(np.float32)
        splits[name] = Split(check_one_hot(X, f"{path}:{xkey}", allow_n=True), y)
    return Dataset(**splits, meta=dict(task="task2", source=str(directory), columns=list(columns)))


def load_basset(path, reverse_complement: bool = False, splits: Iterable[str] = SPLITS) -> Dataset:
    """Task 4: Basset's ``er.h5`` (``train_in`` (N, 4, 1, 600), ``train_out`` (N, 164), ``target_labels``).

    N bases are encoded as 0.25 columns and kept. ``meta['target_labels']`` holds the 164 cell types.
    """
    path = Path(path)
    splits = list(splits)
    if not splits or any(s not in SPLITS for s in splits):
        raise UnknownNameError(f"splits must be a non-empty subset of {SPLITS}; got {splits}")
    if not path.exists():
        raise FileNotFoundError(f"Basset file not found: {path}")
    out = {}
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise FormatError(f"{path}: not a readable HDF5 file ({err})") from err
    with f:
        labels = [s.decode() if isinstance(s, bytes) else str(s) for s in _read_key(f, "target_labels", path)]
        for name in SPLITS:
            if name not in splits:
                continue
            X = to_channels_last(_read_key(f, f"{name}_in", path), f"{path}:{name}_in")
            X = check_one_hot(X, f"{path}:{name}_in", allow_n=True)
            y = np.asarray(_read_key(f, f"{name}_out", path), dtype=np.float32)
            if len(y) != len(X) or y.shape[1] != len(labels):
                raise ShapeError(f"{path}: {name}_out has shape {y.shape}; expected ({len(X)}, {len(labels)})")
            out[name] = Split(X, y)
    if reverse_complement:
        out = {k: reverse_complement_augment(s) for k, s in out.items()}
    empty = Split(np.zeros((0, X.shape[1], 4), np.float32), np.zeros((0, len(labels)), np.float32))
    return Dataset(**{k: out.get(k, empty) for k in SPLITS},
                   meta=dict(task="basset", source=str(path), target_labels=labels))


# ----------------------------------------------------------------------------- FASTA

_ONE_HOT = np.zeros((256, 4), np.float32)
for _i, _b in enumerate("ACGT"):
    _ONE_HOT[ord(_b)] = _ONE_HOT[ord(_b.lower())] = np.eye(4, dtype=np.float32)[_i]
_N_ROW = np.full(4, 0.25, np.float32)


#: How a non-ACGT error tells a Python caller to accept N (the command line says ``--allow-n``).
ALLOW_N_HINT = "pass allow_n=True to encode N as 0.25"


def one_hot_encode(sequences: Sequence[str], *, allow_n: bool = False, names: Sequence[str] | None = None,
                   n_hint: str = ALLOW_N_HINT) -> np.ndarray:
    """One-hot encode DNA strings of equal length.

    Parameters
    ----------
    sequences : sequence of str
        A, C, G, T in either case (N too when ``allow_n``).
    allow_n : bool
        Encode N as 0.25 in every channel instead of raising.
    names : sequence of str, optional
        Used in error messages.
    n_hint : str
        What the error for an N says to do when ``allow_n`` is False (the command line passes its flag).

    Returns
    -------
    numpy.ndarray, shape=(N, L, 4), float32

    Raises
    ------
    SequenceError
        A character outside ACGT (with its sequence, position and character), or ragged lengths.
    """
    sequences = list(sequences)
    if not sequences:
        raise SequenceError("no sequences to encode")
    label = lambda i: repr(names[i]) if names is not None else f"#{i}"  # noqa: E731
    lengths = {len(s) for s in sequences}
    if len(lengths) != 1:
        first = next(i for i, s in enumerate(sequences) if len(s) != len(sequences[0]))
        raise SequenceError(f"sequences have ragged lengths {sorted(lengths)[:5]}: sequence {label(first)} has "
                            f"length {len(sequences[first])}, sequence {label(0)} has {len(sequences[0])}")
    codes = np.frombuffer("".join(sequences).encode("ascii", errors="replace"), dtype=np.uint8)
    X = _ONE_HOT[codes]
    bad = X.sum(1) == 0
    if bad.any():
        is_n = (codes == ord("N")) | (codes == ord("n"))
        if allow_n:
            X[bad & is_n] = _N_ROW
            bad &= ~is_n
        if bad.any():
            k = int(np.argmax(bad))
            L = lengths.pop()
            char = sequences[k // L][k % L]
            raise SequenceError(f"sequence {label(k // L)} has non-ACGT character {char!r} at position {k % L}"
                                + (f" ({n_hint})" if not allow_n and char in "Nn" else ""))
    return X.reshape(len(sequences), -1, 4)


def read_fasta(path, *, allow_n: bool = False, n_hint: str = ALLOW_N_HINT) -> tuple[list[str], np.ndarray]:
    """Read a FASTA file of equal-length DNA sequences and one-hot encode it.

    Parameters
    ----------
    path : path
    allow_n : bool
        Encode N as 0.25 in every channel instead of raising.
    n_hint : str
        What the error for an N says to do (see :func:`one_hot_encode`).

    Returns
    -------
    names : list of str
    X : numpy.ndarray, shape=(N, L, 4), float32

    Raises
    ------
    FormatError
        Not text (a binary or compressed file), sequence lines before any ``>`` header, or an empty file /
        empty record.
    SequenceError
        Non-ACGT characters or ragged lengths (see :func:`one_hot_encode`); the message names the file.
    """
    path = Path(path)
    check_input_file(path, "FASTA file")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raise FormatError(f"{path}: a gzip-compressed file; decompress it first (gunzip {path.name})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FormatError(f"{path}: not a FASTA text file (byte {err.start} is not text); a FASTA file holds "
                          f"'>name' header lines, each followed by sequence lines") from None
    if "\0" in text:
        raise FormatError(f"{path}: not a FASTA text file (it holds NUL bytes); a FASTA file holds '>name' "
                          f"header lines, each followed by sequence lines")
    names, seqs, current = [], [], None
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith(">"):
            if current is not None and not current:
                raise FormatError(f"{path}:{lineno}: record {names[-1]!r} has no sequence")
            names.append(line[1:].split()[0] if line[1:].strip() else f"seq{len(names)}")
            current = []
            seqs.append(current)
        else:
            if current is None:
                raise FormatError(f"{path}:{lineno}: sequence data before the first '>' header")
            current.append(line)
    if not names:
        raise FormatError(f"{path}: no FASTA records found")
    if not seqs[-1]:
        raise FormatError(f"{path}: record {names[-1]!r} has no sequence")
    try:
        return names, one_hot_encode(["".join(s) for s in seqs], allow_n=allow_n, names=names, n_hint=n_hint)
    except SequenceError as err:
        raise SequenceError(f"{path}: {err}") from None


# ----------------------------------------------------------------------------- users' FASTA + labels

def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def read_labels(path, names: Sequence[str] | None = None) -> tuple[np.ndarray, list[str] | None]:
    """Labels of a user's sequences, from ``.npy`` or a delimited text table.

    ``.npy``: an array (N,) or (N, T) in FASTA order. ``.tsv`` / ``.txt`` (tab-separated) or ``.csv``:
    if the table has two or more columns and its first column is not numeric, that column holds sequence
    names, matched to ``names`` (the FASTA headers; rows may come in any order); otherwise every column is
    a label and rows are in FASTA order. A first row whose label fields are not all numbers is a header
    naming the labels. Blank lines and lines starting with ``#`` are skipped.

    Parameters
    ----------
    path : str or Path
    names : sequence of str, optional
        The sequence names, in FASTA order (needed for a name column).

    Returns
    -------
    y : numpy.ndarray, shape=(N, T), float32
        In the order of ``names`` when the table has a name column, else in the file's order.
    label_names : list of str or None
        From the header row, when there is one.

    Raises
    ------
    FileNotFoundError
    FormatError
        Unreadable file, non-numeric labels, ragged rows, duplicate or missing names.
    LabelError
        A label other than 0 or 1 (NaN included).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"labels file not found: {path}")
    if path.suffix.lower() == ".npy":
        try:
            y = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as err:
            raise FormatError(f"{path}: not a readable .npy array ({err})") from err
        if y.ndim not in (1, 2) or not np.issubdtype(y.dtype, np.number) and y.dtype != bool:
            raise FormatError(f"{path}: labels must be a numeric (N,) or (N, T) array; got {y.dtype} {y.shape}")
        y = np.asarray(y, np.float32)
        y = y[:, None] if y.ndim == 1 else y
        return check_label_values(y, str(path)), None
    sep = "," if path.suffix.lower() == ".csv" else "\t"
    check_input_file(path, "labels file")
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not a text table of labels (give a .tsv/.csv table or an .npy array)") from None
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            rows.append((lineno, [f.strip() for f in line.rstrip("\r\n").split(sep)]))
    if not rows:
        raise FormatError(f"{path}: no labels found")
    widths = {len(r) for _, r in rows}
    if len(widths) != 1:
        lineno, row = next((n, r) for n, r in rows if len(r) != len(rows[0][1]))
        raise FormatError(f"{path}:{lineno}: {len(row)} fields, but line {rows[0][0]} has {len(rows[0][1])}")
    width = widths.pop()
    data_rows = rows[1:] if len(rows) > 1 else rows
    named = width >= 2 and any(_number(r[0]) is None for _, r in data_rows)
    first = 1 if named else 0
    header = None
    if any(_number(f) is None for f in rows[0][1][first:]):
        header, rows = rows[0][1][first:], rows[1:]
        if not rows:
            raise FormatError(f"{path}: a header but no labels")
    values = np.empty((len(rows), width - first), np.float32)
    for i, (lineno, row) in enumerate(rows):
        for j, text in enumerate(row[first:]):
            value = _number(text)
            if value is None:
                raise FormatError(f"{path}:{lineno}: label {text!r} is not a number")
            if value not in (0.0, 1.0):                  # NaN too
                raise LabelError(f"{path}:{lineno}: label {text!r} is not 0 or 1; labels must be 0 or 1 (binarise "
                                 f"them first, e.g. 1 for bound, 0 for unbound)")
            values[i, j] = value
    if not named:
        return values, header
    keys = [r[0] for _, r in rows]
    if names is None:
        raise FormatError(f"{path}: the first column names sequences, but no sequence names were given")
    seen = set()
    duplicates = [k for k in keys if k in seen or seen.add(k)]
    if duplicates:
        raise FormatError(f"{path}: sequence name(s) {duplicates[:5]} appear more than once")
    index = {k: i for i, k in enumerate(keys)}
    missing = [n for n in names if n not in index]
    if missing:
        raise FormatError(f"{path}: no labels for {len(missing)} sequence(s), e.g. {missing[:5]}")
    extra = sorted(set(keys) - set(names))
    if extra:
        raise FormatError(f"{path}: labels for {len(extra)} name(s) not in the FASTA file, e.g. {extra[:5]}")
    return values[[index[n] for n in names]], header


def load_fasta_dataset(fasta, labels, *, split: Sequence[float] = (0.7, 0.1, 0.2), seed: int = 0,
                       allow_n: bool = False, n_hint: str = ALLOW_N_HINT) -> Dataset:
    """A user's FASTA file and labels as a data set, split train / valid / test by a seeded permutation.

    Parameters
    ----------
    fasta : str or Path
        Equal-length DNA sequences (A, C, G, T in either case; N too with ``allow_n``).
    labels : str or Path
        See :func:`read_labels`: one row (or array entry) per sequence.
    split : 3 floats
        Fractions of train, valid and test (default 70/10/20, as the paper).
    seed : int
        Seed of the permutation (``numpy.random.default_rng(seed).permutation(N)``).
    allow_n : bool
        Encode N as 0.25 in every channel instead of rejecting it.
    n_hint : str
        What the error for an N says to do (see :func:`one_hot_encode`).

    Returns
    -------
    Dataset
        ``X`` (n, L, 4) float32 and ``y`` (n, T) float32 per split; ``meta``: ``source``, ``labels``,
        ``label_names`` (from a header row), ``split_seed`` and ``names_test`` (the test sequences' names).

    Raises
    ------
    FileNotFoundError, FormatError, SequenceError
        As :func:`read_fasta` and :func:`read_labels` (non-ACGT letters name the sequence and position).
    ShapeError
        The number of labels differs from the number of sequences, or too few sequences for ``split``.
    LabelError
        A label other than 0 or 1 (NaN included).
    """
    fasta = Path(fasta)
    if not fasta.exists():
        raise FileNotFoundError(f"FASTA file not found: {fasta}")
    names, X = read_fasta(fasta, allow_n=allow_n, n_hint=n_hint)
    y, label_names = read_labels(labels, names)
    if len(y) != len(X):
        raise ShapeError(f"{labels}: {len(y)} labels for the {len(X)} sequences of {fasta}; give one label row "
                         f"per sequence")
    order = np.random.default_rng(int(seed)).permutation(len(X))
    parts = split_indices(order, split)
    if any(len(idx) == 0 for idx in parts.values()):
        raise ShapeError(f"{fasta}: {len(X)} sequences are too few for a {list(split)} train/valid/test split "
                         f"(at least {min_split_size(split)} are needed)")
    meta = dict(source=str(fasta), labels=str(labels), split_seed=int(seed),
                label_names=label_names or [f"label{j}" for j in range(y.shape[1])],
                names_test=[names[i] for i in parts["test"]])
    return Dataset(**{k: Split(X[idx], y[idx]) for k, idx in parts.items()}, meta=meta)
