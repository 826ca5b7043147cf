"""Run the book's notebooks with papermill (one profile for all, per-notebook overrides allowed)."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Sequence

from ._io import atomic_path
from .paths import project_root

#: matplotlib's backend that puts figures into a notebook's outputs.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def notebook_paths(names: Sequence[str] | None = None) -> list[Path]:
    """The source notebooks ``notebooks/*.ipynb`` in book order, optionally only those whose file
    name starts with one of ``names`` (e.g. ``["01", "02_filter"]``)."""
    paths = sorted((project_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if names:
        chosen = [p for p in paths if any(p.name.startswith(n) for n in names)]
        unknown = [n for n in names if not any(p.name.startswith(n) for p in paths)]
        if unknown:
            raise FileNotFoundError(f"no notebook matches {unknown}; notebooks: {[p.name for p in paths]}")
        paths = chosen
    return paths


def run_notebooks(names: Sequence[str] | None = None, *, profile: str = "quick", out_dir=None,
                  parameters: dict | None = None, kernel_name: str = "python3", log_output: bool = False) -> list[Path]:
    """Execute notebooks with papermill at ``profile`` and write the executed copies to ``out_dir``.

    Each executed notebook is written atomically; a failing notebook raises papermill's
    ``PapermillExecutionError`` (the partial output is kept as ``<name>.failed.ipynb`` for inspection).

    Returns
    -------
    list of Path, the executed notebooks
    """
    out_dir = Path(out_dir) if out_dir is not None else project_root() / "book" / "chapters"
    out_dir.mkdir(parents=True, exist_ok=True)
    params = dict(profile=profile, **(parameters or {}))
    written = []
    with _inline_figures():
        for path in notebook_paths(names):
            written.append(_run_one(path, out_dir, params, profile, kernel_name, log_output))
    return written


@contextlib.contextmanager
def _inline_figures():
    """Give the kernels Jupyter's inline matplotlib backend, whatever ``MPLBACKEND`` says.

    A non-interactive ``MPLBACKEND`` (``Agg``, as ``make`` exports for the tests) would make
    ``plt.show()`` draw nothing in the executed notebook, and the book would show no figures.
    """
    previous = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = INLINE_BACKEND
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = previous


def _run_one(path: Path, out_dir: Path, params: dict, profile: str, kernel_name: str, log_output: bool) -> Path:
    """Execute one notebook into ``out_dir`` atomically (a failure keeps ``<name>.failed.ipynb``)."""
    import papermill

    target = out_dir / path.name
    start = time.time()
    print(f"[seqlib] running {path.name} at profile {profile!r} ...", flush=True)
    with atomic_path(target, suffix=".ipynb") as tmp:
        try:
            papermill.execute_notebook(str(path), str(tmp), parameters=params, kernel_name=kernel_name,
                                       cwd=str(path.parent), log_output=log_output, progress_bar=True)
        except Exception:
            if tmp.exists():
                tmp.replace(out_dir / f"{path.stem}.failed.ipynb")
            raise
    print(f"[seqlib] {path.name} done in {time.time() - start:.0f} s", flush=True)
    return target
