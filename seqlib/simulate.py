"""Synthetic data sets with planted JASPAR motifs (Task 1 and Task 3, Methods §1.1 and §1.3).

A sequence is made in three steps:

1. **Sequence model.** Draw a number of motifs from ``count_probs``, draw that many motifs uniformly
   with replacement from a *pool* (each motif and its reverse complement), draw ``n + 1`` gap
   weights from U(0, ``gap_high``), scale them to the free length and round; redraw until the
   rounded gaps fill the sequence exactly. The model is uniform (0.25) in the gaps and the motif
   PPMs in between: a ground-truth PPM of shape (L, 4).
2. **Sampling.** Each position is drawn independently from its column (inverse CDF).
3. **Labels.** Task 1: multi-hot over TFs (strand ignored). Task 3: 1 for sequences whose motifs come
   from the core pool, 0 for those drawn from the larger background pool.

Two engines produce data with the same distribution:

* ``"vectorized"`` (default): numpy over all sequences at once, with a ``numpy.random.Generator``.
* ``"reference"``: a per-sequence loop that makes exactly the authors' calls on a legacy
  ``numpy.random.RandomState`` in the authors' order. With seed 33 it regenerates the paper's Task-1
  data (motif-count table 15,032 / 7,422 / 5,115 / 1,535 / 896). It is ~50x slower and is kept as
  the fidelity check and the benchmark baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from tqdm import tqdm

from .datasets import Dataset, Split, check_split_size, split_indices
from .errors import ShapeError, UnknownNameError
from .motifs import DEFAULT_RELEASE, TASK1_MOTIF_IDS, TASK3_CORE_IDS, Motif, load_jaspar, with_reverse_complements

#: Probability of 1, 2, 3, 4, 5 motifs per sequence in Task 1.
TASK1_COUNT_PROBS = {1: 0.50, 2: 0.25, 3: 0.17, 4: 0.05, 5: 0.03}
#: Probability of 3 ... 7 motifs per sequence in Task 3.
TASK3_COUNT_PROBS = {3: 0.50, 4: 0.25, 5: 0.17, 6: 0.05, 7: 0.03}

#: The 50 background TFs of the paper's Task-3 pool. They are what the authors' selection (a
#: RandomState(22) permutation of the 519 motifs of ``pfm_vertebrates.txt``, the first 65, then the
#: first 50 in Python set order) yields; ``tests/test_simulate.py`` re-derives them from the file.
PAPER_TASK3_BACKGROUND_IDS = (
    "MA0909.1", "MA0004.1", "MA0006.1", "MA0913.1", "MA0663.1", "MA0664.1", "MA0667.1", "MA0668.1",
    "MA0038.1", "MA0046.2", "MA0682.1", "MA0050.2", "MA0057.1", "MA0063.1", "MA0693.1", "MA0697.1",
    "MA0701.1", "MA0080.4", "MA0083.3", "MA0084.1", "MA0724.1", "MA0103.2", "MA0124.2", "MA0749.1",
    "MA0752.1", "MA0754.1", "MA0142.1", "MA0143.3", "MA0757.1", "MA0763.1", "MA0765.1", "MA0160.1",
    "MA0161.1", "MA0163.1", "MA0164.1", "MA0461.2", "MA0464.2", "MA0786.1", "MA0471.1", "MA0482.1",
    "MA0489.1", "MA0492.1", "MA0498.2", "MA0823.1", "MA0507.1", "MA0830.1", "MA0513.1", "MA0512.2",
    "MA0838.1", "MA0593.1",
)


@dataclass
class SequenceModels:
    """Per-sequence ground truth drawn in step 1.

    Attributes
    ----------
    model : numpy.ndarray, shape=(N, L, 4), float32
        The sequence-model PPM (0.25 in gaps, the motif PPM where a motif is planted).
    planted : numpy.ndarray, shape=(N, K), int16
        Pool index of each planted motif in order along the sequence, -1 past the last.
    starts : numpy.ndarray, shape=(N, K), int16
        Start position of each planted motif, -1 past the last.
    """

    model: np.ndarray
    planted: np.ndarray
    starts: np.ndarray

    @property
    def n_motifs(self) -> np.ndarray:
        """Number of planted motifs per sequence, shape (N,)."""
        return (self.planted >= 0).sum(1)


def _normalise_counts(count_probs) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(count_probs, dict):
        counts = np.array(sorted(count_probs), dtype=int)
        probs = np.array([count_probs[c] for c in counts], dtype=float)
    else:
        probs = np.asarray(count_probs, dtype=float)
        counts = np.arange(1, len(probs) + 1)
    if (counts < 1).any() or (probs < 0).any() or not np.isclose(probs.sum(), 1.0, atol=1e-6):
        raise ValueError(f"count_probs must map counts >= 1 to probabilities summing to 1; got {count_probs}")
    return counts, probs


def _check_fits(widths: np.ndarray, length: int, counts: np.ndarray, probs: np.ndarray) -> None:
    # every count drawn with positive probability must fit, else the redraw loops never end
    most = int(counts[probs > 0].max())
    if most * int(widths.min()) >= length:
        raise ShapeError(f"sequences of length {length} cannot hold {most} motifs of width "
                         f">= {widths.min()} (count_probs allows {most} per sequence): use a longer "
                         f"length or fewer motifs")


def _pool_arrays(pool: Sequence[Motif], length: int, counts: np.ndarray, probs: np.ndarray):
    if len(pool) == 0:
        raise ValueError("the motif pool is empty")
    widths = np.array([m.length for m in pool], dtype=np.int64)
    _check_fits(widths, length, counts, probs)
    bank = np.concatenate([m.ppm for m in pool]).astype(np.float32)
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]])
    return widths, bank, offsets


def sample_sequence_models(pool: Sequence[Motif], n_sequences: int, length: int, count_probs,
                           rng: np.random.Generator, gap_high: float = 1.0) -> SequenceModels:
    """Draw ground-truth sequence models (step 1), vectorised over sequences.

    Parameters
    ----------
    pool : sequence of Motif
        Motifs to draw from uniformly with replacement (include reverse complements yourself,
        e.g. with :func:`seqlib.motifs.with_reverse_complements`).
    n_sequences, length : int
    count_probs : dict {count: probability} or sequence of probabilities for 1, 2, ...
    rng : numpy.random.Generator
    gap_high : float
        Upper bound of the uniform gap weights (1 in Task 1, 2 in Task 3; equivalent after
        normalisation, kept for fidelity).

    Returns
    -------
    SequenceModels
    """
    counts, probs = _normalise_counts(count_probs)
    widths, bank, offsets = _pool_arrays(pool, length, counts, probs)
    kmax = int(counts.max())
    cdf = np.cumsum(probs)

    def draw(size):
        """Motif count and motifs for ``size`` sequences; slots past the count are masked."""
        n = counts[np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(counts) - 1)]
        slot = np.arange(kmax)[None, :] < n[:, None]
        chosen = rng.integers(0, len(pool), size=(size, kmax))
        return n, slot, chosen, np.where(slot, widths[chosen], 0).sum(1)

    # redraw rows whose motifs do not fit (paper: 0 < total width < L); like the authors' loop, a
    # redraw draws the motif count again too
    n, slot, planted, total = draw(n_sequences)
    bad = np.flatnonzero(total >= length)
    while bad.size:
        n[bad], slot[bad], planted[bad], total[bad] = draw(bad.size)
        bad = bad[total[bad] >= length]
    planted = np.where(slot, planted, -1)

    # gaps: n + 1 weights scaled to the free length, rounded; redraw rows whose rounding misses
    remainder = length - total
    gap_slot = np.arange(kmax + 1)[None, :] <= n[:, None]
    gaps = np.zeros((n_sequences, kmax + 1), dtype=np.int64)
    todo = np.arange(n_sequences)
    while todo.size:
        w = np.where(gap_slot[todo], rng.uniform(0, gap_high, size=(todo.size, kmax + 1)), 0.0)
        g = np.round(w / w.sum(1, keepdims=True) * remainder[todo, None]).astype(np.int64)
        ok = g.sum(1) == remainder[todo]
        gaps[todo[ok]] = g[ok]
        todo = todo[~ok]

    # start of motif k = gaps[0] + sum_{j<k} (width_j + gaps[j+1])
    w_planted = np.where(slot, widths[np.maximum(planted, 0)], 0)
    starts = gaps[:, :1] + np.concatenate(
        [np.zeros((n_sequences, 1), np.int64), np.cumsum(w_planted + gaps[:, 1:], 1)[:, :-1]], 1)
    starts = np.where(slot, starts, -1)

    # scatter the motif columns into a uniform background
    model = np.full((n_sequences, length, 4), 0.25, dtype=np.float32)
    seq_i, slot_k = np.nonzero(slot)
    m_idx = planted[seq_i, slot_k]
    w_each = widths[m_idx]
    rep = np.repeat(np.arange(seq_i.size), w_each)
    within = np.arange(rep.size) - np.repeat(np.cumsum(w_each) - w_each, w_each)
    model[seq_i[rep], starts[seq_i, slot_k][rep] + within] = bank[offsets[m_idx][rep] + within]
    return SequenceModels(model, planted.astype(np.int16), starts.astype(np.int16))


def sample_sequences(model: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sample one-hot sequences from per-position probabilities (step 2, inverse CDF).

    Parameters
    ----------
    model : numpy.ndarray, shape=(N, L, 4)
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape=(N, L, 4), float32 one-hot
    """
    u = rng.random(model.shape[:2], dtype=np.float32)[..., None]
    cdf = np.cumsum(model, axis=-1, dtype=np.float32)[..., :3]
    index = (u >= cdf).sum(-1)                     # first base whose CDF exceeds u, as the paper
    return np.eye(4, dtype=np.float32)[index]


