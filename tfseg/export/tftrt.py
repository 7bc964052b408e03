"""The TF-TRT export: a SavedModel whose network runs as TensorRT engines (NVIDIA GPUs only)."""

import os
import tempfile

import numpy as np
import tensorflow as tf

from tfseg.errors import ConfigError, PlatformError
from tfseg.export.request import ExportResult

PRECISIONS = ("FP32", "FP16", "INT8")


def tensorrt_problem():
    """Why TF-TRT cannot run here (a sentence), or None when it can.

    Checks that this TensorFlow links TensorRT, that the TensorRT libraries load, and that there
    is a GPU. `get_loaded_tensorrt_version()` is never called when the libraries are missing:
    TensorFlow 2.17 aborts the process then.
    """
    try:
        from tensorflow.compiler.tf2tensorrt import _pywrap_py_utils as trt_utils
    except ImportError:
        return f"TensorFlow {tf.__version__} was built without TF-TRT"
    linked = tuple(trt_utils.get_linked_tensorrt_version())
    if linked == (0, 0, 0):
        return f"TensorFlow {tf.__version__} was built without TensorRT"
    if not trt_utils.is_tensorrt_enabled():
        version = ".".join(map(str, linked))
        return f"the TensorRT {version} libraries (libnvinfer.so.{version}) are not installed"
    if not tf.config.list_physical_devices("GPU"):
        return "there is no NVIDIA GPU"
    return None


def export_tftrt(request):
    """Converts the BN-folded fixed-size model with `TrtGraphConverterV2` and saves the result.

    The network takes float32 pixels `[1, H, W, 3]` (signature `serving_default`, input `image`,
    output `logits`); `build()` creates the engine for that shape ahead of time, so engines are
    specific to the GPU that built them. Options: `precision` FP32 / FP16 (default) / INT8
    (calibrated on `calibration_images` images, default 100, of the model's training split),
    `workspace_mb` (default 1024). The converter gets a `TrtConversionParams`, the form TF 2.7
    (NVIDIA's Jetson wheels) also accepts.

    Raises:
        PlatformError: TensorRT or a GPU is missing (names which, and points to the ONNX route).
        ConfigError: an unknown precision, or INT8 without calibration data.
    """
    precision = str(request.option("precision", "FP16")).upper()
    if precision not in PRECISIONS:
        raise ConfigError(f"--precision={precision}: must be one of {', '.join(PRECISIONS)}")
    if precision == "INT8" and request.calibration_images is None:
        raise ConfigError(
            "TF-TRT INT8 needs calibration images from the model's training split; the model "
            "dir's data set was not found (or use --precision=FP16)"
        )
    problem = tensorrt_problem()
    if problem:
        raise PlatformError(
            f"TF-TRT cannot run here: {problem}. It needs TensorFlow <= 2.17 with TensorRT on an "
            "NVIDIA GPU; elsewhere export --format=onnx and build a TensorRT engine from it on the "
            "device (docs/deployment.md)"
        )
    from tensorflow.python.compiler.tensorrt import trt_convert as trt

    height, width = request.input_size
    with tempfile.TemporaryDirectory(dir=request.out_dir) as source:
        _save_fixed_size(request.folded, height, width, source)
        params = trt.TrtConversionParams(
            precision_mode=precision,
            max_workspace_size_bytes=int(request.option("workspace_mb", 1024)) << 20,
            minimum_segment_size=3,
            maximum_cached_engines=1,
            use_calibration=precision == "INT8",
        )
        converter = trt.TrtGraphConverterV2(
            input_saved_model_dir=source,
            input_saved_model_signature_key="serving_default",
            conversion_params=params,
        )
        if precision == "INT8":
            count = int(request.option("calibration_images", 100))
            images = [np.asarray(i, np.float32) for i in request.calibration_images(count)]
            converter.convert(calibration_input_fn=lambda: ((i,) for i in images))
        else:
            converter.convert()
        converter.build(input_fn=lambda: iter([(np.zeros((1, height, width, 3), np.float32),)]))
        converter.save(os.path.join(request.out_dir, "saved_model"))
    return ExportResult(
        files=["saved_model/saved_model.pb"],
        input={"name": "image", "shape": [1, height, width, 3], "dtype": "float32"},
        outputs=[{"name": "logits", "shape": [1, height, width, None], "dtype": "float32"}],
        details={"precision": precision, "workspace_mb": int(request.option("workspace_mb", 1024))},
    )


def _save_fixed_size(model, height, width, path):
    """A float32 `[1, H, W, 3]` -> `logits` SavedModel of `model`, TF-TRT's input."""

    class Forward(tf.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        @tf.function(input_signature=[tf.TensorSpec([1, height, width, 3], tf.float32, "image")])
        def serve(self, image):
            return {"logits": tf.cast(self.model(image, training=False), tf.float32)}

    module = Forward()
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
