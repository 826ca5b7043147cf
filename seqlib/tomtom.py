"""Tomtom without the MEME suite (memelite), and matching filters to ground-truth motifs (Methods §6, §7.1).

The paper ran ``tomtom -evalue -thresh 0.1 filters.meme JASPAR_CORE_2016_vertebrates.meme`` (MEME 5.1.0).
:func:`tomtom` reproduces that call with memelite's numba Tomtom:

* **Scores.** memelite implements Tomtom's Euclidean column distance with complete scoring; on the
  paper's task it gives the same calls as ``tomtom -dist ed`` (checked against MEME 5.5.8 on
  trained CNN-deep filters, log-p correlation 1.000; Methods §6). MEME 5.1.0 may have defaulted to
  ``-dist pearson``; on this task that moves match fractions by at most ±0.06 per model, and the
  match-any of relu filters is about twice Pearson's (:data:`STATISTIC_NOTES`). The book quotes both
  beside the paper's numbers.
* **Versions.** memelite's results depend on its version (0.5 clips p-values and guards a workspace
  overrun); the project pins it, and :func:`result_versions` reports the versions that move numbers.
* **E-values** are ``p × number of targets``, as MEME computes them.
* **q-values** are Benjamini–Hochberg over each query's p-values against all targets. MEME also
  estimates the null fraction π0, so its q-values are at most ours. The paper uses q only to break ties
  between ground-truth families, never as a threshold.
* **Guards.** p-values are clipped to [0, 1] (memelite issue #7: near-uniform queries can give values
  outside it), and queries without information (every column within 1e-3 bits of uniform, e.g. dead
  filters) are given p = 1 against every target.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import ShapeError
from .motifs import Motif, information_content, jaspar_collection, read_meme
from .paths import jaspar2016_meme, project_root

#: MEME's tomtom.tsv columns, in its order.
COLUMNS = ["Query_ID", "Target_ID", "Optimal_offset", "p-value", "E-value", "q-value", "Overlap",
           "Query_consensus", "Target_consensus", "Orientation"]

#: Extra JASPAR IDs the paper accepted per ground-truth TF (Methods §7.1), beyond every version of
#: the simulated matrix itself, filed as the authors' table files them. Their table lists MEF2B (MA0660.1)
#: and MEF2D (MA0773.1) under **STAT1**, although both are MEF2 motifs; this is kept so that filter labels
#: (Fig 1b) and family coverage are the authors'. It never changes match_fraction, which counts a hit to any
#: family. :data:`MEF2_EXTRA_IDS` files them under MEF2A instead.
PAPER_EXTRA_IDS: dict[str, tuple[str, ...]] = {
    "MA0151": ("MA0601.1", "PB0001.1"),        # Arid3a: Arid3b, and a PBM matrix absent from CORE
    "MA0502": ("MA0060.1", "MA0060.2"),        # NFYB: NFYA
    "MA0137": ("MA0660.1", "MA0773.1"),        # STAT1: MEF2B, MEF2D (as the authors' table)
}

#: :data:`PAPER_EXTRA_IDS` with MEF2B and MEF2D accepted for MEF2A, the TF family they belong to
#: (pass as ``extra=`` to :func:`ground_truth_families`).
MEF2_EXTRA_IDS: dict[str, tuple[str, ...]] = {
    **{k: v for k, v in PAPER_EXTRA_IDS.items() if k != "MA0137"},
    "MA0052": ("MA0660.1", "MA0773.1"),
}

#: How this build's Tomtom differs from the paper's for a filter statistic, measured on the same filters
#: with both tools (Methods §6); the book's comparison tables put it beside the paper's numbers.
STATISTIC_NOTES: dict[str, str] = {
    "match_any": "Euclidean Tomtom (memelite): relu match-any about 2x MEME's Pearson on the same filters (Methods §6)",
}

#: Installed packages whose version changes this project's numbers, and what each one moves.
RESULT_PACKAGES: dict[str, str] = {
    "memelite": "Tomtom p-values (0.5 clips p-values and guards a workspace overrun that 0.4 only warns about)",
    "numba": "compiles memelite's Tomtom kernels",
    "pyjaspar": "the JASPAR matrices planted in the synthetic tasks and used for the scans",
    "numpy": "random streams of the data generators and every array computation",
    "tensorflow": "training arithmetic (trained weights)",
    "keras": "layers, initialisers and optimiser (trained weights)",
}


def result_versions() -> dict[str, str | None]:
    """Installed versions of the packages in :data:`RESULT_PACKAGES` (None when one is not installed),
    for the status page: results are comparable between builds only with the same versions.

    Returns
    -------
    dict package name → version string or None, in the order of :data:`RESULT_PACKAGES`
    """
    out: dict[str, str | None] = {}
    for name in RESULT_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _numba_cache() -> None:
    """Keep memelite's compiled kernels (about a minute to compile) in one place per checkout or user:
    ``.cache/numba`` in a checkout, else ``$XDG_CACHE_HOME/seqlib/numba`` (``~/.cache/...``), unless
    ``NUMBA_CACHE_DIR`` is set."""
    if "NUMBA_CACHE_DIR" not in os.environ:
        root = project_root()
        if (root / "pyproject.toml").exists() and (root / "seqlib").is_dir():
            cache = root / ".cache" / "numba"
        else:
            cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "seqlib" / "numba"
        cache.mkdir(parents=True, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = str(cache)


def _tomtom_compiled() -> bool:
    """Whether numba's cache (``$NUMBA_CACHE_DIR``) holds memelite's compiled Tomtom for this installation.

    numba files a module's kernels under ``<package folder name>_<sha1 of the package folder's path>``; True
    when that cannot be told (memelite absent: its import fails with its own message).
    """
    spec = importlib.util.find_spec("memelite")
    cache = os.environ.get("NUMBA_CACHE_DIR")
    if spec is None or not spec.origin or not cache:
        return True
    package = os.path.dirname(os.path.abspath(spec.origin))
    folder = Path(cache) / f"{os.path.basename(package)}_{hashlib.sha1(package.encode()).hexdigest()}"
    return any(folder.glob("tomtom._tomtom-*.nbi"))


_announced = False


def _announce_compilation() -> None:
    """Say once per process, on stderr, that the first Tomtom call compiles (about 2 min of silence otherwise)."""
    global _announced
    if _announced:
        return
    _announced = True
    if not _tomtom_compiled():
        print(f"seqlib: compiling Tomtom with numba, about 2 min on first use; cached afterwards (in "
              f"{os.environ.get('NUMBA_CACHE_DIR')})", file=sys.stderr, flush=True)


def target_motifs(targets=None, *, release: str | None = None) -> list[Motif]:
    """Tomtom targets: a list of Motif, a MEME file, or a pyjaspar release's CORE vertebrates.

    Default (both None): the paper's database, ``data/JASPAR_CORE_2016_vertebrates.meme`` (518 motifs).
    """
    if targets is not None and release is not None:
        raise ValueError("give either targets or release, not both")
    if release is not None:
        return jaspar_collection(release)
    if targets is None:
        return read_meme(jaspar2016_meme())
    if isinstance(targets, (str, Path)):
        return read_meme(targets)
    targets = list(targets)
    if not targets or not all(isinstance(t, Motif) for t in targets):
        raise TypeError("targets must be a MEME path, a non-empty list of Motif, or None")
    return targets


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values along the last axis."""
    n = p.shape[-1]
    order = np.argsort(p, axis=-1)
    ranked = np.take_along_axis(p, order, -1) * n / np.arange(1, n + 1)
    ranked = np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1]
    q = np.empty_like(ranked)
    np.put_along_axis(q, order, np.minimum(ranked, 1.0), -1)
    return q


