"""The weight formulas on hand-computed examples, streaming counts and the JSON cache."""

import json
import math
import os

import numpy as np
import pytest

from tfseg.data import class_weights
from tfseg.data.weights import weights_from_counts
from tfseg.errors import ConfigError, DataError
from tfseg.io import write_png

from .conftest import make_custom


def test_enet_formula_by_hand():
    frequencies, weights = weights_from_counts([30, 10, 0], [40, 40, 0], "enet", c=1.02)
    np.testing.assert_allclose(frequencies, [0.75, 0.25, 0.0])
    expected = [1 / math.log(1.02 + 0.75), 1 / math.log(1.02 + 0.25), 1 / math.log(1.02)]
    np.testing.assert_allclose(weights, expected)
    # ln(1.77) = 0.570980, ln(1.27) = 0.239017, ln(1.02) = 0.019803
    np.testing.assert_allclose(weights, [1.751376, 4.183805, 50.498350], rtol=1e-6)


def test_median_frequency_formula_by_hand():
    # Class 0 is in both 100-pixel images (60 px), class 1 in one (30 px), class 2 in one (10 px).
    frequencies, weights = weights_from_counts([60, 30, 10, 0], [200, 100, 100, 0], "median")
    np.testing.assert_allclose(frequencies, [0.3, 0.3, 0.1, 0.0])
    np.testing.assert_allclose(weights, [1.0, 1.0, 3.0, 0.0])  # median 0.3; absent class -> 0


def write_labels(root, arrays):
    """A custom data set with the given label arrays (values are the JSON ids 0, 1, 5, 7, 255)."""
    make_custom(root, {"train": 0})
    for folder in ("images", "labels"):
        os.makedirs(os.path.join(root, folder, "train"), exist_ok=True)
    for k, array in enumerate(arrays):
        array = np.asarray(array, np.uint8)
        write_png(
            os.path.join(root, "images", "train", f"img{k:03d}.png"),
            np.zeros(array.shape + (3,), np.uint8),
        )
        write_png(os.path.join(root, "labels", "train", f"img{k:03d}.png"), array)


def test_counts_exclude_ignore_and_feed_the_formula(tmp_path):
    root = str(tmp_path / "hand")
    first = np.zeros((4, 8), np.uint8)  # 32 px: 20 background, 8 red (id 1), 4 ignore
    first[0, :8] = 1
    first[1, :4] = 255
    second = np.full((4, 8), 5, np.uint8)  # 32 px of green (id 5)
    write_labels(root, [first, second])
    result = class_weights(root, "train")
    assert result["counts"] == {"background": 20, "red": 8, "green": 32, "blue": 0}
    assert result["ignored_pixels"] == 4
    p = np.array([20, 8, 32, 0]) / 60
    np.testing.assert_allclose(list(result["weights"].values()), 1 / np.log(1.02 + p))
    assert list(result["weights"]) == ["background", "red", "green", "blue"]  # train-id order
    assert "1 / ln(c + p_c)" in result["formula"] and result["c"] == 1.02
    median = class_weights(root, "train", method="median")
    # background 20/28, red 8/28 (first image: 28 non-ignored px), green 32/32.
    f = np.array([20 / 28, 8 / 28, 1.0])
    np.testing.assert_allclose(list(median["weights"].values())[:3], np.median(f) / f)
    void = class_weights(root, "train", keep_void=True)
    assert void["counts"]["void"] == 4 and void["ignored_pixels"] == 0


def test_cache_is_written_reused_and_invalidated(tmp_path):
    root = str(tmp_path / "cache")
    write_labels(root, [np.zeros((4, 8)), np.ones((4, 8))])
    first = class_weights(root)
    cache = os.path.join(root, "class_weights.train.fine.json")
    cached = json.load(open(cache))
    assert cached["counts"] == first["counts"] and cached["formula"] == first["formula"]
    # A cache hit: doctor the cached counts and see them come back.
    cached["counts"]["blue"] = 99
    json.dump(cached, open(cache, "w"))
    assert class_weights(root)["counts"]["blue"] == 99
    assert class_weights(root, cache=False)["counts"]["blue"] == 0
    # Changing the label files invalidates it.
    write_labels(root, [np.full((4, 8), 7), np.ones((4, 8)), np.zeros((4, 8))])
    assert class_weights(root)["counts"] == {"background": 32, "red": 32, "blue": 32, "green": 0}


def test_unknown_values_name_the_file(tmp_path):
    root = str(tmp_path / "unknown")
    write_labels(root, [np.zeros((4, 8)), np.full((4, 8), 9)])
    with pytest.raises(DataError, match="img001.png: values outside the label table: 9"):
        class_weights(root)


def test_bad_arguments(tmp_path):
    root = str(tmp_path / "args")
    write_labels(root, [np.zeros((4, 8))])
    with pytest.raises(ConfigError, match="method"):
        class_weights(root, method="inverse")
    with pytest.raises(ConfigError, match="c must be"):
        class_weights(root, c=1.0)


def test_weights_of_the_synthetic_set(synthetic_dir):
    result = class_weights(synthetic_dir, cache=False)
    assert result["num_files"] == 6 and len(result["weights"]) == 19
    assert sum(result["counts"].values()) + result["ignored_pixels"] == 6 * 64 * 128
    # Rare classes weigh more than common ones.
    assert result["weights"]["person"] > result["weights"]["building"] > 1
