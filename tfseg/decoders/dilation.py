"""Dilation front-end decoder: score the stride-8 features, upsample x8."""

import keras

from tfseg.errors import ConfigError
from tfseg.layers import MatchSize, conv_bn_act, upsampling_conv, weight_decay_regularizer

OUTPUT_STRIDE = 8


def build_dilation(endpoints, num_classes, *, batchnorm=False, weight_decay=5e-4):
    """Dilation front-end on the endpoints of an output-stride-8 (dilated) encoder.

    A 1x1 convolution scores the deepest (stride-8) features and a 16x16 stride-8 transposed
    convolution, starting as bilinear upsampling, brings them to the input size. There are no skip
    connections.

    Args:
        endpoints: `{stride: Endpoint}` from an encoder built with `output_stride=8`.
        num_classes: number of output classes.
        batchnorm: BatchNormalization after the score (the original's Dilation-MobileNet).
        weight_decay: L2 factor on every kernel.

    Returns:
        Logits `[B, H, W, num_classes]`.

    Example:
        >>> endpoints = build_mobilenet(keras.Input((512, 1024, 3)), output_stride=8)
        >>> build_dilation(endpoints, 19).shape
        (None, 512, 1024, 19)
    """
    if max(endpoints) != OUTPUT_STRIDE:
        raise ConfigError(
            f"the dilation decoder needs an encoder built with output_stride={OUTPUT_STRIDE}; "
            f"the deepest endpoint has stride {max(endpoints)}"
        )
    regularizer = weight_decay_regularizer(weight_decay)
    conv = keras.layers.Conv2D(
        num_classes, 1, use_bias=not batchnorm, kernel_regularizer=regularizer,
        name="dilation_score",
    )  # fmt: skip
    x = conv_bn_act(endpoints[OUTPUT_STRIDE].tensor, conv, batchnorm=batchnorm)
    x = upsampling_conv(num_classes, OUTPUT_STRIDE, "dilation_upscore", regularizer=regularizer)(x)
    return MatchSize(name="dilation_upscore_crop")(x, endpoints[1].tensor)
