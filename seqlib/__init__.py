"""seqlib: exponential first-layer activations, filters and attribution for genomic CNNs, on your data and models.

One module per pipeline stage: ``motifs`` → ``simulate`` → ``datasets`` → ``activations`` / ``models``
→ ``training`` → ``runs`` → ``analyses`` / ``filters`` / ``tomtom`` / ``scans`` → ``attribution`` → ``plotting``;
``files`` reads a user's model and sequence files. Arrays are channels-last: sequences ``(N, L, 4)``, motifs
``(L, 4)``, alphabet A, C, G, T.

The book's own analysis of the paper (its chapters, claims and pages) lives in the ``book`` subpackage, which builds
on this library; no library module imports it.

References of the form "Methods §5" point to the numbered sections of the book's Methods page
(``book/protocol.md``), which describes the paper's methods and how this package implements them.

Modules that need TensorFlow/Keras (``activations``, ``layers``, ``models``, ``attribution``) and the others that
are not needed to read data are imported on first use (``seqlib.runs``), so ``import seqlib`` is fast.
"""

from __future__ import annotations

import importlib

from .datasets import Dataset, Split, load_dataset, load_invivo, one_hot_encode, read_fasta, save_dataset
from .errors import (
    FormatError,
    MissingKeyError,
    SeqlibError,
    SequenceError,
    ShapeError,
    TrainingDivergedError,
    UnknownMotifError,
    UnknownNameError,
    UnknownReleaseError,
)
from .motifs import (
    Motif,
    information_content,
    jaspar_collection,
    load_jaspar,
    pfm_to_ppm,
    read_meme,
    reverse_complement,
    write_meme,
)
from .simulate import simulate_task1, simulate_task3
from .tasks import load_task

__version__ = "0.1.0"

_LAZY_MODULES = ("activations", "layers", "models", "training", "runs", "executors", "analyses", "files", "filters",
                 "tomtom", "scans", "metrics", "attribution", "plotting", "paths")

__all__ = [
    "Dataset", "Split", "load_dataset", "load_invivo", "one_hot_encode", "read_fasta", "save_dataset",
    "FormatError", "MissingKeyError", "SeqlibError", "SequenceError", "ShapeError", "TrainingDivergedError",
    "UnknownMotifError", "UnknownNameError", "UnknownReleaseError",
    "Motif", "information_content", "jaspar_collection", "load_jaspar", "pfm_to_ppm", "read_meme",
    "reverse_complement", "write_meme", "simulate_task1", "simulate_task3", "load_task",
    *_LAZY_MODULES,
]


def __getattr__(name):
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'seqlib' has no attribute {name!r}")
