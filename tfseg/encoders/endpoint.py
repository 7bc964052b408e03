"""The encoder -> decoder contract: feature endpoints keyed by output stride."""

from typing import NamedTuple

import keras

from tfseg.errors import ConfigError, is_int


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


def check_endpoints(endpoints, image, output_stride, encoder, channels=None):
    """Checks that an encoder kept the endpoint contract (`tfseg.encoders`); returns endpoints.

    Args:
        endpoints: what the encoder's builder returned.
        image: the Keras input it was built on.
        output_stride: the output stride it was asked for.
        encoder: its name, for the error message.
        channels: optional `{stride: channels}` the encoder documents (checked where present).

    Returns:
        `endpoints`, unchanged.

    Raises:
        ConfigError: naming the encoder and what is wrong.
    """

    def fail(problem):
        raise ConfigError(f"encoder {encoder!r} broke the endpoint contract: {problem}")

    if not isinstance(endpoints, dict) or not endpoints:
        fail(f"it returned {type(endpoints).__name__}, not a dict {{stride: Endpoint}}")
    for stride, endpoint in endpoints.items():
        if not is_int(stride) or stride < 1:
            fail(f"key {stride!r} is not a stride (a positive integer)")
        if not isinstance(endpoint, Endpoint):
            fail(
                f"endpoint {stride} is a {type(endpoint).__name__}, not an Endpoint "
                "(tfseg.encoders.make_endpoints builds them from {stride: tensor})"
            )
        if endpoint.stride != stride:
            fail(f"the endpoint under key {stride} says stride {endpoint.stride}")
        depth = endpoint.tensor.shape[-1]
        if endpoint.channels != depth:
            fail(f"endpoint {stride} says {endpoint.channels} channels, its tensor has {depth}")
        if channels and stride in channels and channels[stride] != depth:
            fail(f"endpoint {stride} has {depth} channels, its spec documents {channels[stride]}")
    if 1 not in endpoints or endpoints[1].tensor is not image:
        fail("stride 1 must be the input image itself")
    strides = sorted(endpoints)
    for smaller, larger in zip(strides, strides[1:]):
        if larger % smaller:
            fail(f"strides must each divide the next, got {smaller} then {larger}")
    if strides[-1] != output_stride:
        fail(f"it was asked for output stride {output_stride}, its deepest is {strides[-1]}")
    for stride in strides[1:]:
        for index, axis in ((1, "height"), (2, "width")):
            size, got = image.shape[index], endpoints[stride].tensor.shape[index]
            if size is not None and got is not None and got != -(-size // stride):
                fail(
                    f"endpoint {stride} has {axis} {got}, the contract says "
                    f"ceil({size} / {stride}) = {-(-size // stride)}"
                )
    return endpoints
