"""Decoders: build logits from an encoder's feature-endpoint dict only.

A decoder builder is called as `build(endpoints, num_classes, **options)` and returns the logits
tensor `[B, H, W, num_classes]`, reading strides, channels and the output size (stride 1) from the
endpoints. `DECODERS` maps each name to its `DecoderSpec` (the builder and the encoder output
stride it needs); `tfseg.register_decoder` adds one from outside the package.
"""

from tfseg.decoders.decoder_spec import DecoderSpec
from tfseg.decoders.dilation import build_dilation
from tfseg.decoders.skipnet import build_skipnet
from tfseg.decoders.unet import build_unet

DECODERS = {
    "skipnet": DecoderSpec(build_skipnet),
    "unet": DecoderSpec(build_unet),
    "dilation": DecoderSpec(build_dilation, encoder_output_stride=8),
}

__all__ = ["DECODERS", "DecoderSpec"]
