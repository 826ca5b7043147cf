"""First-layer filters as motifs: feature maps → activation-aligned PPMs → clipped PPMs (Methods §5).

For filter ``f`` with feature map ``A[n, j, f]`` (post-activation):

1. threshold ``t × max_{n,j} A[n, j, f]`` (t = 0.5), computed over the whole data set;
2. every ``(n, j)`` with activation strictly above it contributes the window of ``window`` nucleotides
   (paper: 20) around the centre ``c`` of the sequence positions that feature-map position ``j`` sees,
   ``X[n, c-10 : c+10]``, kept only if ``c - 10 > 0`` and ``c + 10 < L`` (the paper's strict edge rule);
3. the PPM is the plain mean of those one-hot windows (no pseudocount); uniform when ≤ 1 window survives.

The paper's models use 'same' padding and stride 1, so position ``j`` is the filter centred at ``j``
(``c = j``). Any other first convolution ('valid' or 'causal' padding, strides, dilation) is described by
a :class:`ConvGeometry`, which maps each feature-map position to the input positions it sees; the
window is then widened, if needed, to cover that whole receptive field (:func:`default_window`).

Before Tomtom, PPMs are clipped to the informative core: columns with IC > 0.5 bits, padded by 3.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ._io import atomic_path, check_output_dir
from ._validate import check_one_hot, check_sequence_model
from .errors import ShapeError, UnknownNameError
from .motifs import Motif, information_content, write_meme
from .tomtom import consensus, ground_truth_families, match_filters, match_statistics, target_motifs, tomtom

#: The paper's alignment window (Methods §5): positions c-10 ... c+9 around the filter's centre c.
PAPER_WINDOW = 20


@dataclass(frozen=True)
class ConvGeometry:
    """Which input positions each output position of a 1-D convolution sees.

    Output position ``j`` sees input positions ``start_j + dilation_rate * k`` for ``k = 0 ... kernel_size-1``,
    with ``start_j = j * strides - pad_left``; its centre is ``start_j + (span - 1) // 2`` (``span`` is the
    receptive field ``dilation_rate * (kernel_size - 1) + 1``). Padding follows Keras/TensorFlow: 'valid'
    pads nothing, 'causal' pads ``span - 1`` on the left, 'same' gives ``ceil(L / strides)`` outputs and puts
    the smaller half of the padding on the left.

    Attributes
    ----------
    kernel_size, strides, dilation_rate : int
    padding : {"same", "valid", "causal"}
    """

    kernel_size: int = 1
    strides: int = 1
    dilation_rate: int = 1
    padding: str = "same"

    def __post_init__(self):
        for name in ("kernel_size", "strides", "dilation_rate"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"ConvGeometry {name} must be a positive integer; got {value!r}")
        padding = str(self.padding).lower()
        if padding not in ("same", "valid", "causal"):
            raise UnknownNameError(f"unknown convolution padding {self.padding!r}; expected 'same', 'valid' or 'causal'")
        object.__setattr__(self, "padding", padding)

    @classmethod
    def of(cls, layer) -> "ConvGeometry":
        """The geometry of a Keras ``Conv1D`` layer."""
        def first(value):
            return int(value[0]) if isinstance(value, (tuple, list)) else int(value)

        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise ShapeError(f"layer {layer.name!r} is channels_first; seqlib reads (N, L, 4) inputs")
        return cls(first(layer.kernel_size), first(layer.strides), first(layer.dilation_rate), layer.padding)

    @property
    def span(self) -> int:
        """Input positions from the first to the last one an output position sees."""
        return self.dilation_rate * (self.kernel_size - 1) + 1

    def output_length(self, length: int) -> int:
        """Feature-map length for inputs of ``length``."""
        if self.padding == "valid":
            return max(0, (length - self.span) // self.strides + 1)
        return -(-length // self.strides)                       # 'same' and 'causal': ceil(L / strides)

    def pad_left(self, length: int) -> int:
        """Zero positions added before the sequence."""
        if self.padding == "valid":
            return 0
        if self.padding == "causal":
            return self.span - 1
        total = max((self.output_length(length) - 1) * self.strides + self.span - length, 0)
        return total // 2

    def field_starts(self, length: int) -> np.ndarray:
        """First input position seen by each output position, shape=(L',) (negative: in the padding)."""
        return np.arange(self.output_length(length)) * self.strides - self.pad_left(length)

    def centres(self, length: int) -> np.ndarray:
        """Centre input position of each output position's receptive field, shape=(L',)."""
        return self.field_starts(length) + (self.span - 1) // 2


def default_window(geometry: ConvGeometry | None = None) -> int:
    """The paper's 20-nt window, widened to ``span + 1`` when the receptive field is wider than 19.

    ``span + 1`` keeps the paper's layout (kernel 19 in a window of 20: one extra position on the left),
    so the window always covers every position the filter sees.
    """
    if geometry is None:
        return PAPER_WINDOW
    return max(PAPER_WINDOW, geometry.span + 1)


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):                # a nested Sequential / Functional model
            yield from _all_layers(layer)


