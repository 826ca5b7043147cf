"""Run the book's notebooks with papermill (one profile for all, per-notebook overrides allowed), and
sweeps: every notebook at a profile into a sweep folder, resumable, then the book built from them.

While a notebook runs, its kernel's output goes into the executed notebook, not to the terminal; the runs it
trains are shown in the terminal all the same: each kernel gets ``$SEQLIB_PROGRESS_FILE`` (the library's
progress file, :data:`seqlib.runs.PROGRESS_FILE_ENV`), and its lines (a run finished, the time left) are
copied to stderr as they come.

A sweep (:func:`sweep`, ``seqlib sweep``) skips a notebook whose executed copy in the sweep folder was
made from the same source notebook with the same parameters (recorded in the copy's
``metadata.seqlib``), so a sweep killed and started again does only what is missing; the runs the
notebooks ask for are cached anyway. One sweep at a time holds a sweep folder (a lock file).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Sequence

from tqdm import tqdm

from .._io import atomic_path
from ..errors import SeqlibError
from ..paths import project_root, results_dir
from ..runs import PROGRESS_FILE_ENV
from .claims import claims_page
from .profiles import get_profile
from .status import status_page

#: matplotlib's backend that puts figures into a notebook's outputs.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: The matplotlib settings of the book's figures (resolution; the kernels read it through ``$MATPLOTLIBRC``).
MATPLOTLIBRC = Path(__file__).with_name("matplotlibrc")


#: Seconds between looks at a kernel's progress file.
PROGRESS_POLL_SECONDS = 0.5


def require_book_extra(command: str = "seqlib notebooks") -> None:
    """Raise SeqlibError unless papermill (the ``book`` extra) is importable.

    Raises
    ------
    SeqlibError
        Naming ``command`` and the install command.
    """
    try:
        import papermill  # noqa: F401  (lazy: the book extra)
    except ImportError:
        raise SeqlibError(f"{command} needs the book extra (papermill, Jupyter Book), which is not installed: "
                          f"pip install 'seqlib[book]'") from None


def notebook_paths(names: Sequence[str] | None = None, notebooks_dir=None) -> list[Path]:
    """The source notebooks ``notebooks/*.ipynb`` (or ``notebooks_dir``) in book order, optionally only those
    whose file name starts with one of ``names`` (e.g. ``["01", "02_filter"]``)."""
    folder = Path(notebooks_dir) if notebooks_dir is not None else project_root() / "notebooks"
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
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

    Raises
    ------
    SeqlibError
        papermill (the ``book`` extra) is not installed.
    """
    require_book_extra("run_notebooks")
    out_dir = Path(out_dir) if out_dir is not None else project_root() / "book" / "chapters"
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".*.tmp.ipynb"):        # half-written by a run that was killed
        stale.unlink(missing_ok=True)
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
    ``plt.show()`` draw nothing in the executed notebook, and the book would show no figures. The book's
    ``matplotlibrc`` (:data:`MATPLOTLIBRC`) draws them at 150 dpi, so a figure fills the page's column sharply.
    """
    with _environment(MPLBACKEND=INLINE_BACKEND, MATPLOTLIBRC=str(MATPLOTLIBRC)):
        yield


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _normalised(params: dict) -> dict:
    """Parameters as JSON gives them back (tuples become lists ...), for comparing with a stored record."""
    return json.loads(json.dumps(params, sort_keys=True, default=str))


def _run_one(path: Path, out_dir: Path, params: dict, profile: str, kernel_name: str, log_output: bool) -> Path:
    """Execute one notebook into ``out_dir`` atomically (a failure keeps ``<name>.failed.ipynb``).

    The executed copy records its source's sha256 and the parameters in ``metadata.seqlib``; the cell papermill
    injects the parameters in is tagged ``hide-cell``, so the book shows it behind a toggle like the defaults.
    """
    import papermill

    target = out_dir / path.name
    start = time.time()
    source = _sha256(path)
    print(f"[seqlib] running {path.name} at profile {profile!r} ...", flush=True)
    with atomic_path(target, suffix=".ipynb") as tmp:
        try:
            with _relay_progress(path.stem):
                papermill.execute_notebook(str(path), str(tmp), parameters=params, kernel_name=kernel_name,
                                           cwd=str(path.parent), log_output=log_output, progress_bar=True)
        except Exception:
            if tmp.exists():
                tmp.replace(out_dir / f"{path.stem}.failed.ipynb")
            raise
        nb = json.loads(tmp.read_text())
        nb.setdefault("metadata", {})["seqlib"] = {"source_sha256": source, "parameters": _normalised(params)}
        for cell in nb.get("cells", []):                 # papermill's injected parameters: plumbing, behind a toggle
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if "injected-parameters" in tags and "hide-cell" not in tags:
                tags.append("hide-cell")
        tmp.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    print(f"[seqlib] {path.name} done in {time.time() - start:.0f} s", flush=True)
    return target


@contextlib.contextmanager
def _relay_progress(name: str):
    """Give the kernels started inside a progress file (``$SEQLIB_PROGRESS_FILE``) and copy each line written to
    it to stderr, as ``[seqlib] <name>: <line>``, while the body runs (and what is left when it ends)."""
    fd, log = tempfile.mkstemp(prefix="seqlib-progress-", suffix=".log")
    os.close(fd)
    done = threading.Event()

    def relay():
        with open(log) as fh:
            partial = ""
            while True:
                chunk = fh.readline()
                if chunk:
                    partial += chunk
                    if partial.endswith("\n"):
                        tqdm.write(f"[seqlib] {name}: {partial.rstrip()}", file=sys.stderr)
                        partial = ""
                elif done.is_set():
                    break
                else:
                    done.wait(PROGRESS_POLL_SECONDS)
            if partial:
                tqdm.write(f"[seqlib] {name}: {partial.rstrip()}", file=sys.stderr)

    thread = threading.Thread(target=relay, name="seqlib-progress-relay", daemon=True)
    thread.start()
    try:
        with _environment(**{PROGRESS_FILE_ENV: log}):
            yield log
    finally:
        done.set()
        thread.join(10)
        Path(log).unlink(missing_ok=True)


def is_current(executed, source, parameters: dict) -> bool:
    """Whether ``executed`` is a complete execution of notebook ``source`` with ``parameters``
    (same source sha256 and parameters in its ``metadata.seqlib``, no error recorded by papermill)."""
    executed = Path(executed)
    if not executed.exists():
        return False
    try:
        meta = json.loads(executed.read_text()).get("metadata", {})
    except (OSError, ValueError):
        return False
    record = meta.get("seqlib") or {}
    return (record.get("source_sha256") == _sha256(source) and record.get("parameters") == _normalised(parameters)
            and not (meta.get("papermill") or {}).get("exception"))


@contextlib.contextmanager
def _sweep_lock(out_dir: Path):
    """Hold ``out_dir/.sweep.lock`` (one sweep per folder); temporary files left by a killed sweep are removed."""
    fd = os.open(out_dir / ".sweep.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SeqlibError(f"another sweep is writing to {out_dir}; wait for it or choose another --out") from None
        for stale in out_dir.glob(".*.tmp.ipynb"):       # half-executed notebooks of a killed sweep
            stale.unlink(missing_ok=True)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _environment(**values):
    """Set (or, for None, leave) environment variables for the kernels started inside, then restore them."""
    previous = {k: os.environ.get(k) for k in values}
    for key, value in values.items():
        if value is not None:
            os.environ[key] = str(value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def sweep_dir(profile: str) -> Path:
    """Default sweep folder of a profile: ``results/sweeps/<profile>``."""
    return results_dir() / "sweeps" / profile


def sweep(names: Sequence[str] | None = None, *, profile: str = "paper", out_dir=None, parameters: dict | None = None,
          scheduler: str | None = None, build: bool = True, notebooks_dir=None, kernel_name: str = "python3",
          log_output: bool = False) -> dict:
    """Run notebooks at ``profile`` into a sweep folder, skipping those already done, then build the book.

    Parameters
    ----------
    names : sequence of str, optional
        Notebook name prefixes (default: all of them).
    profile : str
        The profile every notebook runs at (:func:`seqlib.book.profiles.get_profile`).
    out_dir : path, optional
        The sweep folder (default :func:`sweep_dir`).
    parameters : dict, optional
        Further papermill parameters (part of what makes an executed notebook current).
    scheduler : str, optional
        Dask scheduler the notebooks' runs train on (passed to the kernels as ``$SEQLIB_SCHEDULER``);
        checked before any notebook runs.
    build : bool
        Afterwards, copy the executed notebooks into the book and build it (:func:`build_book`).
    notebooks_dir : path, optional
        Where the source notebooks are (default ``notebooks/``).

    Returns
    -------
    dict with ``executed`` and ``skipped`` (lists of Path in the sweep folder) and ``book`` (the built
    ``index.html``, or None)

    Raises
    ------
    SchedulerError
        The scheduler is malformed or does not answer.
    SeqlibError
        Another sweep holds the folder, or papermill (the ``book`` extra) is not installed.
    papermill.PapermillExecutionError
        A notebook failed (its partial output is kept as ``<name>.failed.ipynb``; the ones before it stay done).
    """
    get_profile(profile)                                  # an unknown profile fails before anything runs
    require_book_extra("sweep")
    paths = notebook_paths(names, notebooks_dir)
    if scheduler is not None and str(scheduler).strip().lower() != "local":
        from ..executors import DaskExecutor
        DaskExecutor(scheduler).close()                   # reachable now, not after an hour of notebooks
    out_dir = Path(out_dir) if out_dir is not None else sweep_dir(profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = dict(profile=profile, **(parameters or {}))
    executed, skipped = [], []
    with _sweep_lock(out_dir), _inline_figures(), _environment(SEQLIB_SCHEDULER=scheduler):
        for path in tqdm(paths, desc=f"sweep ({profile})", unit="notebook"):
            if is_current(out_dir / path.name, path, params):
                print(f"[seqlib] {path.name}: already executed with these parameters, skipped", flush=True)
                skipped.append(out_dir / path.name)
                continue
            executed.append(_run_one(path, out_dir, params, profile, kernel_name, log_output))
    book = build_book(out_dir) if build else None
    return {"executed": executed, "skipped": skipped, "book": book}


def build_book(sweep_folder, *, chapters_dir=None, run_builder: bool = True) -> Path | None:
    """The book from a sweep: copy its executed notebooks into the book's chapters, write the Status and Claims
    pages and run ``jupyter-book build``.

    Parameters
    ----------
    sweep_folder : path
        Executed notebooks (``[0-9][0-9]_*.ipynb``; ``*.failed.ipynb`` are not copied).
    chapters_dir : path, optional
        Default ``book/chapters`` (what ``_toc.yml`` lists).
    run_builder : bool
        Run jupyter-book (False: only copy and write the Status and Claims pages).

    Returns
    -------
    Path of ``_build/html/index.html``, or None without ``run_builder``

    Raises
    ------
    SeqlibError
        No executed notebook in ``sweep_folder``, or jupyter-book failed (its exit status is named).
    """
    sweep_folder = Path(sweep_folder)
    chapters_dir = Path(chapters_dir) if chapters_dir is not None else project_root() / "book" / "chapters"
    executed = [p for p in sorted(sweep_folder.glob("[0-9][0-9]_*.ipynb")) if not p.name.endswith(".failed.ipynb")]
    if not executed:
        raise SeqlibError(f"no executed notebooks in {sweep_folder} to build the book from")
    chapters_dir.mkdir(parents=True, exist_ok=True)
    for path in executed:
        with atomic_path(chapters_dir / path.name, suffix=".ipynb") as tmp:
            shutil.copyfile(path, tmp)
    status_page(chapters_dir)
    claims_page(chapters_dir, records=sorted((project_root() / "benchmarks" / "gpu").glob("*.csv")))
    if not run_builder:
        return None
    root = project_root()
    builder = Path(sys.executable).with_name("jupyter-book")
    command = [str(builder) if builder.exists() else "jupyter-book", "build", str(root), "-W", "-n", "--keep-going"]
    print(f"[seqlib] building the book: {' '.join(command)}", flush=True)
    done = subprocess.run(command, cwd=root)
    if done.returncode != 0:
        raise SeqlibError(f"jupyter-book build failed (exit status {done.returncode}); the chapters are in {chapters_dir}")
    return root / "_build" / "html" / "index.html"
