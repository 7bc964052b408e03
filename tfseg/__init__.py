"""tfseg: real-time semantic segmentation in TensorFlow 2 / Keras 3.

A re-implementation of the RTSeg benchmarking framework: encoders (`ENCODERS`) return a
feature-endpoint dict keyed by output stride, decoders (`DECODERS`) build logits from it, and
`build_model(encoder, decoder, ...)` joins any pair. `register_encoder` / `register_decoder` add
your own (docs/extending.md).

    >>> import tfseg
    >>> model = tfseg.build_model("shufflenet", "skipnet", num_classes=19, input_shape=(360, 640))

The public names are imported on first use, so `import tfseg` (and the `tfseg` command line,
which must configure TensorFlow's logging first) does not import TensorFlow by itself.
"""

from tfseg.lazy_names import lazy_exports as _lazy_exports

__version__ = "0.1.0"

_PUBLIC = {
    "build_model": "tfseg.model_builder",
    "ENCODERS": "tfseg.encoders",
    "DECODERS": "tfseg.decoders",
    "EncoderSpec": "tfseg.encoders",
    "DecoderSpec": "tfseg.decoders",
    "Endpoint": "tfseg.encoders",
    "make_endpoints": "tfseg.encoders",
    "register_encoder": "tfseg.registry",
    "register_decoder": "tfseg.registry",
    "load_plugins": "tfseg.registry",
    "ModelDir": "tfseg.model_dir",
}

__all__ = [*_PUBLIC, "__version__"]


__getattr__, __dir__ = _lazy_exports(__name__, _PUBLIC)
