"""seqlib.datasets (+ _validate, _io): containers, HDF5 save/load, paper-data loaders, FASTA."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os

import h5py
import numpy as np
import pytest
import scipy.io

from seqlib._validate import check_one_hot
from seqlib.datasets import (
    DEEPSEA_TASK2_COLUMNS,
    Dataset,
    Split,
    check_split_size,
    check_trainable,
    load_basset,
    load_dataset,
    load_deepsea,
    load_invivo,
    min_split_size,
    one_hot_encode,
    read_fasta,
    read_labels,
    read_sequences,
    save_dataset,
    split_indices,
    to_channels_last,
)
from seqlib.errors import (
    FormatError,
    LabelError,
    MissingKeyError,
    PathError,
    SequenceError,
    ShapeError,
    UnknownNameError,
)
from seqlib.simulate import simulate_task1

BASES = "ACGT"
SPLITS = ("train", "valid", "test")


def one_hot(seq: str) -> np.ndarray:
    """Independent reference encoder: (L, 4) in A, C, G, T order, N as 0.25."""
    return np.array([[0.25] * 4 if b in "Nn" else [float(b.upper() == c) for c in BASES] for b in seq],
                    dtype=np.float32)


def random_one_hot(rng, n, length):
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, length))]


def write_h5(path, **arrays):
    with h5py.File(path, "w") as f:
        for key, value in arrays.items():
            f.create_dataset(key, data=value)
    return path


def paper_like_arrays(n=(6, 3, 4), length=12, seed=0):
    """Keys and layout of the paper's files: X_* (N, 4, L) float32, Y_* (N, 1) int8."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, size in zip(SPLITS, n):
        out[f"X_{name}"] = random_one_hot(rng, size, length).transpose(0, 2, 1)
        out[f"Y_{name}"] = rng.integers(0, 2, size=(size, 1)).astype(np.int8)
    return out


# ----------------------------------------------------------------------------- save / load

@pytest.fixture(scope="module")
def small_task1():
    return simulate_task1(n_sequences=200, length=60, seed=11)


def test_save_load_round_trip(tmp_path, small_task1):
    ds = small_task1
    path = save_dataset(tmp_path / "sub" / "task1.h5", ds)
    assert path == tmp_path / "sub" / "task1.h5"
    assert os.listdir(path.parent) == ["task1.h5"]            # no temporary file left behind
    back = load_dataset(path)
    for name in SPLITS:
        for attr in ("X", "y", "model", "planted", "starts"):
            np.testing.assert_array_equal(getattr(back[name], attr), getattr(ds[name], attr))
        assert back[name].X.dtype == np.float32 and back[name].y.dtype == np.float32
    meta = dict(back.meta)
    assert meta.pop("source") == str(path)
    # JSON keeps dict keys as strings: compare count_probs by value
    assert {int(k): v for k, v in meta.pop("count_probs").items()} == ds.meta["count_probs"]
    assert meta == {k: v for k, v in ds.meta.items() if k != "count_probs"}


def test_saved_file_layout_is_the_papers(tmp_path, small_task1):
    ds = small_task1
    path = save_dataset(tmp_path / "task1.h5", ds)
    with h5py.File(path, "r") as f:
        assert set(f.keys()) == {f"{k}_{s}" for k in ("X", "Y", "model", "planted", "starts") for s in SPLITS}
        X = f["X_train"][()]
        assert X.shape == (140, 4, 60) and X.dtype == np.uint8           # channels-first, as the paper
        np.testing.assert_array_equal(X[3].T, ds.train.X[3])
        assert f["model_test"].shape == (40, 4, 60) and f["model_test"].dtype == np.float32
        np.testing.assert_array_equal(f["model_test"][5].T, ds.test.model[5])
        assert f["Y_valid"].shape == (20, 12)
        assert f["planted_train"].dtype == np.int16
        assert f.attrs["layout"] == "channels_first"
        assert json.loads(f.attrs["meta"])["pool_ids"] == ds.meta["pool_ids"]


