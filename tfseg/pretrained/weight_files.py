"""Reads weights files by their content, never by unpickling them.

`read_weight_file` opens the formats `load_pretrained` loads (legacy Keras HDF5, Keras 3
`.weights.h5` / `.keras`, `.npz`); `read_safetensors` reads the safetensors files the ResNet-18
converter takes. Pickle-based files are refused before they are opened.
"""

import contextlib
import io
import json
import os
import struct
import zipfile
from collections.abc import Callable
from typing import NamedTuple

import h5py
import numpy as np

from tfseg.errors import DataError

# Extensions of formats that are (or wrap) Python pickles. Such files are refused before they are
# opened: unpickling runs arbitrary code, and the original TFSegmentation shipped `.pkl` weights.
PICKLE_EXTENSIONS = (".pkl", ".pickle", ".pt", ".pth", ".joblib")
# The npz entry where the converters record their source (see `conversion.write_weights_npz`).
SOURCE_RECORD_KEY = "__tfseg_source__"
SAFETENSORS_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U8": "u1", "BOOL": "?",
}  # fmt: skip
MAX_SAFETENSORS_HEADER_BYTES = 100 << 20


class WeightEntry(NamedTuple):
    """One tensor of a weights file: its name there and a function that reads its values."""

    name: str
    read: Callable[[], np.ndarray]


class WeightFile(NamedTuple):
    """An open weights file: `{layer name: [WeightEntry, ...]}` in file order."""

    path: str
    format: str
    layers: dict
    metadata: dict


