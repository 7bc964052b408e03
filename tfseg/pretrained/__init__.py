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
"""

# The converters are not imported here, so that `python -m tfseg.pretrained.convert_<encoder>`
# runs its module once; import them from their modules (tfseg.pretrained.convert_resnet18, ...).
from tfseg.pretrained.encoder_layers import encoder_layers
from tfseg.pretrained.file_digests import file_digests
from tfseg.pretrained.load_pretrained import load_pretrained
from tfseg.pretrained.load_report import LoadReport
from tfseg.pretrained.read_manifest import read_manifest
from tfseg.pretrained.read_weight_file import read_weight_file
from tfseg.pretrained.resolve_pretrained import resolve_pretrained

__all__ = [
    "LoadReport",
    "encoder_layers",
    "file_digests",
    "load_pretrained",
    "read_manifest",
    "read_weight_file",
    "resolve_pretrained",
]
