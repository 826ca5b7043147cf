"""First-layer filters as motifs: feature maps → activation-aligned PPMs → clipped PPMs (Methods §5).

For filter ``f`` with feature map ``A[n, i, f]`` (post-activation, 'same' padding, position ``i`` is the
filter centred at ``i``):

1. threshold ``t × max_{n,i} A[n, i, f]`` (t = 0.5), computed over the whole data set;
2. every ``(n, i)`` with activation strictly above it contributes the 20-nt window ``X[n, i-10 : i+10]``,
   kept only if ``i - 10 > 0`` and ``i + 10 < L`` (the paper's strict edge rule);
3. the PPM is the plain mean of those one-hot windows (no pseudocount); uniform when ≤ 1 window survives.

Before Tomtom, PPMs are clipped to the informative core: columns with IC > 0.5 bits, padded by 3.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ._validate import check_one_hot
from .errors import ShapeError
from .motifs import Motif, information_content, write_meme


def feature_maps(model, X, batch_size: int = 1000, *, layer: str | int | None = None,
                 pre_activation: bool = False) -> np.ndarray:
    """First-layer feature maps of ``model`` on ``X``.

    Parameters
    ----------
    model : keras.Model
        Built by :func:`seqlib.models.build_model`, or any Keras model whose first convolution is
        followed (directly or after BN) by an activation.
    X : array_like, shape=(N, L, 4)
    layer : str or int, optional
        A layer name or index to read instead of the first-layer activation.
    pre_activation : bool
        Return the input of the activation (the BN output) instead of its output.

    Returns
    -------
    numpy.ndarray, shape=(N, L', F), float32
    """
    import keras

    from .models import first_layer_activation_model, first_layer_preactivation_model

    X = check_one_hot(X, "X", allow_n=True, strict=False)
    expected = model.input_shape[1]
    if expected is not None and X.shape[1] != expected:
        raise ShapeError(f"X has length {X.shape[1]} but the model expects inputs of length {expected}")
    if layer is not None:
        target = model.get_layer(layer) if isinstance(layer, str) else model.layers[layer]
        probe = keras.Model(model.inputs, target.output)
    else:
        probe = first_layer_preactivation_model(model) if pre_activation else first_layer_activation_model(model)
    out = [np.asarray(probe(X[i:i + batch_size], training=False)) for i in range(0, len(X), batch_size)]
    maps = np.concatenate(out).astype(np.float32)
    if maps.ndim != 3:
        raise ShapeError(f"the chosen layer gives outputs of shape {maps.shape[1:]}; expected (L, filters)")
    return maps


def activation_ppms(fmaps, X, *, threshold: float = 0.5, window: int = 20, chunk: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Activation-aligned PPMs of every filter, vectorised over filters and sequences.

    Parameters
    ----------
    fmaps : array_like, shape=(N, L, F)
        Post-activation feature maps ('same' padding: position i is the window centred at i).
    X : array_like, shape=(N, L, 4)
        The one-hot sequences the maps were computed on.
    threshold : float
        Fraction ``t`` of each filter's maximum over the whole data set (paper: 0.5).
    window : int
        Window length (paper: 20, i.e. positions i-10 ... i+9).
    chunk : int
        Sequences per block (memory only; results do not depend on it). A block of 500 sequences of
        length 200 uses ~60 MB.

    Returns
    -------
    ppms : numpy.ndarray, shape=(F, window, 4)
    n_sites : numpy.ndarray, shape=(F,), int
        Number of windows averaged into each PPM (0 or 1 means the PPM is uniform).
    """
    fmaps = np.asarray(fmaps, dtype=np.float32)
    X = np.asarray(X, dtype=np.float32)
    if fmaps.ndim != 3 or X.ndim != 3 or X.shape[-1] != 4:
        raise ShapeError(f"fmaps must be (N, L, F) and X (N, L, 4); got {fmaps.shape} and {X.shape}")
    if fmaps.shape[:2] != X.shape[:2]:
        raise ShapeError(f"fmaps {fmaps.shape[:2]} and X {X.shape[:2]} must have the same (N, L)")
    n, length, n_filters = fmaps.shape
    half = window // 2
    lo, hi = half + 1, length - half          # centres with i - half > 0 and i + half < L
    cut = threshold * fmaps.max(axis=(0, 1))  # (F,)
    sums = np.zeros((n_filters, 4 * window), np.float64)
    counts = np.zeros(n_filters, np.int64)
    if hi > lo:
        # windows[n, s] is X[n, s : s + window] as (4, window): centre i starts at s = i - half. One matrix
        # product per block sums the windows of every hit of every filter: hits^T (F x n*Lv) @ (n*Lv x 4*w).
        windows = np.lib.stride_tricks.sliding_window_view(X, window, axis=1)[:, lo - half:hi - half]
        for start in range(0, n, chunk):
            hits = (fmaps[start:start + chunk, lo:hi] > cut).reshape(-1, n_filters).astype(np.float32)
            counts += hits.sum(0).astype(np.int64)
            block = windows[start:start + chunk].reshape(len(hits), 4 * window)     # copies this block only
            sums += hits.T @ block
    sums = sums.reshape(n_filters, 4, window).transpose(0, 2, 1)
    ppms = np.full((n_filters, window, 4), 0.25)
    ok = counts > 1
    ppms[ok] = sums[ok] / counts[ok, None, None]
    return ppms, counts


def clip_ppm(ppm, threshold: float = 0.5, pad: int = 3) -> np.ndarray:
    """The informative core of a PPM: columns from the first to the last with IC > ``threshold`` bits,
    widened by ``pad`` on each side (within bounds); the whole PPM if no column passes.

    The authors' check (``index.any()``) also returned the whole PPM when the only informative column
    was the first; here a single informative column 0 is clipped like any other.

    Parameters
    ----------
    ppm : array_like, shape=(W, 4)

    Returns
    -------
    numpy.ndarray, shape=(W', 4)
    """
    ppm = np.asarray(ppm, dtype=np.float64)
    informative = np.flatnonzero(information_content(ppm, eps=1e-7) > threshold)
    if informative.size == 0:
        return ppm.copy()
    return ppm[max(0, informative[0] - pad):min(len(ppm), informative[-1] + pad + 1)]


def filter_motifs(ppms, *, clip: bool = True, prefix: str = "filter") -> list[Motif]:
    """Wrap filter PPMs (F, W, 4) as motifs ``filter0`` ... ``filter{F-1}``, clipped for Tomtom."""
    return [Motif(f"{prefix}{j}", f"{prefix}{j}", clip_ppm(p) if clip else np.asarray(p, float))
            for j, p in enumerate(np.asarray(ppms))]


def write_filters_meme(path, ppms, *, clip: bool = True):
    """Write filter PPMs as a MEME file so a user with the MEME suite can run the paper's command:
    ``tomtom -evalue -thresh 0.1 -o out filters.meme JASPAR_CORE_2016_vertebrates.meme``."""
    return write_meme(path, filter_motifs(ppms, clip=clip))


def filters_from_model(model, X, *, threshold: float = 0.5, window: int = 20, layer=None) -> tuple[np.ndarray, np.ndarray]:
    """Feature maps of ``model`` on ``X`` → activation-aligned PPMs ``(F, window, 4)`` and site counts."""
    return activation_ppms(feature_maps(model, X, layer=layer), X, threshold=threshold, window=window)


def activation_ppms_loop(fmaps, X, *, threshold: float = 0.5, window: int = 20) -> np.ndarray:
    """Reference implementation: a per-filter Python loop over hits, as in the authors' code.

    Kept for tests and ``benchmarks/bench_filters.py``; use :func:`activation_ppms`.
    """
    fmaps = np.asarray(fmaps)
    X = np.asarray(X)
    length = X.shape[1]
    half = window // 2
    out = []
    for f in range(fmaps.shape[2]):
        cut = threshold * fmaps[:, :, f].max()
        seqs, positions = np.where(fmaps[:, :, f] > cut)
        windows = []
        for n, i in zip(seqs, positions):
            start, end = i - half, i + half
            if start > 0 and end < length:
                windows.append(X[n, start:end])
        out.append(np.mean(windows, axis=0) if len(windows) > 1 else np.full((window, 4), 0.25))
    return np.array(out)


def consensus(ppm) -> str:
    """Most probable base per column (``N`` where the column is uniform)."""
    ppm = np.asarray(ppm)
    letters = np.array(list("ACGT"))[ppm.argmax(1)]
    letters[np.isclose(ppm, 0.25).all(1)] = "N"
    return "".join(letters)


__all__: Sequence[str] = ("feature_maps", "activation_ppms", "clip_ppm", "filter_motifs", "write_filters_meme",
                          "filters_from_model", "consensus")


def analyse_model_filters(model, X, out_dir, *, layer=None, threshold: float = 0.5, window: int = 20,
                          targets=None, release: str | None = None, evalue_threshold: float = 0.1) -> "pd.DataFrame":
    """Everything ``seqlib filters`` writes for a user's model: PPMs, MEME file, Tomtom table, logo sheet.

    Parameters
    ----------
    model : keras.Model
        Any model with a convolutional first layer (or pass ``layer``).
    X : array_like, shape=(N, L, 4)
        Sequences to align filter activations on (e.g. a test set).
    out_dir : path
        Receives ``ppms.npy`` (F, window, 4), ``filters.meme`` (clipped PPMs), ``tomtom.tsv`` (MEME columns),
        ``filters.png`` (a logo per filter titled with its best JASPAR match) and ``summary.tsv``
        (per filter: sites, best target and its p-value). Every file is written atomically.
    targets, release
        Tomtom database (default: the paper's JASPAR CORE 2016 vertebrates).

    Returns
    -------
    DataFrame: the per-filter summary
    """
    from pathlib import Path

    import matplotlib.pyplot as plt
    import pandas as pd

    from ._io import atomic_path
    from .plotting import plot_logo_grid
    from .tomtom import target_motifs, tomtom

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ppms, n_sites = activation_ppms(feature_maps(model, X, layer=layer), X, threshold=threshold, window=window)
    motifs = filter_motifs(ppms)
    db = target_motifs(targets, release=release)
    table = tomtom(motifs, db, evalue_threshold=evalue_threshold)
    names = {t.id: t.name for t in db}
    best = table.drop_duplicates("Query_ID").set_index("Query_ID")
    summary = pd.DataFrame({
        "filter": [m.id for m in motifs], "sites": n_sites, "width_clipped": [m.length for m in motifs],
        "consensus": [consensus(m.ppm) for m in motifs],
        "best_target": [best["Target_ID"].get(m.id, "") for m in motifs],
        "best_name": [names.get(best["Target_ID"].get(m.id, ""), "") for m in motifs],
        "best_p": [best["p-value"].get(m.id, np.nan) for m in motifs],
        "best_E": [best["E-value"].get(m.id, np.nan) for m in motifs],
    })
    with atomic_path(out_dir / "ppms.npy", suffix=".npy") as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, ppms)
    write_meme(out_dir / "filters.meme", motifs)
    with atomic_path(out_dir / "tomtom.tsv", suffix=".tsv") as tmp:
        table.to_csv(tmp, sep="\t", index=False)
    with atomic_path(out_dir / "summary.tsv", suffix=".tsv") as tmp:
        summary.to_csv(tmp, sep="\t", index=False)
    titles = [f"{r.filter}: {r.best_name} ({r.best_target})" if r.best_target else f"{r.filter}: no match"
              for r in summary.itertuples()]
    fig = plot_logo_grid(list(ppms), titles, ncols=min(8, len(ppms)), panel_size=(2.2, 1.1))
    with atomic_path(out_dir / "filters.png", suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return summary
