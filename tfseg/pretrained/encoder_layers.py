"""Which layers of a model belong to an encoder, and how pretrained files name them."""

import re

from tfseg.errors import ConfigError

# Names of every weighted encoder layer (`tfseg/encoders/*.py`); decoder layers never match.
ENCODER_LAYER_PATTERNS = {
    "vgg16": r"block\d+_conv\d+|fc[67]",
    "resnet18": r"conv1_conv(_bn)?|conv\d+_block\d+_\d+_conv(_bn)?",
    "mobilenet": r"conv1(_bn)?|conv_(dw|pw|dil)_\d+(_bn)?",
    "shufflenet": r"conv1(_bn)?|stage\d+_unit\d+_(bottleneck|dw|expand)(_bn)?",
}

# File layer name -> model layer name, where they differ. keras.applications' VGG16 has the
# classifier's Dense fc1 / fc2; tfseg's fully convolutional VGG16 calls them fc6 / fc7 (FCN).
LAYER_ALIASES = {"vgg16": {"fc1": "fc6", "fc2": "fc7"}}


def encoder_layers(model, encoder):
    """Returns the model's weighted layers that belong to `encoder`, in model order.

    Args:
        model: a Keras model built by `tfseg.build_model` (or any model using tfseg's encoder
            layer names).
        encoder: one of `vgg16`, `resnet18`, `mobilenet`, `shufflenet`.

    Returns:
        `{layer name: layer}`.

    Raises:
        ConfigError: unknown encoder name.

    Example:
        >>> list(encoder_layers(tfseg.build_model("mobilenet", "skipnet"), "mobilenet"))[:3]
        ['conv1', 'conv1_bn', 'conv_dw_1']
    """
    if encoder not in ENCODER_LAYER_PATTERNS:
        raise ConfigError(
            f"unknown encoder {encoder!r}; valid encoders: {', '.join(ENCODER_LAYER_PATTERNS)}"
        )
    pattern = re.compile(ENCODER_LAYER_PATTERNS[encoder])
    return {
        layer.name: layer
        for layer in model.layers
        if layer.weights and pattern.fullmatch(layer.name)
    }
