"""The seqlib command line: simulate, filters (users' own models) and their errors."""

import json
import os
import shutil
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from seqlib.cli import main
from seqlib.datasets import load_dataset


def test_simulate_writes_a_dataset_with_the_papers_keys(tmp_path, capsys):
    out = tmp_path / "t1.h5"
    assert main(["simulate", "task1", "--seed", "33", "--n-sequences", "500", "--out", str(out), "--quiet"]) == 0
    ds = load_dataset(out)
    assert [len(s) for _, s in ds.splits()] == [350, 50, 100] and ds.test.model.shape == (100, 200, 4)
    assert "350 / 50 / 100" in capsys.readouterr().out
    again = tmp_path / "again.h5"
    main(["simulate", "task1", "--seed", "33", "--n-sequences", "500", "--out", str(again), "--quiet"])
    np.testing.assert_array_equal(load_dataset(again).train.X, ds.train.X)        # same seed, same data


def test_simulate_reports_unknown_motifs(tmp_path, capsys):
    code = main(["simulate", "task1", "--motifs", "MAX", "NOT_A_TF", "--out", str(tmp_path / "x.h5"), "--quiet"])
    assert code == 2 and "NOT_A_TF" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())                                            # nothing half-written


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from seqlib.models import build_model
    path = tmp_path_factory.mktemp("model") / "m.keras"
    build_model("cnn-local", "exponential", input_length=200, n_outputs=1).save(path)
    return path


def test_filters_on_a_users_model_and_fasta(tmp_path, tiny_model, capsys):
    rng = np.random.default_rng(0)
    fasta = tmp_path / "seqs.fa"
    fasta.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 200))}\n" for i in range(40)))
    assert main(["filters", str(tiny_model), str(fasta), "--out", str(tmp_path / "out")]) == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["filters.meme", "filters.png", "ppms.npy", "summary.tsv", "tomtom.tsv"]
    assert np.load(tmp_path / "out" / "ppms.npy").shape == (24, 20, 4)
    assert "24 filters" in capsys.readouterr().out