def test_save_load_keeps_n_bases_and_plain_splits(tmp_path):
    X = np.stack([one_hot("ACGNT"), one_hot("NNCCA")])
    split = Split(X, np.array([[1.0], [0.0]], np.float32))
    back = load_dataset(save_dataset(tmp_path / "n.h5", Dataset(split, split, split, meta={"task": "toy"})))
    np.testing.assert_array_equal(back.train.X, X)
    assert back.train.model is None and back.train.planted is None
    assert back.meta["task"] == "toy"


def test_save_dataset_is_atomic(tmp_path, monkeypatch, small_task1):
    target = tmp_path / "task1.h5"
    target.write_bytes(b"previous version")
    real_create = h5py.Group.create_dataset
    calls = []

    def create_then_fail(self, name, *args, **kwargs):
        calls.append(name)
        if len(calls) == 7:                     # half-way through: train and part of valid written
            raise OSError("disk full")
        return real_create(self, name, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", create_then_fail)
    with pytest.raises(OSError, match="disk full"):
        save_dataset(target, small_task1)
    assert target.read_bytes() == b"previous version"
    calls.clear()
    with pytest.raises(OSError, match="disk full"):
        save_dataset(tmp_path / "fresh.h5", small_task1)
    assert len(calls) == 7
    assert os.listdir(tmp_path) == ["task1.h5"]


def test_load_dataset_reads_paper_layout_and_1d_labels(tmp_path):
    arrays = paper_like_arrays()
    arrays["Y_test"] = arrays["Y_test"][:, 0]                  # (N,) labels become (N, 1)
    ds = load_dataset(write_h5(tmp_path / "paper.h5", **arrays))
    assert ds.train.X.shape == (6, 12, 4) and ds.length == 12 and ds.n_classes == 1
    np.testing.assert_array_equal(ds.valid.X[2], arrays["X_valid"][2].T)
    assert ds.test.y.shape == (4, 1) and ds.test.y.dtype == np.float32
    np.testing.assert_array_equal(ds.test.y[:, 0], arrays["Y_test"])
    assert ds.meta == {"source": str(tmp_path / "paper.h5")}


def test_load_dataset_errors(tmp_path):
    arrays = paper_like_arrays()

    missing = {k: v for k, v in arrays.items() if k != "Y_valid"}
    with pytest.raises(MissingKeyError, match=r"missing key 'Y_valid'; the file has \['X_test'"):
        load_dataset(write_h5(tmp_path / "missing.h5", **missing))

    bad = dict(arrays)
    bad["X_valid"] = arrays["X_valid"].copy()
    bad["X_valid"][2, :, 5] = [1, 1, 0, 0]
    with pytest.raises(SequenceError, match=r"X_valid is not one-hot: sequence 2, position 5 holds \[1\.0, 1\.0"):
        load_dataset(write_h5(tmp_path / "notonehot.h5", **bad))
    # strict=False skips the check
    assert load_dataset(tmp_path / "notonehot.h5", strict=False).valid.X[2, 5].tolist() == [1, 1, 0, 0]

    bad = dict(arrays, X_train=np.zeros((6, 5, 12), np.float32))
    with pytest.raises(ShapeError, match=r"X_train: no axis of size 4 \(A, C, G, T\) in shape \(6, 5, 12\)"):
        load_dataset(write_h5(tmp_path / "shape.h5", **bad))

    bad = dict(arrays, Y_train=arrays["Y_train"][:3])
    with pytest.raises(ShapeError, match=r"6 sequences in split 'train' but 3 labels"):
        load_dataset(write_h5(tmp_path / "labels.h5", **bad))

    bad = dict(arrays, X_test=random_one_hot(np.random.default_rng(1), 4, 13).transpose(0, 2, 1))
    with pytest.raises(ShapeError, match=r"splits have different sequence lengths \[12, 13\]"):
        load_dataset(write_h5(tmp_path / "lengths.h5", **bad))

    (tmp_path / "text.h5").write_text("this is not HDF5\n")
    with pytest.raises(FormatError, match="text.h5: not a readable HDF5 file"):
        load_dataset(tmp_path / "text.h5")

    with pytest.raises(FileNotFoundError, match="data set not found: .*nothere.h5"):
        load_dataset(tmp_path / "nothere.h5")


# ----------------------------------------------------------------------------- in vivo (Tasks 5, 6)

@pytest.mark.parametrize("stem, sizes, positive_fraction", [
    ("ZBED2_400_h3k27ac", (3431, 490, 981), (0.504, 0.520, 0.476)),
    ("IRF1_400_h3k27ac", (2724, 389, 779), (0.504, 0.514, 0.480)),
])
def test_load_invivo(repo_data, stem, sizes, positive_fraction):
    path = repo_data / f"{stem}.h5"
    ds = load_invivo(path)
    rc = load_invivo(path, reverse_complement=True)
    assert ds.meta["task"] == stem
    with h5py.File(path, "r") as f:
        raw_first = f["X_train"][0]
        raw_last_test = f["X_test"][-1]
    np.testing.assert_array_equal(ds.train.X[0], raw_first.T)
    np.testing.assert_array_equal(ds.test.X[-1], raw_last_test.T)
    for name, size, frac in zip(SPLITS, sizes, positive_fraction):
        s, r = ds[name], rc[name]
        assert s.X.shape == (size, 400, 4) and s.X.dtype == np.float32
        assert s.y.shape == (size, 1) and s.y.dtype == np.float32
        assert round(float(s.y.mean()), 3) == frac                   # Methods §1.4
        assert len(r) == 2 * size
        np.testing.assert_array_equal(r.X[:size], s.X)
        np.testing.assert_array_equal(r.X[size:], s.X[:, ::-1, ::-1])   # row i + N is the RC of row i
        np.testing.assert_array_equal(r.y, np.concatenate([s.y, s.y]))
    # spot-check the RC as DNA text
    seq = "".join(BASES[i] for i in ds.train.X[0].argmax(-1))
    rc_seq = "".join(BASES[i] for i in rc.train.X[sizes[0]].argmax(-1))
    assert rc_seq == seq[::-1].translate(str.maketrans("ACGT", "TGCA"))


# ----------------------------------------------------------------------------- DeepSEA (Task 2)

@pytest.fixture(scope="module")
def deepsea_manifest(fixture_dir):
    return json.loads((fixture_dir / "deepsea" / "manifest.json").read_text())


def test_deepsea_fixture_is_in_the_real_formats(fixture_dir):
    d = fixture_dir / "deepsea"
    assert h5py.is_hdf5(d / "train.mat")
    with h5py.File(d / "train.mat", "r") as f:
        assert f["trainxdata"].shape == (20, 4, 6) and f["trainxdata"].dtype == np.uint8
        assert f["traindata"].shape == (919, 6) and f["traindata"].dtype == np.uint8
    assert (d / "train.mat").read_bytes().startswith(b"MATLAB 7.3 MAT-file")
    for name, n in (("valid", 4), ("test", 3)):
        assert not h5py.is_hdf5(d / f"{name}.mat")
        mat = scipy.io.loadmat(d / f"{name}.mat")
        assert mat["__version__"] == "1.0"                            # MATLAB v5
        assert mat[f"{name}xdata"].shape == (n, 4, 20) and mat[f"{name}data"].shape == (n, 919)


def test_load_deepsea_keeps_task2_positives_and_reorders_channels(fixture_dir, deepsea_manifest):
    ds = load_deepsea(fixture_dir / "deepsea")
    assert ds.meta["columns"] == list(DEEPSEA_TASK2_COLUMNS)
    kept_sizes = []
    for name in SPLITS:
        rows = [r for r in deepsea_manifest[name] if set(r["positive_columns"]) & set(DEEPSEA_TASK2_COLUMNS)]
        kept_sizes.append(len(rows))
        s = ds[name]
        assert s.X.shape == (len(rows), 20, 4) and s.X.dtype == np.float32
        np.testing.assert_array_equal(s.X, np.stack([one_hot(r["sequence"]) for r in rows]))
        expected_y = [[float(c in r["positive_columns"]) for c in DEEPSEA_TASK2_COLUMNS] for r in rows]
        np.testing.assert_array_equal(s.y, expected_y)
    assert kept_sizes == [4, 2, 2]                  # the fixture drops 2 / 2 / 1 rows on purpose


def test_load_deepsea_other_columns_and_keep_all(fixture_dir, deepsea_manifest):
    ds = load_deepsea(fixture_dir / "deepsea", columns=(593, 0))
    rows = [r for r in deepsea_manifest["train"] if {593, 0} & set(r["positive_columns"])]
    assert len(rows) == 1
    np.testing.assert_array_equal(ds.train.X[0], one_hot(rows[0]["sequence"]))
    np.testing.assert_array_equal(ds.train.y, [[1.0, 1.0]])
    everything = load_deepsea(fixture_dir / "deepsea", keep_all=True)
    for name in SPLITS:
        seqs = [r["sequence"] for r in deepsea_manifest[name]]
        np.testing.assert_array_equal(everything[name].X, np.stack([one_hot(s) for s in seqs]))


def test_load_deepsea_errors(tmp_path, fixture_dir):
    src = fixture_dir / "deepsea"
    (tmp_path / "train.mat").write_bytes((src / "train.mat").read_bytes())
    with pytest.raises(FileNotFoundError, match=r"valid\.mat"):
        load_deepsea(tmp_path)
    scipy.io.savemat(tmp_path / "valid.mat", {"validxdata": np.zeros((2, 4, 20), np.uint8)})
    (tmp_path / "test.mat").write_bytes((src / "test.mat").read_bytes())
    with pytest.raises(MissingKeyError, match=r"valid\.mat: missing key 'validdata'; the file has \['validxdata'\]"):
        load_deepsea(tmp_path)
    (tmp_path / "valid.mat").write_text("not a MATLAB file at all\n")
    with pytest.raises(FormatError, match=r"valid\.mat: not a readable MATLAB file"):
        load_deepsea(tmp_path)
    with h5py.File(tmp_path / "train.mat", "w") as f:
        f.create_dataset("traindata", data=np.zeros((919, 2), np.uint8))
    with pytest.raises(MissingKeyError, match=r"train\.mat: missing key 'trainxdata'"):
        load_deepsea(tmp_path)


# ----------------------------------------------------------------------------- Basset (Task 4)

@pytest.fixture(scope="module")
def basset_manifest(fixture_dir):
    return json.loads((fixture_dir / "basset_tiny.json").read_text())


def test_load_basset(fixture_dir, basset_manifest):
    path = fixture_dir / "basset_tiny.h5"
    with h5py.File(path, "r") as f:
        assert f["train_in"].shape == (4, 4, 1, 20) and f["train_out"].shape == (4, 164)
    ds = load_basset(path)
    assert ds.meta["target_labels"] == basset_manifest["target_labels"] and len(ds.meta["target_labels"]) == 164
    n_bases = 0
    for name in SPLITS:
        rows = basset_manifest[name]
        s = ds[name]
        expected = np.stack([one_hot(r["sequence"]) for r in rows])
        np.testing.assert_array_equal(s.X, expected)
        n_bases += int((s.X == 0.25).all(-1).sum())
        expected_y = np.zeros((len(rows), 164), np.float32)
        for i, r in enumerate(rows):
            expected_y[i, r["positive_labels"]] = 1
        np.testing.assert_array_equal(s.y, expected_y)
    assert n_bases == 5                              # the fixture holds 5 N bases
    rc = load_basset(path, reverse_complement=True)
    np.testing.assert_array_equal(rc.valid.X[2:], ds.valid.X[:, ::-1, ::-1])
    only_test = load_basset(path, splits=("test",))
    np.testing.assert_array_equal(only_test.test.X, ds.test.X)
    assert only_test.train.X.shape == (0, 20, 4) and only_test.valid.y.shape == (0, 164)


def test_load_basset_errors(tmp_path, fixture_dir):
    with pytest.raises(UnknownNameError, match=r"splits must be a non-empty subset of .*got \['training'\]"):
        load_basset(fixture_dir / "basset_tiny.h5", splits=["training"])
    with pytest.raises(FileNotFoundError, match="Basset file not found"):
        load_basset(tmp_path / "er.h5")
    (tmp_path / "er.h5").write_text("no\n")
    with pytest.raises(FormatError, match="not a readable HDF5 file"):
        load_basset(tmp_path / "er.h5")
    write_h5(tmp_path / "er.h5", train_in=np.zeros((1, 4, 1, 5)))
    with pytest.raises(MissingKeyError, match="missing key 'target_labels'"):
        load_basset(tmp_path / "er.h5")


# ----------------------------------------------------------------------------- FASTA

def test_read_fasta_fixture(fixture_dir):
    names, X = read_fasta(fixture_dir / "tiny.fa")
    assert names == ["seq1", "seq2", "seq3"]
    assert X.shape == (3, 10, 4) and X.dtype == np.float32
    np.testing.assert_array_equal(X, np.stack([one_hot(s) for s in ("ACGTACGTTG", "ACGTACGTTT", "GGGGCCCCAA")]))


@pytest.mark.parametrize("text, error, message", [
    (">r1\nACGTA\n>r2\nACXTA\n", SequenceError, r"sequence 'r2' has non-ACGT character 'X' at position 2"),
    (">r1\nACGTA\n>r2\nACGTé\n", SequenceError, r"sequence 'r2' has non-ACGT character 'é' at position 4"),
    (">r1\nACGNA\n", SequenceError, r"'N' at position 3 \(pass allow_n=True"),
    (">r1\nACGTA\n>r2\nACG\n", SequenceError, r"ragged lengths \[3, 5\]: sequence 'r2' has length 3"),
    ("ACGT\n>r1\nACGT\n", FormatError, r":1: sequence data before the first '>' header"),
    (">r1\n>r2\nACGT\n", FormatError, r":2: record 'r1' has no sequence"),
    (">r1\nACGT\n>r2\n", FormatError, r"record 'r2' has no sequence"),
    ("; only a comment\n\n", FormatError, "no FASTA records found"),
])
def test_read_fasta_errors(tmp_path, text, error, message):
    path = tmp_path / "bad.fa"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error, match=message):
        read_fasta(path)


