"""seqlib.simulate: Task 1 / Task 3 generators (Methods §1.1, §1.3).

The two paper-scale reference runs (~23 s and ~16 s) are made once each, by module-scoped fixtures;
everything else uses a few hundred sequences.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from seqlib.errors import ShapeError, UnknownNameError
from seqlib.motifs import (
    TASK1_MOTIF_IDS,
    TASK3_CORE_IDS,
    Motif,
    information_content,
    load_jaspar,
    read_jaspar_pfm,
    with_reverse_complements,
)
from seqlib.simulate import (
    PAPER_TASK3_BACKGROUND_IDS,
    TASK1_COUNT_PROBS,
    TASK3_COUNT_PROBS,
    paper_task3_background_ids,
    sample_sequence_models,
    sample_sequences,
    simulate_task1,
    simulate_task3,
)

BASES = "ACGT"


def one_hot(seq: str) -> np.ndarray:
    return np.array([[float(b == c) for c in BASES] for b in seq])


def decode(x: np.ndarray) -> str:
    return "".join(BASES[i] for i in x.argmax(-1))


def all_rows(ds, attr):
    return np.concatenate([getattr(s, attr) for _, s in ds.splits()])


def assert_consistent(split, pool: list[Motif]):
    """Ground truth, planted motifs and sampled sequences agree with one another.

    * ``model[i, start:start+w]`` is exactly the pool PPM of every planted motif, motifs appear in
      order without overlapping, and the model is 0.25 everywhere else;
    * X is one-hot and each sampled base has positive probability under the model (so wherever a
      model column is one-hot, X equals it).
    """
    X, model, planted, starts = split.X, split.model, split.planted, split.starts
    n, length, _ = X.shape
    assert model.shape == X.shape and planted.shape == starts.shape and planted.shape[0] == n
    valid = planted >= 0
    assert (valid[:, :-1] | ~valid[:, 1:]).all()               # -1 padding only after the last motif
    np.testing.assert_array_equal(starts < 0, ~valid)
    widths = np.array([m.length for m in pool])
    ends = np.where(valid, starts + widths[np.maximum(planted, 0)], -1)
    assert (starts[valid] >= 0).all() and (ends <= length).all()
    later = valid[:, 1:]
    assert (starts[:, 1:][later] >= ends[:, :-1][later]).all()  # in order, never overlapping
    covered = np.zeros((n, length), np.int64)
    for p, motif in enumerate(pool):                           # gather each pool motif's sites
        rows, slots = np.nonzero(planted == p)
        at = starts[rows, slots].astype(np.int64)
        for j, column in enumerate(motif.ppm.astype(np.float32)):
            np.testing.assert_array_equal(model[rows, at + j], np.broadcast_to(column, (len(rows), 4)))
            np.add.at(covered, (rows, at + j), 1)
    assert covered.sum() == (ends - starts)[valid].sum() and covered.max(initial=0) <= 1
    assert (model[covered == 0] == 0.25).all()
    assert ((X == 0) | (X == 1)).all() and (X.sum(-1) == 1).all()
    assert ((X * model).sum(-1) > 0).all(), "a sampled base has zero probability under the model"
    hot = (model == 1).any(-1)
    np.testing.assert_array_equal(X[hot], model[hot])


def expected_task1_labels(planted, n_classes):
    y = np.zeros((len(planted), n_classes), np.float32)
    for i, row in enumerate(planted):
        for p in row[row >= 0]:
            y[i, p // 2] = 1
    return y


# ----------------------------------------------------------------------------- paper reference runs

@pytest.fixture(scope="module")
def ref_task1():
    return simulate_task1(engine="reference")


@pytest.fixture(scope="module")
def ref_task3():
    return simulate_task3(engine="reference")


def test_task1_reference_run_reproduces_the_paper(ref_task1):
    ds = ref_task1
    assert [len(s) for _, s in ds.splits()] == [21_000, 3_000, 6_000]
    n_motifs = (all_rows(ds, "planted") >= 0).sum(1)
    assert np.bincount(n_motifs, minlength=6)[1:].tolist() == [15_032, 7_422, 5_115, 1_535, 896]
    y = all_rows(ds, "y")
    assert np.bincount(y.sum(1).astype(int), minlength=6)[1:].tolist() == [15_715, 8_010, 4_611, 1_325, 339]
    # Methods §1.1: per-TF prevalence about 0.14-0.15; ~10.9 % of test positions have IC > 0.01 bits
    assert ((y.mean(0) >= 0.14) & (y.mean(0) < 0.15)).all()
    assert round(100 * float((information_content(ds.test.model) > 0.01).mean()), 1) == 10.9
    assert ds.meta["class_ids"] == list(TASK1_MOTIF_IDS)
    assert ds.meta["pool_ids"] == [i + s for i in TASK1_MOTIF_IDS for s in ("", "_rc")]
    pool = with_reverse_complements(load_jaspar(ds.meta["class_ids"]))
    for _, split in ds.splits():
        np.testing.assert_array_equal(split.y, expected_task1_labels(split.planted, 12))
        assert_consistent(split, pool)


def test_task3_reference_run_reproduces_the_paper(ref_task3):
    ds = ref_task3
    assert [len(s) for _, s in ds.splits()] == [14_000, 2_000, 4_000]
    y = all_rows(ds, "y")[:, 0]
    planted = all_rows(ds, "planted")
    n_motifs = (planted >= 0).sum(1)
    assert y.sum() == 10_000
    assert np.bincount(n_motifs[y == 1], minlength=8)[3:].tolist() == [4_977, 2_560, 1_614, 521, 328]
    assert ds.test.y.sum() == 1_973
    # Methods §1.3: pool of 110 PPMs (core first); ~31 % of negatives hold a core motif;
    # ~20.9 % of positions of positive test sequences have IC > 0.01 bits
    core_ids = [i + s for i in TASK3_CORE_IDS for s in ("", "_rc")]
    assert ds.meta["pool_ids"] == core_ids
    assert ds.meta["background_pool_ids"] == core_ids + [i + s for i in PAPER_TASK3_BACKGROUND_IDS
                                                         for s in ("", "_rc")]
    neg = planted[y == 0]
    assert round(100 * float(((neg >= 0) & (neg < 10)).any(1).mean())) == 31
    pos_model = ds.test.model[ds.test.y[:, 0] == 1]
    assert round(100 * float((information_content(pos_model) > 0.01).mean()), 1) == 20.9
    core = with_reverse_complements(load_jaspar(list(TASK3_CORE_IDS)))
    background = core + with_reverse_complements(load_jaspar(list(PAPER_TASK3_BACKGROUND_IDS)))
    for _, split in ds.splits():
        is_pos = split.y[:, 0] == 1
        assert_consistent(split.subset(is_pos), core)
        assert_consistent(split.subset(~is_pos), background)


# ----------------------------------------------------------------------------- vectorized engine

@pytest.fixture(scope="module")
def vec_task1():
    return simulate_task1(n_sequences=20_000, seed=2024)


def test_vectorized_count_distribution_and_prevalence(vec_task1):
    n_motifs = (all_rows(vec_task1, "planted") >= 0).sum(1)
    observed = np.bincount(n_motifs, minlength=6)[1:]
    expected = len(n_motifs) * np.array([TASK1_COUNT_PROBS[k] for k in range(1, 6)])
    assert stats.chisquare(observed, expected).pvalue > 0.01
    # each motif is drawn uniformly from the 24-PPM pool
    planted = all_rows(vec_task1, "planted")
    assert stats.chisquare(np.bincount(planted[planted >= 0], minlength=24)).pvalue > 0.01
    prevalence = all_rows(vec_task1, "y").mean(0)
    assert ((prevalence > 0.13) & (prevalence < 0.16)).all()


def test_vectorized_engine_matches_reference_spacing(vec_task1, ref_task1):
    """Both engines place motifs with the same spacing distribution (start of the first motif)."""
    first_vec = all_rows(vec_task1, "starts")[:, 0]
    first_ref = all_rows(ref_task1, "starts")[:, 0]
    assert stats.ks_2samp(first_vec, first_ref).pvalue > 0.001
    # and the same number of informative positions, to within a few per mille
    ic_vec = (information_content(vec_task1.test.model) > 0.01).mean()
    ic_ref = (information_content(ref_task1.test.model) > 0.01).mean()
    assert abs(ic_vec - ic_ref) < 0.005


def test_task1_shapes_dtypes_and_consistency():
    ds = simulate_task1(n_sequences=300, seed=7)
    assert [len(s) for _, s in ds.splits()] == [210, 30, 60]
    pool = with_reverse_complements(load_jaspar(list(TASK1_MOTIF_IDS)))
    for _, s in ds.splits():
        assert s.X.shape == (len(s), 200, 4) and s.X.dtype == np.float32
        assert s.model.shape == (len(s), 200, 4) and s.model.dtype == np.float32
        assert s.y.shape == (len(s), 12) and set(np.unique(s.y)) <= {0.0, 1.0}
        assert s.planted.shape == s.starts.shape == (len(s), 5)
        assert s.planted.dtype == s.starts.dtype == np.int16
        assert (s.y.sum(1) >= 1).all()           # no negative class: every sequence has a motif
        np.testing.assert_array_equal(s.y, expected_task1_labels(s.planted, 12))
        assert_consistent(s, pool)
    assert ds.meta["task"] == "task1" and ds.meta["engine"] == "vectorized" and ds.meta["seed"] == 7
    assert ds.meta["count_probs"] == TASK1_COUNT_PROBS


@pytest.mark.parametrize("engine", ["vectorized", "reference"])
def test_same_seed_same_data_different_seed_different_data(engine):
    def run(task, seed):
        if task == 1:
            return simulate_task1(n_sequences=150, seed=seed, engine=engine)
        return simulate_task3(n_sequences=150, seed=seed, engine=engine)

    for task in (1, 3):
        a, b, c = run(task, 5), run(task, 5), run(task, 6)
        assert a.meta == b.meta
        for name in ("train", "valid", "test"):
            for attr in ("X", "y", "model", "planted", "starts"):
                np.testing.assert_array_equal(getattr(a[name], attr), getattr(b[name], attr))
        assert not np.array_equal(a.train.X, c.train.X)
        assert not np.array_equal(a.train.model, c.train.model)


def test_task3_shapes_pools_and_consistency():
    ds = simulate_task3(n_sequences=400, seed=3)
    assert [len(s) for _, s in ds.splits()] == [280, 40, 80]
    y = all_rows(ds, "y")
    assert y.shape == (400, 1) and y.dtype == np.float32 and y.sum() == 200
    assert len(ds.meta["background_pool_ids"]) == 110
    n_motifs = (all_rows(ds, "planted") >= 0).sum(1)
    assert n_motifs.min() >= 3 and n_motifs.max() <= 7
    core = with_reverse_complements(load_jaspar(list(TASK3_CORE_IDS)))
    background = core + with_reverse_complements(load_jaspar(list(PAPER_TASK3_BACKGROUND_IDS)))
    for _, s in ds.splits():
        is_pos = s.y[:, 0] == 1
        assert_consistent(s.subset(is_pos), core)
        assert_consistent(s.subset(~is_pos), background)
    assert ds.meta["count_probs"] == TASK3_COUNT_PROBS


def test_task3_background_without_core_motifs():
    ds = simulate_task3(n_sequences=400, seed=3, include_core_in_background=False)
    bg_ids = ds.meta["background_pool_ids"]
    assert len(bg_ids) == 100
    core_ids = set(ds.meta["pool_ids"])
    assert not core_ids & set(bg_ids)
    background = with_reverse_complements(load_jaspar(list(PAPER_TASK3_BACKGROUND_IDS)))
    for _, s in ds.splits():
        neg = s.subset(s.y[:, 0] == 0)
        assert len(neg) > 0
        assert_consistent(neg, background)
        assert not core_ids & {bg_ids[p] for p in neg.planted[neg.planted >= 0]}


def test_paper_task3_background_ids_rederived_from_the_pfm_file(repo_data):
    motifs = read_jaspar_pfm(repo_data / "pfm_vertebrates.txt")
    ids = paper_task3_background_ids(motifs)
    assert ids == list(PAPER_TASK3_BACKGROUND_IDS)
    # the names the authors' re-run listed (Methods §1.3), in the same order
    names = {m.id: m.name for m in motifs}
    assert [names[i] for i in ids] == [
        "HOXD13", "Arnt", "Ahr::Arnt", "Hoxd9", "MLX", "MLXIPL", "MYF6", "NEUROD2", "Gfi1", "HNF1A",
        "Pitx1", "IRF1", "MZF1(var.2)", "Nkx2-5", "Vdr", "ZIC3", "LHX9", "SPI1", "SRF", "SRY", "VENTX",
        "ZEB1", "Nkx3-1", "ZBED1", "ZNF410", "CUX1", "Pou5f1::Sox2", "Sox2", "ONECUT3", "ETV3", "ETV5",
        "NR4A2", "NFIC", "PLAG1", "Nr2e3", "Atoh1", "BHLHE40", "POU3F1", "E2F6", "Gata4", "JUN(var.2)",
        "JUND(var.2)", "MEIS1", "HEY1", "POU2F2", "TCF4", "SMAD2::SMAD3::SMAD4", "Rxra", "CEBPG", "FOXP2"]


# ----------------------------------------------------------------------------- general API

def test_custom_motif_ids_names_and_length():
    ds = simulate_task1(["MA0058.3", "SP1"], n_sequences=200, length=100, seed=1)
    assert ds.meta["class_ids"] == ["MA0058.3", "MA0079.3"] and ds.meta["class_names"] == ["MAX", "SP1"]
    assert ds.meta["pool_ids"] == ["MA0058.3", "MA0058.3_rc", "MA0079.3", "MA0079.3_rc"]
    assert ds.length == 100 and ds.n_classes == 2
    pool = with_reverse_complements(load_jaspar(["MA0058.3", "MA0079.3"]))
    for _, s in ds.splits():
        assert s.X.shape[1:] == (100, 4)
        np.testing.assert_array_equal(s.y, expected_task1_labels(s.planted, 2))
        assert_consistent(s, pool)


@pytest.mark.parametrize("engine", ["vectorized", "reference"])
def test_deterministic_motif_objects_are_planted_verbatim(engine):
    toy = Motif("toy", "toy", one_hot("ACGTAC"))
    other = Motif("other", "other", one_hot("GGGAAA"))
    ds = simulate_task1([toy, other], n_sequences=100, length=40, seed=2, engine=engine)
    words = {0: "ACGTAC", 1: "GTACGT", 2: "GGGAAA", 3: "TTTCCC"}       # pool: toy, rc, other, rc
    for _, s in ds.splits():
        for i, k in zip(*np.nonzero(s.planted >= 0)):
            start = s.starts[i, k]
            assert decode(s.X[i, start:start + 6]) == words[int(s.planted[i, k])]
        assert_consistent(s, with_reverse_complements([toy, other]))


def test_custom_count_probs():
    ds = simulate_task1(["MAX"], n_sequences=200, count_probs={2: 1.0}, seed=4)
    assert ((all_rows(ds, "planted") >= 0).sum(1) == 2).all()
    # a sequence of probabilities is read as P(1 motif), P(2 motifs), ...
    ds = simulate_task1(["MAX"], n_sequences=200, count_probs=[0.0, 0.0, 1.0], seed=4)
    assert ((all_rows(ds, "planted") >= 0).sum(1) == 3).all()
    assert ds.meta["count_probs"] == {1: 0.0, 2: 0.0, 3: 1.0}


@pytest.mark.parametrize("count_probs", [{1: 0.5, 2: 0.4}, {0: 0.5, 1: 0.5}, {1: 1.2, 2: -0.2}])
def test_bad_count_probs(count_probs):
    with pytest.raises(ValueError, match="count_probs must map counts >= 1 to probabilities summing to 1"):
        simulate_task1(["MAX"], n_sequences=10, count_probs=count_probs)


@pytest.mark.parametrize("engine", ["vectorized", "reference"])
def test_impossible_length_raises_shape_error(engine):
    toy = Motif("toy", "toy", np.full((6, 4), 0.25))
    # five width-6 motifs need 30 positions (+ at least 1 free): 31 works, 30 cannot
    ds = simulate_task1([toy], n_sequences=20, length=31, count_probs={5: 1.0}, engine=engine)
    assert (ds.train.starts[:, -1] + 6 <= 31).all()
    with pytest.raises(ShapeError, match="length 30 cannot hold 5 motifs of width >= 6"):
        simulate_task1([toy], n_sequences=20, length=30, count_probs={5: 1.0}, engine=engine)
    # the paper's 12 TFs (narrowest 6 wide) with up to 5 motifs do not fit in 25 positions
    with pytest.raises(ShapeError, match="length 25 cannot hold 5 motifs"):
        simulate_task1(n_sequences=20, length=25, engine=engine)
    with pytest.raises(ShapeError, match="length 20 cannot hold 7 motifs"):
        simulate_task3(n_sequences=20, length=20, engine=engine)
    # a count with zero probability does not have to fit
    ds = simulate_task1([toy], n_sequences=20, length=25, count_probs={1: 0.5, 2: 0.5, 5: 0.0}, engine=engine)
    assert len(ds.train) == 14


def test_unknown_engine_and_bad_motif_lists():
    with pytest.raises(UnknownNameError, match="engine must be 'vectorized' or 'reference'; got 'fast'"):
        simulate_task1(n_sequences=10, engine="fast")
    with pytest.raises(ValueError, match="at least one motif"):
        simulate_task1([], n_sequences=10)
    with pytest.raises(TypeError, match="all JASPAR IDs/names"):
        simulate_task1(["MAX", Motif("toy", "toy", np.full((6, 4), 0.25))], n_sequences=10)


def test_sample_sequences_follows_the_model():
    rng = np.random.default_rng(0)
    probs = np.array([0.1, 0.2, 0.3, 0.4], np.float32)
    model = np.broadcast_to(probs, (4000, 25, 4)).copy()
    model[:, 0] = [0, 0, 1, 0]                                      # a certain G
    X = sample_sequences(model, rng)
    assert X.dtype == np.float32 and (X.sum(-1) == 1).all()
    assert (X[:, 0] == [0, 0, 1, 0]).all()
    freq = X[:, 1:].reshape(-1, 4).sum(0)
    assert stats.chisquare(freq, probs * freq.sum()).pvalue > 0.01


def test_sample_sequence_models_direct_use():
    pool = [Motif("toy", "toy", one_hot("AAAA"))]
    sm = sample_sequence_models(pool, 50, 30, {1: 0.5, 3: 0.5}, np.random.default_rng(1))
    assert sm.model.shape == (50, 30, 4) and sm.planted.shape == (50, 3)
    assert set(sm.n_motifs.tolist()) == {1, 3}
    assert ((sm.model == [1, 0, 0, 0]).all(-1).sum(1) == 4 * sm.n_motifs).all()


def test_rejected_draws_redraw_the_motif_count_like_the_authors():
    # pool: a 12-wide and a 2-wide motif, L=20, 1 or 2 motifs with p=0.5 each. Two 12-wide motifs do not
    # fit, so the authors' loop (which redraws the count too) accepts 2 motifs with probability
    # 0.5 * 0.75 / (0.5 + 0.5 * 0.75) = 0.4286; keeping the count would give 0.5.
    from seqlib.motifs import Motif
    from seqlib.simulate import sample_sequence_models
    wide = Motif("w", "w", np.full((12, 4), 0.25))
    narrow = Motif("n", "n", np.full((2, 4), 0.25))
    sm = sample_sequence_models([wide, narrow], 40_000, 20, {1: 0.5, 2: 0.5}, np.random.default_rng(0))
    assert abs((sm.n_motifs == 2).mean() - 0.375 / 0.875) < 0.01
    assert ((sm.planted[:, 0] == 0) & (sm.planted[:, 1] == 0)).sum() == 0


@pytest.mark.parametrize("simulate", [simulate_task1, simulate_task3])
def test_too_few_sequences_for_three_splits_are_refused_before_simulating(simulate):
    """n_sequences 0 failed as "need at least one array to concatenate"; 1 or 3 wrote empty splits."""
    for n in (0, 1, 3, 6):
        with pytest.raises(ValueError, match=f"n_sequences={n} is too few sequences.*use at least 7"):
            simulate(n_sequences=n, seed=1)
    ds = simulate(n_sequences=7, seed=1, length=100)
    assert [len(s) for _, s in ds.splits()] == [4, 1, 2]
