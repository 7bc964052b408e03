"""`KerasRuntime`: a Keras model behind the `Runtime` contract (the reference for parity)."""

import numpy as np
import tensorflow as tf

from tfseg.inference import Segmenter, model_sizes
from tfseg.runtimes.runtime import Runtime


class KerasRuntime(Runtime):
    """A Keras segmentation model; `segment` is `tfseg.inference.Segmenter`'s.

    Args:
        model: a `keras.Model` (RGB 0..255 in, logits out).
        path: where it came from, for messages.
    """

    format = "keras"

    def __init__(self, model, path="<in memory>"):
        height, width, num_classes = model_sizes(model)
        super().__init__(path, (height, width), num_classes)
        self.model = model
        self.segmenter = Segmenter(model)
        self._forward = tf.function(lambda x: tf.cast(model(x, training=False), tf.float32))

    def logits(self, images):
        return self._forward(tf.convert_to_tensor(images, tf.float32)).numpy()

    def segment(self, images):
        return self.segmenter(np.asarray(images, np.uint8)).numpy()