def test_read_fasta_n_bases(tmp_path):
    path = tmp_path / "n.fa"
    path.write_text(">a\nACNT\n>b\nnnGG\n")
    names, X = read_fasta(path, allow_n=True)
    assert names == ["a", "b"]
    np.testing.assert_array_equal(X, np.stack([one_hot("ACNT"), one_hot("NNGG")]))
    assert X[0, 2].tolist() == [0.25] * 4


def test_one_hot_encode_direct():
    np.testing.assert_array_equal(one_hot_encode(["gatc"]), one_hot("GATC")[None])
    with pytest.raises(SequenceError, match="sequence #1 has non-ACGT character 'U'"):
        one_hot_encode(["ACGT", "ACGU"])
    with pytest.raises(SequenceError, match="sequence 'second' has non-ACGT character 'U' at position 3"):
        one_hot_encode(["ACGT", "ACGU"], names=["first", "second"])
    with pytest.raises(SequenceError, match="no sequences to encode"):
        one_hot_encode([])


# ----------------------------------------------------------------------------- splits and layout

def test_split_indices_proportions():
    order = np.random.default_rng(0).permutation(30_000)
    parts = split_indices(order, (0.7, 0.1, 0.2))
    assert [len(parts[k]) for k in SPLITS] == [21_000, 3_000, 6_000]
    np.testing.assert_array_equal(np.concatenate([parts[k] for k in SPLITS]), order)
    assert [len(v) for v in split_indices(np.arange(10), (0.7, 0.1, 0.2)).values()] == [7, 1, 2]
    assert [len(v) for v in split_indices(np.arange(7), (1.0, 0.0, 0.0)).values()] == [7, 0, 0]