def resolve_layer(model, layer: str | int):
    """The layer ``layer`` (a name, or an index into ``model.layers``, negative from the end) of ``model``, checked
    to be a convolution's output or come after one (the input layer's 4 channels are not filters).

    Raises
    ------
    UnknownNameError
        No layer of that name, or an index out of range (the message lists what there is).
    ShapeError
        The layer comes before the first ``Conv1D`` (e.g. index 0, the input layer of a functional model).
    """
    import keras

    layers = list(model.layers)
    if isinstance(layer, str):
        names = [lay.name for lay in layers]
        if layer not in names:
            raise UnknownNameError(f"model {model.name!r} has no layer named {layer!r}; its layers: "
                                   f"{', '.join(names)}")
        index = names.index(layer)
    elif isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        if not -len(layers) <= layer < len(layers):
            raise UnknownNameError(f"layer {layer} is out of range: model {model.name!r} has {len(layers)} layers, "
                                   f"indices 0..{len(layers) - 1} (or a name: {', '.join(lay.name for lay in layers)})")
        index = int(layer) % len(layers)
    else:
        raise UnknownNameError(f"layer must be a layer name or index; got {layer!r}")
    target = layers[index]

    def holds_conv(lay):
        return isinstance(lay, keras.layers.Conv1D) or any(holds_conv(x) for x in getattr(lay, "layers", []))

    if not any(holds_conv(lay) for lay in layers[:index + 1]):
        first = next((i for i, lay in enumerate(layers) if holds_conv(lay)), None)
        hint = (f"; the first convolution is layer {first} ({layers[first].name!r})" if first is not None else "")
        raise ShapeError(f"layer {layer} ({target.name!r}) comes before any convolution (it is the model's input "
                         f"or a step on it), so its channels are not filters: the layer must be a convolution's "
                         f"output or its activation{hint}")
    return target


def first_conv_geometry(model, layer: str | int | None = None) -> ConvGeometry:
    """The :class:`ConvGeometry` that maps the feature maps of :func:`feature_maps` to sequence positions.

    Parameters
    ----------
    model : keras.Model
    layer : str or int, optional
        As in :func:`feature_maps`: when it names a ``Conv1D``, that convolution's geometry; otherwise
        (and by default) the model's first ``Conv1D``, whose outputs the activation maps position by position.

    Raises
    ------
    UnknownNameError
        The model has no ``Conv1D`` layer.
    """
    import keras

    if layer is not None:
        target = resolve_layer(model, layer)
        if isinstance(target, keras.layers.Conv1D):
            return ConvGeometry.of(target)
    conv = next((l for l in _all_layers(model) if isinstance(l, keras.layers.Conv1D)), None)
    if conv is None:
        raise UnknownNameError(f"model {model.name!r} has no Conv1D layer whose windows the filters could be "
                               f"aligned on")
    return ConvGeometry.of(conv)


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
    expected = check_sequence_model(model)
    if expected is not None and X.shape[1] != expected:
        raise ShapeError(f"X has length {X.shape[1]} but the model expects inputs of length {expected}")
    if layer is not None:
        probe = keras.Model(model.inputs, resolve_layer(model, layer).output)
    else:
        probe = first_layer_preactivation_model(model) if pre_activation else first_layer_activation_model(model)
    out = [np.asarray(probe(X[i:i + batch_size], training=False)) for i in range(0, len(X), batch_size)]
    maps = np.concatenate(out).astype(np.float32)
    if maps.ndim != 3:
        raise ShapeError(f"the chosen layer gives outputs of shape {maps.shape[1:]}; expected (L, filters)")
    return maps


