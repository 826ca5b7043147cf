"""Filter → PPM (Methods §5): threshold, window, edge rule, uniform fallback, clipping, MEME export."""

import numpy as np
import pytest

from seqlib import filters
from seqlib.errors import PathError, ShapeError, UnknownNameError
from seqlib.filters import (
    activation_ppms,
    activation_ppms_loop,
    clip_ppm,
    consensus,
    feature_maps,
    filter_motifs,
    write_filters_meme,
)
from seqlib.motifs import read_meme


def _one_hot(rng, n, length):
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, length))]


def test_vectorised_equals_the_per_filter_loop():
    rng = np.random.default_rng(0)
    X = _one_hot(rng, 60, 50)
    fmaps = rng.gamma(1.0, 1.0, (60, 50, 7)).astype(np.float32) ** 3
    fmaps[:, :, 3] = 0.0                                  # a dead filter: no window above 0
    fast, counts = activation_ppms(fmaps, X, chunk=17)
    slow = activation_ppms_loop(fmaps, X)
    np.testing.assert_allclose(fast, slow, atol=1e-6)
    assert counts[3] == 0 and np.allclose(fast[3], 0.25)


def test_windows_are_centred_and_edges_strict():
    X = np.zeros((2, 40, 4), np.float32)
    X[:, :, 0] = 1                                         # all A ...
    X[0, 15:35, :] = np.eye(4)[np.arange(20) % 4]          # ... except an ACGT... block at 15-34
    X[1, 15:35, :] = np.eye(4)[np.arange(20) % 4]
    fmaps = np.zeros((2, 40, 2), np.float32)
    fmaps[:, 25, 0] = 1.0                                  # centre 25 -> window 15..34, the block
    fmaps[0, 10, 1] = 1.0                                  # centre 10: start 0 is not > 0 -> dropped
    fmaps[1, 30, 1] = 1.0                                  # centre 30: end 40 is not < 40 -> dropped
    fmaps[:, 20, 1] = 0.9                                  # kept (above 0.5 x max), windows 10..29
    ppms, counts = activation_ppms(fmaps, X)
    assert counts.tolist() == [2, 2]                        # windows averaged, after the edge rule
    np.testing.assert_array_equal(ppms[0], np.eye(4)[np.arange(20) % 4])
    expected = np.concatenate([np.tile([1, 0, 0, 0], (5, 1)), np.eye(4)[np.arange(15) % 4]])
    np.testing.assert_array_equal(ppms[1], expected)


def test_single_window_gives_uniform_and_threshold_is_relative():
    rng = np.random.default_rng(1)
    X = _one_hot(rng, 3, 60)
    fmaps = np.zeros((3, 60, 1), np.float32)
    fmaps[0, 30, 0] = 10.0
    fmaps[1, 30, 0] = 4.9                                  # below 0.5 x 10
    ppms, _ = activation_ppms(fmaps, X)
    assert np.allclose(ppms[0], 0.25)                      # only one window: uniform, as the paper
    ppms, _ = activation_ppms(fmaps, X, threshold=0.4)     # now two windows
    np.testing.assert_allclose(ppms[0], (X[0, 20:40] + X[1, 20:40]) / 2)


def test_shapes_are_checked():
    with pytest.raises(ShapeError, match="same"):
        activation_ppms(np.zeros((2, 30, 3)), np.zeros((2, 31, 4)))
    with pytest.raises(ShapeError, match=r"\(N, L, F\)"):
        activation_ppms(np.zeros((2, 30)), np.zeros((2, 30, 4)))


def test_clip_keeps_informative_core_with_padding():
    ppm = np.full((20, 4), 0.25)
    ppm[8:11] = [1, 0, 0, 0]
    np.testing.assert_array_equal(clip_ppm(ppm), ppm[5:14])
    assert clip_ppm(np.full((20, 4), 0.25)).shape == (20, 4)      # nothing informative: keep all
    edge = np.full((20, 4), 0.25)
    edge[0] = [0, 1, 0, 0]
    assert clip_ppm(edge).shape == (4, 4)   # the authors' index.any() kept all 20 here; fixed


