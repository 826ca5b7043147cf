"""Filter → PPM (Methods §5): threshold, window, edge rule, uniform fallback, clipping, MEME export."""

import numpy as np
import pytest

from seqlib.errors import ShapeError
from seqlib.filters import (activation_ppms, activation_ppms_loop, clip_ppm, consensus, feature_maps,
                            filter_motifs, write_filters_meme)
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
