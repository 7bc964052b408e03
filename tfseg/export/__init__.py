"""Export: a trained model dir -> SavedModel, frozen GraphDef (+ 8-bit weights), TFLite, ONNX,
TF-TRT and Jetson-bundle artifacts, each with an `export.json` that says what it takes and
returns, and how closely it follows the Keras model on validation images (`tfseg export`;
docs/deployment.md).

Each format's module has one `export_<format>(request: ExportRequest) -> ExportResult`;
`export(model_dir, format, ...)` does the rest (BatchNorm folding, the fixed size, a temporary
folder renamed at the end, calibration images, `export.json`, parity). Heavy converters (tf2onnx,
TF-TRT, the TFLite converter) are imported only when their format is asked for.
"""

import importlib

from tfseg.export.exporter import export
from tfseg.export.request import ExportRequest, ExportResult


def _lazy(module, function):
    def run(request):
        return getattr(importlib.import_module(f"tfseg.export.{module}"), function)(request)

    run.__name__ = function
    return run


EXPORTERS = {
    "saved_model": _lazy("saved_model", "export_saved_model"),
    "frozen_graph": _lazy("frozen_graph", "export_frozen_graph"),
    "tflite": _lazy("tflite", "export_tflite"),
    "onnx": _lazy("onnx", "export_onnx"),
    "openvino": _lazy("openvino", "export_openvino"),
    "tftrt": _lazy("tftrt", "export_tftrt"),
    "jetson": _lazy("jetson", "export_jetson"),
}


def available_formats():
    """The formats this machine can write (`--format=all`): TF-TRT needs TensorRT and a GPU,
    ONNX the `onnx` extra."""
    from tfseg.export.tftrt import tensorrt_problem

    formats = ["saved_model", "frozen_graph", "tflite"]
    if importlib.util.find_spec("tf2onnx") is not None:
        formats += ["onnx", "jetson"]
    formats += ["openvino"] if "onnx" in formats and importlib.util.find_spec("openvino") else []
    if tensorrt_problem() is None:
        formats.append("tftrt")
    return formats


__all__ = ["EXPORTERS", "ExportRequest", "ExportResult", "available_formats", "export"]