@pytest.mark.parametrize("fractions", [(0.7, 0.1, 0.1), (0.8, 0.2), (1.2, -0.1, -0.1)])
def test_split_indices_errors(fractions):
    with pytest.raises(ValueError, match="split must be 3 non-negative fractions summing to 1"):
        split_indices(np.arange(10), fractions)


def test_to_channels_last():
    rng = np.random.default_rng(0)
    X = random_one_hot(rng, 3, 7)                                   # (N, L, 4)
    cf = X.transpose(0, 2, 1)                                       # (N, 4, L)
    np.testing.assert_array_equal(to_channels_last(cf), X)
    np.testing.assert_array_equal(to_channels_last(cf[..., None]), X)          # (N, 4, L, 1)
    np.testing.assert_array_equal(to_channels_last(cf[:, :, None, :]), X)      # (N, 4, 1, L)
    np.testing.assert_array_equal(to_channels_last(X[:, :, None, :]), X)       # (N, L, 1, 4)
    assert to_channels_last(X) is X                                 # already channels-last
    with pytest.raises(ShapeError, match=r"seqs: no axis of size 4 .* shape \(3, 5, 7\)"):
        to_channels_last(np.zeros((3, 5, 7)), "seqs")
    with pytest.raises(ShapeError, match=r"expected a 3-D .* shape \(4, 7\)"):
        to_channels_last(np.zeros((4, 7)))
    with pytest.raises(ShapeError, match=r"cannot read shape \(3, 4, 2, 7\)"):
        to_channels_last(np.zeros((3, 4, 2, 7)))