@pytest.mark.parametrize("padding, strides, dilation", [("valid", 1, 1), ("same", 2, 1), ("valid", 1, 3)])
def test_filters_on_a_model_with_any_first_convolution(tmp_path, capsys, padding, strides, dilation):
    """Users' models often use 'valid' padding, strides or dilation (the paper's use 'same', stride 1)."""
    import keras
    path = tmp_path / "user.keras"
    keras.Sequential([keras.Input((200, 4)),
                      keras.layers.Conv1D(3, 11, padding=padding, strides=strides, dilation_rate=dilation),
                      keras.layers.Activation("relu"), keras.layers.GlobalMaxPooling1D(),
                      keras.layers.Dense(1)]).save(path)
    rng = np.random.default_rng(1)
    fasta = tmp_path / "seqs.fa"
    fasta.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 200))}\n" for i in range(40)))
    assert main(["filters", str(path), str(fasta), "--out", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    window = max(20, dilation * 10 + 2)                      # the receptive field (31 for dilation 3) + 1
    ppms = np.load(tmp_path / "out" / "ppms.npy")
    assert ppms.shape == (3, window, 4) and "3 filters" in capsys.readouterr().out
    assert not np.allclose(ppms, 0.25)                       # windows were found and averaged


def test_filters_errors_name_the_problem(tmp_path, tiny_model, capsys):
    import keras
    short = tmp_path / "short.fa"
    short.write_text(">a\n" + "ACGT" * 25 + "\n")
    assert main(["filters", str(tiny_model), str(short), "--out", str(tmp_path / "o")]) == 2
    assert "length 100" in capsys.readouterr().err
    dense = tmp_path / "dense.keras"
    keras.Sequential([keras.Input((200, 4)), keras.layers.Flatten(), keras.layers.Dense(1)]).save(dense)
    ok = tmp_path / "ok.fa"
    ok.write_text(">a\n" + "ACGT" * 50 + "\n>b\n" + "TTGA" * 50 + "\n")
    assert main(["filters", str(dense), str(ok), "--out", str(tmp_path / "o")]) == 2
    assert "no Conv1D layer" in capsys.readouterr().err
    assert main(["filters", str(tmp_path / "missing.keras"), str(ok), "--out", str(tmp_path / "o")]) == 2
    assert "not found" in capsys.readouterr().err


def test_run_trains_a_grid_and_reuses_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEQLIB_RESULTS", str(tmp_path))
    args = ["run", "--model", "cnn-local", "--activation", "relu", "exponential", "--epochs", "1",
            "--n-sequences", "400", "--quiet"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "relu" in first and "exponential" in first and len(list((tmp_path / "runs").iterdir())) == 2
    assert main(args) == 0                                   # finished runs are loaded, not retrained
    assert capsys.readouterr().out == first


def test_run_on_a_users_hdf5_compares_activations_and_scores_filters(tmp_path, monkeypatch, capsys):
    from seqlib.datasets import save_dataset
    from seqlib.simulate import simulate_task1
    monkeypatch.setenv("SEQLIB_RESULTS", str(tmp_path / "results"))
    data = save_dataset(tmp_path / "mine.h5", simulate_task1(["MAX", "SRF"], n_sequences=400, seed=5, length=100))
    args = ["run", "--data", str(data), "--model", "cnn-local", "--activation", "relu", "exponential", "--epochs",
            "1", "--filters", "--quiet"]
    assert main(args) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "task mine@" in out and "ground-truth motifs: MAX, SRF" in out and "match_fraction" in out
    assert len([p for p in (tmp_path / "results" / "runs").iterdir() if not p.name.startswith(".")]) == 2


def test_run_on_a_users_fasta_and_labels(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEQLIB_RESULTS", str(tmp_path / "results"))
    rng = np.random.default_rng(2)
    fasta = tmp_path / "seqs.fa"
    fasta.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 100))}\n" for i in range(120)))
    labels = tmp_path / "labels.csv"
    labels.write_text("bound\n" + "\n".join(str(i % 2) for i in range(120)) + "\n")
    args = ["run", "--fasta", str(fasta), "--labels", str(labels), "--model", "cnn-local", "--activation", "relu",
            "--epochs", "1", "--quiet"]
    assert main(args) == 0, capsys.readouterr().err
    assert "relu" in capsys.readouterr().out


def test_run_bad_input_names_the_problem_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEQLIB_RESULTS", str(tmp_path / "results"))
    rng = np.random.default_rng(3)
    fasta = tmp_path / "seqs.fa"
    fasta.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 40))}\n" for i in range(30)) + ">x\n" + "AC" * 19 + "XY\n")
    labels = tmp_path / "y.npy"
    np.save(labels, np.zeros(31))
    no_y = tmp_path / "no_y.h5"
    with h5py.File(no_y, "w") as f:
        for split in ("train", "valid", "test"):
            f[f"X_{split}"] = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (5, 40))].transpose(0, 2, 1)
    cases = [(["--fasta", str(fasta), "--labels", str(labels)], "'x' has non-ACGT character 'X' at position 38"),
             (["--data", str(no_y)], "missing key 'Y_train'"),
             (["--task", "task7"], "unknown task 'task7'"),
             (["--fasta", str(fasta)], "--fasta needs --labels"),
             (["--scheduler", "localhost:8786"], "'localhost:8786' is not a Dask scheduler address"),
             (["--scheduler", "tcp://127.0.0.1:9"], "no Dask scheduler answered at tcp://127.0.0.1:9")]
    for extra, message in cases:
        assert main(["run", "--model", "cnn-local", "--epochs", "1", "--n-sequences", "300", "--quiet"] + extra
                    if extra[0] in ("--task", "--scheduler") else ["run", "--epochs", "1", "--quiet"] + extra) == 2
        assert message in capsys.readouterr().err, extra
    good = tmp_path / "good.fa"
    good.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 40))}\n" for i in range(30)))
    assert main(["run", "--fasta", str(good), "--labels", str(labels), "--quiet"]) == 2
    assert "31 labels for the 30 sequences" in capsys.readouterr().err
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").rglob("*"))


