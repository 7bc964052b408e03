"""In-model input normalization, so exported models take raw images."""

from typing import NamedTuple

import keras
import tensorflow as tf


class Normalization(NamedTuple):
    """What an encoder's weights expect of an RGB image in 0..255: `(x[..., order] - mean) / std`.

    `mean` and `std` are per channel, in the output channel order, on the 0..255 scale.
    """

    mean: tuple
    std: tuple
    channel_order: str = "rgb"


# The three conventions of the encoders' ImageNet weights, written once.
IMAGENET = Normalization((123.675, 116.28, 103.53), (58.395, 57.12, 57.375))
INCEPTION = Normalization((127.5,) * 3, (127.5,) * 3)  # x / 127.5 - 1 (keras.applications)
CAFFE_BGR = Normalization((103.939, 116.779, 123.68), (1.0,) * 3, "bgr")  # Caffe VGG16


@keras.saving.register_keras_serializable(package="tfseg")
class ImageNormalization(keras.layers.Layer):
    """Maps an RGB image in 0..255 (any dtype) to what an encoder's weights expect.

    Computes `(x[..., order] - mean) / std` as one multiply and one add per pixel. With
    `channel_order="bgr"` the channels are reversed first (Caffe-style VGG16 weights).

    Args:
        mean: three per-channel means, in the output channel order, on the 0..255 scale.
        std: three per-channel standard deviations on the 0..255 scale.
        channel_order: `"rgb"` or `"bgr"`.
    """

    def __init__(self, mean, std, channel_order="rgb", **kwargs):
        super().__init__(**kwargs)
        if channel_order not in ("rgb", "bgr"):
            raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
        self.mean = [float(m) for m in mean]
        self.std = [float(s) for s in std]
        self.channel_order = channel_order

    def call(self, inputs):
        x = tf.cast(inputs, self.compute_dtype)
        if self.channel_order == "bgr":
            x = tf.reverse(x, axis=[-1])
        scale = tf.constant([1.0 / s for s in self.std], dtype=x.dtype)
        offset = tf.constant([-m / s for m, s in zip(self.mean, self.std)], dtype=x.dtype)
        return x * scale + offset

    @classmethod
    def of(cls, normalization, **kwargs):
        """The layer for a `Normalization`, e.g. `ImageNormalization.of(IMAGENET, name="n")`."""
        return cls(*normalization, **kwargs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(mean=self.mean, std=self.std, channel_order=self.channel_order)
        return config
