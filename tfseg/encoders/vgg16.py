"""VGG16 encoder with the FCN fully-convolutional fc6 / fc7."""

import keras

from tfseg.encoders.dilation_schedule import dilation_schedule
from tfseg.encoders.encoder_spec import EncoderSpec
from tfseg.encoders.endpoint import make_endpoints
from tfseg.layers import CAFFE_BGR, ImageNormalization, weight_decay_regularizer

# (filters, convs) per block; names follow keras.applications.VGG16 (block{b}_conv{i}).
BLOCKS = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]
FC_CHANNELS = 4096


def build_vgg16(image, output_stride=32, weight_decay=5e-4):
    """Builds VGG16 (13 convs + fc6 7x7 / fc7 1x1 as convolutions) and returns its endpoints.

    Every convolution has a bias and ReLU and no BatchNormalization. Pooling is 2x2/2 with SAME
    padding, so pooled sizes are `ceil(H / stride)` and the model builds at any input size (the
    original's VALID pooling made SkipNet-VGG16 impossible at 360x640). fc6 and fc7 are followed
    by dropout 0.5. Endpoints: 2, 4, 8, 16 (pool1..pool4) and 32 (fc7, 4096 channels).

    With `output_stride` 8 or 16, the later pools are dropped and the following convolutions are
    dilated (8: conv5_x by 2 and fc6 by 4), the Dilation front-end of Yu & Koltun.

    Args:
        image: Keras tensor `[B, H, W, 3]`, RGB in 0..255.
        output_stride: 8, 16 or 32.
        weight_decay: L2 factor `wd` of the loss term `wd * sum(W**2) / 2` on every kernel.

    Returns:
        `{stride: Endpoint}` for strides 1 (the image), 2, 4, 8 (and 16, 32 when reached).

    Example:
        >>> endpoints = build_vgg16(keras.Input((512, 1024, 3)))
        >>> endpoints[32].channels
        4096
    """
    regularizer = weight_decay_regularizer(weight_decay)
    x = ImageNormalization.of(CAFFE_BGR, name="normalize")(image)  # Caffe-trained weights

    def conv(x, filters, kernel_size, rate, name):
        return keras.layers.Conv2D(
            filters, kernel_size, padding="same", dilation_rate=rate, activation="relu",
            kernel_regularizer=regularizer, name=name,
        )(x)  # fmt: skip

    stride, rate, features = 1, 1, {}
    for b, ((filters, convs), (step_stride, step_rate)) in enumerate(
        zip(BLOCKS, dilation_schedule(output_stride)), start=1
    ):
        for i in range(1, convs + 1):
            x = conv(x, filters, 3, rate, f"block{b}_conv{i}")
        if step_stride == 2:
            x = keras.layers.MaxPooling2D(2, 2, padding="same", name=f"block{b}_pool")(x)
            stride *= 2
            features[stride] = x
        else:
            rate = step_rate  # the pool is dropped; what follows is dilated instead
    x = conv(x, FC_CHANNELS, 7, rate, "fc6")
    x = keras.layers.Dropout(0.5, name="fc6_dropout")(x)
    x = conv(x, FC_CHANNELS, 1, 1, "fc7")
    x = keras.layers.Dropout(0.5, name="fc7_dropout")(x)
    features[stride] = x
    return make_endpoints(image, features)


SPEC = EncoderSpec(
    build=build_vgg16,
    normalization=CAFFE_BGR,
    channels={2: 64, 4: 128, 8: 256, 16: 512, 32: 4096},
    layer_pattern=r"block\d+_conv\d+|fc[67]",
    # keras.applications' VGG16 has the classifier's Dense fc1 / fc2; tfseg's fully
    # convolutional VGG16 calls them fc6 / fc7, as FCN does.
    layer_aliases={"fc1": "fc6", "fc2": "fc7"},
    manifest_key="vgg16",
    decoder_options={"skipnet": {"batchnorm": False}, "unet": {"block": "linear"}},
)
