"""Motifs: JASPAR matrices (offline, via pyjaspar), PFM/PPM arithmetic and MEME v4 file I/O.

Convention: every matrix in seqlib is **length-major**, shape ``(L, 4)`` with columns A, C, G, T,
the same layout as one position of a one-hot sequence ``(N, L, 4)``. The MEME format and memelite
use ``(4, L)``; the conversion happens only inside :func:`read_meme` / :func:`write_meme` and the
Tomtom wrapper.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ._io import atomic_path
from ._validate import check_ppm
from .errors import FormatError, ShapeError, UnknownMotifError, UnknownReleaseError

ALPHABET = "ACGT"

#: The JASPAR release the paper used (CORE vertebrates, 519 motifs in its non-redundant set).
DEFAULT_RELEASE = "JASPAR2016"

#: The 12 transcription factors of Task 1, in label order (Methods §1.1), with the JASPAR2016
#: matrix each name resolves to by exact-name lookup.
TASK1_MOTIF_IDS = ("MA0151.1", "MA0466.2", "MA0477.1", "MA0062.2", "MA0496.1", "MA0058.3",
                   "MA0052.3", "MA0502.1", "MA0079.3", "MA0083.3", "MA0137.3", "MA0095.2")
TASK1_MOTIF_NAMES = ("Arid3a", "CEBPB", "FOSL1", "Gabpa", "MAFK", "MAX",
                     "MEF2A", "NFYB", "SP1", "SRF", "STAT1", "YY1")

#: The 5 core motifs of Task 3 (SP1, Gabpa, CEBPB, MAX, YY1), in the paper's pool order.
TASK3_CORE_IDS = ("MA0079.3", "MA0062.2", "MA0466.2", "MA0058.3", "MA0095.2")


@dataclass(frozen=True)
class Motif:
    """A named position probability matrix.

    Attributes
    ----------
    id : str
        Matrix ID, e.g. ``"MA0058.3"`` (or any label for non-JASPAR motifs).
    name : str
        TF name, e.g. ``"MAX"``.
    ppm : numpy.ndarray, shape=(L, 4)
        Probabilities per position, columns A, C, G, T, rows summing to 1.
    """

    id: str
    name: str
    ppm: np.ndarray = field(repr=False)

    @property
    def length(self) -> int:
        return int(self.ppm.shape[0])

    def reverse_complement(self) -> "Motif":
        """The motif on the opposite strand (id and name get an ``_rc`` suffix)."""
        return Motif(f"{self.id}_rc", f"{self.name}_rc", reverse_complement(self.ppm))


# ----------------------------------------------------------------------------- matrix arithmetic

def pfm_to_ppm(counts, pseudocount: float = 0.0) -> np.ndarray:
    """Convert a position frequency (count) matrix to a position probability matrix.

    Parameters
    ----------
    counts : array_like, shape=(L, 4)
        Counts per position, columns A, C, G, T.
    pseudocount : float
        Added to every count before normalising. The paper uses none (0).

    Returns
    -------
    numpy.ndarray, shape=(L, 4), float64
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[1] != 4:
        raise ShapeError(f"counts must have shape (L, 4); got {counts.shape}")
    if (counts < 0).any():
        raise ShapeError("counts must be non-negative")
    counts = counts + pseudocount
    totals = counts.sum(1, keepdims=True)
    if (totals <= 0).any():
        raise ShapeError(f"counts has a position with zero total count (row {int(np.argmin(totals))})")
    return counts / totals


def reverse_complement(ppm) -> np.ndarray:
    """Reverse complement of a matrix (or one-hot sequences) in A, C, G, T order.

    Parameters
    ----------
    ppm : array_like, shape=(..., L, 4)
        Reversing both the position axis and the ACGT axis gives the opposite strand.

    Returns
    -------
    numpy.ndarray, same shape as ``ppm``
    """
    ppm = np.asarray(ppm)
    if ppm.shape[-1] != 4:
        raise ShapeError(f"reverse_complement expects (..., L, 4); got {ppm.shape}")
    return ppm[..., ::-1, ::-1].copy()


