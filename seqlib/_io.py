"""Writing files: atomically (write to a temporary sibling, then rename into place), and checks that an output
path can be written, made before any long computation."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import PathError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path, suffix: str = ""):
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    If the body raises, the temporary file is removed and ``path`` is left untouched,
    so a crash never leaves a half-written file under the final name.

    Raises
    ------
    PathError
        ``path`` is a folder, or its folder cannot be created (a parent is a file, no permission).
    """
    path = Path(path)
    if path.is_dir():
        raise PathError(f"cannot write {path}: it is a folder; give a file path")
    ensure_dir(path.parent, "folder")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the final file normal permissions
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise



def _first_existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")                                     # pragma: no cover - "/" always exists


def _check_creatable(path: Path, what: str) -> None:
    """Raise PathError unless ``path`` (absent) could be created: its nearest existing ancestor must be a writable
    folder."""
    ancestor = _first_existing(path.parent if str(path.parent) else Path("."))
    if not ancestor.is_dir():
        raise PathError(f"cannot write {what} {path}: {ancestor} is a file, not a folder; choose another path")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise PathError(f"cannot write {what} {path}: no permission to write in {ancestor}; choose another path")


def check_output_file(path, what: str = "output file") -> Path:
    """Check, before any long computation, that a file can be written at ``path``; nothing is created.

    Parameters
    ----------
    path : path
        The file to write (replaced if it exists).
    what : str
        How the error names it (e.g. ``"--out"``).

    Returns
    -------
    Path

    Raises
    ------
    PathError
        ``path`` is a folder, a parent of it is a file, or the folder it would go in is not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise PathError(f"{what} {path} is a folder; give a file path, e.g. {path / 'data.h5'}")
    if path.exists():
        if not os.access(path.parent if str(path.parent) else Path("."), os.W_OK | os.X_OK):
            raise PathError(f"cannot write {what} {path}: no permission to write in {path.parent}")
        return path
    _check_creatable(path, what)
    return path


def check_output_dir(path, what: str = "output folder") -> Path:
    """Check, before any long computation, that ``path`` is (or can be created as) a writable folder; nothing
    is created.

    Raises
    ------
    PathError
        ``path`` is a file, a parent of it is a file, or it (or the folder it would go in) is not writable.
    """
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise PathError(f"{what} {path} is a file, not a folder; give a folder path")
        if not os.access(path, os.W_OK | os.X_OK):
            raise PathError(f"cannot write to {what} {path}: no permission")
        return path
    _check_creatable(path, what)
    return path


def ensure_dir(path, what: str = "folder") -> Path:
    """Create folder ``path`` (and its parents) if needed, as :func:`check_output_dir` allows.

    Raises
    ------
    PathError
        It cannot be a folder (see :func:`check_output_dir`) or the system refuses to create it.
    """
    path = check_output_dir(path, what)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PathError(f"cannot create {what} {path}: {err.strerror or err}") from err
    return path
