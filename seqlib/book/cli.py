"""The book's subcommands of ``seqlib`` (added through the entry-point group ``seqlib.commands``).

    seqlib notebooks --profile quick --out book/chapters [01 02 ...]
    seqlib sweep --profile paper [--scheduler tcp://...] [01 02 ...]
    seqlib status book/chapters [--out status.md]
    seqlib claims book/chapters [benchmarks/gpu/RECORD.csv ...]

``seqlib notebooks`` and ``seqlib sweep`` need the ``book`` extra (papermill, Jupyter Book); their error says so
when it is missing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SeqlibError
from .claims import claims_page
from .notebooks import require_book_extra, run_notebooks, sweep
from .profiles import PROFILES
from .status import status_page

__all__ = ["add_commands"]


def _parameters(items) -> dict:
    """``NAME=VALUE`` pairs as papermill parameters (values read as YAML; PyYAML is needed only when there are any)."""
    if not items:
        return {}
    try:
        import yaml  # lazy: PyYAML comes with papermill, the book extra
    except ImportError:
        raise SeqlibError("--param needs PyYAML, which comes with the book extra: pip install 'seqlib[book]'") from None
    params = {}
    for item in items:
        if "=" not in item:
            raise SeqlibError(f"--param expects NAME=VALUE; got {item!r}")
        key, value = item.split("=", 1)
        params[key] = yaml.safe_load(value)
    return params


def _cmd_notebooks(args) -> int:
    require_book_extra("seqlib notebooks")
    run_notebooks(args.names or None, profile=args.profile, out_dir=args.out, parameters=_parameters(args.param))
    return 0


def _cmd_sweep(args) -> int:
    require_book_extra("seqlib sweep")
    out = sweep(args.names or None, profile=args.profile, out_dir=args.out, parameters=_parameters(args.param),
                scheduler=args.scheduler, build=not args.no_book)
    print(f"sweep: {len(out['executed'])} notebook(s) executed, {len(out['skipped'])} already done"
          + (f"; book: {out['book']}" if out["book"] else ""))
    return 0


def _chapters(path: Path) -> Path:
    if not path.is_dir():
        raise SeqlibError(f"not a folder of executed chapters: {path} (run `seqlib notebooks` first)")
    return path


def _cmd_status(args) -> int:
    print(f"status page: {status_page(_chapters(args.chapters), args.out)}")
    return 0


def _cmd_claims(args) -> int:
    missing = [str(r) for r in args.records if not r.is_file()]
    if missing:
        raise SeqlibError(f"no such recorded run table: {', '.join(missing)}")
    print(f"claims page: {claims_page(_chapters(args.chapters), args.out, records=args.records)}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``notebooks``, ``sweep``, ``status`` and ``claims`` to the ``seqlib`` command line."""
    nb = sub.add_parser("notebooks", help="execute the book's notebooks with papermill at a profile")
    nb.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    nb.add_argument("--profile", default="quick", choices=list(PROFILES))
    nb.add_argument("--out", type=Path, default=None, help="folder for executed notebooks (default book/chapters)")
    nb.add_argument("--param", action="append", help="extra papermill parameter NAME=VALUE (YAML value)")
    nb.set_defaults(func=_cmd_notebooks)

    sw = sub.add_parser("sweep", help="run notebooks at a profile into a sweep folder (skipping those already "
                        "done with the same parameters), then build the book from them")
    sw.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    sw.add_argument("--profile", default="paper", choices=list(PROFILES))
    sw.add_argument("--out", type=Path, default=None, help="sweep folder (default results/sweeps/<profile>)")
    sw.add_argument("--scheduler", default=None, help="Dask scheduler the notebooks' runs train on")
    sw.add_argument("--param", action="append", help="extra papermill parameter NAME=VALUE (YAML value)")
    sw.add_argument("--no-book", action="store_true", help="only execute the notebooks")
    sw.set_defaults(func=_cmd_sweep)

    st = sub.add_parser("status", help="write the book's Status page from the executed chapters")
    st.add_argument("chapters", type=Path, help="folder of executed chapters (e.g. book/chapters)")
    st.add_argument("--out", type=Path, default=None, help="page to write (default CHAPTERS/status.md)")
    st.set_defaults(func=_cmd_status)

    cl = sub.add_parser("claims", help="write the book's Claims page: the paper's claims judged on the executed "
                        "chapters")
    cl.add_argument("chapters", type=Path, help="folder of executed chapters (e.g. book/chapters)")
    cl.add_argument("records", type=Path, nargs="*", help="recorded paper-profile run tables "
                    "(benchmarks/gpu/*.csv) judged in their own section")
    cl.add_argument("--out", type=Path, default=None, help="page to write (default CHAPTERS/claims.md)")
    cl.set_defaults(func=_cmd_claims)
