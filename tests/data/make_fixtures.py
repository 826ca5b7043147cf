"""Regenerate the binary test fixtures in this folder (deterministic: run it twice, get the same data).

    python tests/data/make_fixtures.py [OUTDIR]      # default: the folder holding this script

Writes

* ``deepsea/train.mat`` -- MATLAB v7.3 (HDF5 with a 512-byte MATLAB user block), stored transposed the
  way MATLAB writes it: ``trainxdata`` (L, 4, N) uint8 and ``traindata`` (919, N) uint8;
* ``deepsea/valid.mat``, ``deepsea/test.mat`` -- MATLAB v5 (``scipy.io.savemat``): ``validxdata``
  (N, 4, L) uint8 and ``validdata`` (N, 919) uint8 (``test*`` likewise);
* ``deepsea/manifest.json`` -- the plain truth the fixture encodes: per split, each row's DNA string
  and its positive label columns (0-based);
* ``basset_tiny.h5`` -- Basset ``er.h5`` layout: ``{split}_in`` (N, 4, 1, L) float16 one-hot with N
  bases as 0.25, ``{split}_out`` (N, 164) uint8, ``target_labels`` (164,) bytes, ``test_headers``;
* ``basset_tiny.json`` -- its sequences, positive label indices and target labels.

DeepSEA stores channels in the order A, G, C, T (the loader reorders them to A, C, G, T); the strings
here are plain A/C/G/T text, so a test can check the decoding exactly. Sequences have length 20.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np
import scipy.io

L = 20
N_DEEPSEA_LABELS = 919
N_BASSET_LABELS = 164
DEEPSEA_CHANNELS = "AGCT"     # DeepSEA's channel order
BASSET_CHANNELS = "ACGT"

# Positive label columns per row. The paper's 12 columns are 592, 602, 344, 345, 635, 636, 349, 642,
# 359, 361, 661, 369; rows positive only elsewhere (or nowhere) must be dropped by the loader.
DEEPSEA_POSITIVES = {
    "train": [[592], [], [593, 0, 918], [369, 602], [344, 345, 349, 359, 361, 635, 636, 642, 661], [661, 100]],
    "valid": [[], [636], [591],
              [592, 602, 344, 345, 635, 636, 349, 642, 359, 361, 661, 369]],
    "test": [[642], [360], [349, 5]],
}
BASSET_POSITIVES = {
    "train": [[0], [4, 163], [], [29, 116, 117]],
    "valid": [[121], [124, 4]],
    "test": [[4], [], [0, 1, 2]],
}
BASSET_N_SITES = {"train": [(1, 0), (2, 19)], "valid": [(0, 7), (0, 8)], "test": [(2, 10)]}


def _random_dna(rs: np.random.RandomState, n: int) -> list[str]:
    """n random length-L strings, each holding all four bases (so channel swaps are visible)."""
    out = []
    while len(out) < n:
        s = "".join(rs.choice(list("ACGT"), size=L))
        if set(s) == set("ACGT"):
            out.append(s)
    return out


def _one_hot_cf(seqs: list[str], channels: str) -> np.ndarray:
    """(N, 4, L) uint8, channel c holding base channels[c]; anything else (N) gets no 1."""
    X = np.zeros((len(seqs), 4, L), np.uint8)
    for i, s in enumerate(seqs):
        for j, base in enumerate(s):
            if base in channels:
                X[i, channels.index(base), j] = 1
    return X


def _labels(positives: list[list[int]], width: int) -> np.ndarray:
    y = np.zeros((len(positives), width), np.uint8)
    for i, cols in enumerate(positives):
        y[i, cols] = 1
    return y


def _write_v73(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A MATLAB v7.3 file: HDF5 with a 512-byte user block holding the MATLAB header.

    MATLAB writes arrays column-major, so h5py sees each one transposed; pass them already transposed.
    """
    with h5py.File(path, "w", userblock_size=512) as f:
        for key, value in arrays.items():
            d = f.create_dataset(key, data=value)
            d.attrs["MATLAB_class"] = np.bytes_("uint8")
    text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Thu Jan  1 00:00:00 2015 HDF5 schema 1.00 ."
    header = text.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
    with open(path, "r+b") as fh:
        fh.write(header.ljust(512, b"\x00"))


def _write_v5(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A MATLAB v5 file via scipy, with the creation date in its header pinned (reproducible bytes)."""
    scipy.io.savemat(path, arrays, format="5", do_compression=False)
    text = b"MATLAB 5.0 MAT-file Platform: posix, Created on: Thu Jan  1 00:00:00 2015"
    with open(path, "r+b") as fh:
        fh.write(text.ljust(116, b" "))


def make_deepsea(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    rs = np.random.RandomState(1000)
    manifest = {}
    for name, positives in DEEPSEA_POSITIVES.items():
        seqs = _random_dna(rs, len(positives))
        manifest[name] = [{"sequence": s, "positive_columns": sorted(p)} for s, p in zip(seqs, positives)]
        X = _one_hot_cf(seqs, DEEPSEA_CHANNELS)                    # (N, 4, L), A G C T
        y = _labels(positives, N_DEEPSEA_LABELS)                   # (N, 919)
        if name == "train":
            _write_v73(outdir / "train.mat", {"trainxdata": X.transpose(2, 1, 0),   # (L, 4, N)
                                              "traindata": y.T})                     # (919, N)
        else:
            _write_v5(outdir / f"{name}.mat", {f"{name}xdata": X, f"{name}data": y})
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def make_basset(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    rs = np.random.RandomState(2000)
    labels = [f"celltype_{i:03d}" for i in range(N_BASSET_LABELS)]
    manifest = {"target_labels": labels}
    with h5py.File(outdir / "basset_tiny.h5", "w") as f:
        for name, positives in BASSET_POSITIVES.items():
            seqs = [list(s) for s in _random_dna(rs, len(positives))]
            for row, pos in BASSET_N_SITES[name]:
                seqs[row][pos] = "N"
            seqs = ["".join(s) for s in seqs]
            X = _one_hot_cf(seqs, BASSET_CHANNELS).astype(np.float16)
            X[X.sum(1, keepdims=True).repeat(4, 1) == 0] = 0.25    # N -> 0.25 in every channel
            f.create_dataset(f"{name}_in", data=X[:, :, None, :])   # (N, 4, 1, L)
            f.create_dataset(f"{name}_out", data=_labels(positives, N_BASSET_LABELS))
            manifest[name] = [{"sequence": s, "positive_labels": sorted(p)} for s, p in zip(seqs, positives)]
            if name == "test":
                f.create_dataset("test_headers", data=np.array(
                    [f"chr1:{100 * i}-{100 * i + L}(+)".encode() for i in range(len(seqs))]))
        f.create_dataset("target_labels", data=np.array([s.encode() for s in labels]))
    (outdir / "basset_tiny.json").write_text(json.dumps(manifest, indent=1) + "\n")


def main(outdir=None) -> Path:
    outdir = Path(outdir) if outdir is not None else Path(__file__).resolve().parent
    make_deepsea(outdir / "deepsea")
    make_basset(outdir)
    return outdir


if __name__ == "__main__":
    print(f"fixtures written to {main(sys.argv[1] if len(sys.argv) > 1 else None)}")
