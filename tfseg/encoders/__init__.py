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
convolutions with rates 2 and 4. `check_endpoints` enforces the contract wherever `build_model`
builds an encoder. `ENCODERS` maps each name to its `EncoderSpec` (the builder and its facts);
`tfseg.register_encoder` adds one from outside the package.
"""

from tfseg.encoders import mobilenet, resnet18, shufflenet, vgg16
from tfseg.encoders.encoder_spec import EncoderSpec
from tfseg.encoders.endpoint import Endpoint, check_endpoints, make_endpoints

ENCODERS = {
    "vgg16": vgg16.SPEC,
    "resnet18": resnet18.SPEC,
    "mobilenet": mobilenet.SPEC,
    "shufflenet": shufflenet.SPEC,
}

__all__ = ["ENCODERS", "EncoderSpec", "Endpoint", "check_endpoints", "make_endpoints"]