def test_dataset_container():
    ds = simulate_task1(["MAX"], n_sequences=100, length=60, seed=0)
    assert [name for name, _ in ds.splits()] == list(SPLITS)
    sub = ds.subsample(n_train=5, n_test=3)
    assert (len(sub.train), len(sub.valid), len(sub.test)) == (5, 10, 3)
    np.testing.assert_array_equal(sub.train.planted, ds.train.planted[:5])
    with pytest.raises(KeyError, match="split must be one of"):
        ds["training"]


# ----------------------------------------------------------------------------- _validate.check_one_hot

def test_check_one_hot_accepts_and_converts():
    X = random_one_hot(np.random.default_rng(0), 2, 5).astype(np.uint8)
    out = check_one_hot(X, length=5)
    assert out.dtype == np.float32 and out.shape == (2, 5, 4)
    np.testing.assert_array_equal(out, X)
    with_n = np.stack([one_hot("ACNT")])
    np.testing.assert_array_equal(check_one_hot(with_n, allow_n=True), with_n)


def test_check_one_hot_errors():
    X = random_one_hot(np.random.default_rng(0), 2, 8)
    with pytest.raises(ShapeError, match=r"seqs must have shape \(N, L, 4\); got an array with 2 dimension"):
        check_one_hot(X[0], "seqs")
    with pytest.raises(ShapeError, match=r"looks channels-first \(N, 4, L\); transpose it"):
        check_one_hot(X.transpose(0, 2, 1), "seqs")
    with pytest.raises(ShapeError, match=r"seqs must have shape \(N, L, 4\) with 4 channels.*\(2, 8, 5\)$"):
        check_one_hot(np.zeros((2, 8, 5)), "seqs")
    with pytest.raises(ShapeError, match=r"seqs must have length L=10; got shape \(2, 8, 4\)"):
        check_one_hot(X, "seqs", length=10)
    bad = X.copy()
    bad[1, 3] = [0.5, 0.5, 0, 0]
    with pytest.raises(SequenceError, match=r"seqs is not one-hot: sequence 1, position 3 holds \[0\.5, 0\.5, 0\.0, 0\.0\]"):
        check_one_hot(bad, "seqs")
    np.testing.assert_array_equal(check_one_hot(bad, "seqs", strict=False), bad)
    with_n = np.stack([one_hot("ACNT")])
    with pytest.raises(SequenceError, match=r"sequence 0, position 2 .*\(N bases are not allowed here\)"):
        check_one_hot(with_n, "seqs")


