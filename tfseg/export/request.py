"""`ExportRequest`: what every exporter is given, and `ExportResult`: what it reports back."""

import dataclasses
import functools
from collections.abc import Callable, Iterable

import keras
import numpy as np

from tfseg.graph import fold_batch_norms


@dataclasses.dataclass
class ExportRequest:
    """One artifact to write.

    Attributes:
        model: the trained Keras model (BatchNorm not folded), built at `input_size`, or at
            `(None, None)` for formats that take any size.
        input_size: `(height, width)` of fixed-size artifacts.
        out_dir: an empty folder to write into (`tfseg.export.export` writes to a temporary
            folder and renames it when everything succeeded).
        options: the format's options, e.g. `{"quantization": "int8", "opset": 13}`.
        calibration_images: `n -> iterable of uint8 [1, H, W, 3]` images of the model's own
            training split at `input_size` (for int8 calibration); raises `ConfigError` when the
            data set is not available.
        class_names: the model's classes, in train-id order.
    """

    model: keras.Model
    input_size: tuple
    out_dir: str
    options: dict = dataclasses.field(default_factory=dict)
    calibration_images: Callable[[int], Iterable[np.ndarray]] | None = None
    class_names: tuple = ()

    @functools.cached_property
    def folded(self):
        """`model` with every BatchNormalization folded into its convolution (what ships)."""
        return fold_batch_norms(self.model)

    def option(self, name, default=None):
        return self.options.get(name, default)


@dataclasses.dataclass
class ExportResult:
    """What an exporter wrote, for `export.json`.

    Attributes:
        files: paths of the artifact's files, relative to `out_dir` (the first is the main one).
        input: `{"name", "shape", "dtype"}` of the artifact's input (None dims: any size).
        outputs: `[{"name", "shape", "dtype"}]`.
        resize: whether the artifact resizes images itself (any-size input, output at the
            input's size); otherwise it is fed at `input_size`.
        details: format-specific facts (quantization, opset, transform steps, warnings, ...).
        manifest: keys added at the top of `export.json`, for a consumer that reads them there
            (the Jetson runner's `onnx` and `reference`).
    """

    files: list
    input: dict
    outputs: list
    resize: bool = False
    details: dict = dataclasses.field(default_factory=dict)
    manifest: dict = dataclasses.field(default_factory=dict)