def _simulate_vectorized(pool, n, length, count_probs, rng, gap_high, chunk=10_000, progress=None):
    parts = []
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        sm = sample_sequence_models(pool, size, length, count_probs, rng, gap_high)
        parts.append((sample_sequences(sm.model, rng), sm))
        if progress is not None:
            progress.update(size)
    X = np.concatenate([p[0] for p in parts])
    kmax = max(p[1].planted.shape[1] for p in parts)
    pad = lambda a: np.pad(a, ((0, 0), (0, kmax - a.shape[1])), constant_values=-1)  # noqa: E731
    return X, SequenceModels(np.concatenate([p[1].model for p in parts]),
                             np.concatenate([pad(p[1].planted) for p in parts]),
                             np.concatenate([pad(p[1].starts) for p in parts]))


# ----------------------------------------------------------------------------- reference engine

def _reference_one(pool_cf, widths, length, counts, cdf_lower, rs, gap_high):
    """One sequence exactly as the authors' ``generate_model`` + ``simulate_sequence``."""
    while True:
        k = counts[np.where(rs.rand() > cdf_lower)[0][-1]]
        chosen = rs.randint(len(pool_cf), size=k)
        distance = int(sum(widths[c] for c in chosen))
        if length > distance > 0:
            break
    remainder = length - distance
    while True:
        sep = rs.uniform(0, gap_high, size=k + 1)
        sep = np.round(sep / sum(sep) * remainder).astype(int)
        if np.sum(sep) == remainder:
            break
    columns = [np.ones((4, sep[0])) / 4]
    for i, c in enumerate(chosen):
        columns += [pool_cf[c], np.ones((4, sep[i + 1])) / 4]
    model = np.hstack(columns)                                     # (4, L), channels first
    z = rs.uniform(0, 1, length)
    cum = model.cumsum(axis=0)
    one_hot = np.zeros((4, length))
    for i in range(length):
        one_hot[[j for j in range(4) if z[i] < cum[j, i]][0], i] = 1
    starts = sep[0] + np.concatenate([[0], np.cumsum(widths[chosen][:-1] + sep[1:-1])])
    return one_hot, model, chosen, starts


