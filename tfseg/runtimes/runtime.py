"""`Runtime`: an exported artifact loaded for inference behind tfseg's one inference contract."""

import abc

import numpy as np
import tensorflow as tf

from tfseg.errors import ConfigError


class Runtime(abc.ABC):
    """An artifact (or a Keras model) that segments images like `tfseg.inference.Segmenter`.

    Subclasses implement `logits` (the artifact's own forward pass at its input size) and set
    `format`, `input_size` and `num_classes`; `segment` then resizes, runs `logits` and takes the
    argmax with the same TensorFlow ops as `Segmenter`, so every artifact is measured through the
    same pre- and post-processing. Artifacts that resize by themselves (the SavedModel) override
    `segment`.

    Attributes:
        format: the export format (`saved_model`, `frozen_graph`, `tflite`, `onnx`, ...).
        path: the artifact's file or folder.
        input_size: `(height, width)` the forward pass takes; None entries: any size.
        num_classes: the logits' channels.
    """

    format = None

    def __init__(self, path, input_size, num_classes):
        self.path = str(path)
        self.input_size = tuple(input_size)
        self.num_classes = int(num_classes)

    @abc.abstractmethod
    def logits(self, images):
        """float32 RGB 0..255 `[B, h, w, 3]` at `input_size` -> float32 logits `[B, h, w, C]`."""

    def checked_step(self, images, batch_size=None):
        """Checks a `logits` input against the artifact's shape; returns the batch step to run.

        Args:
            images: the float32 `[B, H, W, 3]` array given to `logits`.
            batch_size: the artifact's fixed batch, or None (any).

        Returns:
            How many images each forward call takes: `B`, or 1 for a batch-1 artifact.

        Raises:
            ConfigError: not a `[B, H, W, 3]` batch at `input_size`, or a batch a fixed-batch
                artifact cannot take.
        """
        size = tuple(images.shape[1:3])
        expected = tuple(s if m is None else m for m, s in zip(self.input_size, size))
        if images.ndim != 4 or images.shape[3] != 3 or size != expected:
            height, width = (s if s is not None else "any" for s in self.input_size)
            raise ConfigError(
                f"{self.path} takes float32 images [B, {height}, {width}, 3], got {images.shape}"
            )
        if batch_size is None or batch_size == len(images):
            return len(images)
        if batch_size == 1:
            return 1
        raise ConfigError(f"{self.path} takes batches of exactly {batch_size}, got {len(images)}")

    def segment(self, images):
        """uint8 RGB `[B, H, W, 3]` of any size -> train ids uint8 `[B, H, W]` (numpy)."""
        images = np.asarray(images)
        size = images.shape[1:3]
        model_size = [m if m is not None else s for m, s in zip(self.input_size, size)]
        inputs = tf.image.resize(images, model_size, method="bilinear").numpy()
        logits = np.asarray(self.logits(inputs), np.float32)
        ids = [
            tf.argmax(tf.image.resize(one, size, method="bilinear"), axis=-1).numpy()
            for one in logits
        ]
        return np.stack(ids).astype(np.uint8 if self.num_classes <= 256 else np.int32)

    def __call__(self, images):
        return self.segment(images)

    def describe(self):
        """One line for logs: format, path and input size."""
        height, width = (s if s is not None else "any" for s in self.input_size)
        return (
            f"{self.format} runtime for {self.path} ({height}x{width}, {self.num_classes} classes)"
        )
