"""MobileNet v1 (width 1.0) encoder, as in RTSeg."""

import keras

from tfseg.encoders.dilation_schedule import dilation_schedule
from tfseg.encoders.encoder_spec import EncoderSpec
from tfseg.encoders.endpoint import make_endpoints
from tfseg.layers import INCEPTION, ImageNormalization, conv_bn_act, weight_decay_regularizer

# (pointwise filters, stride) of the 13 depthwise-separable blocks. Layer names follow
# keras.applications.MobileNet (conv_dw_i / conv_pw_i), so its ImageNet h5 loads by name.
BLOCKS = [
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1),
    (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
]  # fmt: skip


def build_mobilenet(image, output_stride=32, weight_decay=5e-4):
    """Builds MobileNet v1 on `image` and returns its feature endpoints.

    Every convolution is followed by BatchNormalization and ReLU6. Endpoints are the last block at
    each stride: 2 (block 1, 64 ch), 4 (block 3, 128), 8 (block 5, 256), 16 (block 11, 512) and
    32 (block 13, 1024).

    With `output_stride` 8 or 16, each stride-2 block past that stride is replaced, as in the
    original Dilation-MobileNet, by a full (not separable) 3x3 convolution dilated by 2 or 4, and
    the blocks after it use depthwise convolutions with the same dilation.

    Args:
        image: Keras tensor `[B, H, W, 3]`, RGB in 0..255.
        output_stride: 8, 16 or 32.
        weight_decay: L2 factor `wd` of the loss term `wd * sum(W**2) / 2` on every kernel.

    Returns:
        `{stride: Endpoint}` for strides 1 (the image), 2, 4, 8 (and 16, 32 when reached).

    Example:
        >>> endpoints = build_mobilenet(keras.Input((512, 1024, 3)))
        >>> endpoints[32].channels
        1024
    """
    regularizer = weight_decay_regularizer(weight_decay)
    x = ImageNormalization.of(INCEPTION, name="normalize")(image)  # keras.applications' weights
    conv = keras.layers.Conv2D(
        32, 3, strides=2, padding="same", use_bias=False,
        kernel_regularizer=regularizer, name="conv1",
    )  # fmt: skip
    x = conv_bn_act(x, conv, activation="relu6")

    steps = iter(dilation_schedule(output_stride)[1:])  # step 0 is conv1
    stride, rate, features = 2, 1, {}
    for i, (filters, block_stride) in enumerate(BLOCKS, start=1):
        if block_stride == 2:
            step_stride, rate = next(steps)
            if step_stride == 1:
                # The original's dilated branch uses a full 3x3 atrous conv here (52% of
                # Dilation-MobileNet's FLOPs); kept so the paper's GFLOPs are reproduced.
                conv = keras.layers.Conv2D(
                    filters, 3, padding="same", dilation_rate=rate, use_bias=False,
                    kernel_regularizer=regularizer, name=f"conv_dil_{i}",
                )  # fmt: skip
                x = conv_bn_act(x, conv, activation="relu6")
                features[stride] = x
                continue
            stride *= 2
        depthwise = keras.layers.DepthwiseConv2D(
            3, strides=block_stride if rate == 1 else 1, padding="same", dilation_rate=rate,
            use_bias=False, depthwise_regularizer=regularizer, name=f"conv_dw_{i}",
        )  # fmt: skip
        x = conv_bn_act(x, depthwise, activation="relu6")
        pointwise = keras.layers.Conv2D(
            filters, 1, use_bias=False, kernel_regularizer=regularizer, name=f"conv_pw_{i}"
        )
        x = conv_bn_act(x, pointwise, activation="relu6")
        features[stride] = x
    return make_endpoints(image, features)


SPEC = EncoderSpec(
    build=build_mobilenet,
    normalization=INCEPTION,
    channels={2: 64, 4: 128, 8: 256, 16: 512, 32: 1024},
    layer_pattern=r"conv1(_bn)?|conv_(dw|pw|dil)_\d+(_bn)?",
    manifest_key="mobilenet",
    # The RTSeg paper's MobileNet models: BN in SkipNet and Dilation, a 32-channel UNet head.
    decoder_options={
        "skipnet": {"batchnorm": True},
        "unet": {"block": "linear", "head_channels": 32},
        "dilation": {"batchnorm": True},
    },
)
