"""Shared input validators, called at the top of public functions."""

from __future__ import annotations

import numpy as np

from .errors import SequenceError, ShapeError


def check_one_hot(X, name: str = "X", *, length: int | None = None, allow_n: bool = False,
                  strict: bool = True) -> np.ndarray:
    """Validate a batch of one-hot DNA sequences and return it as a float32 array.

    Parameters
    ----------
    X : array_like, shape=(N, L, 4)
        One-hot sequences, alphabet order A, C, G, T (channels last).
    name : str
        Argument name used in error messages.
    length : int, optional
        Required sequence length L.
    allow_n : bool
        Accept all-0.25 columns (an ``N`` base) as well as strict one-hot columns.
    strict : bool
        Check that every column is one-hot (costs one pass over the data).

    Returns
    -------
    numpy.ndarray, shape=(N, L, 4), dtype float32
    """
    X = np.asarray(X)
    if X.ndim != 3:
        raise ShapeError(f"{name} must have shape (N, L, 4); got an array with {X.ndim} dimension(s), "
                         f"shape {X.shape}")
    if X.shape[-1] != 4:
        hint = " (it looks channels-first (N, 4, L); transpose it with X.transpose(0, 2, 1))" \
            if X.shape[1] == 4 else ""
        raise ShapeError(f"{name} must have shape (N, L, 4) with 4 channels A,C,G,T last; "
                         f"got shape {X.shape}{hint}")
    if length is not None and X.shape[1] != length:
        raise ShapeError(f"{name} must have length L={length}; got shape {X.shape}")
    X = X.astype(np.float32, copy=False)
    if strict and X.size:
        col_sum = X.sum(-1)
        is_hot = np.isclose(col_sum, 1.0) & (np.isclose(X, 0) | np.isclose(X, 1)).all(-1)
        if allow_n:
            is_hot |= np.isclose(X, 0.25).all(-1)
        if not is_hot.all():
            n, i = np.argwhere(~is_hot)[0]
            raise SequenceError(f"{name} is not one-hot: sequence {n}, position {i} holds {X[n, i].tolist()}"
                                + ("" if allow_n else " (N bases are not allowed here)"))
    return X


def check_ppm(ppm, name: str = "ppm", *, atol: float = 1e-3) -> np.ndarray:
    """Validate a position probability matrix of shape (L, 4) whose rows sum to 1."""
    ppm = np.asarray(ppm, dtype=np.float64)
    if ppm.ndim != 2 or ppm.shape[1] != 4:
        raise ShapeError(f"{name} must have shape (L, 4); got shape {ppm.shape}")
    if ppm.shape[0] == 0:
        raise ShapeError(f"{name} has length 0")
    if (ppm < -atol).any() or not np.allclose(ppm.sum(1), 1.0, atol=atol):
        raise ShapeError(f"{name} rows must be probabilities summing to 1; row sums are "
                         f"{np.round(ppm.sum(1), 4).tolist()[:10]}...")
    return ppm


def check_sequence_model(model, name: str | None = None) -> int | None:
    """The sequence length a model takes, if it has the one input seqlib can feed: one-hot sequences ``(N, L, 4)``.

    Parameters
    ----------
    model : keras.Model
    name : str, optional
        How the message names the model (default: its Keras name).

    Returns
    -------
    int or None
        ``L`` (None when the model takes any length).

    Raises
    ------
    ShapeError
        Several inputs, or an input that is not ``(N, L, 4)``.
    """
    name = name or repr(getattr(model, "name", "model"))
    inputs = list(getattr(model, "inputs", None) or [])
    if len(inputs) != 1:
        shapes = ", ".join(str(tuple(i.shape)) for i in inputs)
        raise ShapeError(f"seqlib needs a single-input model taking one-hot sequences (N, L, 4); {name} has "
                         f"{len(inputs)} inputs{': ' + shapes if shapes else ''}")
    shape = tuple(inputs[0].shape)
    if len(shape) != 3 or shape[-1] != 4:
        raise ShapeError(f"seqlib needs a model taking one-hot sequences (N, L, 4); the input of {name} has shape "
                         f"{shape}")
    return None if shape[1] is None else int(shape[1])