def test_filter_motifs_meme_round_trip(tmp_path):
    ppms = np.full((3, 20, 4), 0.25)
    ppms[1, 5:9] = np.eye(4)
    motifs = filter_motifs(ppms)
    assert [m.id for m in motifs] == ["filter0", "filter1", "filter2"]
    write_filters_meme(tmp_path / "f.meme", ppms)
    back = read_meme(tmp_path / "f.meme")
    assert [m.id for m in back] == ["filter0", "filter1", "filter2"]
    np.testing.assert_allclose(back[1].ppm, motifs[1].ppm, atol=1e-6)
    assert consensus(ppms[1, 5:9]) == "ACGT" and consensus(np.full((2, 4), 0.25)) == "NN"


def test_feature_maps_of_a_model_and_errors():
    from seqlib.models import build_model
    model = build_model("cnn-deep", "exponential", input_length=200, n_outputs=12)
    X = _one_hot(np.random.default_rng(2), 5, 200)
    maps = feature_maps(model, X)
    assert maps.shape == (5, 200, 32) and (maps > 0).all()          # exp output is positive
    pre = feature_maps(model, X, pre_activation=True)
    np.testing.assert_allclose(np.exp(pre), maps, rtol=1e-4)
    with pytest.raises(ShapeError, match="length 150"):
        feature_maps(model, X[:, :150])


# --------------------------------------------------------------------------- any first convolution
KMER = "TGAGTCA"


def _kmer_detector(length, padding, strides, dilation, kmer=KMER):
    """One Conv1D filter that outputs 1 exactly where ``kmer`` sits on its taps and <= 0 elsewhere (then relu)."""
    import keras
    k = len(kmer)
    model = keras.Sequential([keras.Input((length, 4)),
                              keras.layers.Conv1D(1, k, strides=strides, dilation_rate=dilation, padding=padding),
                              keras.layers.Activation("relu")])
    kernel = np.zeros((k, 4, 1), np.float32)
    kernel[np.arange(k), ["ACGT".index(b) for b in kmer], 0] = 1.0
    model.layers[0].set_weights([kernel, np.array([-(k - 1)], np.float32)])
    return model


def _planted(rng, n, length, dilation, kmer=KMER, per_sequence=3):
    X = _one_hot(rng, n, length)
    taps = dilation * np.arange(len(kmer))
    for i in range(n):
        for p in rng.choice(np.arange(25, length - 25 - taps[-1]), per_sequence, replace=False):
            X[i, p + taps] = np.eye(4, dtype=np.float32)[["ACGT".index(b) for b in kmer]]
    return X


@pytest.mark.parametrize("padding, strides, dilation", [
    ("same", 1, 1), ("valid", 1, 1), ("same", 2, 1), ("valid", 2, 1), ("causal", 1, 1),
    ("same", 1, 2), ("valid", 1, 2)])
def test_any_first_convolution_maps_positions_to_the_windows_they_see(padding, strides, dilation):
    from seqlib.filters import default_window, filters_from_model, first_conv_geometry
    length, k = 120, len(KMER)
    X = _planted(np.random.default_rng(strides * 10 + dilation), 60, length, dilation)
    model = _kmer_detector(length, padding, strides, dilation)
    geometry = first_conv_geometry(model)
    assert (geometry.kernel_size, geometry.strides, geometry.dilation_rate, geometry.padding) == \
        (k, strides, dilation, padding)

    # the geometry reproduces Keras: position j fires exactly where the k-mer lies on the positions it says j sees
    maps = feature_maps(model, X)[:, :, 0]
    assert maps.shape[1] == geometry.output_length(length)
    taps = geometry.field_starts(length)[:, None] + dilation * np.arange(k)           # (L', k)
    padded = np.concatenate([np.zeros((60, length, 4), np.float32), X, np.zeros((60, length, 4), np.float32)], 1)
    seen = padded[:, taps + length]                                                    # (N, L', k, 4), zeros outside
    onehot = np.eye(4)[["ACGT".index(b) for b in KMER]]
    np.testing.assert_array_equal(maps > 0.5, (seen == onehot).all(axis=(2, 3)))
    assert (maps > 0.5).sum() >= 60                                                    # plenty of planted sites

    # the PPM holds the k-mer on the filter's taps, laid out as the paper's 'same'/stride-1 case
    ppms, counts = filters_from_model(model, X)
    window = default_window(geometry)
    assert ppms.shape == (1, window, 4) and window == max(20, dilation * (k - 1) + 2)
    first = window // 2 - (geometry.span - 1) // 2                                     # 10 - 3 for k=7, d=1
    np.testing.assert_array_equal(ppms[0, first + dilation * np.arange(k)], onehot)
    assert counts[0] == (maps > 0.5).sum()                    # every site is inside the sequences here
    between = np.setdiff1d(np.arange(window), first + dilation * np.arange(k))
    assert ppms[0, between].max() < 0.6                                                # background stays mixed


