"""The Jetson TX1/TX2 bundle: one folder to copy to the board (JetPack 4.6, TensorRT 8.2)."""

import os
import shutil
import tempfile

import numpy as np

from tfseg.deploy import jetson_bundle_files
from tfseg.export.frozen_graph import export_frozen_graph
from tfseg.export.onnx import export_onnx
from tfseg.export.request import ExportRequest, ExportResult
from tfseg.io import atomic_write, write_png

FROZEN = "frozen_graph.pb"
REFERENCE_IMAGES = 3


def export_jetson(request):
    """Writes the ONNX model, a TF 1.x-compatible frozen graph, reference inputs and the runner.

    The folder holds what the board needs and nothing that needs tfseg or TensorFlow there:

    * `model.onnx`: opset `request.option("opset", 13)` (TensorRT 8.2's), float32 pixels 0..255
      NHWC in (TensorRT 8.2 rejects uint8 inputs), normalization inside, logits NHWC out;
    * `frozen_graph.pb` (`image:0` -> `logits:0`), default-valued attributes stripped, for
      users who keep TensorFlow (TF-TRT on NVIDIA's TF 2.7 / 1.15 wheels) on the device;
    * `reference/`: a few images of the model's training split at the input size, as PNG, as the
      raw float32 input `trtexec --loadInputs` reads, and the Keras model's logits and class ids
      (`.npy`), so `segment_trt.py check` measures the engine against Keras on the board;
    * `segment_trt.py` (the standalone Python 3.6 runner: build, run, bench, check), its
      `requirements.txt` and `README.md` (the recipe).

    Returns:
        An `ExportResult` whose `manifest` adds the runner's keys (`onnx`, `reference`).
    """
    onnx = export_onnx(request)
    with tempfile.TemporaryDirectory(dir=request.out_dir) as scratch:
        frozen_request = ExportRequest(
            model=request.model,
            input_size=request.input_size,
            out_dir=scratch,
            options={"tf1_compatible": True, "quantize": False},
        )
        frozen_request.folded = request.folded  # fold once
        export_frozen_graph(frozen_request)
        os.replace(os.path.join(scratch, "model.pb"), os.path.join(request.out_dir, FROZEN))
    references = _write_references(request)
    for path in jetson_bundle_files():
        shutil.copy(path, os.path.join(request.out_dir, os.path.basename(path)))
    outputs = [{**onnx.outputs[0], "layout": "NHWC"}]
    return ExportResult(
        files=onnx.files + [FROZEN, "segment_trt.py", "requirements.txt", "README.md"],
        input={**onnx.input, "layout": "NHWC"},
        outputs=outputs,
        details={**onnx.details, "frozen_graph": {"file": FROZEN, "tf1_compatible": True}},
        manifest={
            "onnx": {"file": onnx.files[0], "opset": onnx.details.get("opset", 13)},
            "reference": references,
        },
    )


def _write_references(request):
    """`reference/` images, raw inputs and the Keras model's outputs; their export.json entries."""
    height, width = request.input_size
    if request.calibration_images is not None:
        images = list(request.calibration_images(REFERENCE_IMAGES))
    else:  # no data set at hand: fixed noise still checks the engine's arithmetic
        rng = np.random.default_rng(0)
        images = [rng.integers(0, 256, (1, height, width, 3), dtype=np.uint8)]
    folder = os.path.join(request.out_dir, "reference")
    os.makedirs(folder, exist_ok=True)
    entries = []
    for index, image in enumerate(images):
        pixels = np.asarray(image, np.float32)
        logits = np.asarray(request.model(pixels, training=False), np.float32)
        names = {
            "image": f"reference/image_{index}.png",
            "input": f"reference/input_{index}.bin",
            "logits": f"reference/logits_{index}.npy",
            "class_ids": f"reference/class_ids_{index}.npy",
        }
        write_png(os.path.join(request.out_dir, names["image"]), np.asarray(image[0], np.uint8))
        atomic_write(os.path.join(request.out_dir, names["input"]), pixels.tobytes())
        np.save(os.path.join(request.out_dir, names["logits"]), logits)
        np.save(
            os.path.join(request.out_dir, names["class_ids"]),
            logits[0].argmax(-1).astype(np.uint8),
        )
        entries.append(names)
    return entries
