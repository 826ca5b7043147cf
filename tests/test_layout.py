"""The library and the book apart: no module of seqlib outside seqlib/book imports the book's layer."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import seqlib

PACKAGE = Path(seqlib.__file__).resolve().parent
#: The done-criterion's search, as a regular expression: any mention of the book's package in library code.
MENTION = re.compile(r"seqlib\.book|from \.book|from \.+book")


def _library_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "book" not in p.relative_to(PACKAGE).parts)


def _imports_book(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [a.name for a in node.names]
            if module.split(".")[:2] == ["seqlib", "book"] or (node.level and module.split(".")[0] == "book") or \
                    (node.level and not module and "book" in names):
                found.append(f"{path.name}:{node.lineno}")
        elif isinstance(node, ast.Import):
            found += [f"{path.name}:{node.lineno}" for a in node.names if a.name.startswith("seqlib.book")]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("seqlib.book"):
            found.append(f"{path.name}:{node.lineno}")              # importlib.import_module("seqlib.book...")
    return found


def test_no_library_module_imports_the_book():
    modules = _library_modules()
    assert len(modules) > 20 and not any(p.name == "claims.py" for p in modules)
    assert [hit for p in modules for hit in _imports_book(p)] == []
    mentions = [f"{p.name}:{i}" for p in modules for i, line in enumerate(p.read_text().splitlines(), 1)
                if MENTION.search(line)]
    assert mentions == []


def test_the_check_sees_every_way_to_import_the_book(tmp_path):
    for text in ("from seqlib.book import claims", "from .book import claims", "from . import book",
                 "import seqlib.book.claims", "importlib.import_module('seqlib.book.claims')"):
        path = tmp_path / "m.py"
        path.write_text(text + "\n")
        assert _imports_book(path), text
    clean = tmp_path / "clean.py"
    clean.write_text("from .runs import RunConfig\nimport seqlib.runs\n")
    assert _imports_book(clean) == []
