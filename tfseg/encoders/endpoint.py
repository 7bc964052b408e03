"""The encoder -> decoder contract: feature endpoints keyed by output stride."""

from typing import NamedTuple

import keras


class Endpoint(NamedTuple):
    """One encoder feature map and the metadata decoders build from.

    Attributes:
        tensor: the symbolic Keras tensor `[B, ceil(H / stride), ceil(W / stride), channels]`.
        channels: its depth.
        stride: its output stride relative to the input image.
    """

    tensor: keras.KerasTensor
    channels: int
    stride: int


def make_endpoints(image, features):
    """Builds the endpoint dict from `{stride: tensor}`, adding the input image at stride 1.

    Stride 1 is the (raw) input image itself, so decoders know the output size without any other
    argument. Channel counts are read from the tensors.
    """
    endpoints = {1: Endpoint(image, image.shape[-1], 1)}
    for stride, tensor in sorted(features.items()):
        endpoints[stride] = Endpoint(tensor, tensor.shape[-1], stride)
    return endpoints


def deepest(endpoints):
    """The endpoint with the largest output stride."""
    return endpoints[max(endpoints)]
