"""`EncoderSpec`: everything tfseg knows about one encoder, kept next to its builder."""

import dataclasses
from collections.abc import Callable, Mapping

from tfseg.layers import Normalization


@dataclasses.dataclass(frozen=True)
class EncoderSpec:
    """An encoder's builder and the facts other parts of tfseg read about it.

    Each encoder module ends with one `SPEC`; `tfseg.register_encoder` adds one from outside.

    Attributes:
        build: `build(image, output_stride=32, weight_decay=5e-4) -> {stride: Endpoint}` on a
            Keras input holding RGB 0..255 (see `tfseg.encoders` for the contract).
        normalization: what its weights expect of the image (the builder applies it as its first
            layer), or None.
        output_strides: the output strides it can be built at (8 and 16 by dilation); decoders
            ask for one of them.
        channels: the channels of its endpoints at output stride 32, `{stride: channels}`, as
            documented; checked whenever the encoder is built at output stride 32.
        layer_pattern: a regular expression that fully matches the name of every weighted layer
            of the encoder and of no decoder layer; pretrained weights load into these. None: no
            pretrained weights.
        layer_aliases: `{name in a weights file: layer name}` where the two differ.
        manifest_key: its entry in `pretrained/manifest.json`, or None.
        decoder_options: `{decoder: options}` the RTSeg paper used with this encoder; explicit
            options given to `build_model` override them.

    Example:
        >>> spec = EncoderSpec(build=build_tiny, output_strides=(32,))
        >>> tfseg.register_encoder("tiny", spec)
    """

    build: Callable
    normalization: Normalization | None = None
    output_strides: tuple = (8, 16, 32)
    channels: Mapping[int, int] = dataclasses.field(default_factory=dict)
    layer_pattern: str | None = None
    layer_aliases: Mapping[str, str] = dataclasses.field(default_factory=dict)
    manifest_key: str | None = None
    decoder_options: Mapping[str, Mapping] = dataclasses.field(default_factory=dict)
