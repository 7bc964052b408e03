"""Decoders: build logits from an encoder's feature-endpoint dict only.

A decoder builder is called as `build(endpoints, num_classes, **options)` and returns the logits
tensor `[B, H, W, num_classes]`, reading strides, channels and the output size (stride 1) from the
endpoints. `ENCODER_OUTPUT_STRIDE` says which encoder output stride each decoder expects.
"""

from tfseg.decoders.dilation import build_dilation
from tfseg.decoders.skipnet import build_skipnet
from tfseg.decoders.unet import build_unet

DECODERS = {
    "skipnet": build_skipnet,
    "unet": build_unet,
    "dilation": build_dilation,
}

ENCODER_OUTPUT_STRIDE = {"skipnet": 32, "unet": 32, "dilation": 8}

__all__ = ["DECODERS", "ENCODER_OUTPUT_STRIDE"]
