"""`TFLiteRuntime`: a `.tflite` file run by TensorFlow's TFLite interpreter (XNNPACK on CPU)."""

import os

import numpy as np
import tensorflow as tf

from tfseg.errors import ConfigError, DataError
from tfseg.runtimes.runtime import Runtime

# Bytes 4..8 of every TFLite flatbuffer (tensorflow/lite/schema/schema.fbs `file_identifier`).
IDENTIFIER = b"TFL3"
QUANTIZED = (np.uint8, np.int8)


class TFLiteRuntime(Runtime):
    """Runs a `.tflite` model written by `tfseg export --format=tflite` (any quantization).

    The model takes one image `[1, H, W, 3]`: float32 pixels 0..255, or quantized pixels
    (uint8/int8). `tfseg.export.tflite` writes full-int8 models whose uint8 input has scale 1 and
    zero point 0, i.e. the raw pixel values; any other scale or zero point is applied here. A
    quantized (int8/uint8) output is dequantized, so `logits` is always float32. Batches run one
    image at a time. This is the only module of tfseg that opens TFLite interpreters.

    Args:
        path: the `.tflite` file.
        threads: CPU threads of the interpreter (default: the cores this process may use).

    Attributes:
        input, output: `{"name", "shape", "dtype", "quantization"}` of the model's input and
            output tensors; `quantization` is `(scale, zero_point)`, or None for float tensors.
        signatures: the model's signatures, `{key: {"inputs": [...], "outputs": [...]}}`
            (tfseg writes `{"serve": {"inputs": ["image"], "outputs": ["logits"]}}`).
        threads: the interpreter's thread count.

    Raises:
        DataError: a missing, corrupt or non-TFLite file, or a model that does not take one RGB
            image and return per-pixel logits (the message names the file).

    Example:
        >>> runtime = TFLiteRuntime("export/tflite/model_int8.tflite", threads=2)
        >>> runtime.input["dtype"], runtime.input["quantization"]
        ('uint8', (1.0, 0))
        >>> runtime.segment(np.zeros((1, 1024, 2048, 3), np.uint8)).shape
        (1, 1024, 2048)
    """

    format = "tflite"

    def __init__(self, path, *, threads=None):
        path = os.fspath(path)
        _check_flatbuffer(path)
        self.threads = int(threads or _usable_cores())
        try:
            self.interpreter = tf.lite.Interpreter(model_path=path, num_threads=self.threads)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            raise DataError(f"{path}: not a loadable TFLite model ({_first_line(error)})") from None
        inputs = self.interpreter.get_input_details()
        outputs = self.interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise DataError(
                f"{path}: a tfseg TFLite model has one input and one output, this one has "
                f"{len(inputs)} and {len(outputs)}"
            )
        self._input, self._output = inputs[0], outputs[0]
        self.input, self.output = _describe(self._input), _describe(self._output)
        self.signatures = self.interpreter.get_signature_list()
        in_shape, out_shape = self.input["shape"], self.output["shape"]
        if len(in_shape) != 4 or in_shape[0] != 1 or in_shape[3] != 3:
            raise DataError(f"{path}: the input must be one RGB image [1, H, W, 3], not {in_shape}")
        if len(out_shape) != 4 or out_shape[:3] != in_shape[:3]:
            raise DataError(
                f"{path}: the output must be logits [1, H, W, C] at the input's size "
                f"{in_shape[1:3]}, not {out_shape}"
            )
        super().__init__(path, in_shape[1:3], out_shape[3])

    def logits(self, images):
        """float32 RGB 0..255 `[B, H, W, 3]` at `input_size` -> float32 logits `[B, H, W, C]`."""
        images = np.asarray(images, np.float32)
        if images.ndim != 4 or images.shape[1:] != (*self.input_size, 3):
            height, width = self.input_size
            raise ConfigError(
                f"{self.path} takes images [B, {height}, {width}, 3], got {list(images.shape)}"
            )
        if not len(images):
            return np.zeros((0, *self.input_size, self.num_classes), np.float32)
        return np.concatenate([self._run(image[None]) for image in images])

    def _run(self, image):
        self.interpreter.set_tensor(self._input["index"], self._quantize(image))
        self.interpreter.invoke()
        return self._dequantize(self.interpreter.get_tensor(self._output["index"]))

    def _quantize(self, image):
        dtype = self._input["dtype"]
        if dtype not in QUANTIZED:
            return image.astype(dtype)
        scale, zero_point = self.input["quantization"] or (1.0, 0)
        values = image if (scale, zero_point) == (1.0, 0) else image / scale + zero_point
        limits = np.iinfo(dtype)
        return np.clip(np.round(values), limits.min, limits.max).astype(dtype)

    def _dequantize(self, values):
        if self._output["dtype"] not in QUANTIZED:
            return values.astype(np.float32)
        scale, zero_point = self.output["quantization"] or (1.0, 0)
        return ((values.astype(np.float32) - zero_point) * scale).astype(np.float32)


def _check_flatbuffer(path):
    """Checks that `path` is a complete TFLite flatbuffer before the interpreter maps it.

    The interpreter does not verify the file: a truncated `.tflite` (an interrupted copy) crashes
    the process with a segmentation fault instead of raising. Reading every table once with the
    flatbuffer schema TensorFlow ships (`tensorflow.lite.python.schema_py_generated`, ~20 ms for
    10 MB) finds truncation and out-of-range offsets, which raise there.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        raise DataError(f"{path}: cannot read the TFLite model ({error.strerror})") from None
    if len(data) < 8 or data[4:8] != IDENTIFIER:
        raise DataError(f"{path}: not a TFLite model (no {IDENTIFIER.decode()} flatbuffer header)")
    try:
        from tensorflow.lite.python import schema_py_generated as schema
    except ImportError:  # a TensorFlow without the schema: leave the checks to the interpreter
        return
    try:
        model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    except Exception as error:  # struct.error, IndexError, ...: the tables run past the end
        raise DataError(
            f"{path}: a corrupt or truncated TFLite model ({len(data)} bytes; {_first_line(error)})"
        ) from None
    for buffer in model.buffers or ():
        # Buffers of models > 2 GB live after the flatbuffer, at (offset, size).
        if (buffer.offset or 0) > 1 and buffer.offset + buffer.size > len(data):
            raise DataError(f"{path}: a truncated TFLite model ({len(data)} bytes)")


def _describe(detail):
    scale, zero_point = detail["quantization"]
    quantized = np.dtype(detail["dtype"]) in (np.dtype(np.uint8), np.dtype(np.int8))
    return {
        "name": detail["name"],
        "shape": [int(s) for s in detail["shape"]],
        "dtype": np.dtype(detail["dtype"]).name,
        "quantization": (float(scale), int(zero_point)) if quantized and scale else None,
    }


def _usable_cores():
    if hasattr(os, "sched_getaffinity"):  # the cores this process may run on (containers, taskset)
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
