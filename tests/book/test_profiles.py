"""Profiles and notebook parameters: overrides as papermill users type them (``-p`` passes lists as text)."""

import json
import subprocess
import sys

import pytest

from seqlib.book.profiles import KINDS, PROFILES, ParameterError, get_profile, parse_parameter
from seqlib.errors import UnknownNameError


def test_every_key_has_a_kind_and_every_profile_fits_it():
    for name, profile in PROFILES.items():
        assert set(profile) == set(KINDS), name
        for key, value in profile.items():
            assert parse_parameter(key, value, KINDS[key]) == value, (name, key)


@pytest.mark.parametrize("text", ['["relu","exponential"]', "['relu', 'exponential']", "[relu, exponential]",
                                  "relu,exponential", " relu, exponential "])
def test_a_list_given_as_text_is_parsed(text):
    assert get_profile("tiny", fig1c_activations=text)["fig1c_activations"] == ["relu", "exponential"]


def test_scalars_given_as_text_are_parsed_and_none_keeps_the_profile():
    settings = get_profile("quick", epochs="4", trials=3, log_experiment="true", patience="5",
                           extra_models="cnn-deep", fig1c_models=("cnn-2",))
    assert (settings["epochs"], settings["trials"], settings["log_experiment"], settings["patience"]) == (4, 3, True, 5)
    assert settings["extra_models"] == ["cnn-deep"] and settings["fig1c_models"] == ["cnn-2"]
    assert get_profile("quick", epochs=None, patience="None")["epochs"] == PROFILES["quick"]["epochs"]
    assert parse_parameter("buffers", "[5, 10]", "ints") == [5, 10]


@pytest.mark.parametrize("key, value, match", [
    ("fig1c_activations", '["relu", "exponential"', "not a readable list.*-y"),
    ("fig1c_activations", "[relu", "not a readable list.*-y"),
    ("fig1c_activations", "{relu: 1}", "list of names.*-y"),
    ("fig1c_activations", "[1, 2]", r"entries \[1, 2\] are not names"),
    ("epochs", "eight", "must be an integer; got 'eight'"),
    ("epochs", 2.5, "must be an integer"),
    ("trials", True, "must be an integer"),
    ("log_experiment", "maybe", "must be true or false"),
])
def test_unreadable_values_are_rejected_with_how_to_pass_them(key, value, match):
    with pytest.raises(ParameterError, match=match) as err:
        get_profile("tiny", **{key: value})
    assert key in str(err.value) and isinstance(err.value, ValueError)


def test_unknown_profile_and_key():
    with pytest.raises(UnknownNameError, match="'huge'"):
        get_profile("huge")
    with pytest.raises(UnknownNameError, match="'epoch'"):
        get_profile("tiny", epoch=3)
    with pytest.raises(UnknownNameError, match="'list'"):
        parse_parameter("x", "1", "list")


def test_papermill_dash_p_list_reaches_the_notebook_as_a_list(tmp_path):
    """The real thing: ``papermill -p activations '["relu","exponential"]'`` on a notebook calling get_profile."""
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("papermill")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3"}})
    params = nbformat.v4.new_code_cell("activations = None\nepochs = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import json, seqlib.book.profiles\n"
        "s = seqlib.book.profiles.get_profile('tiny', fig1c_activations=activations, epochs=epochs)\n"
        "print(json.dumps([type(activations).__name__, s['fig1c_activations'], s['epochs']]))")]
    source, out = tmp_path / "nb.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, source)
    done = subprocess.run([sys.executable, "-m", "papermill", str(source), str(out), "-k", "python3",
                           "-p", "activations", '["relu","exponential"]', "-p", "epochs", "2", "--no-progress-bar"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = nbformat.read(out, as_version=4).cells[-1].outputs[0]["text"]
    assert json.loads(printed) == ["str", ["relu", "exponential"], 2]      # -p gave text; the profile a list


def test_each_chapter_names_each_parameter_once():
    """A parameter assigned twice in a chapter's parameters cell hides the first one (chapter 02 had one)."""
    import ast
    from collections import Counter
    from pathlib import Path

    nbformat = pytest.importorskip("nbformat")
    chapters = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert chapters
    for path in chapters:
        cells = [c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cells) == 1, path.name
        names = Counter(t.id for node in ast.parse(cells[0].source).body if isinstance(node, ast.Assign)
                        for t in node.targets if isinstance(t, ast.Name))
        assert "profile" in names, path.name
        assert [n for n, k in names.items() if k > 1] == [], path.name
