"""Crop or pad a feature map to the spatial size of another."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfseg")
class MatchSize(keras.layers.Layer):
    """Crops (or zero-pads) the bottom/right of `x` to the height and width of `reference`.

    Decoders upsample by a factor of 2 (or 8, 16, 32) with `'same'` transposed convolutions, giving
    `s * h`, while the skip they fuse with may be one pixel smaller (at 360x640, 12 -> 24 but the
    stride-16 skip is 23). TensorFlow's `conv2d_transpose` with an explicit output shape, which the
    original code used, yields exactly the first rows/columns of the larger result (both pad one
    pixel before), so cropping the bottom/right is equivalent and works for any input size. Padding
    only happens for encoders whose endpoints are smaller than `ceil(H / stride)`.

    Call as `MatchSize()(x, reference)`; the output has `x`'s channels and `reference`'s height and
    width. Works with unknown (`None`) spatial sizes.
    """

    def call(self, x, reference):
        static = [reference.shape[i] for i in (1, 2)], [x.shape[i] for i in (1, 2)]
        if None not in static[0] and static[0] == static[1]:
            return x
        target = tf.shape(reference)[1:3]
        x = x[:, : target[0], : target[1], :]
        missing = tf.maximum(target - tf.shape(x)[1:3], 0)
        if None not in static[0] and None not in static[1]:
            if all(t <= s for t, s in zip(*static)):
                return x  # pure crop: no pad op in the graph
        return tf.pad(x, [[0, 0], [0, missing[0]], [0, missing[1]], [0, 0]])

    def compute_output_shape(self, x_shape, reference_shape):
        return (x_shape[0], reference_shape[1], reference_shape[2], x_shape[3])