def _simulate_reference(pool, n, length, count_probs, rs, gap_high, progress=None):
    counts, probs = _normalise_counts(count_probs)
    cdf_lower = np.concatenate([[0.0], np.cumsum(probs)[:-1]])
    pool_cf = [m.ppm.T for m in pool]
    widths = np.array([m.length for m in pool])
    _check_fits(widths, length, counts, probs)
    kmax = int(counts.max())
    X = np.zeros((n, length, 4), np.float32)
    model = np.zeros((n, length, 4), np.float32)
    planted = np.full((n, kmax), -1, np.int16)
    starts = np.full((n, kmax), -1, np.int16)
    for j in range(n):
        one_hot, m, chosen, st = _reference_one(pool_cf, widths, length, counts, cdf_lower, rs, gap_high)
        X[j], model[j] = one_hot.T, m.T
        planted[j, :len(chosen)], starts[j, :len(chosen)] = chosen, st
        if progress is not None:
            progress.update(1)
    return X, SequenceModels(model, planted, starts)


# ----------------------------------------------------------------------------- tasks

def _progress(total, enabled, desc):
    if not enabled:
        return None
    return tqdm(total=total, desc=desc, unit="seq")


def _assemble(X, y, sm, rng_or_rs, split, meta) -> Dataset:
    n = len(X)
    order = rng_or_rs.permutation(n)
    parts = split_indices(order, split)
    splits = {name: Split(X[idx], y[idx], sm.model[idx], sm.planted[idx], sm.starts[idx])
              for name, idx in parts.items()}
    return Dataset(**splits, meta=meta)


