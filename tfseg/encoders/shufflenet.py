"""ShuffleNet v1 (groups = 3) encoder, with the original TFSegmentation's layer sizes."""

import keras

from tfseg.encoders.dilation_schedule import dilation_schedule
from tfseg.encoders.encoder_spec import EncoderSpec
from tfseg.encoders.endpoint import make_endpoints
from tfseg.layers import (
    IMAGENET,
    ChannelShuffle,
    GroupConv2D,
    ImageNormalization,
    conv_bn_act,
    weight_decay_regularizer,
)

GROUPS = 3
STEM_CHANNELS = 24
# (output channels, units) of stages 2, 3 and 4 for 3 groups.
STAGES = [(240, 4), (480, 8), (960, 4)]
# The original used epsilon 1e-5 for the BN after grouped convolutions, 1e-3 elsewhere.
GROUPED_BN_EPSILON = 1e-5


def shufflenet_unit(x, out_channels, stride, dilation, grouped_bottleneck, name, regularizer):
    """One ShuffleNet v1 unit.

    The first unit of a stage widens the tensor by concatenating the (pooled) input with a branch
    of `out - in` channels; its bottleneck is `(out - in) / 4` wide, the original's choice, half
    the ShuffleNet paper's (the paper's GFLOPs depend on it). Other units add a branch of `out`
    channels with bottleneck `out / 4`.
    """
    in_channels = x.shape[-1]
    concat = in_channels != out_channels
    bottleneck = (out_channels - in_channels) // 4 if concat else out_channels // 4
    groups = GROUPS if grouped_bottleneck else 1

    conv = GroupConv2D(
        bottleneck, 1, groups=groups, use_bias=False,
        kernel_regularizer=regularizer, name=f"{name}_bottleneck",
    )  # fmt: skip
    epsilon = GROUPED_BN_EPSILON if grouped_bottleneck else 1e-3
    branch = conv_bn_act(x, conv, activation="relu", bn_epsilon=epsilon)
    if grouped_bottleneck:
        branch = ChannelShuffle(GROUPS, name=f"{name}_shuffle")(branch)
    if dilation == 1:
        # Symmetric explicit padding + VALID, as the original (TF's SAME pads bottom/right).
        branch = keras.layers.ZeroPadding2D(1, name=f"{name}_dw_pad")(branch)
        depthwise = keras.layers.DepthwiseConv2D(
            3, strides=stride, padding="valid", use_bias=False,
            depthwise_regularizer=regularizer, name=f"{name}_dw",
        )  # fmt: skip
    else:
        depthwise = keras.layers.DepthwiseConv2D(
            3, padding="same", dilation_rate=dilation, use_bias=False,
            depthwise_regularizer=regularizer, name=f"{name}_dw",
        )  # fmt: skip
    branch = conv_bn_act(branch, depthwise)  # no activation after the depthwise conv
    conv = GroupConv2D(
        out_channels - in_channels if concat else out_channels, 1, groups=GROUPS,
        use_bias=False, kernel_regularizer=regularizer, name=f"{name}_expand",
    )  # fmt: skip
    branch = conv_bn_act(branch, conv, bn_epsilon=GROUPED_BN_EPSILON)

    residual = x
    if stride == 2:
        residual = keras.layers.AveragePooling2D(3, 2, padding="same", name=f"{name}_pool")(x)
    if concat:
        x = keras.layers.Concatenate(name=f"{name}_concat")([residual, branch])
    else:
        x = keras.layers.Add(name=f"{name}_add")([branch, residual])
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


def build_shufflenet(image, output_stride=32, weight_decay=5e-4):
    """Builds ShuffleNet v1 with 3 groups on `image` and returns its feature endpoints.

    The stem is the original's: a 3x3 stride-2 VALID convolution (24 channels), a bottom/right
    zero pad and a 3x3 stride-2 VALID max-pool. Both stem outputs are padded by one pixel at the
    bottom/right so that every endpoint has size `ceil(H / stride)`, as the original's UNet did.
    Stages 2, 3, 4 have 240, 480, 960 channels; the first 1x1 convolution of stage 2 is not
    grouped.

    With `output_stride` 8 or 16, the first unit of each later stage keeps stride 1 and every unit
    of that stage uses a depthwise convolution dilated by 2 (stage 3) or 4 (stage 4).

    Args:
        image: Keras tensor `[B, H, W, 3]`, RGB in 0..255.
        output_stride: 8, 16 or 32.
        weight_decay: L2 factor `wd` of the loss term `wd * sum(W**2) / 2` on every kernel.

    Returns:
        `{stride: Endpoint}` for strides 1 (the image), 2 (24 ch), 4 (24), 8 (240), and 16 (480),
        32 (960) when reached.

    Example:
        >>> endpoints = build_shufflenet(keras.Input((360, 640, 3)))
        >>> endpoints[8].tensor.shape
        (None, 45, 80, 240)
    """
    regularizer = weight_decay_regularizer(weight_decay)
    x = ImageNormalization.of(IMAGENET, name="normalize")(image)
    conv = keras.layers.Conv2D(
        STEM_CHANNELS, 3, strides=2, padding="valid", use_bias=False,
        kernel_regularizer=regularizer, name="conv1",
    )  # fmt: skip
    x = conv_bn_act(x, conv, activation="relu")
    # VALID 3x3/2 gives ceil(H/2) - 1 rows for every H; one padded row restores ceil(H/2).
    features = {2: keras.layers.ZeroPadding2D(((0, 1), (0, 1)), name="conv1_pad")(x)}
    x = keras.layers.MaxPooling2D(3, 2, padding="valid", name="pool1")(features[2])
    x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)), name="pool1_pad")(x)
    features[4] = x

    stride = 4
    schedule = dilation_schedule(output_stride)[2:]  # steps 0, 1 are the stem
    for stage, ((channels, units), (step_stride, rate)) in enumerate(zip(STAGES, schedule), 2):
        stride *= step_stride
        for unit in range(units):
            x = shufflenet_unit(
                x, channels,
                stride=step_stride if unit == 0 else 1,
                dilation=rate,
                grouped_bottleneck=not (stage == 2 and unit == 0),
                name=f"stage{stage}_unit{unit + 1}",
                regularizer=regularizer,
            )  # fmt: skip
        features[stride] = x
    return make_endpoints(image, features)


SPEC = EncoderSpec(
    build=build_shufflenet,
    normalization=IMAGENET,
    channels={2: 24, 4: 24, 8: 240, 16: 480, 32: 960},
    layer_pattern=r"conv1(_bn)?|stage\d+_unit\d+_(bottleneck|dw|expand)(_bn)?",
    manifest_key="shufflenet",
    decoder_options={"skipnet": {"batchnorm": True}, "unet": {"block": "linear"}},
)
