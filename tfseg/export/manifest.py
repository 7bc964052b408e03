"""`export.json`: what an exported artifact is, takes, returns and was checked against."""

import datetime
import hashlib
import os
import platform

import tfseg
from tfseg.io import write_json

MANIFEST = "export.json"


def manifest(fmt, result, identity, colors, options, *, checkpoint, input_size):
    """The `export.json` dict of one artifact (without `parity`, which is measured after).

    Args:
        fmt: the export format.
        result: the exporter's `ExportResult`.
        identity: the model dir's model identity (`config.json` `"model"`).
        colors: the data set's class colours (`config.json` `"data"`), or None.
        options: the export options given.
        checkpoint: `best` or `last`.
        input_size: `(height, width)` the network runs at.

    Returns:
        A JSON-ready dict; `write_manifest` adds the files' sizes and checksums.
    """
    names = identity["class_names"]
    colors = colors or [[0, 0, 0]] * len(names)
    return {
        "format": fmt,
        "artifact": result.files[0],
        "tfseg_version": tfseg.__version__,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "model": {
            "name": f"{identity['decoder']}_{identity['encoder']}",
            "encoder": identity["encoder"],
            "decoder": identity["decoder"],
            "decoder_options": identity.get("decoder_options", {}),
            "num_classes": len(names),
            "trained_size": [identity["height"], identity["width"]],
            "checkpoint": checkpoint,
        },
        "input_size": list(input_size),
        "input": {
            **result.input,
            "layout": "NHWC",
            "color": "RGB",
            "range": [0, 255],
            "resize": result.resize,
            "normalization": "inside the model",
        },
        "outputs": result.outputs,
        "classes": [
            {"name": name, "train_id": i, "color": list(color)}
            for i, (name, color) in enumerate(zip(names, colors))
        ],
        "options": dict(options),
        "details": result.details,
        "versions": versions(),
        **result.manifest,
    }


def versions():
    """Versions of what wrote the artifact (and can read it)."""
    import keras
    import numpy as np
    import tensorflow as tf

    found = {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }
    for module in ("tf2onnx", "onnx", "onnxruntime"):
        try:
            found[module] = __import__(module).__version__
        except ImportError:
            pass
    return found


def write_manifest(out_dir, data):
    """Adds `files` (bytes and sha256 of every file in `out_dir`) and writes `export.json`."""
    files = {}
    for folder, _, names in sorted(os.walk(out_dir)):
        for name in sorted(names):
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, out_dir)
            if relative != MANIFEST:
                files[relative] = {"bytes": os.path.getsize(path), "sha256": _sha256(path)}
    main = data["artifact"]
    data["files"] = {main: files.pop(main), **files} if main in files else files
    write_json(os.path.join(out_dir, MANIFEST), data)
    return data


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
