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


class PathError(SeqlibError, OSError):
    """A path of the wrong kind (a folder where a file is expected, a file where a folder is), or an output
    path that cannot be written (checked before any long computation)."""

    def __str__(self) -> str:  # OSError would format (errno, strerror)
        return str(self.args[0]) if self.args else ""


class LabelError(SeqlibError, ValueError):
    """Labels that cannot train or score a model: values outside {0, 1}, NaN, or a split with a single class."""


class WorkerDiedError(SeqlibError, RuntimeError):
    """A local worker process died (killed by a signal, or out of memory) while running a job, twice."""


class Interrupted(KeyboardInterrupt):
    """The user interrupted (Ctrl-C). The message says what was kept, e.g. "interrupted; 3 runs finished,
    8 will resume"; ``finished`` and ``unfinished`` count the jobs (or runs)."""

    def __init__(self, message: str = "interrupted", finished: int = 0, unfinished: int = 0):
        super().__init__(message)
        self.finished, self.unfinished = finished, unfinished

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "interrupted"
