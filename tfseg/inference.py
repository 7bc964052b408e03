"""`Segmenter`: the one inference contract of tfseg models and of every exported artifact.

uint8 RGB images `[B, H, W, 3]` of any size in; train ids `class_ids` uint8 `[B, H, W]` out (and
optionally float32 `logits` `[B, H, W, C]`). Prediction, evaluation, export and the benchmark all
segment through it, so a model and its artifacts are measured by the same pre- and
post-processing.
"""

import keras
import tensorflow as tf

from tfseg.errors import ConfigError

IMAGES = tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")


class Segmenter(tf.Module):
    """Wraps a segmentation model (or any forward function) in resize -> forward -> argmax.

    Each batch is resized bilinearly to the model's input size (as the training pipeline does),
    run in inference mode, and the logits are resized bilinearly back to the batch's size before
    the argmax, so class boundaries fall where the scores cross, at sub-pixel accuracy, rather
    than in blocks. A dimension the model leaves open keeps the image's size. Normalization is
    inside the model, so the images are the raw pixels.

    Args:
        model: a Keras model (RGB 0..255 `[B, h, w, 3]` in, logits `[B, h, w, C]` out), or any
            callable with that contract together with `input_size` and `num_classes`.
        input_size: `(height, width)` the forward pass takes; default the model's input size.
        num_classes: default the model's output channels.
        resize: False for a fixed-size artifact fed at exactly `input_size`: no resize in the
            graph, and the output is at that size.
        with_logits: also return the (resized) logits.

    Example:
        >>> segmenter = Segmenter(tfseg.build_model("shufflenet", "skipnet", 19, (360, 640)))
        >>> segmenter(np.zeros((1, 1024, 2048, 3), np.uint8)).shape
        TensorShape([1, 1024, 2048])
    """

    def __init__(self, model, *, input_size=None, num_classes=None, resize=True, with_logits=False):
        super().__init__(name="segmenter")
        if input_size is None or num_classes is None:
            height, width, classes = model_sizes(model)
            input_size = input_size or (height, width)
            num_classes = num_classes or classes
        self.model = model
        self.input_size = tuple(input_size)
        self.num_classes = int(num_classes)
        self.resize = bool(resize)
        self.with_logits = bool(with_logits)
        self.ids_dtype = tf.uint8 if self.num_classes <= 256 else tf.int32
        if not self.resize and None in self.input_size:
            raise ConfigError("Segmenter(resize=False) needs a fixed input_size")

    @tf.function(input_signature=[IMAGES])
    def serve(self, images):
        """uint8 `[B, H, W, 3]` -> `{"class_ids": [B, H, W]}` (+ `"logits"` with with_logits)."""
        return self.segment(images)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="encoded_images")])
    def serve_encoded(self, encoded):
        """Encoded PNG / JPEG bytes (one image per string, all the same size) -> as `serve`.

        TF Serving's REST and gRPC clients send images this way.
        """
        images = tf.map_fn(
            lambda data: tf.io.decode_image(data, channels=3, expand_animations=False),
            encoded,
            fn_output_signature=tf.TensorSpec([None, None, 3], tf.uint8),
        )
        return self.segment(images)

    def __call__(self, images):
        """The class ids of a batch (a tensor), for code that wants only them."""
        return self.serve(tf.convert_to_tensor(images, tf.uint8))["class_ids"]

    def segment(self, images):
        """The traced body of `serve`, for callers that compose it into their own function."""
        size = tf.shape(images)[1:3]
        if self.resize:
            model_size = [
                self.input_size[0] if self.input_size[0] is not None else size[0],
                self.input_size[1] if self.input_size[1] is not None else size[1],
            ]
            inputs = tf.image.resize(images, model_size, method="bilinear")
        else:
            inputs = tf.ensure_shape(tf.cast(images, tf.float32), [None, *self.input_size, 3])
        logits = tf.cast(self._forward(inputs), tf.float32)
        if not self.resize:
            return self._outputs(tf.argmax(logits, axis=-1, output_type=tf.int32), logits)

        def upsample(one_logits):
            return tf.image.resize(one_logits, size, method="bilinear")

        # One image at a time: full-size logits are large (2048x1024x19 float32 = 160 MB), so a
        # batch of them would multiply peak memory by the batch size for no speed gain.
        if self.with_logits:
            logits = tf.map_fn(
                upsample,
                logits,
                fn_output_signature=tf.TensorSpec([None, None, self.num_classes], tf.float32),
                parallel_iterations=1,
            )
            return self._outputs(tf.argmax(logits, axis=-1, output_type=tf.int32), logits)
        ids = tf.map_fn(
            lambda one: tf.argmax(upsample(one), axis=-1, output_type=tf.int32),
            logits,
            fn_output_signature=tf.TensorSpec([None, None], tf.int32),
            parallel_iterations=1,
        )
        return self._outputs(ids, None)

    def _forward(self, inputs):
        if isinstance(self.model, keras.layers.Layer):
            return self.model(inputs, training=False)
        return self.model(inputs)  # an artifact's forward function

    def _outputs(self, ids, logits):
        outputs = {"class_ids": tf.cast(ids, self.ids_dtype)}
        if self.with_logits:
            outputs["logits"] = logits
        return outputs


def model_sizes(model):
    """`(height, width, num_classes)` of a segmentation model; height/width may be None.

    Raises:
        ConfigError: the model does not take one RGB batch or return per-pixel logits.
    """
    input_shape, output_shape = model.input_shape, model.output_shape
    if not (isinstance(input_shape, tuple) and len(input_shape) == 4 and input_shape[-1] == 3):
        raise ConfigError(f"the model must take one RGB batch [B, H, W, 3], not {input_shape}")
    if not (isinstance(output_shape, tuple) and len(output_shape) == 4 and output_shape[-1]):
        raise ConfigError(f"the model must return logits [B, H, W, C], not {output_shape}")
    return input_shape[1], input_shape[2], output_shape[-1]
