"""Reads a `.safetensors` file with numpy alone: a JSON header and raw little-endian tensors."""

import json
import os
import struct

import numpy as np

from tfseg.errors import DataError

DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U8": "u1", "BOOL": "?",
}  # fmt: skip
MAX_HEADER_BYTES = 100 << 20


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
        if not 0 < header_size <= min(MAX_HEADER_BYTES, len(data) - 8):
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
                array = np.frombuffer(raw, dtype=DTYPES[spec["dtype"]])
            tensors[name] = array.reshape(shape).copy()
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(f"{path}: bad safetensors entry {name!r} ({error!r})") from error
    return tensors