def test_attribute_on_a_users_model_writes_the_maps_and_names_bad_input(tmp_path, tiny_model, capsys):
    rng = np.random.default_rng(2)
    fasta = tmp_path / "seqs.fa"
    fasta.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 200))}\n" for i in range(6)))
    assert main(["attribute", str(tiny_model), str(fasta), "--method", "saliency", "--correct",
                 "--out", str(tmp_path / "att")]) == 0, capsys.readouterr().err
    scores = np.load(tmp_path / "att" / "attribution_saliency_corrected.npy")
    assert scores.shape == (6, 200, 4) and np.isfinite(scores).all()
    import keras

    from seqlib.attribution import saliency
    from seqlib.datasets import read_fasta
    _, X = read_fasta(fasta)
    expected = saliency(keras.models.load_model(tiny_model), X, correct=True)
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-7)
    assert (scores[X == 0] == 0).all()                                   # gradient x input: observed bases only
    assert main(["attribute", str(tiny_model), str(fasta), "--output", "3", "--out", str(tmp_path / "bad")]) == 2
    assert "output" in capsys.readouterr().err


# ----------------------------------------------------------------------------- every bad input: one clear line

def _one_hot(rng, n, length):
    return np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (n, length))]


def _write_h5(path, sizes=(14, 2, 4), length=50, y=None, seed=0):
    """A data set with the paper's keys: X_<split> (N, 4, L), Y_<split> (N, 1) alternating 0/1 unless ``y``."""
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        for split, n in zip(("train", "valid", "test"), sizes):
            f[f"X_{split}"] = _one_hot(rng, n, length).transpose(0, 2, 1)
            f[f"Y_{split}"] = (np.arange(n)[:, None] % 2).astype(np.float32) if y is None else np.full((n, 1), y)
    return path


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, tiny_model):
    """Users' files, good and bad, in one folder the table's commands read (and must not write to)."""
    import keras
    folder = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(7)
    seqs = ["".join(rng.choice(list("ACGT"), 200)) for _ in range(40)]
    (folder / "seqs.fa").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    (folder / "with_n.fa").write_text("".join(f">s{i}\n{s[:10]}N{s[11:]}\n" for i, s in enumerate(seqs)))
    (folder / "binary.fa").write_bytes(bytes(range(256)) * 8)
    (folder / "labels.tsv").write_text("".join(f"s{i}\t{i % 2}\n" for i in range(40)))
    (folder / "labels_0_2.tsv").write_text("".join(f"{2 * (i % 2)}\n" for i in range(40)))
    (folder / "labels_nan.tsv").write_text("".join(f"{'nan' if i == 5 else i % 2}\n" for i in range(40)))
    (folder / "labels_zero.tsv").write_text("0\n" * 40)
    np.save(folder / "labels_nan.npy", np.where(np.arange(40) == 3, np.nan, np.arange(40) % 2))
    _write_h5(folder / "good.h5")
    _write_h5(folder / "no_test.h5", sizes=(14, 2, 0))
    _write_h5(folder / "all_zero.h5", y=0.0)
    (folder / "empty.h5").write_bytes(b"")
    (folder / "notkeras.keras").write_text("not a model\n")
    (folder / "a_file").write_text("a file, not a folder\n")
    (folder / "a_folder").mkdir()
    a, b = keras.Input((200, 4)), keras.Input((200, 4))
    joined = keras.layers.Concatenate()([keras.layers.Conv1D(3, 5)(a), keras.layers.Conv1D(3, 5)(b)])
    keras.Model([a, b], keras.layers.Dense(1)(keras.layers.GlobalMaxPooling1D()(joined))).save(folder / "two.keras")
    shutil.copy(tiny_model, folder / "m.keras")
    return folder


