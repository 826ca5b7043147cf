"""What a build of the book ran: each chapter's profile, parameters, wall time and training runs, and
the environment it ran in. The book's Status page is generated from the executed chapters.

Each chapter ends with :func:`chapter_footer`, which records (with myst-nb's ``glue``, so the value
travels inside the executed notebook) the profile settings, how many runs it trained and how many it
loaded from the cache, and :func:`environment`. :func:`status_page` reads those records and papermill's
own metadata (parameters, wall time) from the executed notebooks and writes the page.
"""

from __future__ import annotations

import ast
import datetime as _dt
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Iterable

from .._io import atomic_path
from ..paths import project_root
from ..runs import default_workers, session_runs, session_tally
from ..tomtom import result_versions

#: Distributions that shape the book's other numbers and its pages (those that change trained weights
#: and Tomtom calls are :data:`seqlib.tomtom.RESULT_PACKAGES`).
OTHER_PACKAGES = ("scipy", "scikit-learn", "matplotlib", "logomaker", "papermill", "jupyter-book", "myst-nb")

#: Name of the glued record of a chapter.
GLUE_KEY = "chapter_status"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    """The processor's model name (``/proc/cpuinfo`` on Linux, else :func:`platform.processor`)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def git_commit(root=None) -> str:
    """Short commit hash of the project checkout, ``+dirty`` when tracked files changed; "unknown"
    outside a git checkout."""
    root = Path(root) if root is not None else project_root()
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def environment() -> dict:
    """Versions, processor and thread layout of this process, as a flat JSON-ready dict."""
    env = {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count() or 1,
        "training_workers": default_workers(),
        "threads_per_worker": 1,
        "keras_backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "seqlib": _version("seqlib"),
        "git_commit": git_commit(),
    }
    env.update({name: version or "not installed" for name, version in result_versions().items()})
    env.update({name: _version(name) for name in OTHER_PACKAGES})
    return env


def chapter_footer(settings: dict, chapter: str | None = None) -> dict:
    """Record what this chapter ran; call it in a notebook's last cell.

    Parameters
    ----------
    settings : dict
        The chapter's resolved profile (:func:`seqlib.get_profile`), including its ``"profile"`` name.
    chapter : str, optional
        The chapter's number (``"02"``): the footer then prints the command that reruns it at another profile.

    Returns
    -------
    dict with ``profile``, ``settings``, ``runs_trained``, ``runs_loaded``, ``runs`` (every run by key, with
    whether it was trained or loaded and its recorded training seconds), ``finished`` (UTC time) and
    ``environment``; it is also glued into the notebook as ``chapter_status`` and summarised in
    one printed line.
    """
    tally = session_tally()
    record = {
        "profile": settings.get("profile"),
        "settings": {k: v for k, v in settings.items() if k != "profile"},
        "runs_trained": int(tally["trained"]),
        "runs_loaded": int(tally["loaded"]),
        "runs": session_runs(),
        "finished": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "environment": environment(),
    }
    record = json.loads(json.dumps(record, default=str))          # plain literals only
    try:
        from myst_nb import glue
        glue(GLUE_KEY, record, display=False)
    except ImportError:                                            # outside a book environment
        pass
    print(f"Profile {record['profile']!r}: {record['runs_trained']} run(s) trained here, {record['runs_loaded']} "
          f"loaded from the cache; seqlib {record['environment']['seqlib']} at commit "
          f"{record['environment']['git_commit']}. Wall time and environment: the Status page.")
    if chapter:
        other = "paper" if record["profile"] != "paper" else "quick"
        print(f"Rerun this chapter at another profile: .venv/bin/seqlib notebooks {chapter} --profile {other} "
              f"--out results/notebooks   (or papermill with -p profile {other})")
    return record


def glued(nb: dict, key: str):
    """The value an executed notebook glued under ``key`` (myst-nb's scrapbook output), or None."""
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            scrapbook = output.get("metadata", {}).get("scrapbook", {})
            if scrapbook.get("name") == key:
                text = output.get("data", {}).get(scrapbook.get("mime_prefix", "") + "text/plain")
                if isinstance(text, list):
                    text = "".join(text)
                return ast.literal_eval(text)
    return None


def chapter_record(path) -> dict:
    """What one executed notebook says about its run.

    Returns
    -------
    dict with ``chapter`` (file stem), ``parameters`` (papermill's injected ones, empty when the notebook
    ran with its defaults), ``seconds`` (papermill's wall time, None when not run by papermill),
    ``status`` (the :func:`chapter_footer` record or None) and ``figures`` (image outputs).
    """
    path = Path(path)
    nb = json.loads(path.read_text())
    pm = nb.get("metadata", {}).get("papermill", {})
    figures = sum(1 for cell in nb.get("cells", []) for output in cell.get("outputs", []) or []
                  if "image/png" in output.get("data", {}))
    return {"chapter": path.stem, "parameters": pm.get("parameters", {}), "seconds": pm.get("duration"),
            "status": glued(nb, GLUE_KEY), "figures": figures}


def _minutes(seconds) -> str:
    if seconds is None:
        return "not recorded"
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _cell(value) -> str:
    text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return text.replace("|", "\\|")


def status_markdown(records: Iterable[dict], *, built: str | None = None) -> str:
    """The Status page (MyST markdown) for the chapter records of :func:`chapter_record`."""
    records = list(records)
    built = built or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Status of this build", "",
             f"Generated from the executed chapters when the book was built ({built}). Every number below was "
             "measured by that build; nothing on this page is typed by hand.", "",
             "## Chapters", "",
             "| chapter | profile | wall time | share of the total | runs trained | runs loaded from cache | figures |",
             "|---|---|---|---|---|---|---|"]
    total = sum(r["seconds"] or 0.0 for r in records)
    for r in records:
        s = r["status"] or {}
        share = f"{100 * r['seconds'] / total:.0f} %" if r["seconds"] and total else "–"
        lines.append(f"| {{doc}}`{r['chapter']}` | {s.get('profile', r['parameters'].get('profile', '?'))} | "
                     f"{_minutes(r['seconds'])} | {share} | {s.get('runs_trained', '?')} | "
                     f"{s.get('runs_loaded', '?')} | {r['figures']} |")
    lines += ["", f"All chapters together: {_minutes(total)}.", ""]
    lines += fresh_clone_estimate(records)
    lines += ["## Parameters per chapter", "",
              "Parameters are those papermill injected (empty: the notebook's defaults), then the chapter's "
              "resolved profile.", ""]
    for r in records:
        s = r["status"] or {}
        lines += [f"### {r['chapter']}", "", "| setting | value |", "|---|---|"]
        for key, value in r["parameters"].items():
            lines.append(f"| parameter `{key}` | {_cell(value)} |")
        for key, value in (s.get("settings") or {}).items():
            lines.append(f"| {key} | {_cell(value)} |")
        lines.append("")
    envs = [r["status"]["environment"] for r in records if r["status"]]
    lines += ["## Environment", ""]
    if envs:
        env = envs[0]
        commits = sorted({e.get("git_commit") for e in envs})
        lines += ["| | |", "|---|---|"] + [f"| {k} | {_cell(v)} |" for k, v in env.items()]
        if len(commits) > 1:
            lines += ["", f"The chapters ran at different commits: {', '.join(commits)}."]
    else:
        lines.append("No chapter recorded its environment.")
    lines += ["", "Training runs are bit-identical for the same seed on one machine with the same thread layout; "
              "across processor models the low bits of the weights can differ, because TensorFlow's oneDNN kernels "
              "are chosen per CPU (Methods §4).", ""]
    return "\n".join(lines)