def test_the_papers_same_padding_alignment_is_unchanged_by_the_geometry():
    from seqlib.filters import ConvGeometry
    rng = np.random.default_rng(3)
    X = _one_hot(rng, 40, 60)
    fmaps = rng.gamma(1.0, 1.0, (40, 60, 5)).astype(np.float32) ** 3
    plain, n_plain = activation_ppms(fmaps, X)
    for kernel in (19, 7):                  # odd kernels centre on j exactly as the paper's kernel 19
        same, n_same = activation_ppms(fmaps, X, geometry=ConvGeometry(kernel, 1, 1, "same"))
        np.testing.assert_array_equal(same, plain)
        np.testing.assert_array_equal(n_same, n_plain)


def test_geometry_errors_name_the_problem():
    from seqlib.errors import UnknownNameError
    from seqlib.filters import ConvGeometry
    with pytest.raises(UnknownNameError, match="'full'"):
        ConvGeometry(5, 1, 1, "full")
    with pytest.raises(ValueError, match="strides"):
        ConvGeometry(5, 0, 1, "same")
    with pytest.raises(ShapeError, match="length 50.*valid.*71 positions"):
        activation_ppms(np.zeros((2, 50, 1)), np.zeros((2, 80, 4)), geometry=ConvGeometry(10, 1, 1, "valid"))
    with pytest.raises(ShapeError, match="geometry="):
        activation_ppms(np.zeros((2, 71, 1)), np.zeros((2, 80, 4)))


# --------------------------------------------------------------------------- what a user may ask for by mistake

def test_layers_threshold_and_two_input_models_are_refused_with_what_to_do(tmp_path, monkeypatch):
    import keras

    from seqlib.models import build_model
    model = build_model("cnn-local", "relu", input_length=100, n_outputs=1)
    X = _one_hot(np.random.default_rng(3), 4, 100)
    with pytest.raises(UnknownNameError, match=r"layer 99 is out of range: model 'cnn_local' has 18 layers, "
                                               r"indices 0..17 \(or a name: sequence, conv1,"):
        feature_maps(model, X, layer=99)
    with pytest.raises(UnknownNameError, match="has no layer named 'conv9'; its layers: sequence, conv1"):
        feature_maps(model, X, layer="conv9")
    for before_conv in (0, "sequence", -18):                # the input: its 4 channels are not filters
        with pytest.raises(ShapeError, match=r"comes before any convolution .* must be a convolution's output or "
                                             r"its activation; the first convolution is layer 1 \('conv1'\)"):
            feature_maps(model, X, layer=before_conv)
    assert feature_maps(model, X, layer="conv1").shape == (4, 100, 24)
    assert filters.resolve_layer(model, -1).name == "output"
    for bad in (0, 1, 2, -0.5, True):
        with pytest.raises(ValueError, match="threshold must be a fraction .* between 0 and 1"):
            filters.activation_ppms(np.ones((4, 100, 2)), X, threshold=bad)
    a, b = keras.Input((100, 4)), keras.Input((100, 4))
    two = keras.Model([a, b], keras.layers.Add()([keras.layers.Conv1D(2, 5)(a), keras.layers.Conv1D(2, 5)(b)]))
    with pytest.raises(ShapeError, match=r"single-input model taking one-hot sequences \(N, L, 4\); .* has 2 "
                                         r"inputs: \(None, 100, 4\), \(None, 100, 4\)"):
        feature_maps(two, X)
    # the output folder is checked before anything is computed (it failed after Tomtom before)
    monkeypatch.setattr(filters, "filter_pipeline", lambda *a, **k: pytest.fail("computed before checking --out"))
    (tmp_path / "a_file").write_text("")
    with pytest.raises(PathError, match="a_file is a file, not a folder"):
        filters.analyse_model_filters(model, X, tmp_path / "a_file" / "sub")
    with pytest.raises(ValueError, match="threshold must be"):
        filters.analyse_model_filters(model, X, tmp_path / "out", threshold=2)
    with pytest.raises(ShapeError, match="comes before any convolution"):
        filters.analyse_model_filters(model, X, tmp_path / "out", layer=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]
