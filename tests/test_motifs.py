"""seqlib.motifs: PPM arithmetic, offline JASPAR lookups (pyjaspar) and MEME / JASPAR-PFM file I/O."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

from seqlib._validate import check_ppm
from seqlib.errors import FormatError, ShapeError, UnknownMotifError, UnknownReleaseError
from seqlib.motifs import (
    TASK1_MOTIF_IDS,
    TASK1_MOTIF_NAMES,
    TASK3_CORE_IDS,
    Motif,
    information_content,
    jaspar_collection,
    load_jaspar,
    pfm_to_ppm,
    read_jaspar_pfm,
    read_meme,
    reverse_complement,
    with_reverse_complements,
    write_meme,
)

BASES = "ACGT"


def one_hot(seq: str) -> np.ndarray:
    return np.array([[float(b == c) for c in BASES] for b in seq])


def decode(x: np.ndarray) -> str:
    return "".join(BASES[i] for i in x.argmax(-1))


# ----------------------------------------------------------------------------- matrix arithmetic

def test_pfm_to_ppm_divides_each_position_by_its_total():
    ppm = pfm_to_ppm([[1, 1, 2, 0], [0, 0, 0, 5], [3, 1, 0, 0]])
    np.testing.assert_allclose(ppm, [[0.25, 0.25, 0.5, 0], [0, 0, 0, 1], [0.75, 0.25, 0, 0]])
    np.testing.assert_allclose(ppm.sum(1), 1.0)


def test_pfm_to_ppm_pseudocount_is_added_to_every_count():
    np.testing.assert_allclose(pfm_to_ppm([[1, 1, 2, 0]], pseudocount=1), [[2 / 8, 2 / 8, 3 / 8, 1 / 8]])
    # a pseudocount rescues an all-zero position (uniform)
    np.testing.assert_allclose(pfm_to_ppm([[0, 0, 0, 0]], pseudocount=0.5), [[0.25] * 4])


@pytest.mark.parametrize("counts, message", [
    ([[1, -1, 2, 0]], "non-negative"),
    ([[1, 1, 1, 1], [0, 0, 0, 0]], r"zero total count \(row 1\)"),
    ([[1, 1, 1]], r"shape \(L, 4\)"),
])
def test_pfm_to_ppm_rejects_bad_counts(counts, message):
    with pytest.raises(ShapeError, match=message):
        pfm_to_ppm(counts)


def test_reverse_complement_of_a_known_matrix():
    ppm = np.array([[0.1, 0.2, 0.3, 0.4],
                    [0.7, 0.1, 0.1, 0.1]])
    # opposite strand: last position first, A<->T and C<->G swapped
    np.testing.assert_array_equal(reverse_complement(ppm), [[0.1, 0.1, 0.1, 0.7],
                                                            [0.4, 0.3, 0.2, 0.1]])
    assert decode(reverse_complement(one_hot("AACGTTG"))) == "CAACGTT"


def test_reverse_complement_is_an_involution_and_works_on_batches():
    rng = np.random.default_rng(0)
    batch = rng.random((5, 7, 4))
    rc = reverse_complement(batch)
    assert rc.shape == batch.shape
    np.testing.assert_array_equal(reverse_complement(rc), batch)
    for i in range(len(batch)):
        np.testing.assert_array_equal(rc[i], reverse_complement(batch[i]))
    seqs = ["ACGTTGCA", "AAAACCCG"]
    rc_seqs = reverse_complement(np.stack([one_hot(s) for s in seqs]))
    assert [decode(x) for x in rc_seqs] == ["TGCAACGT", "CGGGTTTT"]
    with pytest.raises(ShapeError, match=r"\(\.\.\., L, 4\)"):
        reverse_complement(np.zeros((3, 5)))


def test_motif_reverse_complement_and_pool_layout():
    a = Motif("A1", "alpha", one_hot("AAC"))
    b = Motif("B1", "beta", one_hot("GGT"))
    pool = with_reverse_complements([a, b])
    assert [m.id for m in pool] == ["A1", "A1_rc", "B1", "B1_rc"]
    assert [m.name for m in pool] == ["alpha", "alpha_rc", "beta", "beta_rc"]
    assert [decode(m.ppm) for m in pool] == ["AAC", "GTT", "GGT", "ACC"]
    assert pool[1].length == 3


def test_information_content():
    np.testing.assert_allclose(information_content(np.full((3, 4), 0.25)), 0.0, atol=1e-9)
    np.testing.assert_allclose(information_content(one_hot("ACGT")), 2.0, atol=1e-6)
    np.testing.assert_allclose(information_content([[0.5, 0.5, 0, 0]]), [1.0], atol=1e-6)
    assert information_content(np.full((2, 5, 4), 0.25)).shape == (2, 5)
    with pytest.raises(ShapeError, match="information_content expects"):
        information_content(np.ones((2, 3)))


def test_check_ppm_errors():
    np.testing.assert_array_equal(check_ppm([[0.5, 0.5, 0, 0]]), [[0.5, 0.5, 0, 0]])
    with pytest.raises(ShapeError, match=r"toy must have shape \(L, 4\)"):
        check_ppm(np.ones((3, 5)) / 5, "toy")
    with pytest.raises(ShapeError, match="toy has length 0"):
        check_ppm(np.zeros((0, 4)), "toy")
    with pytest.raises(ShapeError, match=r"toy rows must be probabilities summing to 1.*0\.8"):
        check_ppm([[0.2, 0.2, 0.2, 0.2]], "toy")


# ----------------------------------------------------------------------------- JASPAR

@pytest.fixture(scope="module")
def pfm_file(repo_data):
    return {m.id: m for m in read_jaspar_pfm(repo_data / "pfm_vertebrates.txt")}


def test_load_jaspar_by_versioned_and_unversioned_id(pfm_file):
    (m,) = load_jaspar("MA0058.3")
    assert (m.id, m.name) == ("MA0058.3", "MAX")
    np.testing.assert_allclose(m.ppm, pfm_file["MA0058.3"].ppm)
    # an older version stays reachable by its full ID
    assert load_jaspar("MA0058.2")[0].id == "MA0058.2"
    # without a version: the latest one *in the requested release*
    assert load_jaspar("MA0079")[0].id == "MA0079.3"
    assert load_jaspar("MA0079", release="JASPAR2020")[0].id == "MA0079.4"


def test_load_jaspar_by_exact_then_case_insensitive_name():
    motifs = load_jaspar(["MAX", "STAT1", "max", "Stat1", "sp1"])
    # exact name wins over MAX::MYC (MA0059.1) and STAT1::STAT2 (MA0517.1), as in the paper
    assert [m.id for m in motifs] == ["MA0058.3", "MA0137.3", "MA0058.3", "MA0137.3", "MA0079.3"]
    assert [m.id for m in load_jaspar(list(TASK1_MOTIF_NAMES))] == list(TASK1_MOTIF_IDS)
    assert [m.id for m in load_jaspar(["SP1", "Gabpa", "CEBPB", "MAX", "YY1"])] == list(TASK3_CORE_IDS)


def test_load_jaspar_ambiguous_name_asks_for_an_id():
    # over all taxa, JASPAR2016 has two CTCF matrices (MA0139.1, MA0531.1)
    with pytest.raises(UnknownMotifError, match=r"'CTCF' is ambiguous.*MA0139\.1.*MA0531\.1.*pass a matrix ID"):
        load_jaspar("CTCF", tax_group=None)
    # exact case is tried first: Vsx2 (MA0180.1) and VSX2 (MA0726.1) differ only in case
    assert [m.id for m in load_jaspar(["Vsx2", "VSX2"], tax_group=None)] == ["MA0180.1", "MA0726.1"]
    with pytest.raises(UnknownMotifError, match=r"'vsx2' is ambiguous"):
        load_jaspar("vsx2", tax_group=None)


def test_load_jaspar_unknown_keys_are_all_listed():
    with pytest.raises(UnknownMotifError) as info:
        load_jaspar(["MA0058.3", "MA9999.1", "NOT_A_TF", "zzz"])
    message = str(info.value)
    assert "JASPAR2016" in message
    for key in ("'MA9999.1'", "'NOT_A_TF'", "'zzz'"):
        assert key in message
    assert "MA0058.3" not in message
    assert isinstance(info.value, LookupError)


def test_load_jaspar_unknown_release_lists_the_available_ones():
    with pytest.raises(UnknownReleaseError, match=r"'JASPAR1999'.*available releases:.*JASPAR2020.*JASPAR2016"):
        load_jaspar("MAX", release="JASPAR1999")
    with pytest.raises(UnknownReleaseError, match="JASPAR1999"):
        jaspar_collection("JASPAR1999")


def test_load_jaspar_from_another_release():
    motifs = load_jaspar(["MA0058.3", "MAX"], release="JASPAR2020")
    assert [m.id for m in motifs] == ["MA0058.3", "MA0058.3"]
    np.testing.assert_allclose(motifs[0].ppm.sum(1), 1.0)


def test_pyjaspar_2016_equals_the_papers_motif_files(repo_data, pfm_file):
    """The offline pyjaspar JASPAR2016 CORE vertebrates = pfm_vertebrates.txt = the MEME file + MA0615.1."""
    collection = {m.id: m for m in jaspar_collection()}
    assert len(collection) == 519 and len(pfm_file) == 519
    assert set(collection) == set(pfm_file)
    for mid, m in pfm_file.items():
        assert collection[mid].name == m.name
        np.testing.assert_allclose(collection[mid].ppm, m.ppm, rtol=0, atol=1e-12)

    meme = {m.id: m for m in read_meme(repo_data / "JASPAR_CORE_2016_vertebrates.meme")}
    assert len(meme) == 518
    assert set(collection) - set(meme) == {"MA0615.1"}
    for mid, m in meme.items():
        assert m.name == collection[mid].name
        np.testing.assert_allclose(m.ppm, collection[mid].ppm, rtol=0, atol=1e-5)


# ----------------------------------------------------------------------------- MEME files

def test_read_meme_fixture(fixture_dir):
    motifs = read_meme(fixture_dir / "tiny.meme")
    assert [(m.id, m.name) for m in motifs] == [("toy1", "ALPHA"), ("toy2", "toy2")]
    np.testing.assert_allclose(motifs[0].ppm, [[1, 0, 0, 0], [0.25] * 4, [0.1, 0.2, 0.3, 0.4]])
    np.testing.assert_allclose(motifs[1].ppm, [[0.5, 0.5, 0, 0], [0, 0, 0, 1]])


def test_write_read_meme_round_trip(tmp_path):
    motifs = load_jaspar(["MA0058.3", "MA0079.3", "MA0151.1"]) + [Motif("toy", "toy", one_hot("ACGTT"))]
    motifs.append(motifs[0].reverse_complement())
    path = write_meme(tmp_path / "out.meme", motifs)
    assert path == tmp_path / "out.meme"
    assert os.listdir(tmp_path) == ["out.meme"]               # no temporary file left behind
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask       # normal permissions, not mkstemp's 0600
    text = path.read_text()
    assert text.startswith("MEME version 4") and "strands: + -" in text
    back = read_meme(path)
    assert [m.id for m in back] == ["MA0058.3", "MA0079.3", "MA0151.1", "toy", "MA0058.3_rc"]
    assert [m.name for m in back] == ["MAX", "SP1", "Arid3a", "toy", "MAX_rc"]
    for m, b in zip(motifs, back):
        assert b.ppm.shape == m.ppm.shape
        np.testing.assert_allclose(b.ppm, m.ppm, rtol=0, atol=2e-6)
    assert "strands" not in write_meme(tmp_path / "one.meme", motifs[:1], strands=False).read_text()


def test_write_meme_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "motifs.meme"
    target.write_text("old content\n")
    real_write_text = pathlib.Path.write_text

    def write_half_then_fail(self, text, *args, **kwargs):
        real_write_text(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(pathlib.Path, "write_text", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_meme(target, load_jaspar(["MAX"]))
    with pytest.raises(OSError, match="disk full"):
        write_meme(tmp_path / "new.meme", load_jaspar(["MAX"]))
    monkeypatch.undo()
    assert target.read_text() == "old content\n"
    assert os.listdir(tmp_path) == ["motifs.meme"]


def test_write_meme_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="at least one motif"):
        write_meme(tmp_path / "x.meme", [])
    with pytest.raises(ShapeError, match="motif bad rows must be probabilities"):
        write_meme(tmp_path / "x.meme", [Motif("bad", "bad", np.full((3, 4), 0.3))])
    assert os.listdir(tmp_path) == []


GOOD_MEME = """MEME version 4