def information_content(ppm, eps: float = 1e-10) -> np.ndarray:
    """Per-position information content in bits, ``2 + sum_a p_a log2(p_a + eps)``.

    Parameters
    ----------
    ppm : array_like, shape=(..., L, 4)
    eps : float
        Added inside the log; the paper uses 1e-10 for ground truth and 1e-7 when clipping filters.

    Returns
    -------
    numpy.ndarray, shape=(..., L)
    """
    ppm = np.asarray(ppm, dtype=np.float64)
    if ppm.shape[-1] != 4:
        raise ShapeError(f"information_content expects (..., L, 4); got {ppm.shape}")
    return 2.0 + np.sum(ppm * np.log2(ppm + eps), axis=-1)


# ----------------------------------------------------------------------------- JASPAR via pyjaspar

def jaspar_releases() -> list[str]:
    """The JASPAR releases bundled with the installed pyjaspar, newest first."""
    from pyjaspar import jaspardb
    return list(jaspardb().get_releases())


def _check_release(release: str) -> None:
    available = jaspar_releases()
    if release not in available:
        raise UnknownReleaseError(f"JASPAR release {release!r} is not bundled with pyjaspar; "
                                  f"available releases: {', '.join(available)}")


def _record_to_motif(record) -> Motif:
    counts = np.array([record.counts[b] for b in ALPHABET], dtype=np.float64).T
    return Motif(record.matrix_id, record.name, pfm_to_ppm(counts))


@functools.lru_cache(maxsize=16)
def _collection(release: str, collection: str, tax_group: str | None) -> tuple[Motif, ...]:
    _check_release(release)
    from pyjaspar import jaspardb
    kwargs = {"collection": collection}
    if tax_group is not None:
        kwargs["tax_group"] = [tax_group]
    records = jaspardb(release=release).fetch_motifs(**kwargs)
    motifs = tuple(sorted((_record_to_motif(r) for r in records), key=lambda m: m.id))
    return motifs


def jaspar_collection(release: str = DEFAULT_RELEASE, collection: str = "CORE",
                      tax_group: str | None = "vertebrates") -> list[Motif]:
    """All (latest-version) motifs of a JASPAR collection, sorted by matrix ID.

    Parameters
    ----------
    release : str
        A release pyjaspar ships, e.g. ``"JASPAR2016"`` (the paper's, 519 CORE vertebrate motifs).
    collection : str
        ``"CORE"`` by default.
    tax_group : str or None
        ``"vertebrates"`` by default; None for every taxon.

    Returns
    -------
    list of Motif, each with ``ppm`` of shape (L, 4)
    """
    return list(_collection(release, collection, tax_group))


@functools.lru_cache(maxsize=4096)
def _by_id(release: str, matrix_id: str) -> Motif | None:
    _check_release(release)
    from pyjaspar import jaspardb
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = jaspardb(release=release).fetch_motif_by_id(matrix_id)
    return None if record is None else _record_to_motif(record)


_ID_PATTERN = re.compile(r"^[A-Z]{2}\d{4}(\.\d+)?$")


def load_jaspar(ids_or_names: str | Iterable[str], release: str = DEFAULT_RELEASE, *,
                collection: str = "CORE", tax_group: str | None = "vertebrates") -> list[Motif]:
    """Load JASPAR motifs by matrix ID or TF name from a pinned, offline pyjaspar release.

    A matrix ID with a version (``"MA0058.3"``) is fetched exactly; without one (``"MA0058"``) the
    latest version in the release is used. Anything else is a TF name, matched exactly (then
    case-insensitively) against ``collection`` / ``tax_group`` of the release, as the paper did:
    ``"MAX"`` resolves to MA0058.3, not MAX::MYC.

    Parameters
    ----------
    ids_or_names : str or iterable of str
    release : str
        Defaults to ``"JASPAR2016"``, the paper's release. Always pinned, never "latest".

    Returns
    -------
    list of Motif, in the order requested

    Raises
    ------
    UnknownReleaseError
        The release is not bundled with pyjaspar.
    UnknownMotifError
        An ID or name is not in the release (the message lists all that are missing).
    """
    if isinstance(ids_or_names, str):
        ids_or_names = [ids_or_names]
    keys = list(ids_or_names)
    _check_release(release)
    pool = jaspar_collection(release, collection, tax_group)
    by_name: dict[str, list[Motif]] = {}
    by_lower: dict[str, list[Motif]] = {}
    for m in pool:
        by_name.setdefault(m.name, []).append(m)
        by_lower.setdefault(m.name.lower(), []).append(m)
    out, missing = [], []
    for key in keys:
        if _ID_PATTERN.match(key):
            motif = _by_id(release, key)
            if motif is None:
                missing.append(key)
            else:
                out.append(motif)
            continue
        hits = by_name.get(key) or by_lower.get(key.lower())
        if not hits:
            missing.append(key)
        elif len(hits) > 1:
            raise UnknownMotifError(f"TF name {key!r} is ambiguous in {release} {collection} "
                                    f"{tax_group}: {[m.id for m in hits]}; pass a matrix ID instead")
        else:
            out.append(hits[0])
    if missing:
        raise UnknownMotifError(f"not found in {release} ({collection}, {tax_group or 'all taxa'}): "
                                f"{', '.join(repr(k) for k in missing)}")
    return out