@contextlib.contextmanager
def read_weight_file(path):
    """Opens a weights file and lists its tensors by layer, reading values only on demand.

    Formats, recognized by content:

    * `keras-h5`: the legacy Keras HDF5 layout of the keras.applications files (`layer_names`
      on the root or on `model_weights`, `weight_names` on each layer group);
    * `keras3-weights-h5`: Keras 3 `.weights.h5` (`layers/<key>/vars/<i>`). Layers are named by
      the `name` attribute that newer Keras versions write on each `vars` group, else by `<key>`;
      a `.keras` archive is read through the `model.weights.h5` inside it;
    * `npz`: `<layer>/<weight>` keys (e.g. `conv1/kernel`), loaded with `allow_pickle=False`.

    Pickle-based files (`.pkl`, `.pt`, `.pth`, `.npy` with objects, PyTorch zip archives) are
    refused without being unpickled.

    Args:
        path: the weights file.

    Yields:
        A `WeightFile`; its entries can be read until the `with` block ends.

    Raises:
        DataError: the file is missing, unreadable, pickle-based or of an unknown format; the
            message names the file.

    Example:
        >>> with read_weight_file("pretrained/mobilenet_1_0_224_tf_no_top.h5") as weights:
        ...     [entry.name for entry in weights.layers["conv1_bn"]][:2]
        ['conv1_bn/gamma:0', 'conv1_bn/beta:0']
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise DataError(f"pretrained weights file {path} is a folder, not a file")
    if not os.path.isfile(path):
        raise DataError(f"pretrained weights file {path} does not exist")
    try:
        pickled = path.lower().endswith(PICKLE_EXTENSIONS) or _is_pickle(path)
        kind = "hdf5" if h5py.is_hdf5(path) else "zip" if zipfile.is_zipfile(path) else None
    except OSError as error:
        raise DataError(f"{path}: cannot read ({error})") from error
    if pickled:
        raise DataError(
            f"{path} is a Python pickle (or a PyTorch file built on one); tfseg never unpickles "
            "files, since loading a pickle runs arbitrary code. Use an HDF5 (.h5), .npz or "
            "safetensors source instead (see pretrained/README.md)"
        )
    if kind is None:
        raise DataError(_unknown_format_message(path))
    with contextlib.ExitStack() as stack:
        if kind == "hdf5":
            yield _read_hdf5(path, _open_hdf5(path, path, stack))
        else:
            yield _read_zip(path, stack)


def _is_pickle(path):
    with open(path, "rb") as f:
        head = f.read(9)
    # Protocol 2+ pickles start with the PROTO opcode and the protocol number (a safetensors
    # header length can start so too, but its JSON header follows at byte 8).
    proto = len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5
    return proto and head[8:9] != b"{"


def _unknown_format_message(path):
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(b"\x93NUMPY"):
        try:
            with open(path, "rb") as f:
                version = np.lib.format.read_magic(f)
                read_header = {
                    (1, 0): np.lib.format.read_array_header_1_0,
                    (2, 0): np.lib.format.read_array_header_2_0,
                }.get(version)
                dtype = read_header(f)[2] if read_header else None
        except ValueError:
            dtype = None
        if dtype is not None and dtype.hasobject:
            return (
                f"{path} is a .npy file of Python objects (a pickle); tfseg never unpickles files "
                "since that runs arbitrary code. Save the weights as an .npz of plain arrays"
            )
        return f"{path} is a single .npy array, not a weights file; use an .npz of named arrays"
    if len(head) >= 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] < 1 << 30:
        return (
            f"{path} looks like a safetensors file; convert it to tfseg names first "
            "(python -m tfseg.pretrained.convert_resnet18 SRC DST.npz, see pretrained/README.md)"
        )
    return (
        f"{path}: unrecognized weights format (expected a Keras .h5 / .weights.h5 / .keras file "
        "or an .npz)"
    )


def _open_hdf5(path, source, stack):
    try:
        return stack.enter_context(h5py.File(source, "r"))
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: unreadable HDF5 file ({error})") from error


def _read_hdf5(path, h5):
    root = h5
    if not _has_attribute(root, "layer_names") and "model_weights" in root:
        root = root["model_weights"]  # a legacy full-model .h5 (architecture + weights)
    if _has_attribute(root, "layer_names"):
        return WeightFile(path, "keras-h5", _legacy_layers(path, root), dict(root.attrs))
    if "layers" in h5 or "vars" in h5 or "_layer_checkpoint_dependencies" in h5:
        return WeightFile(path, "keras3-weights-h5", _keras3_layers(path, h5), {})
    raise DataError(f"{path}: an HDF5 file, but not a Keras weights file (no layer_names, no vars)")


def _has_attribute(group, name):
    # Keras splits attributes larger than 64 kB into `name0`, `name1`, ...
    return name in group.attrs or f"{name}0" in group.attrs


def _string_list_attribute(group, name):
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, chunk = [], 0
        while f"{name}{chunk}" in group.attrs:
            values.extend(group.attrs[f"{name}{chunk}"])
            chunk += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _dataset_reader(path, dataset_path, dataset):
    def read():
        try:
            return np.asarray(dataset[()])
        except (OSError, ValueError, TypeError) as error:
            raise DataError(f"{path}: cannot read {dataset_path} ({error})") from error

    return read


def _legacy_layers(path, root):
    layers = {}
    for layer_name in _string_list_attribute(root, "layer_names"):
        if layer_name not in root:
            raise DataError(f"{path}: layer {layer_name!r} is listed but missing")
        group = root[layer_name]
        entries = []
        for weight_name in _string_list_attribute(group, "weight_names"):
            if weight_name not in group:
                raise DataError(f"{path}: weight {layer_name}/{weight_name} is listed but missing")
            dataset = group[weight_name]
            entries.append(WeightEntry(weight_name, _dataset_reader(path, weight_name, dataset)))
        layers[layer_name] = entries
    return layers


def _keras3_layers(path, h5):
    """`{layer name: entries}` from every `.../vars` group except the optimizer's."""
    groups = []

    def visit(name, obj):
        parts = name.split("/")
        is_vars = isinstance(obj, h5py.Group) and len(parts) > 1 and parts[-1] == "vars"
        if is_vars and parts[0] != "optimizer":
            groups.append((name, obj))

    h5.visititems(visit)
    layers = {}
    for name, group in groups:
        label = group.attrs.get("name", name.split("/")[-2])
        label = label.decode("utf8") if isinstance(label, bytes) else str(label)
        keys = sorted((k for k in group if k.isdigit()), key=int)
        if label in layers or not keys:
            continue
        layers[label] = [
            WeightEntry(f"vars/{k}", _dataset_reader(path, f"{name}/{k}", group[k])) for k in keys
        ]
    return layers


