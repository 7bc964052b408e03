"""Converts ImageNet ResNet-18 weights to an `.npz` with tfseg's layer names.

Usage: `python -m tfseg.pretrained.convert_resnet18 SRC DST.npz`, where SRC is either

* a safetensors file with torchvision / timm names (`conv1.weight`, `layer1.0.bn1.running_mean`,
  ...), e.g. timm's `resnet18.a1_in1k` `model.safetensors`, the weights keras-hub's
  `resnet_18_imagenet` preset was ported from; or
* keras-hub's `resnet_18_imagenet` preset: its `model.weights.h5` (Keras 3, HDF5), or the preset
  folder holding it.

Neither format can run code when read. PyTorch `.pth` files are pickles and are refused.
"""

import re
import sys
from pathlib import Path

import h5py
import numpy as np

from tfseg.errors import DataError
from tfseg.pretrained.checksums import file_digests
from tfseg.pretrained.conversion import check_tensor_shapes, run_converter, write_weights_npz
from tfseg.pretrained.weight_files import read_safetensors

BN_WEIGHTS = ("gamma", "beta", "moving_mean", "moving_variance")
BN_FROM_TORCH = dict(zip(("weight", "bias", "running_mean", "running_var"), BN_WEIGHTS))
# Classes whose weights a ResNet-18 file must not have more of than the model (see the replica).
WEIGHTED_KEYS = re.compile(r"(conv2d|batch_normalization)(_\d+)?")


def convert_resnet18(src, dst):
    """Converts a ResNet-18 ImageNet weights file to an `.npz` keyed by tfseg names.

    Torch convolution kernels `[out, in, h, w]` become Keras' `[h, w, in, out]`; BatchNorm
    `weight, bias, running_mean, running_var` become `gamma, beta, moving_mean,
    moving_variance`; `layer{i}.{j}` becomes `conv{i+1}_block{j+1}`, its `downsample` the
    projection shortcut `_0_conv`. The classifier (`fc`) is dropped. The result has the 100
    tensors of tfseg's ResNet-18 encoder, each checked for shape, and records the source's name,
    size and checksums so that `resolve_pretrained` can verify it.

    Args:
        src: timm/torchvision-named `.safetensors`, or keras-hub's `model.weights.h5` (or its
            preset folder).
        dst: the `.npz` to write (e.g. `pretrained/resnet18_imagenet.npz`).

    Returns:
        The source record written into the file: `file`, `format`, `size_bytes`, `sha256`,
        `sha1`, `md5`, `tensors`.

    Raises:
        DataError: unreadable source, or not a ResNet-18 (missing tensors or wrong shapes).

    Example:
        >>> convert_resnet18("resnet18.a1_in1k.safetensors", "pretrained/resnet18_imagenet.npz")
        {'file': 'resnet18.a1_in1k.safetensors', 'format': 'safetensors', ..., 'tensors': 100}
    """
    src = Path(src)
    if src.is_dir():
        src = src / "model.weights.h5"
    if not src.is_file():
        raise DataError(f"ResNet-18 source {src} does not exist")
    if h5py.is_hdf5(src):
        tensors, kind = _from_keras_hub(src), "keras-hub-weights-h5"
    else:
        tensors, kind = _from_torch_names(read_safetensors(src)), "safetensors"
    _check(tensors, src)
    record = {
        "file": src.name,
        "format": kind,
        "converter": "tfseg.pretrained.convert_resnet18",
        "tensors": len(tensors),
        **file_digests(src),
    }
    write_weights_npz(dst, tensors, record)
    return record


def _expected_shapes():
    """`{tensor name: shape}` of tfseg's ResNet-18 encoder."""
    shapes = {}

    def conv(name, shape):
        shapes[f"{name}/kernel"] = shape
        shapes.update({f"{name}_bn/{w}": (shape[-1],) for w in BN_WEIGHTS})

    conv("conv1_conv", (7, 7, 3, 64))
    channels = 64
    for stage, filters in zip(range(2, 6), (64, 128, 256, 512)):
        for block in (1, 2):
            name = f"conv{stage}_block{block}"
            if block == 1 and channels != filters:
                conv(f"{name}_0_conv", (1, 1, channels, filters))
            conv(f"{name}_1_conv", (3, 3, channels if block == 1 else filters, filters))
            conv(f"{name}_2_conv", (3, 3, filters, filters))
        channels = filters
    return shapes


def _from_torch_names(tensors):
    converted = {}
    for key, value in tensors.items():
        name = _torch_to_tfseg(key.removeprefix("module."))
        if name is not None:
            converted[name] = np.transpose(value, (2, 3, 1, 0)) if value.ndim == 4 else value
    return converted


