"""Encoders: Keras functional builders that return a feature-endpoint dict.

Contract. An encoder builder is called as `build(image, output_stride=32, weight_decay=5e-4)`
on a Keras input `[B, H, W, 3]` holding an RGB image in 0..255 (the encoder's own normalization is
the first layer, so exported models take raw images). It returns `{stride: Endpoint}`:

* key 1 is the input image itself (decoders read the output size from it);
* keys 2, 4, 8, 16, 32 (up to `output_stride`) hold the *last* feature map at that stride, of
  size `ceil(H / stride) x ceil(W / stride)`;
* each `Endpoint` carries `tensor`, `channels` and `stride`, so decoders are built from this
  metadata and never from layer names.

`output_stride` 8 (the Dilation decoder) or 16 replaces the later downsampling steps by dilated
convolutions with rates 2 and 4.
"""

from tfseg.encoders.endpoint import Endpoint
from tfseg.encoders.mobilenet import build_mobilenet
from tfseg.encoders.resnet18 import build_resnet18
from tfseg.encoders.shufflenet import build_shufflenet
from tfseg.encoders.vgg16 import build_vgg16

ENCODERS = {
    "vgg16": build_vgg16,
    "resnet18": build_resnet18,
    "mobilenet": build_mobilenet,
    "shufflenet": build_shufflenet,
}

__all__ = ["ENCODERS", "Endpoint"]
