"""The seqlib command line: simulate, filters (users' own models) and their errors."""

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
    import h5py
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