# ----------------------------------------------------------------------------- fixtures stay reproducible

def test_make_fixtures_regenerates_the_shipped_files(tmp_path, fixture_dir):
    spec = importlib.util.spec_from_file_location("make_fixtures", fixture_dir / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for rel in ("deepsea/manifest.json", "basset_tiny.json", "deepsea/valid.mat", "deepsea/test.mat"):
        assert (tmp_path / rel).read_bytes() == (fixture_dir / rel).read_bytes(), rel
    for rel in ("deepsea/train.mat", "basset_tiny.h5"):
        with h5py.File(tmp_path / rel, "r") as new, h5py.File(fixture_dir / rel, "r") as old:
            assert set(new.keys()) == set(old.keys())
            for key in old:
                np.testing.assert_array_equal(new[key][()], old[key][()])
                assert new[key].dtype == old[key].dtype


def test_deepsea_hdf5_reader_reads_in_blocks(tmp_path):
    import h5py

    from seqlib.datasets import _read_columns
    data = np.arange(5 * 4 * 23).reshape(5, 4, 23).astype(np.uint8)
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f["x"] = data
    index = np.array([0, 3, 4, 9, 10, 21, 22])
    with h5py.File(tmp_path / "x.h5", "r") as f:
        np.testing.assert_array_equal(_read_columns(f["x"], index, chunk=4), data[:, :, index])
        np.testing.assert_array_equal(_read_columns(f["x"], np.array([], int), chunk=4), data[:, :, :0])


# ----------------------------------------------------------------------------- users' FASTA + labels
def test_read_labels_reads_arrays_and_tables_with_or_without_names(tmp_path):
    np.save(tmp_path / "y.npy", np.array([1, 0, 1]))
    y, names = read_labels(tmp_path / "y.npy")
    assert y.shape == (3, 1) and y.dtype == np.float32 and names is None
    (tmp_path / "plain.csv").write_text("a,b\n1,0\n0,1\n1,1\n")
    y, names = read_labels(tmp_path / "plain.csv")
    assert names == ["a", "b"] and y.tolist() == [[1, 0], [0, 1], [1, 1]]
    (tmp_path / "named.tsv").write_text("# comment\nz\t1\nx\t0\ny\t1\n")
    y, names = read_labels(tmp_path / "named.tsv", ["x", "y", "z"])
    assert names is None and y[:, 0].tolist() == [0, 1, 1]                 # reordered to the FASTA's order
    (tmp_path / "ragged.tsv").write_text("x\t1\ny\n")
    with pytest.raises(FormatError, match="ragged.tsv:2: 1 fields"):
        read_labels(tmp_path / "ragged.tsv", ["x", "y"])
    (tmp_path / "twice.tsv").write_text("x\t1\nx\t0\n")
    with pytest.raises(FormatError, match=r"\['x'\] appear more than once"):
        read_labels(tmp_path / "twice.tsv", ["x"])


def test_load_fasta_dataset_splits_70_10_20_with_a_seed(tmp_path):
    from seqlib.datasets import load_fasta_dataset
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 12)) for _ in range(20)]
    fasta = tmp_path / "s.fa"
    fasta.write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(seqs)))
    np.save(tmp_path / "y.npy", np.arange(20) % 2)
    ds = load_fasta_dataset(fasta, tmp_path / "y.npy", seed=5)
    assert [len(s) for _, s in ds.splits()] == [14, 2, 4] and ds.test.X.shape == (4, 12, 4)
    first = int(ds.meta["names_test"][0][1:])
    assert "".join("ACGT"[i] for i in ds.test.X[0].argmax(1)) == seqs[first] and ds.test.y[0, 0] == first % 2
    with pytest.raises(ShapeError, match="too few"):
        np.save(tmp_path / "y3.npy", np.zeros(3))
        (tmp_path / "three.fa").write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(seqs[:3])))
        load_fasta_dataset(tmp_path / "three.fa", tmp_path / "y3.npy")