def _snapshot(folder):
    return sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*"))


RUN = ["run", "--model", "cnn-local", "--activation", "relu", "--epochs", "1", "--quiet"]

#: (argv, words the error must hold, words it must not hold, environment, modules to hide). {in}: the inputs
#: folder; {tmp}: the test's own folder (cwd; $SEQLIB_RESULTS is {tmp}/results).
BAD_INPUTS = [
    # run
    pytest.param(RUN + ["--data", "{in}/a_folder"], ["a_folder", "is a folder"], [], {}, [], id="1-run-data-folder"),
    pytest.param(RUN + ["--data", "{in}/good.h5", "--trials", "0"], ["--trials", "at least 1"], [], {}, [],
                 id="2-run-trials-0"),
    pytest.param(RUN + ["--data", "{in}/good.h5", "--trials", "-2"], ["--trials", "at least 1"], [], {}, [],
                 id="2-run-trials-negative"),
    pytest.param(RUN + ["--data", "{in}/good.h5"], ["SEQLIB_RESULTS", "a_file", "is a file, not a folder"], [],
                 {"SEQLIB_RESULTS": "{in}/a_file"}, [], id="3-results-is-a-file"),
    pytest.param(RUN + ["--fasta", "{in}/seqs.fa", "--labels", "{in}/labels_0_2.tsv"],
                 ["labels_0_2.tsv", "'2' is not 0 or 1"], [], {}, [], id="11-labels-0-2"),
    pytest.param(RUN + ["--fasta", "{in}/seqs.fa", "--labels", "{in}/labels_zero.tsv"],
                 ["seqs.fa", "labels_zero.tsv", "only 0s", "AUROC"], [], {}, [], id="12-labels-all-zero"),
    pytest.param(RUN + ["--data", "{in}/all_zero.h5"], ["all_zero.h5", "only 0s"], [], {}, [],
                 id="12-data-all-zero"),
    pytest.param(RUN + ["--data", "{in}/no_test.h5"], ["no_test.h5", "test split holds 0 sequences"], [], {}, [],
                 id="12-data-no-test-sequences"),
    pytest.param(RUN + ["--data", "{in}/good.h5", "--workers", "0"], ["--workers", "positive integer", "got 0"], [],
                 {}, [], id="16-workers-0"),
    pytest.param(RUN + ["--fasta", "{in}/seqs.fa", "--labels", "{in}/labels_nan.tsv"],
                 ["labels_nan.tsv", "'nan' is not 0 or 1"], [], {}, [], id="20-labels-nan-tsv"),
    pytest.param(RUN + ["--fasta", "{in}/seqs.fa", "--labels", "{in}/labels_nan.npy"],
                 ["labels_nan.npy", "holds NaN"], [], {}, [], id="20-labels-nan-npy"),
    pytest.param(RUN + ["--fasta", "{in}/with_n.fa", "--labels", "{in}/labels.tsv"],
                 ["with_n.fa", "'N' at position 10", "--allow-n"], ["allow_n=True"], {}, [], id="22-run-fasta-N"),
    pytest.param(RUN + ["--fasta", "{in}/binary.fa", "--labels", "{in}/labels.tsv"],
                 ["binary.fa", "not a FASTA text file"], ["codec"], {}, [], id="22-run-binary-fasta"),
    # filters
    pytest.param(["filters", "{in}/m.keras", "{in}/seqs.fa", "--layer", "99", "--out", "{tmp}/o"],
                 ["--layer 99", "out of range", "18 layers"], [], {}, [], id="5-filters-layer-99"),
    pytest.param(["filters", "{in}/m.keras", "{in}/seqs.fa", "--out", "{in}/a_file/sub"],
                 ["--out", "a_file", "is a file, not a folder"], [], {}, [], id="6-filters-out-under-a-file"),
    pytest.param(["filters", "{in}/m.keras", "{in}/seqs.fa", "--threshold", "2", "--out", "{tmp}/o"],
                 ["--threshold", "between 0 and 1", "got 2.0"], [], {}, [], id="14-filters-threshold-2"),
    pytest.param(["filters", "{in}/m.keras", "{in}/seqs.fa", "--layer", "0", "--out", "{tmp}/o"],
                 ["--layer 0", "must be a convolution's output", "first convolution is layer 1"], [], {}, [],
                 id="14-filters-layer-0-input"),
    pytest.param(["filters", "{in}/notkeras.keras", "{in}/seqs.fa", "--out", "{tmp}/o"],
                 ["notkeras.keras", "not a loadable Keras model"], ["not found"], {}, [], id="18-filters-not-keras"),
    pytest.param(["filters", "{in}/two.keras", "{in}/seqs.fa", "--out", "{tmp}/o"],
                 ["two.keras", "single-input model", "(N, L, 4)", "2 inputs"], ["has length"], {}, [],
                 id="19-filters-two-inputs"),
    pytest.param(["filters", "{in}/m.keras", "{in}/binary.fa", "--out", "{tmp}/o"],
                 ["binary.fa", "not a FASTA text file"], ["codec"], {}, [], id="22-filters-binary-fasta"),
    # attribute
    pytest.param(["attribute", "{in}/m.keras", "{in}/seqs.fa", "--out", "{in}/a_file/sub"],
                 ["--out", "a_file", "is a file, not a folder"], [], {}, [], id="6-attribute-out-under-a-file"),
    pytest.param(["attribute", "{in}/m.keras", "{in}/empty.h5", "--out", "{tmp}/o"],
                 ["empty.h5", "empty (0 bytes)"], [], {}, [], id="7-attribute-empty-h5"),
    pytest.param(["attribute", "{in}/m.keras", "{in}/seqs.fa", "-n", "-1", "--out", "{tmp}/o"],
                 ["-n", "at least 1", "got -1"], [], {}, [], id="13-attribute-n-negative"),
    pytest.param(["attribute", "{in}/two.keras", "{in}/seqs.fa", "--out", "{tmp}/o"],
                 ["two.keras", "single-input model"], [], {}, [], id="19-attribute-two-inputs"),
    pytest.param(["attribute", "{in}/notkeras.keras", "{in}/seqs.fa", "--out", "{tmp}/o"],
                 ["notkeras.keras", "not a loadable Keras model"], ["not found"], {}, [],
                 id="18-attribute-not-keras"),
    # simulate
    pytest.param(["simulate", "task1", "--n-sequences", "100", "--quiet", "--out", "{in}/a_folder"],
                 ["--out", "a_folder", "is a folder"], [], {}, [], id="4-simulate-out-folder"),
    pytest.param(["simulate", "task1", "--n-sequences", "100", "--quiet", "--out", "{in}/a_file/x.h5"],
                 ["--out", "a_file", "is a file, not a folder"], [], {}, [], id="4-simulate-out-under-a-file"),
    pytest.param(["simulate", "task1", "--n-sequences", "1", "--quiet", "--out", "{tmp}/s.h5"],
                 ["--n-sequences 1", "use at least 7"], [], {}, [], id="15-simulate-1-sequence"),
    pytest.param(["simulate", "task3", "--n-sequences", "3", "--quiet", "--out", "{tmp}/s.h5"],
                 ["--n-sequences 3", "use at least 7"], [], {}, [], id="15-simulate-3-sequences"),
    pytest.param(["simulate", "task1", "--n-sequences", "0", "--quiet", "--out", "{tmp}/s.h5"],
                 ["--n-sequences 0", "use at least 7"], ["concatenate"], {}, [], id="21-simulate-0-sequences"),
    # the book's commands, installed without the book extra (papermill; PyYAML comes with it, or from elsewhere)
    pytest.param(["notebooks", "01", "--out", "{tmp}/chapters"], ["book extra", "pip install 'seqlib[book]'"],
                 ["--param"], {}, ["papermill"], id="8-notebooks-without-papermill"),
    pytest.param(["sweep", "01", "--no-book", "--out", "{tmp}/sweep"], ["book extra", "pip install 'seqlib[book]'"],
                 ["--param"], {}, ["papermill"], id="8-sweep-without-papermill"),
    pytest.param(["notebooks", "01", "--out", "{tmp}/chapters"], ["book extra", "pip install 'seqlib[book]'"],
                 ["--param", "PyYAML"], {}, ["papermill", "yaml"], id="8-notebooks-without-papermill-and-yaml"),
    pytest.param(["sweep", "01", "--no-book", "--out", "{tmp}/sweep"], ["book extra", "pip install 'seqlib[book]'"],
                 ["--param", "PyYAML"], {}, ["papermill", "yaml"], id="8-sweep-without-papermill-and-yaml"),
]


