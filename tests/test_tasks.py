"""The task registry: the paper's tasks, users' data registered as tasks, and their bad-input errors."""

import numpy as np
import pytest

from seqlib import tasks
from seqlib.datasets import Dataset, Split, save_dataset
from seqlib.errors import (
    FormatError,
    LabelError,
    MissingKeyError,
    PathError,
    SequenceError,
    ShapeError,
    UnknownNameError,
)
from seqlib.motifs import TASK1_MOTIF_IDS
from seqlib.runs import RunConfig
from seqlib.simulate import simulate_task1


def test_the_papers_tasks_sizes_seeds_and_monitors_live_in_one_place():
    assert tasks.task_names()[:6] == ["task1", "task3", "task2", "zbed2", "irf1", "basset"]
    t1, t3 = tasks.get_task("task1"), tasks.get_task("task3")
    assert (t1.n_sequences, t1.seed, t1.monitor) == (30_000, 33, "val_aupr")
    assert (t3.n_sequences, t3.seed, t3.monitor) == (20_000, 22, "val_auroc")
    assert tasks.get_task("zbed2").n_sequences is None and tasks.get_task("irf1").monitor == "val_auroc"
    assert tasks.resolve_size("task1", None, None) == (30_000, 33)
    assert tasks.resolve_size("task3", 500, 4) == (500, 4)
    with pytest.raises(ValueError, match="'irf1' has a fixed size"):
        tasks.resolve_size("irf1", 100, None)
    with pytest.raises(UnknownNameError, match="unknown task 'tsak1'"):
        tasks.get_task("tsak1")
    with pytest.raises(UnknownNameError, match="unknown task"):
        tasks.load_task("tsak1")


def test_ground_truth_motifs_by_task_name():
    ids, names = tasks.ground_truth_motifs("task2")                    # fixed by the task, no data needed
    assert ids == list(TASK1_MOTIF_IDS) and names[5] == "MAX"
    small = simulate_task1(n_sequences=200, seed=1)
    assert tasks.ground_truth_motifs("task1", small) == (list(small.meta["class_ids"]),
                                                         list(small.meta["class_names"]))
    assert tasks.get_task("zbed2").ground_truth(type("D", (), {"meta": {}})()) is None


@pytest.fixture(scope="module")
def user_h5(tmp_path_factory):
    folder = tmp_path_factory.mktemp("user")
    ds = simulate_task1(["MAX", "SRF"], n_sequences=300, seed=3, length=120)
    return save_dataset(folder / "mine.h5", ds), ds


def test_a_users_hdf5_is_a_task_keyed_by_its_contents(user_h5, tmp_path):
    path, ds = user_h5
    task = tasks.register_hdf5(path)
    assert task.name.startswith("mine@") and task.spec["sha256"] == tasks.file_digest(path)
    loaded = tasks.load_task(task.name)
    np.testing.assert_array_equal(loaded.test.X, ds.test.X)
    assert loaded.test.model.shape == ds.test.model.shape              # the file's ground truth comes along
    assert task.ground_truth(loaded) == (["MA0058.3", "MA0083.3"], ["MAX", "SRF"])
    assert task.label_names == ("MAX", "SRF")
    # the same contents elsewhere: the same task and cache key; other contents: another key
    copy = tmp_path / "mine.h5"
    copy.write_bytes(path.read_bytes())
    assert tasks.register_hdf5(copy).name == task.name
    other = save_dataset(tmp_path / "other" / "mine.h5", simulate_task1(["MAX", "SRF"], n_sequences=300, seed=4,
                                                                         length=120))
    other_task = tasks.register_hdf5(other)
    assert other_task.name != task.name
    assert RunConfig(task=task.name).key != RunConfig(task=other_task.name).key
    with pytest.raises(ValueError, match="no n_sequences"):
        RunConfig(task=task.name, n_sequences=100)
    # a worker re-registers it from its spec; a file changed since is refused, not silently used
    assert tasks.register_spec(task.spec).name == task.name
    copy.write_bytes(other.read_bytes())
    with pytest.raises(FormatError, match="changed since"):
        tasks.register_spec({**task.spec, "path": str(copy)})


def test_named_motifs_override_the_files_metadata(user_h5):
    path, _ = user_h5
    task = tasks.register_hdf5(path, name="mine_yy1", motifs=["YY1"])
    assert task.name.startswith("mine_yy1@") and task.ground_truth(None)[1] == ["YY1"]


def test_an_hdf5_without_the_needed_keys_names_them(tmp_path):
    import h5py
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as f:
        f["X_train"] = np.eye(4, dtype=np.uint8)[np.zeros((5, 10), int)].transpose(0, 2, 1)
    with pytest.raises(MissingKeyError, match="missing key 'Y_train'"):
        tasks.register_hdf5(path)
    assert "bad" not in " ".join(tasks.task_names())
    with pytest.raises(FileNotFoundError, match="not found"):
        tasks.register_hdf5(tmp_path / "absent.h5")


def _fasta(path, n=50, length=30, seed=0, bad=None):
    rng = np.random.default_rng(seed)
    seqs = ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]
    if bad is not None:
        seqs[bad] = seqs[bad][:7] + "R" + seqs[bad][8:]
    path.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    return path


