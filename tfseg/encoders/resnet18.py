"""ResNet-18 encoder (the LinkNet encoder of RTSeg's UNet-ResNet18)."""

import keras

from tfseg.encoders.dilation_schedule import dilation_schedule
from tfseg.encoders.encoder_spec import EncoderSpec
from tfseg.encoders.endpoint import make_endpoints
from tfseg.layers import IMAGENET, ImageNormalization, conv_bn_act, weight_decay_regularizer

# Torch-style BatchNormalization, as the original's custom BN (decay 0.9, epsilon 1e-5).
BN = dict(bn_momentum=0.9, bn_epsilon=1e-5)
STAGE_FILTERS = [64, 128, 256, 512]  # conv2_x .. conv5_x, two basic blocks each


def padded_conv_bn(x, filters, kernel_size, stride, dilation, name, regularizer, activation):
    """Symmetric zero padding + VALID conv (PyTorch's `padding=k//2`) + BN (+ activation).

    TF's SAME pads stride-2 convolutions at the bottom/right only; torch-trained ResNet weights
    expect symmetric padding, and the original padded by hand for the same reason.
    """
    pad = dilation * (kernel_size - 1) // 2
    if pad:
        x = keras.layers.ZeroPadding2D(pad, name=f"{name}_pad")(x)
    conv = keras.layers.Conv2D(
        filters, kernel_size, strides=stride, padding="valid", dilation_rate=dilation,
        use_bias=False, kernel_regularizer=regularizer, name=name,
    )  # fmt: skip
    return conv_bn_act(x, conv, activation=activation, **BN)


def basic_block(x, filters, stride, dilation, name, regularizer):
    """Two 3x3 convs with a residual; a 1x1 projection (+BN) when the shape changes."""
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        projection = keras.layers.Conv2D(
            filters, 1, strides=stride, use_bias=False,
            kernel_regularizer=regularizer, name=f"{name}_0_conv",
        )  # fmt: skip
        shortcut = conv_bn_act(x, projection, **BN)
    y = padded_conv_bn(x, filters, 3, stride, dilation, f"{name}_1_conv", regularizer, "relu")
    y = padded_conv_bn(y, filters, 3, 1, dilation, f"{name}_2_conv", regularizer, None)
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return keras.layers.Activation("relu", name=f"{name}_out")(y)


def build_resnet18(image, output_stride=32, weight_decay=5e-4):
    """Builds ResNet-18 on `image` and returns its feature endpoints.

    Endpoints: 2 (conv1, 64 ch), 4 (conv2_x, 64), 8 (conv3_x, 128), 16 (conv4_x, 256) and 32
    (conv5_x, 512). With `output_stride` 8 or 16, conv4_x / conv5_x keep stride 1 and dilate their
    3x3 convolutions by 2 / 4 (the original passed the rate to the 1x1 shortcut only).

    Args:
        image: Keras tensor `[B, H, W, 3]`, RGB in 0..255.
        output_stride: 8, 16 or 32.
        weight_decay: L2 factor `wd` of the loss term `wd * sum(W**2) / 2` on every kernel.

    Returns:
        `{stride: Endpoint}` for strides 1 (the image), 2, 4, 8 (and 16, 32 when reached).

    Example:
        >>> endpoints = build_resnet18(keras.Input((512, 1024, 3)))
        >>> sorted(endpoints)
        [1, 2, 4, 8, 16, 32]
    """
    regularizer = weight_decay_regularizer(weight_decay)
    x = ImageNormalization.of(IMAGENET, name="normalize")(image)
    x = padded_conv_bn(x, 64, 7, 2, 1, "conv1_conv", regularizer, "relu")
    features = {2: x}
    x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = keras.layers.MaxPooling2D(3, 2, padding="valid", name="pool1_pool")(x)

    stride = 4
    # Step 1 is the max-pool; conv2_x keeps the resolution.
    schedule = [(1, 1)] + dilation_schedule(output_stride)[2:]
    for stage, (filters, (step_stride, rate)) in enumerate(zip(STAGE_FILTERS, schedule), 2):
        stride *= step_stride
        for block in (1, 2):
            x = basic_block(
                x, filters,
                stride=step_stride if block == 1 else 1,
                dilation=rate,
                name=f"conv{stage}_block{block}",
                regularizer=regularizer,
            )  # fmt: skip
        features[stride] = x
    return make_endpoints(image, features)


SPEC = EncoderSpec(
    build=build_resnet18,
    normalization=IMAGENET,
    channels={2: 64, 4: 64, 8: 128, 16: 256, 32: 512},
    layer_pattern=r"conv1_conv(_bn)?|conv\d+_block\d+_\d+_conv(_bn)?",
    manifest_key="resnet18",
    # UNet-ResNet18 is LinkNet: its decoder blocks, not the linear ones.
    decoder_options={"skipnet": {"batchnorm": False}, "unet": {"block": "linknet"}},
)
