"""`BenchmarkSpec`: one measurement of the written protocol (docs/benchmarking.md).

A spec says which runtime runs, at which network input size and batch, what exactly is timed,
and for how long. `tfseg benchmark run` expands its flags into one spec per runtime x size x
batch (`BenchmarkSpec.grid`) and writes one result row per spec (`tfseg.benchmark.record`).

Runtimes (`RUNTIMES`): every name is one way a user can run the same weights.

* `keras`: the Keras model called eagerly, `model(x, training=False)` (the naive path).
* `predict`: `model.predict(x, batch_size=B, verbose=0)` (the other naive path).
* `function`: `tf.function(lambda x: model(x, training=False))`, traced once per shape.
* `xla`: the same `tf.function` with `jit_compile=True`.
* `frozen_graph`, `saved_model`, `tflite`, `tflite_fp16`, `tflite_dynamic`, `tflite_int8`,
  `onnxruntime`, `openvino`, `tftrt`: the artifact `tfseg export` writes in that format (BN
  folded), opened with `tfseg.runtimes.load_runtime`, as `tfseg evaluate --artifact` runs it.
"""

import dataclasses
import re
from typing import NamedTuple

from tfseg.errors import ConfigError, check_int


class RuntimeInfo(NamedTuple):
    """What a runtime name means.

    Attributes:
        description: one line for docs and `--helpfull`.
        export_format: the `tfseg export` format of its artifact, or None (the Keras model).
        options: export options of the artifact (e.g. the TFLite quantization).
        precision: what the arithmetic runs in (`fp32`, `fp16`, `int8`, `dynamic-int8`).
    """

    description: str
    export_format: str | None = None
    options: dict = {}
    precision: str = "fp32"


RUNTIMES = {
    "keras": RuntimeInfo("Keras model called eagerly: model(x, training=False)"),
    "predict": RuntimeInfo("Keras model.predict(x, batch_size=B, verbose=0)"),
    "function": RuntimeInfo("tf.function(model) (traced once per input shape)"),
    "xla": RuntimeInfo("tf.function(model, jit_compile=True) (XLA)"),
    "frozen_graph": RuntimeInfo(
        "BN-folded frozen GraphDef (seed transforms) in a TF1 session", "frozen_graph"
    ),
    "saved_model": RuntimeInfo("tfseg's SavedModel reloaded by tf.saved_model.load", "saved_model"),
    "tflite": RuntimeInfo("TFLite float32 (XNNPACK)", "tflite", {"quantization": "float"}),
    "tflite_fp16": RuntimeInfo(
        "TFLite with float16 weights", "tflite", {"quantization": "fp16"}, "fp16"
    ),
    "tflite_dynamic": RuntimeInfo(
        "TFLite dynamic-range (int8 weights)",
        "tflite",
        {"quantization": "dynamic"},
        "dynamic-int8",
    ),
    "tflite_int8": RuntimeInfo(
        "TFLite full int8 (uint8 pixels in)", "tflite", {"quantization": "int8"}, "int8"
    ),
    "onnxruntime": RuntimeInfo("ONNX (opset 13, from the frozen graph) in onnxruntime", "onnx"),
    "openvino": RuntimeInfo("OpenVINO IR on the CPU", "openvino"),
    "tftrt": RuntimeInfo("TF-TRT SavedModel (NVIDIA GPUs with TensorRT)", "tftrt", {}, "fp16"),
}

TIMED = {
    "model": "float32 [B, H, W, 3] at the network's size in -> float32 logits out (numpy)",
    "end_to_end": "uint8 [B, frame H, frame W, 3] camera frame in -> uint8 class ids at the "
    "frame's size out (resize, forward pass, upsampling, argmax and host copies)",
}

DEFAULT_SIZES = ((360, 640), (512, 1024))
DEFAULT_FRAME_SIZE = (1024, 2048)  # Cityscapes' camera
_SIZE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")
MIN_SIZE = 32


def parse_size(text, flag="--sizes"):
    """`"360x640"` (height x width) -> `(360, 640)`.

    Args:
        text: `HxW`, height first (tfseg's `--height`/`--width` order; the RTSeg paper writes
            width first: its "640x360" is tfseg's 360x640).
        flag: the flag named in the error.

    Returns:
        `(height, width)`.

    Raises:
        ConfigError: not `HxW` with both sides >= 32.

    Example:
        >>> parse_size("512x1024")
        (512, 1024)
    """
    match = _SIZE.match(str(text))
    if not match or min(int(match.group(1)), int(match.group(2))) < MIN_SIZE:
        raise ConfigError(
            f"{flag}: {text!r} is not a size; give height x width in pixels, each >= {MIN_SIZE}, "
            "e.g. 360x640"
        )
    return int(match.group(1)), int(match.group(2))


