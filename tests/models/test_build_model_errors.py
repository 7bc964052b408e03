"""build_model rejects bad names and values with messages that say what is valid."""

import pytest

import tfseg
from tfseg.errors import ConfigError


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(encoder="resnet50"), "unknown encoder 'resnet50'; valid encoders: vgg16, resnet18"),
        (dict(decoder="fpn"), "unknown decoder 'fpn'; valid decoders: skipnet, unet, dilation"),
        (dict(num_classes=1), "num_classes must be an integer >= 2, got 1"),
        (dict(num_classes=2.5), "num_classes must be an integer >= 2"),
        (dict(input_shape=(0, 640)), "input height must be an integer >= 32, got 0"),
        (dict(input_shape=(360, -1)), "input width must be an integer >= 32, got -1"),
        (dict(input_shape=(360,)), r"input_shape must be \(height, width\)"),
        (dict(variant="4s"), r"skipnet variant must be one of \['16s', '32s', '8s'\]"),
        (dict(block="fpn", decoder="unet"), r"unet block must be one of \['linear', 'linknet'\]"),
        (dict(color="red"), "unknown option.* color for decoder 'skipnet'; valid options: variant"),
    ],
)
def test_bad_arguments_raise_a_clear_error(kwargs, message):
    arguments = dict(encoder="shufflenet", decoder="skipnet", num_classes=19, input_shape=(64, 64))
    arguments.update(kwargs)
    with pytest.raises(ConfigError, match=message):
        tfseg.build_model(**arguments)


def test_config_errors_are_value_errors_for_api_callers():
    with pytest.raises(ValueError):
        tfseg.build_model("nope", "skipnet")


def test_dilation_decoder_refuses_a_stride_32_encoder():
    import keras

    from tfseg.decoders import DECODERS
    from tfseg.encoders import ENCODERS

    endpoints = ENCODERS["mobilenet"].build(keras.Input((64, 64, 3)), output_stride=32)
    with pytest.raises(ConfigError, match="needs an encoder built with output_stride=8"):
        DECODERS["dilation"].build(endpoints, 19)
