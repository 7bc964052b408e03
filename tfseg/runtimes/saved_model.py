"""`SavedModelRuntime`: a SavedModel written by `tfseg export --format=saved_model` (or tftrt)."""

import numpy as np
import tensorflow as tf

from tfseg.errors import DataError
from tfseg.runtimes.runtime import Runtime


class SavedModelRuntime(Runtime):
    """Loads a SavedModel with plain `tf.saved_model.load`, as any TensorFlow program would.

    tfseg's own SavedModel resizes by itself: `segment` calls its `serving_default` signature
    and `logits` its `forward` signature. A TF-TRT SavedModel has only a fixed-size
    `serving_default` (float32 `image` -> `logits`); `segment` then resizes around it.

    Args:
        path: the SavedModel folder.
        input_size, num_classes: from `export.json`.
    """

    format = "saved_model"

    def __init__(self, path, input_size, num_classes):
        super().__init__(path, input_size, num_classes)
        try:
            self.loaded = tf.saved_model.load(str(path))
        except (OSError, ValueError, tf.errors.OpError) as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise DataError(f"{path}: not a readable SavedModel ({first})") from None
        signatures = self.loaded.signatures
        self._serve = signatures.get("serving_default")
        self._forward = signatures.get("forward")
        if self._serve is None:
            raise DataError(f"{path}: the SavedModel has no serving_default signature")
        self.resizes = "images" in self._serve.structured_input_signature[1]

    def logits(self, images):
        images = tf.convert_to_tensor(images, tf.float32)
        if self._forward is not None:
            return self._forward(image=images)["logits"].numpy()
        return np.concatenate(
            [self._serve(image=images[i : i + 1])["logits"].numpy() for i in range(len(images))]
        )

    def segment(self, images):
        if not self.resizes:
            return super().segment(images)
        return self._serve(images=tf.convert_to_tensor(images, tf.uint8))["class_ids"].numpy()
