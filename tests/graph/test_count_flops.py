"""The FLOP counter gives the analytic count for single layers."""

import keras
import pytest

from tfseg.graph import count_flops, freeze_model
from tfseg.layers import GroupConv2D

H, W = 128, 256


def frozen_flops(layer, channels=32):
    image = keras.Input((H, W, channels), batch_size=1)
    model = keras.Model(image, layer(image))
    return count_flops(freeze_model(model).graph_def)


def test_conv2d_is_two_flops_per_multiply_accumulate():
    counts = frozen_flops(keras.layers.Conv2D(64, 3, padding="same", use_bias=False))
    assert counts["flops"] == 2 * H * W * 64 * 3 * 3 * 32 == 1_207_959_552
    assert counts["macs"] == H * W * 64 * 3 * 3 * 32


def test_bias_adds_one_flop_per_output_element():
    counts = frozen_flops(keras.layers.Conv2D(64, 1, use_bias=True))
    assert counts["flops"] == 2 * H * W * 64 * 32 + H * W * 64


def test_depthwise_conv_counts_each_channel_once():
    layer = keras.layers.DepthwiseConv2D(3, strides=2, padding="same", use_bias=False)
    assert frozen_flops(layer)["flops"] == 2 * (H // 2) * (W // 2) * 32 * 3 * 3


def test_transposed_conv_counts_input_pixels_times_kernel():
    layer = keras.layers.Conv2DTranspose(19, 4, strides=2, padding="same", use_bias=False)
    # 2 * (input pixels) * k*k * C_in * C_out, i.e. 2 * out * k*k * C_in / s^2 per output channel
    assert frozen_flops(layer, channels=19)["flops"] == 2 * H * W * 4 * 4 * 19 * 19


@pytest.mark.parametrize("groups", [1, 3])
def test_grouped_conv_counts_only_its_groups(groups):
    counts = frozen_flops(GroupConv2D(48, 1, groups=groups, use_bias=False), channels=24)
    assert counts["flops"] == 2 * H * W * 48 * 24 // groups