@pytest.mark.parametrize("argv, words, absent, env, hidden", BAD_INPUTS)
def test_every_bad_input_gets_a_specific_error_and_writes_nothing(tmp_path, monkeypatch, capsys, bad_inputs, argv,
                                                                   words, absent, env, hidden):
    """The rule for every entry point: rc != 0, one line naming the file or flag and what to do, no traceback,
    nothing written (neither beside the inputs nor in the working or results folder)."""
    fill = lambda text: text.replace("{in}", str(bad_inputs)).replace("{tmp}", str(tmp_path))  # noqa: E731
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEQLIB_RESULTS", str(tmp_path / "results"))
    for key, value in env.items():
        monkeypatch.setenv(key, fill(value))
    for module in hidden:                      # as if the extra that brings it were not installed
        monkeypatch.setitem(sys.modules, module, None)
    before = _snapshot(bad_inputs)
    code = main([fill(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2, (code, err)
    assert err.startswith(f"seqlib {argv[0]}: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and not out
    for word in words:
        assert word in err, (word, err)
    for word in absent:
        assert word not in err, (word, err)
    assert _snapshot(bad_inputs) == before                  # nothing written beside the inputs ...
    assert list(tmp_path.iterdir()) == []                    # ... nor in the working or results folder


def test_attribute_prints_only_json_says_where_it_saved_and_keeps_each_methods_summary(tmp_path, tiny_model, capsys):
    rng = np.random.default_rng(4)
    fasta = tmp_path / "seqs.fa"
    fasta.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 200))}\n" for i in range(4)))
    out = tmp_path / "my_attributions"
    results = {}
    for extra in ([], ["--correct"], ["--method", "ism"]):
        assert main(["attribute", str(tiny_model), str(fasta), "--out", str(out), "-n", "2"] + extra) == 0
        stdout, stderr = capsys.readouterr()
        result = json.loads(stdout)                              # stdout is the JSON and nothing else
        assert str(out) in stderr and "results/figures" not in stderr + stdout
        assert Path(result["logos"]).parent == out and result["n_sequences"] == 2
        results[Path(result["summary"]).name] = result
    assert sorted(results) == ["summary_ism.json", "summary_saliency.json", "summary_saliency_corrected.json"]
    for name, result in results.items():                         # one summary per method: none overwritten
        assert json.loads((out / name).read_text()) == result


def test_every_command_hides_tensorflows_runtime_errors(tmp_path, monkeypatch, capsys):
    """"failed call to cuInit" (TensorFlow's C++ runtime, no GPU) is an error-level line: level 3 hides it, in
    this process and in the worker processes that inherit the setting."""
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    assert main(["simulate", "task1", "--n-sequences", "1", "--out", str(tmp_path / "x.h5")]) == 2
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")                # a user who wants to see them still can
    main(["simulate", "task1", "--n-sequences", "1", "--out", str(tmp_path / "x.h5")])
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"