def fresh_clone_data(records: list[dict]) -> dict | None:
    """What a fresh clone would add to this build: the runs this build loaded from a cache that no chapter of
    it trained, charged to the first chapter that used each.

    Returns
    -------
    dict or None
        ``{"per_chapter": {chapter: (n_runs, train_seconds)}, "workers": int, "n_runs": int,
        "train_seconds": float, "unrecorded": [chapters without a run record]}``; None when no chapter
        recorded its runs.
    """
    recorded = [r for r in records if r["status"] and isinstance(r["status"].get("runs"), dict)]
    if not recorded:
        return None
    trained = {key for r in recorded for key, run in r["status"]["runs"].items() if run.get("outcome") == "trained"}
    seen, per_chapter = set(trained), {}
    for r in recorded:
        new = [run for key, run in r["status"]["runs"].items() if key not in seen]
        seen.update(r["status"]["runs"])
        per_chapter[r["chapter"]] = (len(new), sum(run.get("train_seconds") or 0.0 for run in new))
    cpus = [r["status"].get("environment", {}).get("cpu_count") for r in recorded]
    workers = min((c for c in cpus if c), default=1)
    return {"per_chapter": per_chapter, "workers": workers,
            "n_runs": sum(n for n, _ in per_chapter.values()),
            "train_seconds": sum(sec for _, sec in per_chapter.values()),
            "unrecorded": [r["chapter"] for r in records if r not in recorded]}


