"""Pretrained ImageNet encoders from local files: never downloaded, never unpickled.

`pretrained/manifest.json` lists each encoder's ImageNet weights: the keras.applications HDF5
files for VGG16 and MobileNet, timm's safetensors (or keras-hub's preset) for ResNet-18 and
imgclsmob's Chainer `.npz` for ShuffleNet, with URLs, sizes, published checksums and licences.
They are fetched by hand into `pretrained/` (see `pretrained/README.md`); the last two are first
converted to tfseg names (`python -m tfseg.pretrained.convert_resnet18 SRC DST.npz`,
`python -m tfseg.pretrained.convert_shufflenet SRC DST.npz`).

    >>> path = resolve_pretrained("mobilenet", "auto")  # verifies size and checksum
    >>> report = load_pretrained(model, "mobilenet", path)
    >>> print(report)
    mobilenet: loaded 135 tensors from pretrained/mobilenet_1_0_224_tf_no_top.h5 (keras-h5); ...

Weights are matched by layer name and shape; BatchNorm moving statistics are loaded too.
Pickle-based files (`.pkl`, `.pth`, object `.npy`) are refused without being opened as pickles.

The modules:

* `resolution`: `resolve_pretrained`, from `--pretrained=PATH|auto|none` to a verified file;
* `loader`: `load_pretrained` and the `LoadReport` it returns;
* `manifest`: `read_manifest`, for `pretrained/manifest.json`;
* `encoder_layers`: which model layers an encoder's weights go into, read from its `EncoderSpec`;
* `weight_files`: readers of Keras HDF5, Keras 3, `.npz` and safetensors files, refusing pickles;
* `checksums`: a file's digests, and which manifest source they identify;
* `convert_resnet18`, `convert_shufflenet`: the converter commands; `conversion` holds what they
  share (shape check, reproducible `.npz` writer, command line) and `keras_hub_resnet18` the
  keras-hub graph that names the layers of its `.weights.h5`.
"""

# The converters are not imported here, so that `python -m tfseg.pretrained.convert_<encoder>`
# runs its module once; import them from their modules (tfseg.pretrained.convert_resnet18, ...).
from tfseg.pretrained.loader import LoadReport, load_pretrained
from tfseg.pretrained.manifest import read_manifest
from tfseg.pretrained.resolution import resolve_pretrained

__all__ = ["LoadReport", "load_pretrained", "read_manifest", "resolve_pretrained"]