def consensus(ppm) -> str:
    """Most probable base per column of a PPM ``(L, 4)`` (``N`` where the column is uniform)."""
    ppm = np.asarray(ppm)
    letters = np.array(list("ACGT"))[ppm.argmax(1)]
    letters[np.isclose(ppm, 0.25).all(1)] = "N"
    return "".join(letters)


def tomtom(queries: Sequence[Motif], targets=None, *, release: str | None = None, evalue_threshold: float = 0.1,
           n_jobs: int = -1) -> pd.DataFrame:
    """Compare query motifs with a target database, like ``tomtom -evalue -thresh 0.1``.

    Parameters
    ----------
    queries : sequence of Motif
        E.g. :func:`seqlib.filters.filter_motifs` (clipped filter PPMs named ``filter0`` ...).
    targets : list of Motif or path to a MEME file, optional
        Default: the paper's JASPAR CORE 2016 vertebrates file (518 motifs).
    release : str, optional
        Use a pyjaspar release's CORE vertebrates instead (e.g. ``"JASPAR2024"``).
    evalue_threshold : float
        Report pairs with E-value ≤ this (paper: 0.1); ``None`` reports every pair.

    Returns
    -------
    pandas.DataFrame
        One row per reported (query, target) pair with MEME's columns :data:`COLUMNS`, sorted by query
        order then p-value. ``attrs["n_targets"]`` holds the database size.
    """
    _numba_cache()
    _announce_compilation()
    from memelite import tomtom as _tomtom

    queries = list(queries)
    if not queries:
        raise ValueError("tomtom needs at least one query motif")
    for q in queries:
        if q.ppm.ndim != 2 or q.ppm.shape[1] != 4:
            raise ShapeError(f"query {q.id} must have a (L, 4) PPM; got {q.ppm.shape}")
    targets = target_motifs(targets, release=release)
    p, _, offsets, overlaps, strands = _tomtom([np.ascontiguousarray(q.ppm.T) for q in queries],
                                               [np.ascontiguousarray(t.ppm.T) for t in targets], n_jobs=n_jobs)
    p = np.clip(np.nan_to_num(np.asarray(p, dtype=np.float64), nan=1.0), 0.0, 1.0)
    empty = np.array([information_content(q.ppm, eps=1e-10).max() < 1e-3 for q in queries])
    p[empty] = 1.0
    n_targets = len(targets)
    evalues = p * n_targets
    qvalues = _bh(p)
    keep = np.ones_like(p, dtype=bool) if evalue_threshold is None else evalues <= evalue_threshold
    qi, ti = np.nonzero(keep)
    table = pd.DataFrame({
        "Query_ID": [queries[i].id for i in qi],
        "Target_ID": [targets[j].id for j in ti],
        "Optimal_offset": np.asarray(offsets)[qi, ti].astype(int),
        "p-value": p[qi, ti], "E-value": evalues[qi, ti], "q-value": qvalues[qi, ti],
        "Overlap": np.asarray(overlaps)[qi, ti].astype(int),
        "Query_consensus": [consensus(queries[i].ppm) for i in qi],
        "Target_consensus": [consensus(targets[j].ppm) for j in ti],
        "Orientation": np.where(np.asarray(strands)[qi, ti] == 1, "-", "+"),
    }, columns=COLUMNS)
    table["_order"] = qi
    table = table.sort_values(["_order", "p-value"], kind="stable").drop(columns="_order").reset_index(drop=True)
    table.attrs["n_targets"] = n_targets
    return table