def test_a_users_fasta_and_labels_are_a_task_with_a_seeded_split(tmp_path):
    fasta = _fasta(tmp_path / "seqs.fa")
    labels = tmp_path / "labels.tsv"
    rows = [f"s{i}\t{i % 2}\t{(i // 2) % 2}" for i in range(50)][::-1]          # any order, matched by name
    labels.write_text("name\tbound\topen\n" + "\n".join(rows) + "\n")
    task = tasks.register_fasta(fasta, labels)
    ds = tasks.load_task(task.name)
    assert [len(s) for _, s in ds.splits()] == [35, 5, 10] and ds.n_classes == 2
    assert task.label_names == ("bound", "open") and task.seed == 0
    index = [int(n[1:]) for n in ds.meta["names_test"]]
    np.testing.assert_array_equal(ds.test.y[:, 0], [i % 2 for i in index])    # labels follow their names
    again = tasks.load_task(task.name, seed=0)
    np.testing.assert_array_equal(again.test.X, ds.test.X)                    # seeded
    other = tasks.load_task(task.name, seed=1)
    assert not np.array_equal(other.test.X, ds.test.X)
    assert RunConfig(task=task.name, data_seed=0).key == RunConfig(task=task.name).key
    assert RunConfig(task=task.name, data_seed=1).key != RunConfig(task=task.name).key
    npy = tmp_path / "labels.npy"
    np.save(npy, np.arange(50) % 2)
    by_array = tasks.register_fasta(fasta, npy)
    assert by_array.name != task.name and tasks.load_task(by_array.name).n_classes == 1


def test_bad_fasta_and_labels_name_the_problem(tmp_path):
    bad = _fasta(tmp_path / "bad.fa", bad=3)
    labels = tmp_path / "y.npy"
    np.save(labels, np.zeros(50))
    with pytest.raises(SequenceError, match="'s3' has non-ACGT character 'R' at position 7"):
        tasks.register_fasta(bad, labels)
    good = _fasta(tmp_path / "good.fa")
    short = tmp_path / "short.npy"
    np.save(short, np.zeros(49))
    with pytest.raises(ShapeError, match="49 labels for the 50 sequences"):
        tasks.register_fasta(good, short)
    unnamed = tmp_path / "y.tsv"
    unnamed.write_text("\n".join(["1", "0", "x"] + ["0"] * 47) + "\n")
    with pytest.raises(FormatError, match="y.tsv:3: label 'x' is not a number"):
        tasks.register_fasta(good, unnamed)
    missing = tmp_path / "named.tsv"
    missing.write_text("".join(f"s{i}\t1\n" for i in range(49)))
    with pytest.raises(FormatError, match=r"no labels for 1 sequence\(s\), e.g. \['s49'\]"):
        tasks.register_fasta(good, missing)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.fa", "good.fa", "named.tsv", "short.npy", "y.npy",
                                                           "y.tsv"]


def test_users_data_that_cannot_train_or_be_scored_are_refused_with_the_file_named(tmp_path):
    with pytest.raises(PathError, match=f"data set {tmp_path} is a folder; give the file itself"):
        tasks.register_hdf5(tmp_path)                                    # item 1: not an IsADirectoryError
    fasta = _fasta(tmp_path / "seqs.fa")
    with pytest.raises(PathError, match="labels file .* is a folder"):
        tasks.register_fasta(fasta, tmp_path)
    zeros = tmp_path / "zeros.npy"
    np.save(zeros, np.zeros(50))
    with pytest.raises(LabelError, match=r"seqs.fa with labels .*zeros.npy: every label of the valid split \(5 "
                                         r"sequences\) has only 0s"):
        tasks.register_fasta(fasta, zeros)
    twos = tmp_path / "twos.npy"
    np.save(twos, np.arange(50) % 2 * 2)
    with pytest.raises(LabelError, match="twos.npy: labels must be 0 or 1; row 1, column 0 holds 2"):
        tasks.register_fasta(fasta, twos)
    rng = np.random.default_rng(0)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (6, 30))]
    y = np.array([[0], [1]] * 3, np.float32)
    no_test = save_dataset(tmp_path / "no_test.h5", Dataset(Split(X, y), Split(X, y), Split(X[:0], y[:0])))
    with pytest.raises(LabelError, match="no_test.h5: the test split holds 0 sequences"):
        tasks.register_hdf5(no_test)
    assert not any("zeros" in n or "twos" in n or "no_test" in n for n in tasks.task_names())


def test_the_command_lines_hint_about_N_reaches_the_fasta_error(tmp_path):
    rng = np.random.default_rng(3)
    fasta = tmp_path / "n.fa"
    fasta.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 20))}{'N' if i == 4 else 'A'}\n"
                             for i in range(20)))
    labels = tmp_path / "y.npy"
    np.save(labels, np.arange(20) % 2)
    with pytest.raises(SequenceError, match=r"n.fa: sequence 's4' has non-ACGT character 'N' at position 20 "
                                            r"\(pass allow_n=True"):
        tasks.register_fasta(fasta, labels)
    with pytest.raises(SequenceError, match=r"'N' at position 20 \(add --allow-n\)"):
        tasks.register_fasta(fasta, labels, n_hint="add --allow-n")
    assert tasks.register_fasta(fasta, labels, allow_n=True).name.startswith("n@")