@dataclasses.dataclass(frozen=True)
class BenchmarkSpec:
    """One measurement: a runtime at one input size and batch, and what is timed for how long.

    The protocol (docs/benchmarking.md): the runtime is opened and its output on the timed
    inputs compared with the Keras model's (argmax agreement); `warmup` untimed calls follow;
    then calls are timed one by one with `time.perf_counter` until both `iterations` calls and
    `min_seconds` of timed calls are done. With `rounds > 1` the timed calls are split into
    `rounds` blocks that alternate with the other runtimes' blocks (interleaved; each block
    starts with one more untimed call).

    Attributes:
        runtime: a key of `RUNTIMES`.
        size: `(height, width)` of the network input.
        batch: images per call.
        warmup: untimed calls before timing (>= 0).
        iterations: timed calls, at least (>= 1).
        min_seconds: timed seconds, at least (>= 0).
        threads: CPU threads for the runtime (0: each runtime's default, all cores).
        timed: `model` or `end_to_end` (`TIMED`).
        frame_size: `(height, width)` of the camera frame of `end_to_end`.
        rounds: timed blocks interleaved with the other runtimes (1: one block).

    Raises:
        ConfigError: an unknown runtime or timed mode, or a value out of range.

    Example:
        >>> BenchmarkSpec("onnxruntime", (360, 640), warmup=5, iterations=30).timed
        'model'
    """

    runtime: str
    size: tuple
    batch: int = 1
    warmup: int = 20
    iterations: int = 100
    min_seconds: float = 0.0
    threads: int = 0
    timed: str = "model"
    frame_size: tuple = DEFAULT_FRAME_SIZE
    rounds: int = 1

    def __post_init__(self):
        if self.runtime not in RUNTIMES:
            raise ConfigError(
                f"--runtimes: unknown runtime {self.runtime!r}; valid runtimes: "
                f"{', '.join(RUNTIMES)}"
            )
        if self.timed not in TIMED:
            raise ConfigError(f"--timed={self.timed}: must be one of {', '.join(TIMED)}")
        for name, size in (("sizes", self.size), ("frame_size", self.frame_size)):
            if (
                len(size) != 2
                or not all(isinstance(s, int) and not isinstance(s, bool) for s in size)
                or min(size) < MIN_SIZE
            ):
                raise ConfigError(f"--{name}: {size!r} is not (height, width) >= {MIN_SIZE}")
        object.__setattr__(self, "size", tuple(self.size))
        object.__setattr__(self, "frame_size", tuple(self.frame_size))
        check_int("--batch_sizes", self.batch, minimum=1)
        check_int("--warmup", self.warmup, minimum=0)
        check_int("--iterations", self.iterations, minimum=1)
        check_int("--threads", self.threads, minimum=0)
        check_int("--rounds", self.rounds, minimum=1)
        if not isinstance(self.min_seconds, (int, float)) or self.min_seconds < 0:
            raise ConfigError(f"--min_seconds must be >= 0, got {self.min_seconds!r}")

    @property
    def info(self):
        """The runtime's `RuntimeInfo`."""
        return RUNTIMES[self.runtime]

    @classmethod
    def grid(cls, runtimes, sizes=DEFAULT_SIZES, batch_sizes=(1,), **protocol):
        """One spec per size x batch x runtime, in that order (sizes as given).

        Args:
            runtimes: runtime names (duplicates dropped).
            sizes: `(height, width)` pairs or `"HxW"` strings.
            batch_sizes: batch sizes.
            **protocol: the other fields, shared by every spec.

        Returns:
            A list of `BenchmarkSpec`.

        Raises:
            ConfigError: empty lists, or any spec's error.
        """
        runtimes = list(dict.fromkeys(runtimes))
        sizes = [parse_size(s) if isinstance(s, str) else tuple(s) for s in sizes]
        sizes = list(dict.fromkeys(sizes))
        batch_sizes = list(dict.fromkeys(batch_sizes))
        for name, values in (
            ("runtimes", runtimes),
            ("sizes", sizes),
            ("batch_sizes", batch_sizes),
        ):
            if not values:
                raise ConfigError(f"--{name}: give at least one")
        return [
            cls(runtime, size, batch, **protocol)
            for size in sizes
            for batch in batch_sizes
            for runtime in runtimes
        ]
