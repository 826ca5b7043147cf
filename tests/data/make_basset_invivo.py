"""Write ``basset_invivo.h5``: a small stand-in in Basset's ``er.h5`` format for the in vivo chapter's tests.

Basset's layout: ``{train,valid,test}_in`` float16 (N, 4, 1, 600) one-hot with N bases as 0.25 columns,
``{train,valid,test}_out`` uint8 (N, 164), ``target_labels`` (164,) bytes and ``test_headers``. The sequences are
random (seed 0); cell type 4 (the paper's example class) is positive for half of each split, and those sequences
carry an IRF1-like site (``GAAAGTGAAAGT``) near the centre so a model can learn something in one epoch. A few
sequences of every split carry a run of N bases. Run from the repository root::

    .venv/bin/python tests/data/make_basset_invivo.py
"""

from pathlib import Path

import h5py
import numpy as np

L, T, CLASS, SITE = 600, 164, 4, "GAAAGTGAAAGT"
SIZES = {"train": 80, "valid": 24, "test": 40}


def encode(seqs):
    lookup = {"A": 0, "C": 1, "G": 2, "T": 3}
    out = np.zeros((len(seqs), 4, 1, L), np.float16)
    for n, s in enumerate(seqs):
        for i, b in enumerate(s):
            if b == "N":
                out[n, :, 0, i] = 0.25
            else:
                out[n, lookup[b], 0, i] = 1
    return out


def main(path=Path(__file__).with_name("basset_invivo.h5")):
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        f["target_labels"] = np.array([f"celltype_{k:03d}".encode() for k in range(T)])
        for split, n in SIZES.items():
            seqs, labels = [], np.zeros((n, T), np.uint8)
            for k in range(n):
                s = list(rng.choice(list("ACGT"), L))
                if k % 2 == 0:
                    start = int(rng.integers(250, 350))
                    s[start:start + len(SITE)] = SITE
                    labels[k, CLASS] = 1
                labels[k, rng.choice(T, size=int(rng.integers(0, 4)), replace=False)] = 1
                if k % 7 == 3:
                    start = int(rng.integers(0, L - 20))
                    s[start:start + 20] = "N" * 20
                seqs.append("".join(s))
            f.create_dataset(f"{split}_in", data=encode(seqs), compression="gzip", compression_opts=9)
            f.create_dataset(f"{split}_out", data=labels, compression="gzip", compression_opts=9)
        f["test_headers"] = np.array([f"chrS:{k * L}-{(k + 1) * L}".encode() for k in range(SIZES["test"])])
    return path


if __name__ == "__main__":
    print(main())