def activation_ppms(fmaps, X, *, threshold: float = 0.5, window: int = PAPER_WINDOW, chunk: int = 500,
                    geometry: ConvGeometry | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Activation-aligned PPMs of every filter, vectorised over filters and sequences.

    Parameters
    ----------
    fmaps : array_like, shape=(N, L', F)
        Post-activation feature maps. Without ``geometry`` they must be 'same'-padded with stride 1
        (``L' == L``, position j is the window centred at j), as in the paper.
    X : array_like, shape=(N, L, 4)
        The one-hot sequences the maps were computed on.
    threshold : float
        Fraction ``t`` of each filter's maximum over the whole data set (paper: 0.5).
    window : int
        Window length (paper: 20, i.e. positions c-10 ... c+9 around the centre c).
    chunk : int
        Sequences per block (memory only; results do not depend on it). A block of 500 sequences of
        length 200 uses ~60 MB.
    geometry : ConvGeometry, optional
        The first convolution's padding, strides and dilation (:func:`first_conv_geometry`): feature-map
        position j is aligned on the centre of the input positions it sees.

    Returns
    -------
    ppms : numpy.ndarray, shape=(F, window, 4)
    n_sites : numpy.ndarray, shape=(F,), int
        Number of windows averaged into each PPM (0 or 1 means the PPM is uniform).

    Raises
    ------
    ShapeError
        Arrays of the wrong rank, different N, or feature maps whose length does not fit the geometry.
    """
    fmaps = np.asarray(fmaps, dtype=np.float32)
    X = np.asarray(X, dtype=np.float32)
    if fmaps.ndim != 3 or X.ndim != 3 or X.shape[-1] != 4:
        raise ShapeError(f"fmaps must be (N, L, F) and X (N, L, 4); got {fmaps.shape} and {X.shape}")
    if fmaps.shape[0] != X.shape[0]:
        raise ShapeError(f"fmaps has {fmaps.shape[0]} sequences but X has {X.shape[0]}")
    n, length = X.shape[:2]
    n_filters = fmaps.shape[2]
    if geometry is None:
        if fmaps.shape[1] != length:
            raise ShapeError(f"fmaps {fmaps.shape[:2]} and X {X.shape[:2]} must have the same (N, L) unless "
                             f"geometry= describes the convolution ('valid' padding, strides, dilation)")
        centres = np.arange(length)
    else:
        expected = geometry.output_length(length)
        if fmaps.shape[1] != expected:
            raise ShapeError(f"fmaps have length {fmaps.shape[1]}, but a convolution with {geometry} gives "
                             f"{expected} positions on sequences of length {length}: the feature maps do not "
                             f"come straight from that convolution")
        centres = geometry.centres(length)
    check_threshold(threshold)
    window = int(window)
    if window < 1:
        raise ValueError(f"window must be a positive number of positions; got {window}")
    starts = centres - window // 2
    keep = np.flatnonzero((starts > 0) & (starts + window < length))     # the paper's strict edge rule
    cut = threshold * fmaps.max(axis=(0, 1))                             # (F,)
    sums = np.zeros((n_filters, 4 * window), np.float64)
    counts = np.zeros(n_filters, np.int64)
    if keep.size:
        # windows[n, s] is X[n, s : s + window] as (4, window). One matrix product per block sums the windows of
        # every hit of every filter: hits^T (F x n*k) @ (n*k x 4*w), k the feature-map positions kept.
        windows = np.lib.stride_tricks.sliding_window_view(X, window, axis=1)
        for start in range(0, n, chunk):
            hits = (fmaps[start:start + chunk, keep] > cut).reshape(-1, n_filters).astype(np.float32)
            counts += hits.sum(0).astype(np.int64)
            block = windows[start:start + chunk, starts[keep]].reshape(len(hits), 4 * window)  # this block only
            sums += hits.T @ block
    sums = sums.reshape(n_filters, 4, window).transpose(0, 2, 1)
    ppms = np.full((n_filters, window, 4), 0.25)
    ok = counts > 1
    ppms[ok] = sums[ok] / counts[ok, None, None]
    return ppms, counts


def check_threshold(threshold, what: str = "threshold") -> float:
    """``threshold`` if it is a fraction of a filter's maximum strictly between 0 and 1.

    Raises
    ------
    ValueError
        Anything else (at 1 or above no position passes, and every PPM would be uniform).
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.number)) \
            or not 0 < float(threshold) < 1:
        raise ValueError(f"{what} must be a fraction of each filter's maximum activation, between 0 and 1 "
                         f"(exclusive; the paper's is 0.5); got {threshold!r}")
    return float(threshold)


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


def filters_from_model(model, X, *, threshold: float = 0.5, window: int | None = None,
                       layer=None) -> tuple[np.ndarray, np.ndarray]:
    """Feature maps of ``model`` on ``X`` → activation-aligned PPMs and site counts.

    Works for any first convolution ('same'/'valid'/'causal' padding, strides, dilation).

    Parameters
    ----------
    model : keras.Model
    X : array_like, shape=(N, L, 4)
    window : int, optional
        Default: :func:`default_window` of the first convolution (the paper's 20 for its models).

    Returns
    -------
    ppms : numpy.ndarray, shape=(F, window, 4)
    n_sites : numpy.ndarray, shape=(F,), int
    """
    X = check_one_hot(X, "X", allow_n=True, strict=False)
    maps = feature_maps(model, X, layer=layer)
    geometry = first_conv_geometry(model, layer)
    window = default_window(geometry) if window is None else window
    return activation_ppms(maps, X, threshold=threshold, window=window, geometry=geometry)


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


__all__: Sequence[str] = ("ConvGeometry", "first_conv_geometry", "default_window", "feature_maps",
                          "activation_ppms", "clip_ppm", "filter_motifs", "write_filters_meme",
                          "filters_from_model", "consensus", "targets_digest", "filter_pipeline",
                          "analyse_model_filters", "resolve_layer", "check_threshold")


def targets_digest(motifs: Sequence[Motif]) -> str:
    """16 hex digits of a sha256 over a motif database's IDs and matrices (a cache key for Tomtom results)."""
    h = hashlib.sha256()
    for m in motifs:
        h.update(m.id.encode() + b"\0")
        h.update(np.ascontiguousarray(m.ppm, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


def _no_cache(name, compute, kind, **key_args):
    return compute()


def filter_pipeline(model, X, *, threshold: float = 0.5, window: int | None = None, layer=None, targets=None,
                    release: str | None = None, evalue_threshold: float = 0.1,
                    ground_truth: tuple[Sequence[str], Sequence[str]] | None = None, cache=None) -> dict:
    """First-layer filters of a model → PPMs → Tomtom hits → per-filter summary and match statistics.

    The one filter pipeline: ``seqlib filters`` (:func:`analyse_model_filters`) and the run analyses
    (:func:`seqlib.analyses.filter_analysis`) both call it, the latter with a ``cache``.

    Parameters
    ----------
    model : keras.Model or callable
        A model, or a function returning it (called only when the PPMs are not cached).
    X : array_like, shape=(N, L, 4)
        Sequences to align filter activations on (e.g. a test set).
    threshold, window, layer
        As :func:`filters_from_model`.
    targets, release
        Tomtom database (:func:`seqlib.tomtom.target_motifs`; default the paper's JASPAR CORE 2016).
    evalue_threshold : float
        Tomtom's E-value threshold (paper: 0.1).
    ground_truth : (ids, names), optional
        JASPAR IDs and names of the motifs the data hold (one family each); without them the match
        fraction and coverage are NaN (there is nothing to match), the other statistics are computed.
    cache : callable, optional
        ``cache(name, compute, kind, **key_args)`` as :meth:`seqlib.runs.Run.cached`; the key arguments
        passed are every argument that changes the result (the caller adds what identifies the model and X).

    Returns
    -------
    dict with ``ppms`` (F, W, 4), ``n_sites`` (F,), ``motifs`` (clipped, for Tomtom), ``tomtom`` (DataFrame,
    MEME's columns), ``summary`` (DataFrame, one row per filter: sites, clipped width, consensus, best
    target, its name, p and E), ``families`` (dict or None), ``per_filter`` (DataFrame: best family per
    filter) and ``stats`` (``match_fraction``, ``match_any``, ``coverage``, ...)
    """
    cache = cache or _no_cache
    db = target_motifs(targets, release=release)
    db_key = targets_digest(db)
    geometry_key = dict(threshold=float(threshold), window=window, layer=layer)

    def compute_ppms():
        m = model() if callable(model) and not hasattr(model, "layers") else model
        ppms, n_sites = filters_from_model(m, X, threshold=threshold, window=window, layer=layer)
        return {"ppms": ppms, "n_sites": n_sites}

    arrays = cache("ppms", compute_ppms, "npz", **geometry_key)
    ppms, n_sites = np.asarray(arrays["ppms"]), np.asarray(arrays["n_sites"])
    motifs = filter_motifs(ppms)
    table = cache("tomtom", lambda: tomtom(motifs, db, evalue_threshold=evalue_threshold), "csv",
                  **geometry_key, targets=db_key, evalue_threshold=float(evalue_threshold))
    names = {t.id: t.name for t in db}
    best = table.drop_duplicates("Query_ID").set_index("Query_ID")
    best_target = [str(best["Target_ID"].get(m.id, "")) for m in motifs]
    summary = pd.DataFrame({
        "filter": [m.id for m in motifs], "sites": n_sites, "width_clipped": [m.length for m in motifs],
        "consensus": [consensus(m.ppm) for m in motifs],
        "best_target": best_target,
        "best_name": [names.get(t, "") for t in best_target],
        "best_p": [best["p-value"].get(m.id, np.nan) for m in motifs],
        "best_E": [best["E-value"].get(m.id, np.nan) for m in motifs],
    })
    families = None
    if ground_truth is not None:
        ids, truth_names = ground_truth
        families = ground_truth_families(list(ids), db, names=list(truth_names))

    def compute_stats():
        stats = match_statistics(table, len(ppms), families or {})
        if not families:
            stats["match_fraction"] = float("nan")
        return stats

    stats = cache("filter_stats", compute_stats, "json", **geometry_key, targets=db_key,
                  evalue_threshold=float(evalue_threshold), families=families)
    return {"ppms": ppms, "n_sites": n_sites, "motifs": motifs, "tomtom": table, "summary": summary,
            "families": families, "per_filter": match_filters(table, len(ppms), families or {}), "stats": stats}


def analyse_model_filters(model, X, out_dir, *, layer=None, threshold: float = 0.5, window: int | None = None,
                          targets=None, release: str | None = None, evalue_threshold: float = 0.1) -> pd.DataFrame:
    """Everything ``seqlib filters`` writes for a user's model: PPMs, MEME file, Tomtom table, logo sheet.

    Parameters
    ----------
    model : keras.Model
        Any model with a convolutional first layer (or pass ``layer``); 'same', 'valid' or 'causal'
        padding, any stride and dilation.
    X : array_like, shape=(N, L, 4)
        Sequences to align filter activations on (e.g. a test set).
    window : int, optional
        Alignment window (default: :func:`default_window`, the paper's 20 unless the filters see more).
    out_dir : path
        Receives ``ppms.npy`` (F, window, 4), ``filters.meme`` (clipped PPMs), ``tomtom.tsv`` (MEME columns),
        ``filters.png`` (a logo per filter titled with its best JASPAR match) and ``summary.tsv``
        (per filter: sites, best target and its p-value). Every file is written atomically.
    targets, release
        Tomtom database (default: the paper's JASPAR CORE 2016 vertebrates).

    Returns
    -------
    DataFrame: the per-filter summary (:func:`filter_pipeline`)

    Raises
    ------
    PathError
        ``out_dir`` cannot be written (checked before anything is computed).
    ValueError, ShapeError, UnknownNameError
        A threshold outside (0, 1), a layer before the first convolution or not in the model, a model that is not
        single-input ``(N, L, 4)``, sequences of the wrong length.
    """

    out_dir = check_output_dir(out_dir, "out_dir")
    check_threshold(threshold)
    if layer is not None:
        resolve_layer(model, layer)
    X = check_one_hot(X, "X", allow_n=True, strict=False)
    result = filter_pipeline(model, X, threshold=threshold, window=window, layer=layer, targets=targets,
                             release=release, evalue_threshold=evalue_threshold)
    ppms, summary = result["ppms"], result["summary"]
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "ppms.npy", suffix=".npy") as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, ppms)
    write_meme(out_dir / "filters.meme", result["motifs"])
    with atomic_path(out_dir / "tomtom.tsv", suffix=".tsv") as tmp:
        result["tomtom"].to_csv(tmp, sep="\t", index=False)
    with atomic_path(out_dir / "summary.tsv", suffix=".tsv") as tmp:
        summary.to_csv(tmp, sep="\t", index=False)
    titles = [f"{r.filter}: {r.best_name} ({r.best_target})" if r.best_target else f"{r.filter}: no match"
              for r in summary.itertuples()]
    # matplotlib and the plotting module are imported here, on the one path that draws, not with the module:
    # importing pyplot costs every `seqlib` command (the CLI reaches this module) about half a second
    import matplotlib.pyplot as plt

    from .plotting import plot_logo_grid

    fig = plot_logo_grid(list(ppms), titles, ncols=min(8, len(ppms)), panel_size=(2.2, 1.1))
    with atomic_path(out_dir / "filters.png", suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return summary
