"""Tomtom via memelite: JASPAR self-matches, MEME columns, E = p x targets, match statistics."""

import hashlib
import importlib.util
import os

import numpy as np
import pandas as pd
import pytest

from seqlib import tomtom as T
from seqlib.motifs import TASK1_MOTIF_IDS, TASK1_MOTIF_NAMES, Motif, load_jaspar
from seqlib.tomtom import (
    COLUMNS,
    MEF2_EXTRA_IDS,
    PAPER_EXTRA_IDS,
    RESULT_PACKAGES,
    ground_truth_families,
    match_statistics,
    result_versions,
    tomtom,
)


@pytest.fixture(scope="module")
def jaspar_hits():
    queries = load_jaspar(TASK1_MOTIF_IDS)
    uniform = Motif("filter_dead", "dead", np.full((20, 4), 0.25))
    return queries, tomtom(queries + [uniform])


def test_every_jaspar_motif_finds_itself_first(jaspar_hits):
    queries, table = jaspar_hits
    assert list(table.columns) == COLUMNS and table.attrs["n_targets"] == 518
    for q in queries:
        hits = table[table.Query_ID == q.id]
        assert hits.iloc[0].Target_ID == q.id, q.name
    np.testing.assert_allclose(table["E-value"], table["p-value"] * 518)
    assert (table["E-value"] <= 0.1).all() and table["q-value"].between(0, 1).all()
    assert (table["q-value"] >= table["p-value"] - 1e-15).all()
    assert "filter_dead" not in set(table.Query_ID)                    # no information, no hits


def test_reverse_complement_matches_on_the_minus_strand():
    srf = load_jaspar(["MA0083.3"])[0]
    table = tomtom([srf.reverse_complement()])
    assert table.iloc[0].Target_ID == "MA0083.3" and table.iloc[0].Orientation == "-"


def test_families_for_the_papers_tfs_and_any_motif():
    fams = ground_truth_families(TASK1_MOTIF_IDS, names=TASK1_MOTIF_NAMES)
    assert fams["MAX"] == ["MA0058.3"]
    assert set(fams["Arid3a"]) == {"MA0151.1", "MA0601.1"}             # PB0001.1 is not in the CORE DB
    assert set(fams["NFYB"]) == {"MA0502.1", "MA0060.2"}
    # the authors' table files MEF2B (MA0660.1) and MEF2D (MA0773.1) under STAT1 (Methods §7.1)
    assert set(fams["STAT1"]) == {"MA0137.3", "MA0660.1", "MA0773.1"}
    assert fams["MEF2A"] == ["MA0052.3"]
    by_family = ground_truth_families(TASK1_MOTIF_IDS, names=TASK1_MOTIF_NAMES, extra=MEF2_EXTRA_IDS)
    assert set(by_family["MEF2A"]) == {"MA0052.3", "MA0660.1", "MA0773.1"} and by_family["STAT1"] == ["MA0137.3"]
    assert {k: v for k, v in by_family.items() if k not in ("MEF2A", "STAT1")} == \
        {k: v for k, v in fams.items() if k not in ("MEF2A", "STAT1")}
    other = ground_truth_families(["MA0139.1"], release="JASPAR2020")  # CTCF, all versions in 2020
    assert other["MA0139.1"] and all(t.startswith("MA0139") for t in other["MA0139.1"])
    assert "MA0137" in PAPER_EXTRA_IDS and "MA0052" not in PAPER_EXTRA_IDS


def test_match_statistics_counts_filters_and_coverage():
    families = {"A": ["T1", "T2"], "B": ["T3"], "C": ["T4"]}
    table = pd.DataFrame({
        "Query_ID": ["filter0", "filter0", "filter1", "filter2", "filter3"],
        "Target_ID": ["T1", "T3", "T9", "T2", "T3"],
        "p-value": [1e-5, 1e-6, 1e-4, 1e-3, 1e-3],
        "q-value": [1e-3, 1e-2, 1e-2, 1e-2, 1e-2],
    })
    stats = match_statistics(table, n_filters=5, families=families)
    assert stats["match_fraction"] == pytest.approx(3 / 5)     # filters 0, 2, 3 hit a family
    assert stats["match_any"] == pytest.approx(4 / 5)          # filter 1 hits only a non-family motif
    assert stats["coverage"] == pytest.approx(2 / 3)           # families A and B, not C
    assert stats["families_matched"] == ["A", "B"]
    # filter 0 hits A (q 1e-3) and B (q 1e-2): the lower q-value decides its label
    from seqlib.tomtom import match_filters
    per = match_filters(table, 5, families)
    assert per.loc[0, "best_family"] == "A" and per.loc[0, "top_target"] == "T3"
    assert per.loc[4, "best_family"] == "" and not per.loc[4, "any_hit"]
    # the authors' quirk (a lone match of filter 0 counted as no match) is not reproduced
    only0 = table[table.Query_ID == "filter0"]
    assert match_statistics(only0, 5, families)["match_fraction"] == pytest.approx(1 / 5)


def test_match_statistics_of_an_empty_table_read_back_from_csv(tmp_path):
    empty = pd.DataFrame(columns=["Query_ID", "Target_ID", "p-value", "q-value"])
    empty.to_csv(tmp_path / "t.csv", index=False)
    stats = match_statistics(pd.read_csv(tmp_path / "t.csv"), n_filters=4, families={"A": ["T1"]})
    assert stats["match_fraction"] == 0 and stats["match_any"] == 0 and stats["coverage"] == 0


def test_result_versions_report_the_pinned_packages():
    import tomllib
    from importlib.metadata import version
    from pathlib import Path

    versions = result_versions()
    assert list(versions) == list(RESULT_PACKAGES)
    assert versions["memelite"] == version("memelite")
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    pins = dict(d.split("==") for d in pyproject["project"]["dependencies"] if "==" in d)
    for name in ("memelite", "pyjaspar"):          # the versions that move results are pinned, and installed
        assert versions[name] == pins[name], name


def test_the_first_tomtom_says_it_compiles_and_later_ones_do_not(tmp_path, monkeypatch, capsys):
    """numba compiles memelite's Tomtom for about 2 min on first use: one line on stderr says so beforehand."""

    if importlib.util.find_spec("memelite") is None:
        pytest.skip("memelite is not installed")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(T, "_announced", False)
    T._announce_compilation()
    assert capsys.readouterr().err == (f"seqlib: compiling Tomtom with numba, about 2 min on first use; cached "
                                       f"afterwards (in {tmp_path})\n")
    T._announce_compilation()                                     # once per process
    assert capsys.readouterr().err == ""
    # numba's cache of this memelite (folder <package>_<sha1 of its path>): nothing to say
    package = os.path.dirname(os.path.abspath(importlib.util.find_spec("memelite").origin))
    folder = tmp_path / f"memelite_{hashlib.sha1(package.encode()).hexdigest()}"
    folder.mkdir()
    (folder / "tomtom._tomtom-2492.py311.nbi").write_bytes(b"")
    monkeypatch.setattr(T, "_announced", False)
    T._announce_compilation()
    assert capsys.readouterr().err == ""


def test_the_projects_numba_cache_is_recognised_as_compiled():
    """The check looks where numba really files memelite's kernels (after any Tomtom call in this checkout)."""

    T._numba_cache()
    T.tomtom(T.target_motifs()[:1], T.target_motifs()[:30])       # compiled (or loaded from the cache) now
    assert os.environ.get("NUMBA_CACHE_DIR") and T._tomtom_compiled()
