"""`DecoderSpec`: a decoder's builder and the encoder output stride it needs."""

import dataclasses
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class DecoderSpec:
    """A decoder as `build_model` uses it.

    Attributes:
        build: `build(endpoints, num_classes, *, weight_decay=5e-4, **options) -> logits`; its
            keyword-only parameters are the decoder's options.
        encoder_output_stride: the output stride the encoder is built at for this decoder (32,
            or 8 / 16 for decoders on dilated features).

    Example:
        >>> tfseg.register_decoder("tiny", DecoderSpec(build_tiny_decoder))
    """

    build: Callable
    encoder_output_stride: int = 32