def with_reverse_complements(motifs: Sequence[Motif]) -> list[Motif]:
    """Interleave each motif with its reverse complement: ``[m0, rc(m0), m1, rc(m1), ...]``.

    This is the pool layout of the paper's generators: pool index ``2k`` and ``2k+1`` both belong
    to motif ``k``.
    """
    pool = []
    for m in motifs:
        pool.extend([m, m.reverse_complement()])
    return pool


# ----------------------------------------------------------------------------- file formats

def read_jaspar_pfm(path) -> list[Motif]:
    """Read a JASPAR PFM text file (``>ID<tab>name`` then 4 rows ``A [ counts ]`` ...).

    This is the format of ``pfm_vertebrates.txt``, the paper's motif source.

    Returns
    -------
    list of Motif, in file order, PPMs without pseudocount
    """
    path = Path(path)
    lines = [ln.strip() for ln in path.read_text().splitlines()]
    motifs: list[Motif] = []
    i = 0
    row_re = re.compile(r"^([ACGT])\s*\[?\s*([-+0-9.eE\s]*?)\s*\]?$")
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if not line.startswith(">"):
            raise FormatError(f"{path}:{i + 1}: expected a '>ID name' header, got {line[:40]!r}")
        head = line[1:].split(None, 1)
        if not head:
            raise FormatError(f"{path}:{i + 1}: empty motif header")
        motif_id, name = head[0], (head[1].strip() if len(head) > 1 else head[0])
        rows = {}
        for j in range(1, 5):
            if i + j >= len(lines):
                raise FormatError(f"{path}: motif {motif_id} is truncated (needs 4 count rows A, C, G, T)")
            m = row_re.match(lines[i + j])
            if not m:
                raise FormatError(f"{path}:{i + j + 1}: bad count row for {motif_id}: {lines[i + j][:40]!r}")
            try:
                rows[m.group(1)] = [float(v) for v in m.group(2).split()]
            except ValueError as err:
                raise FormatError(f"{path}:{i + j + 1}: non-numeric count in {motif_id}") from err
        if sorted(rows) != list(ALPHABET):
            raise FormatError(f"{path}: motif {motif_id} must have rows A, C, G, T; got {sorted(rows)}")
        widths = {len(v) for v in rows.values()}
        if len(widths) != 1 or 0 in widths:
            raise FormatError(f"{path}: motif {motif_id} has rows of unequal or zero length {sorted(widths)}")
        counts = np.array([rows[b] for b in ALPHABET]).T
        motifs.append(Motif(motif_id, name, pfm_to_ppm(counts)))
        i += 5
    if not motifs:
        raise FormatError(f"{path}: no motifs found")
    return motifs


_MEME_MATRIX = re.compile(r"letter-probability matrix:(.*)$")


