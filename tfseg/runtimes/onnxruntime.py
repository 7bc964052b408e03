"""`OnnxRuntime`: an exported `model.onnx` run by onnxruntime on the CPU."""

import os

import numpy as np

from tfseg.errors import DataError, check_int
from tfseg.optional_import import import_optional
from tfseg.runtimes.runtime import Runtime

ONNX_EXTRA = "running ONNX models needs the onnx extra: pip install -e '.[onnx]'"


class OnnxRuntime(Runtime):
    """Runs an ONNX segmentation model in an `onnxruntime.InferenceSession` (CPU provider).

    The model must take one float32 RGB batch `[B, H, W, 3]` (pixels 0..255) and return float32
    logits `[B, H, W, C]`, as `tfseg.export.onnx.export_onnx` writes it; the input size and the
    class count are read from those shapes (a size left symbolic takes any size). The session
    runs with every graph optimization on, sequentially, on `threads` intra-op threads. When the
    input batch is fixed at 1 (tfseg's exports), `logits` feeds the images one at a time.

    Args:
        path: the `.onnx` file.
        threads: intra-op threads (default: `os.cpu_count()`).

    Raises:
        ConfigError: onnxruntime is not installed; `threads` is not a positive integer.
        DataError: the file is missing, corrupt, or not a segmentation model of that contract.

    Example:
        >>> runtime = OnnxRuntime("runs/skipnet_shufflenet/export/onnx/model.onnx", threads=2)
        >>> runtime.segment(np.zeros((1, 1024, 2048, 3), np.uint8)).shape
        (1, 1024, 2048)
    """

    format = "onnx"

    def __init__(self, path, *, threads=None):
        ort = import_optional("onnxruntime", ONNX_EXTRA)
        path = os.fspath(path)
        if threads is not None:
            threads = check_int("threads", threads, minimum=1)
        if not os.path.isfile(path):
            raise DataError(f"{path}: no such ONNX file")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only; they surface as exceptions anyway
        try:
            session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own InvalidProtobuf, Fail, ...
            reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise DataError(
                f"{path}: not a readable ONNX model ({type(error).__name__}: {reason[:300]})"
            ) from None
        inputs, outputs = session.get_inputs(), session.get_outputs()
        if len(inputs) != 1 or not outputs:
            raise DataError(
                f"{path}: a segmentation model has one input, this one has {len(inputs)}"
            )
        image, logits = inputs[0], outputs[0]
        if (
            image.type != "tensor(float)"
            or len(image.shape) != 4
            or image.shape[3] != 3
            or logits.type != "tensor(float)"
            or len(logits.shape) != 4
            or not isinstance(logits.shape[3], int)
        ):
            raise DataError(
                f"{path}: expected float32 images [B, H, W, 3] -> float32 logits [B, H, W, C], "
                f"found {image.name} {image.type} {image.shape} -> {logits.name} {logits.type} "
                f"{logits.shape}"
            )
        size = [dim if isinstance(dim, int) else None for dim in image.shape[1:3]]
        super().__init__(path, size, logits.shape[3])
        self.session = session
        self.threads = options.intra_op_num_threads
        self.input_name, self.output_name = image.name, logits.name
        self.batch_size = image.shape[0] if isinstance(image.shape[0], int) else None

    def logits(self, images):
        """float32 RGB 0..255 `[B, H, W, 3]` at `input_size` -> float32 logits `[B, H, W, C]`.

        Raises:
            ConfigError: images that are not a `[B, H, W, 3]` batch at the model's size.
        """
        images = np.asarray(images, np.float32)
        step = self.checked_step(images, self.batch_size)
        batches = [images[start : start + step] for start in range(0, len(images), step)]
        outputs = [
            self.session.run([self.output_name], {self.input_name: batch})[0] for batch in batches
        ]
        return np.concatenate(outputs).astype(np.float32, copy=False)
