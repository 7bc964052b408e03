"""Small weight files made on the fly, in the layouts of the real sources (nothing downloads).

Fixtures for the tests in this folder:

* `mobilenet_reference`, `mobilenet_h5`: keras.applications' MobileNet with random weights and
  BN statistics, and its weights in keras.applications' legacy HDF5 layout;
* the writers, each a function fixture (`randomize_batch_norms` is in tests/conftest.py):
  `write_legacy_h5(path, layers, keras1_names=False)`, `write_safetensors(path, tensors)`,
  `fake_chainer_shufflenet(path, seed=2)`, `strip_layer_names(h5)` and `torch_name(layer,
  weight)` (keras-hub's ResNet names to timm's).
"""

import json
import re
import struct

import h5py
import keras
import numpy as np
import pytest

from tfseg.pretrained.convert_shufflenet import _standard_shapes

TORCH_BN = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean"}
TORCH_BN["moving_variance"] = "running_var"
CHAINER_BN = {"gamma": "gamma", "beta": "beta", "moving_mean": "avg_mean"}
CHAINER_BN["moving_variance"] = "avg_var"
CHAINER_PARTS = {
    "bottleneck": "compress_conv1", "bottleneck_bn": "compress_bn1",
    "dw": "dw_conv2", "dw_bn": "dw_bn2", "expand": "expand_conv3", "expand_bn": "expand_bn3",
}  # fmt: skip


def _write_legacy_h5(path, layers, keras1_names=False):
    """Writes `{layer: [(weight name, array)]}` in keras.applications' legacy HDF5 layout.

    Weight names are Keras 2's (`conv_dw_1/depthwise_kernel:0`) or, with `keras1_names`, Keras
    1's (`block1_conv1_W_1:0`), as in the 2016 VGG16 file.
    """
    keras1 = {"kernel": "W", "bias": "b"}
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [name.encode() for name in layers]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.1.2"
        for name, weights in layers.items():
            group = f.create_group(name)
            names = []
            for weight, value in weights:
                if keras1_names:
                    full = f"{name}_{keras1.get(weight, weight)}_1:0"
                else:
                    full = f"{name}/{weight}:0"
                group.create_dataset(full, data=value)
                names.append(full.encode())
            group.attrs["weight_names"] = names


def _keras_layers_as_legacy(model):
    """`{layer: [(weight name, array)]}` of a model, named as Keras 2 (`depthwise_kernel`)."""
    layers = {}
    for layer in model.layers:
        depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
        layers[layer.name] = [
            ("depthwise_kernel" if depthwise and v.name == "kernel" else v.name, np.asarray(v))
            for v in layer.weights
        ]
    return layers


def _write_safetensors(path, tensors):
    """Writes `{name: array}` as a safetensors file (8-byte header size, JSON header, raw data)."""
    dtypes = {"float32": "F32", "int64": "I64", "float16": "F16"}
    header, blobs, offset = {}, [], 0
    for name, value in tensors.items():
        data = np.ascontiguousarray(value).tobytes()
        header[name] = {
            "dtype": dtypes[str(value.dtype)],
            "shape": list(value.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    encoded = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def _torch_name(layer, weight):
    """keras-hub's ResNet layer/weight -> the timm/torchvision name it was ported from.

    `stack{i}_block{j}_{k}_conv` / `_bn` is torch's `layer{i+1}.{j}.conv{k}` / `.bn{k}`, and
    for k = 0 (the projection shortcut) `layer{i+1}.{j}.downsample.0` / `.1`.
    """
    if layer == "conv1_conv":
        return "conv1.weight"
    if layer == "conv1_bn":
        return f"bn1.{TORCH_BN[weight]}"
    m = re.fullmatch(r"stack(\d)_block(\d)_(\d)_(conv|bn)", layer)
    prefix = f"layer{int(m[1]) + 1}.{m[2]}"
    is_conv = m[4] == "conv"
    module = (
        f"{prefix}.downsample.{0 if is_conv else 1}" if m[3] == "0" else f"{prefix}.{m[4]}{m[3]}"
    )
    return f"{module}.{'weight' if is_conv else TORCH_BN[weight]}"


def _fake_chainer_shufflenet(path, seed=2):
    """Writes random weights in imgclsmob's Chainer layout of ShuffleNet v1 g=3 1.0x.

    Returns the `{chainer key: array}` written.
    """
    rng = np.random.default_rng(seed)
    arrays = {}
    for name, shape in _standard_shapes().items():
        layer, weight = name.split("/")
        if layer in ("conv1", "conv1_bn"):
            prefix = "features/init_block/" + ("conv" if layer == "conv1" else "bn")
        else:
            m = re.fullmatch(r"stage(\d)_unit(\d+)_(\w+)", layer)
            prefix = f"features/stage{int(m[1]) - 1}/unit{m[2]}/{CHAINER_PARTS[m[3]]}"
        if weight == "kernel":
            value = rng.normal(size=shape).astype("float32")
            order = (2, 3, 0, 1) if layer.endswith("_dw") else (3, 2, 0, 1)
            arrays[f"{prefix}/W"] = np.transpose(value, order)
        else:
            arrays[f"{prefix}/{CHAINER_BN[weight]}"] = rng.uniform(0.5, 1.5, shape).astype("f4")
            arrays[f"{prefix}/N"] = np.array(100)
    arrays["output/fc/W"] = rng.normal(size=(1000, 960)).astype("float32")
    arrays["output/fc/b"] = np.zeros(1000, "float32")
    np.savez_compressed(path, **arrays)
    return arrays


def _strip_layer_names(h5):
    """Removes the layer names newer Keras 3 versions record, as older versions wrote files."""
    groups = []
    h5.visititems(lambda _, obj: groups.append(obj) if "name" in obj.attrs else None)
    for group in groups:
        del group.attrs["name"]


@pytest.fixture(scope="session")
def write_legacy_h5():
    return _write_legacy_h5


@pytest.fixture(scope="session")
def write_safetensors():
    return _write_safetensors


@pytest.fixture(scope="session")
def torch_name():
    return _torch_name


@pytest.fixture(scope="session")
def fake_chainer_shufflenet():
    return _fake_chainer_shufflenet


@pytest.fixture(scope="session")
def strip_layer_names():
    return _strip_layer_names


@pytest.fixture(scope="session")
def mobilenet_reference(randomize_batch_norms):
    """keras.applications' MobileNet (no download: weights=None) with random BN statistics."""
    keras.utils.set_random_seed(3)
    model = keras.applications.MobileNet(weights=None, include_top=False, input_shape=(64, 64, 3))
    randomize_batch_norms(model)
    return model


@pytest.fixture(scope="session")
def mobilenet_h5(mobilenet_reference, tmp_path_factory):
    """The reference MobileNet's weights in keras.applications' legacy HDF5 layout."""
    path = tmp_path_factory.mktemp("mobilenet") / "mobilenet_1_0_224_tf_no_top.h5"
    _write_legacy_h5(path, _keras_layers_as_legacy(mobilenet_reference))
    return path