def _engine(engine: str, seed: int):
    if engine == "vectorized":
        return np.random.default_rng(seed)
    if engine == "reference":
        return np.random.RandomState(seed)
    raise UnknownNameError(f"engine must be 'vectorized' or 'reference'; got {engine!r}")


def simulate_task1(motifs: Sequence[str] | Sequence[Motif] = TASK1_MOTIF_IDS, *, n_sequences: int = 30_000,
                   length: int = 200, count_probs=TASK1_COUNT_PROBS, seed: int = 33,
                   split=(0.7, 0.1, 0.2), release: str = DEFAULT_RELEASE, engine: str = "vectorized",
                   progress: bool = False) -> Dataset:
    """Task 1: multi-label TF binding with 1-5 planted motifs per sequence (Methods §1.1).

    Parameters
    ----------
    motifs : sequence of JASPAR IDs/names or Motif
        One class per motif, in label order. Default: the paper's 12 TFs.
    n_sequences, length : int
        30,000 sequences of length 200 in the paper.
    count_probs : dict
        Probability of each number of motifs per sequence.
    seed : int
        The paper used 33.
    split : tuple of 3 floats
        Train / valid / test fractions (21,000 / 3,000 / 6,000 in the paper).
    release : str
        JASPAR release for IDs/names (pinned; JASPAR2016 by default).
    engine : {"vectorized", "reference"}
        See the module docstring. ``"reference"`` with seed 33 regenerates the authors' data.
    progress : bool
        Show a tqdm bar.

    Returns
    -------
    Dataset
        Splits with ``X`` (N, L, 4) float32 one-hot, ``y`` (N, n_motifs) float32 multi-hot,
        ``model`` (N, L, 4) float32 ground-truth PPM, ``planted``/``starts`` (N, K) int16.

    Raises
    ------
    ValueError
        Too few sequences for non-empty splits (:func:`seqlib.datasets.min_split_size`: 7 for 70/10/20).
    """
    n_sequences = check_split_size(n_sequences, split)
    base = _as_motifs(motifs, release)
    pool = with_reverse_complements(base)
    rng = _engine(engine, seed)
    bar = _progress(n_sequences, progress, "task1")
    if engine == "vectorized":
        X, sm = _simulate_vectorized(pool, n_sequences, length, count_probs, rng, 1.0, progress=bar)
    else:
        X, sm = _simulate_reference(pool, n_sequences, length, count_probs, rng, 1.0, progress=bar)
    if bar is not None:
        bar.close()
    y = np.zeros((n_sequences, len(base)), np.float32)
    rows, slots = np.nonzero(sm.planted >= 0)
    y[rows, sm.planted[rows, slots] // 2] = 1.0
    meta = dict(task="task1", seed=seed, engine=engine, release=release, length=length,
                n_sequences=n_sequences, count_probs={int(k): float(v) for k, v in dict(
                    zip(*_normalise_counts(count_probs))).items()},
                class_ids=[m.id for m in base], class_names=[m.name for m in base],
                pool_ids=[m.id for m in pool])
    return _assemble(X, y, sm, rng, split, meta)


def simulate_task3(core: Sequence[str] | Sequence[Motif] = TASK3_CORE_IDS,
                   background: Sequence[str] | Sequence[Motif] = PAPER_TASK3_BACKGROUND_IDS, *,
                   n_sequences: int = 20_000, length: int = 200, count_probs=TASK3_COUNT_PROBS,
                   seed: int = 22, split=(0.7, 0.1, 0.2), include_core_in_background: bool = True,
                   release: str = DEFAULT_RELEASE, engine: str = "vectorized",
                   progress: bool = False) -> Dataset:
    """Task 3: binary "regulatory code" task, core-motif grammar vs background (Methods §1.3).

    Half the sequences (label 1) carry 3-7 motifs drawn from the core pool (each core motif and its
    reverse complement); the other half (label 0) draw 3-7 motifs from the background pool.

    Parameters
    ----------
    core, background : sequence of JASPAR IDs/names or Motif
        Default: the paper's 5 core TFs and its 50 background TFs.
    include_core_in_background : bool
        The paper prepends the core motifs to the background pool (so ~31 % of negatives hold a
        core motif). True reproduces that; False gives negatives free of core motifs.
    engine : {"vectorized", "reference"}
        ``"reference"`` replays the authors' RandomState stream (including the draw that picked the
        background pool) and, with the defaults, regenerates their data.

    Returns
    -------
    Dataset
        ``y`` has shape (N, 1); ``planted`` indexes the background pool for negatives and the core
        pool for positives (``meta['pool_ids']`` and ``meta['background_pool_ids']``).

    Raises
    ------
    ValueError
        Too few sequences for non-empty splits (:func:`seqlib.datasets.min_split_size`: 7 for 70/10/20).
    """
    n_sequences = check_split_size(n_sequences, split)
    core_pool = with_reverse_complements(_as_motifs(core, release))
    background_pool = (list(core_pool) if include_core_in_background else []) + \
        with_reverse_complements(_as_motifs(background, release))
    rng = _engine(engine, seed)
    n_pos = n_sequences // 2
    n_neg = n_sequences - n_pos
    bar = _progress(n_sequences, progress, "task3")
    if engine == "vectorized":
        X1, sm1 = _simulate_vectorized(core_pool, n_pos, length, count_probs, rng, 2.0, progress=bar)
        X0, sm0 = _simulate_vectorized(background_pool, n_neg, length, count_probs, rng, 2.0, progress=bar)
    else:
        rng.permutation(519)   # the authors' background-pool draw comes first in their stream
        X1, sm1 = _simulate_reference(core_pool, n_pos, length, count_probs, rng, 2.0, progress=bar)
        X0, sm0 = _simulate_reference(background_pool, n_neg, length, count_probs, rng, 2.0, progress=bar)
    if bar is not None:
        bar.close()
    X = np.concatenate([X1, X0])
    sm = SequenceModels(np.concatenate([sm1.model, sm0.model]), np.concatenate([sm1.planted, sm0.planted]),
                        np.concatenate([sm1.starts, sm0.starts]))
    y = np.concatenate([np.ones((n_pos, 1), np.float32), np.zeros((n_neg, 1), np.float32)])
    meta = dict(task="task3", seed=seed, engine=engine, release=release, length=length,
                n_sequences=n_sequences, include_core_in_background=include_core_in_background,
                count_probs={int(k): float(v) for k, v in dict(zip(*_normalise_counts(count_probs))).items()},
                class_ids=["core"], class_names=["core grammar"],
                pool_ids=[m.id for m in core_pool], background_pool_ids=[m.id for m in background_pool])
    return _assemble(X, y, sm, rng, split, meta)


def paper_task3_background_ids(all_motifs: Sequence[Motif], seed: int = 22, n_draw: int = 65,
                               n_keep: int = 50) -> list[str]:
    """Re-derive the paper's Task-3 background TFs from the motifs of ``pfm_vertebrates.txt``.

    Replays the authors' selection: ``RandomState(seed).permutation(len(all_motifs))[:n_draw]``, drop
    the indices {4, 5, 12, 15, 17, 18, 20, 36, 42, 60} (a no-op with seed 22, see Methods §1.3),
    then the first ``n_keep`` in CPython's iteration order of the resulting ``set`` of ints.

    Parameters
    ----------
    all_motifs : sequence of Motif
        The 519 motifs in file order (:func:`seqlib.motifs.read_jaspar_pfm`).
    """
    index = np.random.RandomState(seed).permutation(len(all_motifs))[:n_draw]
    kept = set(int(i) for i in index) - {4, 5, 12, 15, 17, 18, 20, 36, 42, 60}
    return [all_motifs[i].id for i in list(kept)[:n_keep]]


def _as_motifs(motifs, release) -> list[Motif]:
    motifs = list(motifs)
    if not motifs:
        raise ValueError("at least one motif is needed")
    if all(isinstance(m, Motif) for m in motifs):
        return motifs
    if all(isinstance(m, str) for m in motifs):
        return load_jaspar(motifs, release)
    raise TypeError("motifs must be all JASPAR IDs/names (str) or all Motif objects")