def _torch_to_tfseg(key):
    module, _, weight = key.rpartition(".")
    if module == "conv1":
        layer = "conv1_conv"
    elif module == "bn1":
        layer = "conv1_conv_bn"
    else:
        m = re.fullmatch(r"layer([1-4])\.(\d+)\.(?:conv([12])|bn([12])|downsample\.([01]))", module)
        if m is None:
            return None  # fc.*, or not a ResNet tensor
        prefix = f"conv{int(m[1]) + 1}_block{int(m[2]) + 1}"
        if m[3]:
            layer = f"{prefix}_{m[3]}_conv"
        elif m[4]:
            layer = f"{prefix}_{m[4]}_conv_bn"
        else:
            layer = f"{prefix}_0_conv" + ("_bn" if m[5] == "1" else "")
    if layer.endswith("_bn"):
        return f"{layer}/{BN_FROM_TORCH[weight]}" if weight in BN_FROM_TORCH else None
    return f"{layer}/kernel" if weight == "weight" else None


def _keras_hub_to_tfseg(layer, weight):
    if layer in ("conv1_conv", "conv1_bn"):
        return f"conv1_conv{'_bn' if layer == 'conv1_bn' else ''}/{weight}"
    m = re.fullmatch(r"stack(\d)_block(\d)_(\d)_(conv|bn)", layer)
    suffix = "_bn" if m[4] == "bn" else ""
    return f"conv{int(m[1]) + 2}_block{int(m[2]) + 1}_{m[3]}_conv{suffix}/{weight}"


def _snake_case(class_name):
    """Keras' key for a class in a `.weights.h5` (`BatchNormalization` -> `batch_normalization`)."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _unique_key(base, counts):
    """Keras numbers repeated classes `conv2d`, `conv2d_1`, `conv2d_2`, ... in layer order."""
    if base in counts:
        counts[base] += 1
        return f"{base}_{counts[base]}"
    counts[base] = 0
    return base


def _from_keras_hub(src):
    from tfseg.pretrained.keras_hub_resnet18 import keras_hub_resnet18

    replica = keras_hub_resnet18()
    converted, counts, used = {}, {}, set()
    try:
        with h5py.File(src, "r") as h5:
            for layer in replica.layers:
                key = _unique_key(_snake_case(type(layer).__name__), counts)
                if not layer.weights:
                    continue
                group = _vars_group(h5, key)
                if group is None:
                    raise DataError(
                        f"{src}: no layers/{key}/vars, so not keras-hub's ResNet-18 "
                        "model.weights.h5 (a Keras 3 weights file of that graph)"
                    )
                used.add(key)
                _check_recorded_name(src, key, group, layer.name)
                for index, variable in enumerate(layer.weights):
                    if str(index) not in group:
                        raise DataError(f"{src}: layers/{key}/vars/{index} is missing")
                    value = np.asarray(group[str(index)][()])
                    if value.shape != tuple(variable.shape):
                        raise DataError(
                            f"{src}: layers/{key}/vars/{index} has shape {value.shape}, "
                            f"keras-hub's {variable.path} {tuple(variable.shape)}: not a ResNet-18 "
                            "file"
                        )
                    converted[_keras_hub_to_tfseg(layer.name, variable.name)] = value
            extra = sorted(k for k in h5.get("layers", {}) if WEIGHTED_KEYS.fullmatch(k))
            extra = [k for k in extra if k not in used and len(h5["layers"][k].get("vars", {}))]
    except OSError as error:
        raise DataError(f"{src}: unreadable HDF5 file ({error})") from error
    if extra:
        raise DataError(f"{src}: has layers a ResNet-18 does not ({', '.join(extra[:4])}, ...)")
    return converted


def _vars_group(h5, key):
    for path in (f"layers/{key}/vars", f"_layer_checkpoint_dependencies/{key}/vars"):
        if path in h5:
            return h5[path]
    return None


def _check_recorded_name(src, key, group, expected):
    """Newer Keras versions record each layer's name; it must be the replica's."""
    recorded = group.attrs.get("name")
    if isinstance(recorded, bytes):
        recorded = recorded.decode("utf8")
    if recorded is not None and recorded != expected:
        raise DataError(
            f"{src}: layers/{key} holds layer {recorded!r} where keras-hub's ResNet-18 has "
            f"{expected!r}; not that model's weights file"
        )


def _check(tensors, src):
    check_tensor_shapes(tensors, _expected_shapes(), src, "an ImageNet ResNet-18 weights file")


def main(argv=None):
    """Command line: `python -m tfseg.pretrained.convert_resnet18 SRC DST.npz`."""
    return run_converter("resnet18", convert_resnet18, __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
