"""The bilinear-initialized transposed convolution every decoder upsamples with."""

import keras

from tfseg.layers.bilinear_upsampling import BilinearUpsampling


def upsampling_conv(filters, stride, name, *, kernel_size=None, use_bias=True, regularizer=None):
    """A `'same'` `Conv2DTranspose` giving `stride * h`, starting as bilinear upsampling.

    Args:
        filters: output channels.
        stride: upsampling factor.
        name: layer name.
        kernel_size: defaults to `2 * stride` (the FCN choice: 4 for x2, 16 for x8).
        use_bias: False when BatchNormalization follows.
        regularizer: kernel regularizer (the L2 weight decay).

    Returns:
        An uncalled `keras.layers.Conv2DTranspose`.
    """
    return keras.layers.Conv2DTranspose(
        filters,
        kernel_size or 2 * stride,
        strides=stride,
        padding="same",
        use_bias=use_bias,
        kernel_initializer=BilinearUpsampling(),
        kernel_regularizer=regularizer,
        name=name,
    )
