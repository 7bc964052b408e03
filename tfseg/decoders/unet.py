"""UNet decoder: stage-wise x2 upsampling in feature space, fused with the encoder by addition."""

import keras

from tfseg.errors import ConfigError
from tfseg.layers import MatchSize, conv_bn_act, upsampling_conv, weight_decay_regularizer

BLOCKS = ("linear", "linknet")
LINKNET_HEAD_CHANNELS = 32


def build_unet(
    endpoints, num_classes, *, block="linear", head_channels=None, dropout=0.5, weight_decay=5e-4
):
    """UNet on a feature-endpoint dict, with the block style of the original code.

    `block="linear"` (the original's MobileNet and ShuffleNet UNets): from the deepest endpoint,
    for each shallower stride down to 2: 1x1 conv, 4x4/2 transposed conv, add the skip, 1x1 conv,
    each to the skip's channel count and each followed by BatchNormalization and *no* activation.
    Then a last 4x4/2 transposed conv to the input size, a 1x1 conv to `head_channels` (+BN,
    dropout) and a 1x1 classifier.

    `block="linknet"` (the original's ResNet18 UNet, LinkNet): decoder blocks 1x1 (C/4) -> 3x3/2
    transposed conv (C/4) -> 1x1 (skip channels), each with BN + ReLU, added to the skips at
    strides 16, 8, 4; a stride-1 block; then a 3x3/2 transposed conv (32), a 3x3 conv (32) and a
    2x2/2 transposed conv to `num_classes` at the input size.

    Args:
        endpoints: `{stride: Endpoint}` from an encoder (output stride 32).
        num_classes: number of output classes.
        block: `"linear"` or `"linknet"`.
        head_channels: width of the last 1x1 conv of the linear style; defaults to the channels of
            the shallowest skip.
        dropout: dropout rate before the linear-style classifier.
        weight_decay: L2 factor on every kernel.

    Returns:
        Logits `[B, H, W, num_classes]`.

    Example:
        >>> endpoints = build_resnet18(keras.Input((512, 1024, 3)))
        >>> build_unet(endpoints, 19, block="linknet").shape
        (None, 512, 1024, 19)
    """
    if block not in BLOCKS:
        raise ConfigError(f"unet block must be one of {list(BLOCKS)}, got {block!r}")
    regularizer = weight_decay_regularizer(weight_decay)
    if block == "linknet":
        return _linknet(endpoints, num_classes, regularizer)
    return _linear(endpoints, num_classes, head_channels, dropout, regularizer)


def _conv1x1_bn(x, filters, name, regularizer, activation=None):
    conv = keras.layers.Conv2D(
        filters, 1, use_bias=False, kernel_regularizer=regularizer, name=name
    )
    return conv_bn_act(x, conv, activation=activation)


def _upsample_bn(x, filters, kernel_size, name, regularizer, activation=None):
    up = upsampling_conv(
        filters, 2, name, kernel_size=kernel_size, use_bias=False, regularizer=regularizer
    )
    return conv_bn_act(x, up, activation=activation)


def _linear(endpoints, num_classes, head_channels, dropout, regularizer):
    image = endpoints[1].tensor
    skips = sorted((s for s in endpoints if 1 < s < max(endpoints)), reverse=True)
    x = endpoints[max(endpoints)].tensor
    for s in skips:
        skip = endpoints[s]
        x = _conv1x1_bn(x, skip.channels, f"unet_s{s}_reduce", regularizer)
        x = _upsample_bn(x, skip.channels, 4, f"unet_s{s}_up", regularizer)
        x = MatchSize(name=f"unet_s{s}_up_crop")(x, skip.tensor)
        x = keras.layers.Add(name=f"unet_s{s}_fuse")([x, skip.tensor])
        x = _conv1x1_bn(x, skip.channels, f"unet_s{s}_mix", regularizer)
    channels = x.shape[-1]
    x = _upsample_bn(x, channels, 4, "unet_s1_up", regularizer)
    x = MatchSize(name="unet_s1_up_crop")(x, image)
    x = _conv1x1_bn(x, head_channels or channels, "unet_head", regularizer)
    x = keras.layers.Dropout(dropout, name="unet_head_dropout")(x)
    return keras.layers.Conv2D(
        num_classes, 1, kernel_regularizer=regularizer, name="unet_classifier"
    )(x)


def _linknet_block(x, out_channels, stride, name, regularizer):
    middle = x.shape[-1] // 4
    x = _conv1x1_bn(x, middle, f"{name}_reduce", regularizer, activation="relu")
    if stride == 1:
        conv = keras.layers.Conv2DTranspose(
            middle, 3, padding="same", use_bias=False, kernel_regularizer=regularizer,
            name=f"{name}_up",
        )  # fmt: skip
        x = conv_bn_act(x, conv, activation="relu")
    else:
        x = _upsample_bn(x, middle, 3, f"{name}_up", regularizer, activation="relu")
    return _conv1x1_bn(x, out_channels, f"{name}_expand", regularizer, activation="relu")


def _linknet(endpoints, num_classes, regularizer):
    skips = [s for s in (16, 8, 4) if s in endpoints and s < max(endpoints)]
    if 4 not in skips:
        raise ConfigError("the linknet UNet needs a stride-4 endpoint")
    x = endpoints[max(endpoints)].tensor
    for s in skips:
        skip = endpoints[s]
        x = _linknet_block(x, skip.channels, 2, f"linknet_s{s}", regularizer)
        x = MatchSize(name=f"linknet_s{s}_crop")(x, skip.tensor)
        x = keras.layers.Add(name=f"linknet_s{s}_fuse")([x, skip.tensor])
    x = _linknet_block(x, x.shape[-1], 1, "linknet_s4_refine", regularizer)
    x = _upsample_bn(x, LINKNET_HEAD_CHANNELS, 3, "linknet_head_up", regularizer, "relu")
    conv = keras.layers.Conv2D(
        LINKNET_HEAD_CHANNELS, 3, padding="same", use_bias=False,
        kernel_regularizer=regularizer, name="linknet_head_conv",
    )  # fmt: skip
    x = conv_bn_act(x, conv, activation="relu")
    x = upsampling_conv(
        num_classes, 2, "linknet_classifier", kernel_size=2, regularizer=regularizer
    )(x)
    return MatchSize(name="linknet_classifier_crop")(x, endpoints[1].tensor)