# ----------------------------------------------------------------------------- users' files: refused with the file named

def test_labels_must_be_0_or_1_and_the_file_is_named(tmp_path):
    (tmp_path / "two.tsv").write_text("0\n2\n0\n")
    with pytest.raises(LabelError, match=r"two.tsv:2: label '2' is not 0 or 1.*binarise"):
        read_labels(tmp_path / "two.tsv")
    (tmp_path / "nan.csv").write_text("bound\n1\nnan\n")
    with pytest.raises(LabelError, match=r"nan.csv:3: label 'nan' is not 0 or 1"):
        read_labels(tmp_path / "nan.csv")
    np.save(tmp_path / "nan.npy", np.array([0.0, np.nan, 1.0]))
    with pytest.raises(LabelError, match=r"nan.npy: labels must be 0 or 1; row 1, column 0 holds NaN"):
        read_labels(tmp_path / "nan.npy")
    np.save(tmp_path / "soft.npy", np.array([[0.0, 0.5], [1.0, 1.0]]))
    with pytest.raises(LabelError, match=r"soft.npy: .*row 0, column 1 holds 0.5"):
        read_labels(tmp_path / "soft.npy")
    assert isinstance(LabelError("x"), ValueError)              # generic handlers keep working


def test_an_hdf5_data_set_with_labels_other_than_0_and_1_is_refused(tmp_path):
    arrays = paper_like_arrays()
    arrays["Y_valid"] = np.array([[0], [2], [1]], np.int8)
    with pytest.raises(LabelError, match=r"bad.h5:Y_valid: labels must be 0 or 1; row 1, column 0 holds 2"):
        load_dataset(write_h5(tmp_path / "bad.h5", **arrays))


