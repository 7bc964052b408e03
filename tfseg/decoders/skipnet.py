"""SkipNet: the FCN-8s / 16s / 32s decoder, upsampling in label space."""

import keras

from tfseg.errors import ConfigError
from tfseg.layers import MatchSize, conv_bn_act, upsampling_conv, weight_decay_regularizer

# variant -> how many skip connections (at strides 16 and 8) it fuses
VARIANTS = {"8s": 2, "16s": 1, "32s": 0}


def build_skipnet(endpoints, num_classes, *, variant="8s", batchnorm=True, weight_decay=5e-4):
    """SkipNet (FCN-8s style) on a feature-endpoint dict.

    The deepest endpoint is scored by a 1x1 convolution into `num_classes` heat maps. For each
    skip (strides 16 and 8 for FCN-8s, 16 for FCN-16s, none for FCN-32s) the heat maps are
    upsampled x2 by a 4x4 transposed convolution, cropped to the skip's size and added to a 1x1
    score of the skip. A final transposed convolution (kernel 2s, stride s) brings them to the
    input size. All transposed convolutions start as bilinear upsampling.

    Args:
        endpoints: `{stride: Endpoint}` from an encoder (output stride 32).
        num_classes: number of output classes.
        variant: `"8s"`, `"16s"` or `"32s"`.
        batchnorm: BatchNormalization after the skip scores and x2 upsamplings (the paper's
            MobileNet/ShuffleNet models); the final upsampling never has it.
        weight_decay: L2 factor on every kernel.

    Returns:
        Logits `[B, H, W, num_classes]`.

    Example:
        >>> endpoints = build_shufflenet(keras.Input((360, 640, 3)))
        >>> build_skipnet(endpoints, 19).shape
        (None, 360, 640, 19)
    """
    if variant not in VARIANTS:
        raise ConfigError(f"skipnet variant must be one of {sorted(VARIANTS)}, got {variant!r}")
    regularizer = weight_decay_regularizer(weight_decay)
    stride = max(endpoints)
    skips = [s for s in (stride // 2, stride // 4) if s in endpoints][: VARIANTS[variant]]

    def score(endpoint, use_bn):
        conv = keras.layers.Conv2D(
            num_classes, 1, use_bias=not use_bn, kernel_regularizer=regularizer,
            name=f"skipnet_score_s{endpoint.stride}",
        )  # fmt: skip
        return conv_bn_act(endpoint.tensor, conv, batchnorm=use_bn)

    # The deepest score has no BN, as the original's score_fr.
    x = score(endpoints[stride], use_bn=False)
    for skip in skips:
        up = upsampling_conv(
            num_classes, 2, f"skipnet_up_s{skip}", use_bias=not batchnorm, regularizer=regularizer
        )
        x = conv_bn_act(x, up, batchnorm=batchnorm)
        x = MatchSize(name=f"skipnet_up_s{skip}_crop")(x, endpoints[skip].tensor)
        x = keras.layers.Add(name=f"skipnet_fuse_s{skip}")([score(endpoints[skip], batchnorm), x])
        stride = skip
    x = upsampling_conv(num_classes, stride, "skipnet_upscore", regularizer=regularizer)(x)
    return MatchSize(name="skipnet_upscore_crop")(x, endpoints[1].tensor)
