"""Every exported artifact as the same `segment(images) -> class_ids` callable.

`load_runtime(path)` opens a SavedModel folder, a frozen `.pb`, a `.tflite`, an `.onnx` or a
`.keras` file (or an export folder holding `export.json`) as a `Runtime`: `segment` takes uint8
RGB images of any size and returns train ids, with the pre- and post-processing of
`tfseg.inference.Segmenter`; `logits` runs the artifact's own forward pass. `tfseg evaluate
--artifact` and `tfseg predict --artifact` measure and use artifacts through it, with the same
metrics and writers as the Keras model.
"""

import json
import os

from tfseg.errors import ConfigError, DataError
from tfseg.runtimes.runtime import Runtime

# file suffix -> format; a folder with saved_model.pb is a SavedModel
SUFFIXES = {".pb": "frozen_graph", ".tflite": "tflite", ".onnx": "onnx", ".keras": "keras"}
SUFFIXES[".xml"] = "openvino"  # OpenVINO IR: model.xml, its weights in model.bin beside it
MANIFEST = "export.json"


def load_runtime(path, *, threads=None):
    """Opens an artifact (or a Keras model file) for inference.

    Args:
        path: a file (`.pb`, `.tflite`, `.onnx`, `.keras`), a SavedModel folder, or an export
            folder with `export.json` (its main file is opened).
        threads: CPU threads for TFLite and onnxruntime (default: all cores).

    Returns:
        A `Runtime`.

    Raises:
        ConfigError: a path that is no known kind of artifact.
        DataError: a missing, corrupt or foreign file (named).

    Example:
        >>> runtime = load_runtime("runs/skipnet_shufflenet/export/tflite/model_int8.tflite")
        >>> runtime.segment(images).shape   # uint8 [B, H, W, 3] -> [B, H, W]
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError(f"--artifact={path} does not exist")
    manifest = read_manifest(path)
    if os.path.isdir(path):
        if manifest and manifest.get("format") == "tftrt":
            return _saved_model(os.path.join(path, "saved_model"), manifest)
        if manifest and manifest.get("format") != "saved_model":
            return load_runtime(os.path.join(path, manifest["artifact"]), threads=threads)
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            raise ConfigError(
                f"--artifact={path}: a folder without saved_model.pb or export.json is no artifact"
            )
        return _saved_model(path, manifest)
    kind = SUFFIXES.get(os.path.splitext(path)[1].lower())
    if os.path.basename(path) == "saved_model.pb":
        return _saved_model(os.path.dirname(path) or ".", manifest)
    if kind is None:
        raise ConfigError(
            f"--artifact={path}: unknown kind of artifact; expected a SavedModel folder or a "
            f"{', '.join(SUFFIXES)} file"
        )
    if kind == "frozen_graph":
        from tfseg.runtimes.frozen_graph import FrozenGraphRuntime

        return FrozenGraphRuntime(path)
    if kind == "tflite":
        from tfseg.runtimes.tflite import TFLiteRuntime

        return TFLiteRuntime(path, threads=threads)
    if kind == "onnx":
        from tfseg.runtimes.onnxruntime import OnnxRuntime

        return OnnxRuntime(path, threads=threads)
    if kind == "openvino":
        from tfseg.runtimes.openvino import OpenVinoRuntime

        return OpenVinoRuntime(path, threads=threads)
    return _keras(path)


def read_manifest(path):
    """The `export.json` of an artifact folder, or next to an artifact file; None if absent."""
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    manifest_path = os.path.join(folder or ".", MANIFEST)
    if not os.path.isfile(manifest_path):
        return None
    try:
        with open(manifest_path) as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        raise DataError(f"{manifest_path}: unreadable ({error})") from None


def _saved_model(path, manifest):
    from tfseg.runtimes.saved_model import SavedModelRuntime

    if not manifest:
        raise DataError(f"{path}: a SavedModel without export.json (tfseg writes one beside it)")
    return SavedModelRuntime(path, manifest["input_size"], manifest["model"]["num_classes"])


def _keras(path):
    import keras

    from tfseg.runtimes.keras_model import KerasRuntime

    try:
        model = keras.saving.load_model(path)
    except Exception as error:  # Keras raises many kinds for a bad file
        raise DataError(f"{path}: not a loadable Keras model ({type(error).__name__})") from None
    return KerasRuntime(model, path)


__all__ = ["Runtime", "load_runtime", "read_manifest"]