ALPHABET= ACGT

MOTIF m1 ONE
letter-probability matrix: alength= 4 w= 2 nsites= 20 E= 0
0.25 0.25 0.25 0.25
0.1 0.2 0.3 0.4

MOTIF m2 TWO
letter-probability matrix: alength= 4 w= 1 nsites= 20 E= 0
1.0 0.0 0.0 0.0
"""


def test_good_meme_template_parses(tmp_path):
    """The template the malformed cases below mutate is itself valid."""
    path = tmp_path / "good.meme"
    path.write_text(GOOD_MEME)
    assert [m.id for m in read_meme(path)] == ["m1", "m2"]


@pytest.mark.parametrize("old, new, message", [
    ("MEME version 4", "MEMO version 4", r"not a MEME file \(no 'MEME version' line"),
    ("ALPHABET= ACGT", "ALPHABET= ACDEFGHIKLMNPQRSTVWY", "only the DNA alphabet ACGT"),
    ("alength= 4 w= 2", "alength= 20 w= 2", "motif m1 has alength=20, expected 4"),
    ("alength= 4 w= 2", "alength= 4 w= 3", "motif m1 declares w=3 but has 2 rows"),
    ("0.1 0.2 0.3 0.4", "0.1 0.2 0.7", "motif m1 row has 3 values, expected 4"),
    ("0.1 0.2 0.3 0.4", "0.1 0.2 abc 0.4", "non-numeric value in motif m1"),
    ("0.1 0.2 0.3 0.4", "0.1 0.2 0.3 0.9", "motif m1 rows are not probabilities summing to 1"),
    ("letter-probability matrix: alength= 4 w= 1", "", "motif m2 has no letter-probability matrix"),
    ("MOTIF m1 ONE", "MOTIF", "MOTIF line without an identifier"),
])
def test_read_meme_malformed(tmp_path, old, new, message):
    assert GOOD_MEME.count(old) == 1
    path = tmp_path / "bad.meme"
    path.write_text(GOOD_MEME.replace(old, new))
    with pytest.raises(FormatError, match=message):
        read_meme(path)


def test_read_meme_without_motifs(tmp_path):
    path = tmp_path / "empty.meme"
    path.write_text("MEME version 4\n\nALPHABET= ACGT\n\nBackground letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n")
    with pytest.raises(FormatError, match="no MOTIF entries found"):
        read_meme(path)


# ----------------------------------------------------------------------------- JASPAR PFM files

def test_read_jaspar_pfm_fixture(fixture_dir):
    motifs = read_jaspar_pfm(fixture_dir / "tiny_pfm.txt")
    assert [(m.id, m.name) for m in motifs] == [("MA9001.1", "TOY_A"), ("MA9002.1", "TOY_B")]
    np.testing.assert_allclose(motifs[0].ppm, [[1, 0, 0, 0], [0, 1, 0, 0], [0.25, 0.25, 0, 0.5]])
    np.testing.assert_allclose(motifs[1].ppm, [[0.25, 0.25, 0.25, 0.25], [0.75, 0.25, 0, 0]])


def test_read_jaspar_pfm_paper_file(pfm_file):
    assert len(pfm_file) == 519
    m = pfm_file["MA0002.2"]          # first record of the file: RUNX1, counts 287/496/696/521 at position 0
    assert m.name == "RUNX1" and m.length == 11
    np.testing.assert_allclose(m.ppm[0], np.array([287, 496, 696, 521]) / 2000)


GOOD_PFM = ">MA1.1\tONE\nA [ 1 2 ]\nC [ 1 0 ]\nG [ 1 0 ]\nT [ 1 2 ]\n>MA2.1\tTWO\nA [ 3 ]\nC [ 1 ]\nG [ 0 ]\nT [ 0 ]\n"


@pytest.mark.parametrize("text, message", [
    (GOOD_PFM.rsplit("G [ 0 ]", 1)[0], "motif MA2.1 is truncated"),
    (GOOD_PFM.replace("C [ 1 0 ]", "C [ 1 x ]"), r"bad count row for MA1\.1: 'C \[ 1 x \]'"),
    (GOOD_PFM.replace("C [ 1 0 ]", "C [ 1 1.2.3 ]"), r"non-numeric count in MA1\.1"),
    (GOOD_PFM.replace("T [ 1 2 ]", "G [ 1 2 ]"), r"motif MA1\.1 must have rows A, C, G, T"),
    (GOOD_PFM.replace("C [ 1 0 ]", "C [ 1 0 4 ]"), r"motif MA1\.1 has rows of unequal or zero length \[2, 3\]"),
    ("A [ 1 ]\n" + GOOD_PFM, r":1: expected a '>ID name' header"),
    ("\n\n", "no motifs found"),
])
def test_read_jaspar_pfm_malformed(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(FormatError, match=message):
        read_jaspar_pfm(path)


def test_good_pfm_template_parses(tmp_path):
    path = tmp_path / "good.txt"
    path.write_text(GOOD_PFM)
    assert [m.id for m in read_jaspar_pfm(path)] == ["MA1.1", "MA2.1"]