def _read_zip(path, stack):
    archive = stack.enter_context(zipfile.ZipFile(path))
    names = archive.namelist()
    if any(n.endswith((".pkl", "/data.pkl")) for n in names):
        raise DataError(
            f"{path} is a PyTorch (pickle-based) archive; tfseg never unpickles files since that "
            "runs arbitrary code. Use a safetensors, HDF5 or .npz source instead"
        )
    if "model.weights.h5" in names:  # a .keras archive
        data = io.BytesIO(archive.read("model.weights.h5"))
        return _read_hdf5(path, _open_hdf5(path, data, stack))
    if names and all(n.endswith(".npy") for n in names):
        return _read_npz(path, stack)
    raise DataError(f"{path}: a zip archive, but neither an .npz nor a .keras file")


def _read_npz(path, stack):
    try:
        npz = stack.enter_context(np.load(path, allow_pickle=False))
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: unreadable .npz file ({error})") from error

    def reader(key):
        def read():
            try:
                return npz[key]
            except ValueError as error:  # object arrays: numpy refuses them without pickle
                raise DataError(
                    f"{path}: entry {key!r} holds Python objects (a pickle); refused ({error})"
                ) from error

        return read

    layers, metadata = {}, {}
    for key in npz.files:
        if key.startswith("__"):
            if key == SOURCE_RECORD_KEY:
                try:
                    metadata["source"] = json.loads(str(reader(key)().reshape(-1)[0]))
                except json.JSONDecodeError as error:
                    raise DataError(f"{path}: malformed {key} record ({error})") from error
            continue
        layer, _, weight = key.rpartition("/")
        if not layer or not weight:
            raise DataError(f"{path}: entry {key!r} is not named <layer>/<weight>")
        layers.setdefault(layer, []).append(WeightEntry(key, reader(key)))
    return WeightFile(path, "npz", layers, metadata)


def read_safetensors(path):
    """Returns every tensor of a safetensors file as a numpy array.

    The format is 8 bytes of header length, a JSON header (`name -> dtype, shape, data_offsets`)
    and the raw tensor bytes; it holds no code, so reading it is safe. bfloat16 is widened to
    float32.

    Args:
        path: the `.safetensors` file (e.g. timm's `model.safetensors`).

    Returns:
        `{name: np.ndarray}` in file order.

    Raises:
        DataError: the file is not a valid safetensors file (the message names it).

    Example:
        >>> read_safetensors("model.safetensors")["conv1.weight"].shape
        (64, 3, 7, 7)
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    try:
        (header_size,) = struct.unpack("<Q", data[:8])
        if not 0 < header_size <= min(MAX_SAFETENSORS_HEADER_BYTES, len(data) - 8):
            raise ValueError(f"bad header size {header_size}")
        header = json.loads(data[8 : 8 + header_size])
    except (struct.error, ValueError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not a safetensors file ({error})") from error
    if not isinstance(header, dict):
        raise DataError(f"{path}: not a safetensors file (its header is not a JSON object)")
    body = memoryview(data)[8 + header_size :]
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        try:
            begin, end = spec["data_offsets"]
            shape = tuple(int(d) for d in spec["shape"])
            raw = body[begin:end]
            if spec["dtype"] == "BF16":
                bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
                array = bits.view(np.float32)
            else:
                array = np.frombuffer(raw, dtype=SAFETENSORS_DTYPES[spec["dtype"]])
            tensors[name] = array.reshape(shape).copy()
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(f"{path}: bad safetensors entry {name!r} ({error!r})") from error
    return tensors
