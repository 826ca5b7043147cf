"""Users' files: a saved Keras model and a file of sequences, read with one set of checks.

``seqlib filters``, ``seqlib attribute`` and a run's own model (:meth:`seqlib.runs.Run.load_model`) all load
through :func:`load_model`; the two CLI commands read sequences through :func:`load_data`. Each function names
the file in its error and says what it expected.
"""

from __future__ import annotations

import zipfile

import h5py
import numpy as np

from ._backend import load_keras
from ._validate import check_one_hot
from .datasets import check_input_file, load_dataset, read_sequences
from .errors import FormatError

__all__ = ["load_model", "load_data"]


def load_model(path, *, compile: bool = False):
    """A saved Keras model, with seqlib's own activations and layers registered first.

    Parameters
    ----------
    path : path
        A ``.keras`` file.
    compile : bool
        Restore the training configuration too (not needed to predict or attribute).

    Returns
    -------
    keras.Model

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    PathError
        A folder.
    FormatError
        The file exists but Keras cannot load it ("not a loadable Keras model", with the reason).
    """
    path = check_input_file(path, "model file")
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise FormatError(f"{path}: not a loadable Keras model: a .keras file is a zip archive (as model.save("
                          f"'model.keras') writes), and this file is not one")
    keras = load_keras()
    from . import activations, layers, models  # noqa: F401  (registers seqlib's serialisable objects; needs Keras)

    try:
        return keras.models.load_model(path, compile=compile)
    except Exception as err:  # Keras raises ValueError/OSError/TypeError for unreadable files
        reason = str(err).strip().splitlines()[0] if str(err).strip() else ""
        if "not found" in reason.lower():      # Keras says "File not found" for files it cannot read
            reason = "Keras cannot read it"
        raise FormatError(f"{path}: not a loadable Keras model ({type(err).__name__}: {reason}); save models "
                          f"with model.save('model.keras')") from err


def load_data(path, split: str = "test") -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Sequences and, when the file has them, their ground truth and labels.

    Parameters
    ----------
    path : path
        An HDF5 data set with the paper's keys (``X_<split>``, ``Y_<split>`` for every split; ``model_<split>``
        optional), an HDF5 file with ``X_<split>`` only, a FASTA file or a ``.npy`` array ``(N, L, 4)``.
    split : str
        The HDF5 split to read.

    Returns
    -------
    X : numpy.ndarray, shape=(N, L, 4)
    truth : numpy.ndarray, shape=(N, L, 4), or None
        Ground-truth probability matrices (a full data set with ``model_<split>``).
    y : numpy.ndarray, shape=(N, T), or None
        Labels (a full data set).

    Raises
    ------
    FileNotFoundError, FormatError, ShapeError, SequenceError
    PathError
        A folder.
    """
    path = check_input_file(path, "data file")
    if path.suffix == ".npy":
        try:
            X = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as err:
            raise FormatError(f"{path}: not a readable .npy array ({err})") from err
        return check_one_hot(X, str(path), allow_n=True), None, None
    if path.suffix.lower() in (".h5", ".hdf5"):
        try:
            with h5py.File(path, "r") as f:
                full = all(f"X_{s}" in f and f"Y_{s}" in f for s in ("train", "valid", "test"))
        except OSError as err:
            raise FormatError(f"{path}: not a readable HDF5 file ({err})") from err
        if full:
            split_data = getattr(load_dataset(path), split)
            return split_data.X, split_data.model, split_data.y
    return read_sequences(path, split), None, None
