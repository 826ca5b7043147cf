"""seqlib installed as a package (not editable) works from any folder: its run-time data ships inside it."""

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seqlib import paths

REPO = Path(__file__).resolve().parents[1]


def test_checkout_data_links_to_the_packaged_files():
    """``data/paper_numbers.csv`` (what readers are pointed to) is the packaged file, not a second copy."""
    for name in ("paper_numbers.csv", "JASPAR_CORE_2016_vertebrates.meme"):
        in_data = REPO / "data" / name
        assert in_data.is_symlink(), f"data/{name} should link to seqlib/data/{name}"
        assert in_data.resolve() == (REPO / "seqlib" / "data" / name).resolve()
    assert paths.paper_numbers_csv().resolve() == (REPO / "seqlib" / "data" / "paper_numbers.csv").resolve()
    assert paths.jaspar2016_meme().is_file()


def test_packaged_data_does_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEQLIB_HOME", str(tmp_path))
    assert paths.data_dir() == tmp_path / "data"                # users' data follows the project ...
    assert paths.jaspar2016_meme().is_file()                     # ... the package's own data does not
    assert paths.paper_numbers_csv().is_file()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """seqlib built as a wheel and installed (``pip install --target``, no dependencies) into a folder."""
    import setuptools

    major = int(setuptools.__version__.split(".")[0])
    assert major >= 77, (f"setuptools {setuptools.__version__} cannot build this pyproject (needs >= 77); "
                         f"install the dev extra: pip install -e '.[dev]'")
    base = tmp_path_factory.mktemp("install")
    src = base / "src"                                   # build from a copy: pip builds in-tree (build/, egg-info)
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "seqlib", src / "seqlib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    site = base / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(site), str(src)], check=True, capture_output=True, text=True)
    return site


def _env(site: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SEQLIB_HOME", "PYTHONPATH")}
    env.update(PYTHONPATH=str(site), TF_CPP_MIN_LOG_LEVEL="2")
    # share the checkout's compiled Tomtom kernels: a fresh numba cache costs minutes of compiling on 2 cores
    env.setdefault("NUMBA_CACHE_DIR", str(REPO / ".cache" / "numba"))
    return env


def test_installed_wheel_ships_the_runtime_data(installed):
    for name in ("paper_numbers.csv", "JASPAR_CORE_2016_vertebrates.meme", "LICENSE-source-data.md"):
        shipped = installed / "seqlib" / "data" / name
        assert shipped.is_file() and not shipped.is_symlink(), f"{name} missing from the wheel"
        assert filecmp.cmp(shipped, REPO / "seqlib" / "data" / name, shallow=False)


def test_paper_numbers_and_filters_from_another_folder(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"                   # no data/ folder here
    elsewhere.mkdir()
    env = _env(installed)
    check = ("import seqlib, seqlib.book.paper as p; "
             "print(seqlib.__file__); print(len(p.paper_numbers(statistic='match_fraction')))")
    out = subprocess.run([sys.executable, "-c", check], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    module_file, n_rows = out.stdout.split()
    assert Path(module_file).is_relative_to(installed), f"imported {module_file}, not the installed copy"
    assert int(n_rows) > 0

    # a user's model and sequences, then the installed console script, run from that folder
    # (a small user model with a 'valid' first convolution: few logos to draw keeps this test short)
    import keras
    keras.Sequential([keras.Input((200, 4)), keras.layers.Conv1D(4, 11, padding="valid"),
                      keras.layers.Activation("relu"), keras.layers.GlobalMaxPooling1D(),
                      keras.layers.Dense(1)]).save(elsewhere / "m.keras")
    rng = np.random.default_rng(0)
    (elsewhere / "seqs.fa").write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 200))}\n"
                                               for i in range(40)))
    script = installed / "bin" / "seqlib"
    assert script.exists(), "the wheel installed no seqlib console script"
    out = subprocess.run([sys.executable, str(script), "filters", "m.keras", "seqs.fa", "--out", "out"],
                         cwd=elsewhere, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "4 filters" in out.stdout
    assert sorted(p.name for p in (elsewhere / "out").iterdir()) == [
        "filters.meme", "filters.png", "ppms.npy", "summary.tsv", "tomtom.tsv"]
    assert not (elsewhere / "data").exists()             # nothing looked for (or created) a data/ folder here