def fresh_clone_estimate(records: list[dict]) -> list[str]:
    """Markdown lines: this build's wall time plus the training a fresh clone would add (see
    :func:`fresh_clone_data`), chapter by chapter."""
    data = fresh_clone_data(records)
    lines = ["## From a fresh clone", ""]
    if data is None:
        return lines + ["No chapter recorded its runs, so the time from a fresh clone cannot be estimated.", ""]
    if data["n_runs"] == 0:
        return lines + ["Every run this build used was trained by this build: its wall time above is the time "
                        "from a fresh clone, less the few minutes `make book` spends setting up `.venv` and "
                        "building the HTML.", ""]
    W = data["workers"]
    lines += [f"This build loaded {data['n_runs']} run(s) from a cache that an earlier build trained. Each run "
              f"recorded its training time when it was trained; a fresh clone trains them again, {W} at a time "
              f"(one worker per core). The estimate below adds that recorded time, divided by {W}, to the wall "
              "time of the first chapter that uses each run. It is an estimate, not a measurement: the runs "
              "were trained under whatever load the machine had then.", "",
              "| chapter | wall time here | runs a fresh clone adds | their recorded training time | "
              "estimated from a fresh clone |", "|---|---|---|---|---|"]
    total = 0.0
    for r in records:
        n, seconds = data["per_chapter"].get(r["chapter"], (0, 0.0))
        estimate = (r["seconds"] or 0.0) + seconds / W
        total += estimate
        lines.append(f"| {{doc}}`{r['chapter']}` | {_minutes(r['seconds'])} | {n} | {_minutes(seconds)} | "
                     f"{_minutes(estimate)} |")
    lines += ["", f"Estimated from a fresh clone, all chapters: {_minutes(total)}."]
    if data["unrecorded"]:
        lines += ["", "These chapters ran before runs were recorded, so runs they loaded are not counted: "
                  + ", ".join(data["unrecorded"]) + "."]
    return lines + [""]


def time_summary(records: Iterable[dict]) -> str:
    """The sentence the book's first page includes on how long this build took: the chapters' wall time (and, when
    runs came from a cache, the estimate from a fresh clone), its profile and the machine, from the records."""
    records = list(records)
    total = sum(r["seconds"] or 0.0 for r in records)
    profiles = sorted({(r["status"] or {}).get("profile", r["parameters"].get("profile", "?")) for r in records})
    envs = [r["status"]["environment"] for r in records if r["status"]]
    machine = (f" on {envs[0].get('cpu', 'an unknown processor')} with {envs[0].get('cpu_count', '?')} cores"
               if envs else "")
    text = (f"This build ran its chapters at the {', '.join(f'`{p}`' for p in profiles)} profile in "
            f"**{_minutes(total)}**{machine}")
    data = fresh_clone_data(records)
    if data and data["n_runs"]:
        estimate = total + data["train_seconds"] / data["workers"]
        text += (f"; it loaded {data['n_runs']} trained runs from a cache, and from a fresh clone it would take about "
                 f"**{_minutes(estimate)}** (an estimate from the runs' recorded training times)")
    return text + " (setting up `.venv` and building the HTML add a few minutes; every chapter's time is on the " \
                  "{doc}`/book/chapters/status` page).\n"


def executed_chapters(chapters_dir) -> list[Path]:
    """The executed chapters (``NN_*.ipynb``) in ``chapters_dir``, in order; failed runs' copies
    (``*.failed.ipynb``) and hidden temporaries are left out."""
    return sorted(p for p in Path(chapters_dir).glob("[0-9][0-9]_*.ipynb") if not p.name.endswith(".failed.ipynb"))


def status_page(chapters_dir, out=None) -> Path:
    """Write the Status page for the executed notebooks in ``chapters_dir`` (default out:
    ``chapters_dir/status.md``) atomically and return its path; ``status_summary.md`` beside it holds the first
    page's sentence on how long the build took (:func:`time_summary`)."""
    chapters_dir = Path(chapters_dir)
    notebooks = executed_chapters(chapters_dir)
    if not notebooks:
        raise FileNotFoundError(f"no executed chapters (NN_*.ipynb) in {chapters_dir}; run `make notebooks` first")
    out = Path(out) if out is not None else chapters_dir / "status.md"
    records = [chapter_record(p) for p in notebooks]
    with atomic_path(out, suffix=".md") as tmp:
        tmp.write_text(status_markdown(records))
    with atomic_path(out.with_name("status_summary.md"), suffix=".md") as tmp:
        tmp.write_text(time_summary(records))
    return out
