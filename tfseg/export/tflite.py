"""The TFLite export: float, float16-weight, dynamic-range and full-integer `.tflite` models."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

from tfseg.errors import ConfigError, check_int

QUANTIZATIONS = ("float", "fp16", "dynamic", "int8")
OUTPUT_TYPES = ("float32", "int8")  # of full-integer models
SIGNATURE = "serve"
# How many of the child's last stderr lines a failure quotes, leaving out TensorFlow's info and
# warning log lines (absl's `W0000 00:00:...` and TensorFlow's `2026-01-01 00:00:00.0: I ...`),
# tracebacks' frames and source lines.
_ERROR_LINES = 4
_NOISE = re.compile(
    r"^([IW]\d{4} |\d{4}-\d\d-\d\d [\d:.]+: [IW] |WARNING: All log messages|Traceback |  )"
)

# The child loads this file alone, not the `tfseg.export` package (which imports Keras).
_CHILD = (
    "import importlib.util, sys; "
    "spec = importlib.util.spec_from_file_location('tfseg_tflite_converter', sys.argv[1]); "
    "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module); "
    "module._convert(sys.argv[2])"
)


def export_tflite(request):
    """Converts the BN-folded model at a fixed `[1, H, W, 3]` into `model_<quantization>.tflite`.

    The model is written as a float32-input SavedModel (`keras.export.ExportArchive`, endpoint
    `serve`: `image` -> `logits`) in a temporary folder of `request.out_dir`, and a child Python
    process converts it with `tf.lite.TFLiteConverter.from_saved_model`: the converter can abort
    the whole process on a graph it cannot handle, so it never runs in the caller's. Only the
    `.tflite` file is left. Options:

    * `quantization`: `float` (default), `fp16` (float16 weights, float computation), `dynamic`
      (int8 weights, activations quantized on the fly) or `int8` (full integer, calibrated).
    * `calibration_images` (int8, default 100): how many images of the model's training split
      (`request.calibration_images`) calibrate the activation ranges.
    * `output_type` (int8 only): `float32` (default) keeps the output contract of every other
      TFLite model, float32 logits, through one DEQUANTIZE op at the end; `int8` returns the
      quantized logits (a quarter of the output memory, for integer-only accelerators), whose
      scale and zero point `details["output_quantization"]` records.

    An int8 model takes uint8 pixels: converting from the float32 endpoint with
    `inference_input_type=tf.uint8` gives the input scale 1 and zero point 0, so the uint8 input
    is exactly the raw RGB value (the first op, QUANTIZE, only shifts it into the int8 the network
    computes in; the normalization stays inside the model).

    Args:
        request: an `ExportRequest`; `input_size` is the fixed size.

    Returns:
        An `ExportResult` with `files=["model_<quantization>.tflite"]`, `resize=False`, and
        `details`: `quantization`, `input_quantization` and `output_quantization` (`[scale,
        zero_point]` or None), `output_type`, `calibration_images` (int8: how many were used),
        `signature`, `converter` and `conversion_seconds`.

    Raises:
        ConfigError: an unknown quantization or output type, int8 without calibration images,
            or a conversion that failed (with the converter's last error lines).

    Example:
        >>> request = ExportRequest(model, (360, 640), "export/tflite", {"quantization": "int8"},
        ...                         calibration_images=training_images)
        >>> export_tflite(request).details["input_quantization"]
        [1.0, 0]
    """
    quantization = request.option("quantization", "float")
    if quantization not in QUANTIZATIONS:
        raise ConfigError(
            f"--quantization={quantization}: unknown; valid quantizations: "
            f"{', '.join(QUANTIZATIONS)}"
        )
    output_type = request.option("output_type", "float32")
    if output_type not in OUTPUT_TYPES:
        raise ConfigError(
            f"--output_type={output_type}: unknown; valid output types: {', '.join(OUTPUT_TYPES)}"
        )
    if output_type != "float32" and quantization != "int8":
        raise ConfigError(f"--output_type={output_type} needs --quantization=int8")
    height, width = (
        check_int(f"export {name}", size, minimum=1)
        for name, size in zip(("height", "width"), request.input_size)
    )
    # Before the (slow) SavedModel: a missing data set should fail at once.
    calibration = _calibration_batch(request, height, width) if quantization == "int8" else None

    name = f"model_{quantization}.tflite"
    target = os.path.join(request.out_dir, name)
    work = tempfile.mkdtemp(prefix=".tflite-", dir=request.out_dir)
    try:
        saved_model = os.path.join(work, "saved_model")
        _write_saved_model(request.folded, height, width, saved_model)
        job = {
            "saved_model": saved_model,
            "signature": SIGNATURE,
            "quantization": quantization,
            "output_type": output_type,
            "calibration": None,
            "target": target,
        }
        if calibration is not None:
            job["calibration"] = os.path.join(work, "calibration.npy")
            np.save(job["calibration"], calibration)
        job_path = os.path.join(work, "job.json")
        with open(job_path, "w") as f:
            json.dump(job, f)
        start = time.perf_counter()
        _run_child(job_path, quantization)
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(work, ignore_errors=True)

    import tensorflow as tf

    from tfseg.export.request import ExportResult
    from tfseg.runtimes.tflite import TFLiteRuntime

    runtime = TFLiteRuntime(target, threads=1)  # checks the file, and reads what it takes
    (key, signature), *_ = runtime.signatures.items()

    return ExportResult(
        files=[name],
        input={k: runtime.input[k] for k in ("name", "shape", "dtype")},
        outputs=[{k: runtime.output[k] for k in ("name", "shape", "dtype")}],
        resize=False,
        details={
            "quantization": quantization,
            "input_quantization": _listed(runtime.input["quantization"]),
            "output_quantization": _listed(runtime.output["quantization"]),
            "output_type": runtime.output["dtype"],
            "calibration_images": None if calibration is None else len(calibration),
            "signature": {"key": key, **signature},
            "converter": f"tf.lite.TFLiteConverter.from_saved_model (TensorFlow {tf.__version__})",
            "conversion_seconds": round(seconds, 2),
        },
    )


def _calibration_batch(request, height, width):
    """The calibration images as one uint8 `[N, H, W, 3]` array."""
    if request.calibration_images is None:
        raise ConfigError(
            "int8 needs calibration images from the model's training split; the model dir's data "
            "set was not found (pass --data_dir, or use --quantization=dynamic)"
        )
    count = check_int("calibration_images", request.option("calibration_images", 100), 1)
    images = []
    for batch in request.calibration_images(count):
        batch = np.asarray(batch)
        if batch.ndim == 3:
            batch = batch[None]
        if batch.ndim != 4 or batch.shape[1:] != (height, width, 3):
            raise ConfigError(
                f"calibration images must be [1, {height}, {width}, 3] (the export size), got "
                f"{list(batch.shape)}"
            )
        images.extend(np.clip(np.round(batch), 0, 255).astype(np.uint8))
        if len(images) >= count:
            break
    if not images:
        raise ConfigError(
            "int8 needs calibration images from the model's training split; the data set gave "
            "none (or use --quantization=dynamic)"
        )
    return np.stack(images[:count])


def _write_saved_model(model, height, width, path):
    """A float32 `[1, H, W, 3]` -> `{"logits"}` SavedModel with Keras' own exporter.

    Keras' `ExportArchive` tracks the variables itself. A plain `tf.saved_model.save` of the same
    Keras 3 model (BN folded or not) makes TensorFlow 2.17's converter abort the process
    (`error: missing attribute 'value'` on a `ReadVariableOp`, then `LLVM ERROR: Failed to infer
    result type(s)`); `tests/export/test_tflite.py` keeps that case as the converter crash test.
    """
    import keras
    import tensorflow as tf

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        SIGNATURE,
        lambda image: {"logits": tf.cast(model(image, training=False), tf.float32)},
        input_signature=[tf.TensorSpec([1, height, width, 3], tf.float32, name="image")],
    )
    archive.write_out(path, verbose=False)


def _run_child(job_path, quantization):
    """Runs `_convert(job_path)` in a fresh interpreter; a failure becomes one ConfigError line."""
    here = os.path.abspath(__file__)
    root = os.path.dirname(os.path.dirname(os.path.dirname(here)))  # for `tfseg.errors`
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, here, job_path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env=env,
        check=False,
    )
    if child.returncode == 0:
        return
    if child.returncode < 0:
        try:
            how = f"the converter died of {signal.Signals(-child.returncode).name}"
        except ValueError:
            how = f"the converter died of signal {-child.returncode}"
    else:
        how = f"the converter exited with status {child.returncode}"
    raise ConfigError(
        f"TFLite {quantization} conversion failed: {how}: {_last_lines(child.stderr)}"
    )


def _last_lines(stderr):
    """The last few meaningful stderr lines, joined into one."""
    lines = [
        line.strip() for line in stderr.splitlines() if line.strip() and not _NOISE.match(line)
    ]
    return " | ".join(lines[-_ERROR_LINES:]) or "(no error output)"


def _convert(job_path):
    """The child process: converts the job's SavedModel and writes the `.tflite` (atomically)."""
    import tensorflow as tf

    with open(job_path) as f:
        job = json.load(f)
    converter = tf.lite.TFLiteConverter.from_saved_model(
        job["saved_model"], signature_keys=[job["signature"]]
    )
    quantization = job["quantization"]
    if quantization != "float":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if quantization == "int8":
        images = np.load(job["calibration"])

        def representative_dataset():
            for image in images:  # float32 pixels, as the float32 endpoint takes them
                yield [image[None].astype(np.float32)]

        converter.representative_dataset = representative_dataset
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.float32 if job["output_type"] == "float32" else tf.int8
    data = converter.convert()
    partial = job["target"] + ".part"
    with open(partial, "wb") as f:
        f.write(data)
    os.replace(partial, job["target"])


def _listed(quantization):
    return None if quantization is None else [quantization[0], quantization[1]]
