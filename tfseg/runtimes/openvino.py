"""`OpenVinoRuntime`: an exported OpenVINO IR (`model.xml` + `model.bin`) run on the CPU."""

import os

import numpy as np

from tfseg.errors import ConfigError, DataError, check_int
from tfseg.optional_import import import_optional
from tfseg.runtimes.runtime import Runtime

OPENVINO_EXTRA = "running OpenVINO models needs the openvino extra: pip install -e '.[openvino]'"
# INFERENCE_PRECISION_HINT values: f32 follows Keras; OpenVINO's own CPU default is bf16 on CPUs
# with AVX512_BF16 or AMX (about 1% logit error) and f32 elsewhere.
PRECISIONS = ("f32", "bf16", "f16")


class OpenVinoRuntime(Runtime):
    """Runs an OpenVINO IR segmentation model on OpenVINO's CPU plugin, tuned for latency.

    The model must take one float32 RGB batch `[B, H, W, 3]` (pixels 0..255) and return float32
    logits `[B, H, W, C]`, as `tfseg.export.openvino.export_openvino` writes it; the input size
    and the class count are read from those shapes (a dynamic size takes any size). It is
    compiled for the CPU with `INFERENCE_NUM_THREADS=threads`, `NUM_STREAMS=1`,
    `PERFORMANCE_HINT=LATENCY` and `INFERENCE_PRECISION_HINT=precision`. When the input batch is
    fixed at 1 (tfseg's exports), `logits` feeds the images one at a time; each image is read
    from the caller's array and its logits written straight into the result, without copies.

    Args:
        path: the `.xml` file (its weights, the `.bin` of the same name, beside it).
        threads: inference threads (default: `os.cpu_count()`).
        precision: `f32` (default: Keras's numbers), or `bf16` / `f16` where the CPU has them
            (faster, about 1% logit error).

    Raises:
        ConfigError: openvino is not installed; a bad `threads` or `precision`.
        DataError: the file is missing, corrupt, or not a segmentation model of that contract.

    Example:
        >>> runtime = OpenVinoRuntime("runs/skipnet_shufflenet/export/openvino/model.xml")
        >>> runtime.segment(np.zeros((1, 1024, 2048, 3), np.uint8)).shape
        (1, 1024, 2048)
    """

    format = "openvino"

    def __init__(self, path, *, threads=None, precision="f32"):
        ov = import_optional("openvino", OPENVINO_EXTRA)
        path = os.fspath(path)
        if threads is not None:
            threads = check_int("threads", threads, minimum=1)
        if precision not in PRECISIONS:
            raise ConfigError(f"precision={precision!r}: expected one of {', '.join(PRECISIONS)}")
        if not os.path.isfile(path):
            raise DataError(f"{path}: no such OpenVINO model file")
        if not _looks_like_ir(path):
            # Not handed to read_model: it would try every other frontend on it (and TF's logs).
            raise DataError(f"{path}: not a readable OpenVINO model (no IR <net> element)")
        core = ov.Core()
        try:
            model = core.read_model(path)
        except Exception as error:  # OpenVINO raises RuntimeError for every kind of bad file
            raise DataError(
                f"{path}: not a readable OpenVINO model ({error_reason(error)})"
            ) from None
        image, logits = _check_contract(path, model)
        size = [dim.get_length() if dim.is_static else None for dim in (image[1], image[2])]
        super().__init__(path, size, logits[3].get_length())
        self.threads = threads or os.cpu_count() or 1
        self.precision = precision
        config = {
            "INFERENCE_NUM_THREADS": self.threads,
            "NUM_STREAMS": 1,
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": precision,
        }
        try:
            self.compiled = core.compile_model(model, "CPU", config)
        except Exception as error:
            raise DataError(f"{path}: OpenVINO cannot compile it ({error_reason(error)})") from None
        self.request = self.compiled.create_infer_request()
        self._ov = ov
        batch = image[0]
        self.batch_size = batch.get_length() if batch.is_static else None

    def logits(self, images):
        """float32 RGB 0..255 `[B, H, W, 3]` at `input_size` -> float32 logits `[B, H, W, C]`.

        Raises:
            ConfigError: images that are not a `[B, H, W, 3]` batch at the model's size.
        """
        images = np.ascontiguousarray(images, np.float32)
        step = self.checked_step(images, self.batch_size)
        outputs = np.empty((*images.shape[:3], self.num_classes), np.float32)
        for start in range(0, len(images), step):
            # Shared tensors: OpenVINO reads the caller's pixels and writes into `outputs`.
            self.request.set_output_tensor(
                self._ov.Tensor(outputs[start : start + step], shared_memory=True)
            )
            self.request.infer({0: images[start : start + step]}, share_inputs=True)
        return outputs


def _check_contract(path, model):
    """The shapes of the model's image input and logits output, float32 `[B, H, W, 3 / C]`."""
    if len(model.inputs) != 1 or not model.outputs:
        raise DataError(
            f"{path}: a segmentation model has one input, this one has {len(model.inputs)}"
        )
    image, logits = model.input(0), model.output(0)
    image_shape, logits_shape = image.get_partial_shape(), logits.get_partial_shape()
    if (
        image.get_element_type().to_dtype() != np.float32
        or image_shape.rank.is_dynamic
        or len(image_shape) != 4
        or image_shape[3] != 3
        or logits.get_element_type().to_dtype() != np.float32
        or logits_shape.rank.is_dynamic
        or len(logits_shape) != 4
        or logits_shape[3].is_dynamic
    ):
        raise DataError(
            f"{path}: expected float32 images [B, H, W, 3] -> float32 logits [B, H, W, C], found "
            f"{_name(image)} {image.get_element_type()} {image_shape} -> "
            f"{_name(logits)} {logits.get_element_type()} {logits_shape}"
        )
    return image_shape, logits_shape


def _name(port):
    return ",".join(sorted(port.get_names())) or "(unnamed)"


def _looks_like_ir(path, head_bytes=4096):
    """Whether the file starts like OpenVINO IR XML (`<?xml ...?>` then `<net name=...>`)."""
    try:
        with open(path, "rb") as f:
            head = f.read(head_bytes)
    except OSError:
        return False
    return b"<net " in head or b"<net>" in head


def error_reason(error):
    """OpenVINO's message without its source locations ("Exception from src/...", "Check ...")."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    kept = [
        line
        for line in lines
        if not line.startswith("Exception from ")
        and not (line.startswith("Check '") and " failed at " in line)
    ]
    return " ".join(kept or lines)[:300] or type(error).__name__