def test_a_data_set_that_cannot_be_scored_is_refused_for_training(tmp_path):
    rng = np.random.default_rng(1)
    split = lambda n, y: Split(random_one_hot(rng, n, 10), np.full((n, 1), y, np.float32))  # noqa: E731
    mixed = Split(random_one_hot(rng, 4, 10), np.array([[0], [1], [0], [1]], np.float32))
    ok = Dataset(mixed, mixed, mixed)
    assert check_trainable(ok, "ok.h5") is ok
    with pytest.raises(LabelError, match=r"zero.h5: every label of the test split \(3 sequences\) has only 0s, so "
                                         r"AUROC and AUPR are undefined"):
        check_trainable(Dataset(mixed, mixed, split(3, 0.0)), "zero.h5")
    with pytest.raises(LabelError, match="ones.h5: every label of the valid split .* only 1s"):
        check_trainable(Dataset(mixed, split(2, 1.0), mixed), "ones.h5")
    with pytest.raises(LabelError, match="empty.h5: the test split holds 0 sequences"):
        check_trainable(Dataset(mixed, mixed, split(0, 0.0)), "empty.h5")


def test_binary_compressed_and_empty_files_are_named(tmp_path):
    (tmp_path / "binary.fa").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(FormatError, match=r"binary.fa: not a FASTA text file \(byte 128 is not text\)"):
        read_fasta(tmp_path / "binary.fa")
    (tmp_path / "zipped.fa").write_bytes(gzip.compress(b">a\nACGT\n"))
    with pytest.raises(FormatError, match=r"zipped.fa: a gzip-compressed file; decompress it first"):
        read_fasta(tmp_path / "zipped.fa")
    (tmp_path / "nul.fa").write_bytes(b">a\nAC\0GT\n")
    with pytest.raises(FormatError, match="nul.fa: not a FASTA text file"):
        read_fasta(tmp_path / "nul.fa")
    (tmp_path / "empty.h5").write_bytes(b"")
    for reader in (load_dataset, read_sequences):
        with pytest.raises(FormatError, match=r"empty.h5: the .* is empty \(0 bytes\)"):
            reader(tmp_path / "empty.h5")
    with pytest.raises(PathError, match="is a folder; give the file itself"):
        load_dataset(tmp_path)


def test_the_advice_about_N_fits_the_caller():
    with pytest.raises(SequenceError, match=r"'N' at position 2 \(pass allow_n=True to encode N as 0.25\)"):
        one_hot_encode(["ACNT"])
    with pytest.raises(SequenceError, match=r"'N' at position 2 \(add --allow-n\)$"):
        one_hot_encode(["ACNT"], n_hint="add --allow-n")
    with pytest.raises(SequenceError, match=r"'X' at position 2$"):           # allow_n would not help an X
        one_hot_encode(["ACXT"])


def test_the_fewest_sequences_that_fill_three_splits():
    assert min_split_size() == 7 and min_split_size((0.8, 0.1, 0.1)) == 6 and min_split_size((1 / 3,) * 3) == 3
    for n in range(7, 200):                                  # every size from the minimum on fills every split
        assert all(len(i) for i in split_indices(np.arange(n), (0.7, 0.1, 0.2)).values())
    assert all(len(i) for i in split_indices(np.arange(6), (0.8, 0.1, 0.1)).values())
    assert not all(len(i) for i in split_indices(np.arange(6), (0.7, 0.1, 0.2)).values())
    with pytest.raises(ValueError, match=r"--n-sequences 3 is too few sequences: .* gives 2 / 0 / 1; use at least 7"):
        check_split_size(3, what="--n-sequences")
    with pytest.raises(ValueError, match="3 positive fractions"):
        min_split_size((0.9, 0.1, 0.0))
