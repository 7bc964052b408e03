"""ShuffleNet's channel shuffle."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfseg")
class ChannelShuffle(keras.layers.Layer):
    """Interleaves the channels of `groups` contiguous groups (ShuffleNet v1).

    Reshapes `[N, H, W, C]` to `[N, H, W, g, C/g]`, swaps the last two axes and flattens back, so
    that the next grouped convolution sees channels from every group. Spatial dimensions may be
    unknown (`None`); they are then read from the tensor at run time.

    Args:
        groups: number of channel groups; must divide the input depth.
    """

    def __init__(self, groups, **kwargs):
        super().__init__(**kwargs)
        self.groups = int(groups)

    def build(self, input_shape):
        if input_shape[-1] % self.groups:
            raise ValueError(
                f"{self.name}: {input_shape[-1]} channels are not divisible by groups={self.groups}"
            )

    def call(self, inputs):
        channels = inputs.shape[-1]
        dynamic = tf.shape(inputs)
        height = inputs.shape[1] if inputs.shape[1] is not None else dynamic[1]
        width = inputs.shape[2] if inputs.shape[2] is not None else dynamic[2]
        x = tf.reshape(inputs, [-1, height, width, self.groups, channels // self.groups])
        x = tf.transpose(x, [0, 1, 2, 4, 3])
        return tf.reshape(x, [-1, height, width, channels])

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(groups=self.groups)
        return config
