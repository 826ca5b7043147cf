"""Tests of the book's layer (seqlib.book, the chapters, the built pages): every test here is marked ``book``, so
``pytest -m "not book"`` runs the library's tests alone."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
if str(_HERE.parent) not in sys.path:          # book tests reuse fixtures of the library's test modules
    sys.path.insert(0, str(_HERE.parent))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.book)