def read_meme(path) -> list[Motif]:
    """Read a MEME (v4 or later) motif file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    list of Motif
        In file order; ``ppm`` has shape (w, 4) (MEME's rows are positions, columns A, C, G, T).

    Raises
    ------
    FormatError
        No ``MEME version`` line, a non-DNA alphabet, a matrix whose row count differs from its
        ``w=`` or whose rows do not have 4 probabilities summing to 1, or no motifs at all.
    """
    path = Path(path)
    lines = path.read_text().splitlines()
    if not any(ln.startswith("MEME version") for ln in lines[:50]):
        raise FormatError(f"{path}: not a MEME file (no 'MEME version' line near the top)")
    for ln in lines:
        if ln.startswith("ALPHABET") and "ACGT" not in ln.replace(" ", ""):
            raise FormatError(f"{path}: only the DNA alphabet ACGT is supported; got {ln.strip()!r}")
    motifs: list[Motif] = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line.startswith("MOTIF"):
            i += 1
            continue
        parts = line.split()
        if len(parts) < 2:
            raise FormatError(f"{path}:{i + 1}: MOTIF line without an identifier")
        motif_id = parts[1]
        name = parts[2] if len(parts) > 2 else parts[1]
        j = i + 1
        while j < len(lines) and not _MEME_MATRIX.search(lines[j]):
            if lines[j].strip().startswith("MOTIF"):
                raise FormatError(f"{path}:{i + 1}: motif {motif_id} has no letter-probability matrix")
            j += 1
        if j >= len(lines):
            raise FormatError(f"{path}:{i + 1}: motif {motif_id} has no letter-probability matrix")
        spec = _MEME_MATRIX.search(lines[j]).group(1)
        w_match = re.search(r"w=\s*(\d+)", spec)
        a_match = re.search(r"alength=\s*(\d+)", spec)
        if a_match and int(a_match.group(1)) != 4:
            raise FormatError(f"{path}:{j + 1}: motif {motif_id} has alength={a_match.group(1)}, expected 4")
        rows = []
        k = j + 1
        while k < len(lines):
            text = lines[k].strip()
            if not text:
                if rows:
                    break
                k += 1
                continue
            if text.startswith(("MOTIF", "URL")) or not re.match(r"^[-+0-9.eE]", text):
                break
            try:
                values = [float(v) for v in text.split()]
            except ValueError as err:
                raise FormatError(f"{path}:{k + 1}: non-numeric value in motif {motif_id}") from err
            if len(values) != 4:
                raise FormatError(f"{path}:{k + 1}: motif {motif_id} row has {len(values)} values, expected 4")
            rows.append(values)
            k += 1
        if not rows:
            raise FormatError(f"{path}:{j + 1}: motif {motif_id} has an empty matrix")
        if w_match and int(w_match.group(1)) != len(rows):
            raise FormatError(f"{path}:{j + 1}: motif {motif_id} declares w={w_match.group(1)} "
                              f"but has {len(rows)} rows")
        ppm = np.array(rows, dtype=np.float64)
        if not np.allclose(ppm.sum(1), 1.0, atol=0.02) or (ppm < 0).any():
            raise FormatError(f"{path}: motif {motif_id} rows are not probabilities summing to 1")
        motifs.append(Motif(motif_id, name, ppm / ppm.sum(1, keepdims=True)))
        i = k
    if not motifs:
        raise FormatError(f"{path}: no MOTIF entries found")
    return motifs


def format_meme(motifs: Sequence[Motif], *, strands: bool = True, decimals: int = 6) -> str:
    """Render motifs as MEME v4 text with a uniform background.

    Each motif is written as ``MOTIF <id> <name>`` and a ``letter-probability matrix`` with
    ``nsites=20`` (the paper wrote nsites = w; Tomtom ignores it when no pseudocount is used).
    """
    out = ["MEME version 4", "", "ALPHABET= ACGT", ""]
    if strands:
        out += ["strands: + -", ""]
    out += ["Background letter frequencies", "A 0.25 C 0.25 G 0.25 T 0.25", ""]
    for m in motifs:
        ppm = check_ppm(m.ppm, f"motif {m.id}")
        label = m.id if m.name in ("", m.id) else f"{m.id} {m.name}"
        out.append(f"MOTIF {label}")
        out.append(f"letter-probability matrix: alength= 4 w= {len(ppm)} nsites= 20 E= 0")
        out.extend(" ".join(f"{v:.{decimals}f}" for v in row) for row in ppm)
        out.append("")
    return "\n".join(out)


def write_meme(path, motifs: Sequence[Motif], **kwargs) -> Path:
    """Write motifs to a MEME v4 file atomically (temp file, then rename). See :func:`format_meme`."""
    if not motifs:
        raise ValueError("write_meme needs at least one motif")
    text = format_meme(motifs, **kwargs)
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)
