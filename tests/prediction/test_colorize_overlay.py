"""`colorize` and `overlay`, the pure-numpy helpers shared with training's TensorBoard images."""

import numpy as np
import pytest

from tfseg.errors import ConfigError
from tfseg.prediction import colorize, overlay

from .conftest import PALETTE


def test_colorize_looks_up_the_palette_and_paints_unknown_ids_black():
    ids = np.array([[[0, 1], [2, 255]], [[-1, 3], [1, 0]]], np.int32)  # [B, H, W]
    color = colorize(ids, PALETTE)
    assert color.shape == (2, 2, 2, 3) and color.dtype == np.uint8
    np.testing.assert_array_equal(color[0, 0], [PALETTE[0], PALETTE[1]])
    np.testing.assert_array_equal(color[0, 1], [PALETTE[2], (0, 0, 0)])
    np.testing.assert_array_equal(color[1, 0], [(0, 0, 0), (0, 0, 0)])
    np.testing.assert_array_equal(colorize(ids.astype(np.uint8), PALETTE)[0], color[0])


@pytest.mark.parametrize(
    "ids, colors",
    [
        (np.zeros((2, 2), np.float32), PALETTE),
        (np.zeros((2, 2), np.int32), [(1, 2)]),
        (np.zeros((2, 2), np.int32), []),
        (np.zeros((2, 2), np.int32), [(0, 0, 256)]),
        (np.zeros((2, 2), np.int32), "red"),
    ],
)
def test_colorize_rejects_bad_arguments(ids, colors):
    with pytest.raises(ConfigError):
        colorize(ids, colors)


def test_overlay_is_the_alpha_blend():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    color = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    for alpha in (0.0, 0.25, 0.5, 1.0):
        expected = np.rint((1 - alpha) * image.astype(float) + alpha * color.astype(float))
        np.testing.assert_array_equal(overlay(image, color, alpha), expected.astype(np.uint8))
    np.testing.assert_array_equal(overlay(image, color, 0), image)
    np.testing.assert_array_equal(overlay(image, color, 1), color)


@pytest.mark.parametrize("alpha, shape", [(1.5, (4, 4, 3)), (-0.1, (4, 4, 3)), ("0.5", (4, 4, 3))])
def test_overlay_rejects_bad_alpha(alpha, shape):
    with pytest.raises(ConfigError, match="alpha"):
        overlay(np.zeros(shape, np.uint8), np.zeros(shape, np.uint8), alpha)


def test_overlay_rejects_different_shapes():
    with pytest.raises(ConfigError, match="same shape"):
        overlay(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8))
