"""Which layers of a model belong to an encoder, and how pretrained files name them.

Both facts live in each encoder's `EncoderSpec` (`layer_pattern`, `layer_aliases`); this module
reads them.
"""

import re

from tfseg.encoders import ENCODERS
from tfseg.errors import ConfigError
from tfseg.registry import load_entry_points


def pretrained_spec(encoder):
    """The `EncoderSpec` of `encoder`, which must say how pretrained weights map onto it.

    Args:
        encoder: a registered encoder name (entry-point plugins are loaded first).

    Returns:
        The encoder's `EncoderSpec`; its `layer_pattern`, `layer_aliases` and `manifest_key` say
        which layers pretrained weights go into, under which file names, from which manifest
        entry.

    Raises:
        ConfigError: unknown encoder, or one whose spec has no `layer_pattern`.

    Example:
        >>> pretrained_spec("mobilenet").manifest_key
        'mobilenet'
    """
    load_entry_points()
    spec = ENCODERS.get(encoder)
    if spec is None:
        raise ConfigError(f"unknown encoder {encoder!r}; valid encoders: {', '.join(ENCODERS)}")
    if spec.layer_pattern is None:
        raise ConfigError(
            f"encoder {encoder!r} has no layer_pattern in its EncoderSpec, so pretrained "
            "weights cannot be matched to its layers"
        )
    return spec


def encoder_layers(model, encoder):
    """Returns the model's weighted layers that belong to `encoder`, in model order.

    Args:
        model: a Keras model built by `tfseg.build_model` (or any model using tfseg's encoder
            layer names).
        encoder: a registered encoder name whose spec has a `layer_pattern`.

    Returns:
        `{layer name: layer}`.

    Raises:
        ConfigError: unknown encoder, or one without a `layer_pattern`.

    Example:
        >>> list(encoder_layers(tfseg.build_model("mobilenet", "skipnet"), "mobilenet"))[:3]
        ['conv1', 'conv1_bn', 'conv_dw_1']
    """
    pattern = re.compile(pretrained_spec(encoder).layer_pattern)
    return {
        layer.name: layer
        for layer in model.layers
        if layer.weights and pattern.fullmatch(layer.name)
    }
