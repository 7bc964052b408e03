"""The custom layers behave as the models rely on."""

import keras
import numpy as np
import pytest

from tfseg.encoders.dilation_schedule import dilation_schedule
from tfseg.errors import ConfigError
from tfseg.layers import BilinearUpsampling, ChannelShuffle, GroupConv2D, MatchSize
from tfseg.layers.bilinear_upsampling import bilinear_kernel_1d


def test_group_conv_equals_keras_grouped_conv():
    x = np.random.default_rng(0).normal(size=(2, 9, 11, 12)).astype("float32")
    ours = GroupConv2D(6, 3, groups=3, padding="same")
    reference = keras.layers.Conv2D(6, 3, groups=3, padding="same")
    ours.build(x.shape)
    reference.build(x.shape)
    reference.set_weights(ours.get_weights())  # same [k, k, C/g, C_out] layout
    np.testing.assert_allclose(ours(x).numpy(), reference(x).numpy(), atol=1e-5)


def test_group_conv_rejects_indivisible_channels():
    with pytest.raises(ValueError, match="not divisible by groups=3"):
        GroupConv2D(6, groups=3)(keras.Input((8, 8, 10)))


def test_channel_shuffle_interleaves_groups():
    x = np.arange(6, dtype="float32").reshape(1, 1, 1, 6)  # groups [0 1] [2 3] [4 5]
    y = ChannelShuffle(3)(x).numpy().ravel()
    np.testing.assert_array_equal(y, [0, 2, 4, 1, 3, 5])


def test_match_size_crops_bottom_right_and_pads_with_zeros():
    x = np.arange(5 * 6, dtype="float32").reshape(1, 5, 6, 1)
    cropped = MatchSize()(x, np.zeros((1, 4, 4, 3), "float32")).numpy()
    np.testing.assert_array_equal(cropped, x[:, :4, :4])
    padded = MatchSize()(x, np.zeros((1, 6, 7, 3), "float32")).numpy()
    assert padded.shape == (1, 6, 7, 1)
    np.testing.assert_array_equal(padded[:, :5, :6], x)
    assert not padded[:, 5:].any() and not padded[:, :, 6:].any()


def test_bilinear_kernel_profiles_match_the_fcn_formula():
    np.testing.assert_allclose(bilinear_kernel_1d(4), [0.25, 0.75, 0.75, 0.25])
    np.testing.assert_allclose(bilinear_kernel_1d(2), [1.0, 0.0])
    # The x8 kernel sums to 8 over every phase: it preserves constant maps.
    k16 = bilinear_kernel_1d(16)
    np.testing.assert_allclose([k16[p::8].sum() for p in range(8)], np.ones(8))


def test_transposed_conv_starts_as_bilinear_upsampling():
    """A linear ramp upsampled x2 stays a linear ramp away from the borders."""
    ramp = np.tile(np.arange(8, dtype="float32"), (8, 1))[None, :, :, None]
    ramp = np.concatenate([ramp, 2 * ramp], axis=-1)  # two channels, each mapped to itself
    layer = keras.layers.Conv2DTranspose(
        2, 4, strides=2, padding="same", use_bias=False, kernel_initializer=BilinearUpsampling()
    )
    up = layer(ramp).numpy()[0]
    interior = up[2:-2, 2:-2]
    steps = np.diff(interior, axis=1)
    np.testing.assert_allclose(steps[..., 0], 0.5, atol=1e-6)
    np.testing.assert_allclose(steps[..., 1], 1.0, atol=1e-6)
    np.testing.assert_allclose(np.diff(interior, axis=0), 0, atol=1e-6)


def test_dilation_schedule_gives_the_papers_rates():
    assert dilation_schedule(32) == [(2, 1)] * 5
    assert dilation_schedule(16) == [(2, 1)] * 4 + [(1, 2)]
    assert dilation_schedule(8) == [(2, 1)] * 3 + [(1, 2), (1, 4)]
    with pytest.raises(ConfigError, match="output_stride must be one of"):
        dilation_schedule(4)