def ground_truth_families(motif_ids: Sequence[str], targets=None, *, release: str | None = None,
                          extra: Mapping[str, Sequence[str]] = PAPER_EXTRA_IDS,
                          names: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Accepted Tomtom target IDs for each simulated motif ("families", Methods §7.1).

    A family holds every version of the motif's matrix ID present in the target database (e.g. MAX
    MA0058.3 accepts MA0058.1–.3) plus the explicit ``extra`` IDs for that base ID (the paper's table
    for its 12 TFs, :data:`PAPER_EXTRA_IDS`; :data:`MEF2_EXTRA_IDS` moves MEF2B/D from STAT1 to MEF2A),
    so it works for any motif set a user simulates.

    Parameters
    ----------
    motif_ids : sequence of str
        The JASPAR IDs used to make the data (one family each, in class order).
    names : sequence of str, optional
        Family names (default: the IDs).

    Returns
    -------
    dict name → list of accepted target IDs (only IDs present in the database)
    """
    target_ids = [t.id for t in target_motifs(targets, release=release)]
    families = {}
    for k, motif_id in enumerate(motif_ids):
        base = motif_id.split(".")[0]
        accepted = [t for t in target_ids if t.split(".")[0] == base]
        accepted += [t for t in extra.get(base, ()) if t in target_ids and t not in accepted]
        families[names[k] if names is not None else motif_id] = accepted
    return families


def match_filters(table: pd.DataFrame, n_filters: int, families: Mapping[str, Sequence[str]],
                  prefix: str = "filter") -> pd.DataFrame:
    """Best ground-truth family per filter (lowest q-value among hits to any family member).

    Returns
    -------
    DataFrame with one row per filter: ``filter`` (index j), ``best_family`` ("" if none),
    ``best_target``, ``q-value``, ``any_hit`` (a Tomtom hit to any database motif) and the best
    database match overall (``top_target``, ``top_p``).
    """
    member = {t: fam for fam, ids in families.items() for t in ids}
    rows = []
    by_query = {q: g for q, g in table.groupby("Query_ID", sort=False)}
    for j in range(n_filters):
        hits = by_query.get(f"{prefix}{j}")
        row = {"filter": j, "best_family": "", "best_target": "", "q-value": np.nan, "any_hit": hits is not None,
               "top_target": "", "top_p": np.nan}
        if hits is not None:
            top = hits.loc[hits["p-value"].idxmin()]
            row.update(top_target=top["Target_ID"], top_p=float(top["p-value"]))
            fam_hits = hits[hits["Target_ID"].isin(member)]
            if len(fam_hits):
                best = fam_hits.loc[fam_hits["q-value"].idxmin()]
                row.update(best_family=member[best["Target_ID"]], best_target=best["Target_ID"],
                           **{"q-value": float(best["q-value"])})
        rows.append(row)
    return pd.DataFrame(rows)


def match_statistics(table: pd.DataFrame, n_filters: int, families: Mapping[str, Sequence[str]],
                     prefix: str = "filter") -> dict:
    """The paper's filter statistics from a Tomtom table (Methods §7.1).

    Returns
    -------
    dict
        ``match_fraction``: filters with a hit (E ≤ threshold) to any ground-truth family / n_filters
        (Fig 1c); ``match_any``: filters with any database hit / n_filters; ``coverage``: fraction of
        families matched by at least one filter (the intended meaning; the authors' version was
        degenerate); ``n_filters``; ``families_matched`` (list).
    """
    per_filter = match_filters(table, n_filters, families, prefix)
    matched = sorted(set(per_filter["best_family"]) - {""})
    # a family counts for coverage if any filter hits any of its members, not only as its best match
    queries = table["Query_ID"].astype(str)          # an empty table read from CSV has float columns
    hit_targets = set(table["Target_ID"][queries.str.startswith(prefix)].astype(str))
    covered = [fam for fam, ids in families.items() if hit_targets.intersection(ids)]
    return {
        "match_fraction": float((per_filter["best_family"] != "").mean()) if n_filters else float("nan"),
        "match_any": float(per_filter["any_hit"].mean()) if n_filters else float("nan"),
        "coverage": len(covered) / len(families) if families else float("nan"),
        "n_filters": int(n_filters),
        "families_matched": matched,
        "families_covered": covered,
    }

