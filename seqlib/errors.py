"""Exception types raised by seqlib.

Every error names the offending argument, key, file or value so the message alone
tells a user what to fix. All derive from :class:`SeqlibError` and from the matching
builtin (``ValueError``, ``KeyError`` ...) so generic ``except`` clauses keep working.
"""

from __future__ import annotations


class SeqlibError(Exception):
    """Base class of every seqlib error."""


class ShapeError(SeqlibError, ValueError):
    """An array has the wrong number of dimensions or the wrong size along an axis."""


class SequenceError(SeqlibError, ValueError):
    """A DNA sequence holds a character outside ACGT, or sequences have ragged lengths."""


class FormatError(SeqlibError, ValueError):
    """A file (MEME, FASTA, JASPAR PFM, HDF5, .mat) is malformed."""


class MissingKeyError(SeqlibError, KeyError):
    """A required key is absent from an HDF5/.mat file or a mapping."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""


class UnknownMotifError(SeqlibError, LookupError):
    """A JASPAR matrix ID or TF name is not in the requested release."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownReleaseError(SeqlibError, ValueError):
    """A JASPAR release that pyjaspar does not ship."""


class UnknownNameError(SeqlibError, ValueError):
    """A name (activation, model, profile, task ...) that is not registered."""


class TrainingDivergedError(SeqlibError, RuntimeError):
    """Loss or weights became NaN/inf during training."""


class SchedulerError(SeqlibError, ConnectionError):
    """A Dask scheduler address that is malformed or that nothing answers at."""


class ResultsNotSharedError(SeqlibError, RuntimeError):
    """A worker finished a run in a results folder the submitting process cannot see."""


class ParameterError(SeqlibError, ValueError):
    """A profile override or notebook parameter whose value cannot be read as the setting's type."""


class SegmentationError(SeqlibError, ValueError):
    """The authors' segmentation loop cannot score a label row (their code stops with an error there)."""
