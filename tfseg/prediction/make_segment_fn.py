"""The compiled forward pass of prediction: images in, train ids at the images' size out."""

import tensorflow as tf

from tfseg.errors import ConfigError


def make_segment_fn(model):
    """Wraps `model` in a `tf.function` that segments a batch of same-size images.

    Each batch is resized bilinearly to the model's input size (as the training pipeline does),
    run in inference mode, and the logits are resized bilinearly back to the batch's size before
    the argmax, so class boundaries are placed at sub-pixel accuracy rather than blocky.
    A dimension the model leaves open (`input_shape=None`) keeps the image's size. The input
    signature accepts any batch and image size, so the function is traced once.

    Args:
        model: a Keras model, RGB 0..255 `[B, H, W, 3]` in, logits `[B, H, W, C]` out.

    Returns:
        A function: uint8 `[B, h, w, 3]` RGB -> train ids `[B, h, w]` (uint8 for up to 256
        classes, else int32), as tensors.

    Raises:
        ConfigError: the model does not take one image batch or return per-pixel logits.

    Example:
        >>> segment = make_segment_fn(tfseg.build_model("shufflenet", "skipnet", 19, (64, 128)))
        >>> segment(np.zeros((2, 100, 150, 3), np.uint8)).shape
        TensorShape([2, 100, 150])
    """
    height, width, num_classes = model_sizes(model)
    ids_dtype = tf.uint8 if num_classes <= 256 else tf.int32

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8)])
    def segment(images):
        size = tf.shape(images)[1:3]
        model_size = [
            height if height is not None else size[0],
            width if width is not None else size[1],
        ]
        inputs = tf.image.resize(images, model_size, method="bilinear")
        logits = tf.cast(model(inputs, training=False), tf.float32)

        def upsample_argmax(one_logits):
            one_logits = tf.image.resize(one_logits, size, method="bilinear")
            return tf.cast(tf.argmax(one_logits, axis=-1), ids_dtype)

        # One image at a time: full-size logits are large (2048x1024x19 float32 = 160 MB), so a
        # batch of them would multiply peak memory by the batch size for no speed gain.
        return tf.map_fn(
            upsample_argmax,
            logits,
            fn_output_signature=tf.TensorSpec([None, None], ids_dtype),
            parallel_iterations=1,
        )

    return segment


def model_sizes(model):
    """`(height, width, num_classes)` of a segmentation model; height/width may be None."""
    input_shape, output_shape = model.input_shape, model.output_shape
    if not (isinstance(input_shape, tuple) and len(input_shape) == 4 and input_shape[-1] == 3):
        raise ConfigError(f"the model must take one RGB batch [B, H, W, 3], not {input_shape}")
    if not (isinstance(output_shape, tuple) and len(output_shape) == 4 and output_shape[-1]):
        raise ConfigError(f"the model must return logits [B, H, W, C], not {output_shape}")
    return input_shape[1], input_shape[2], output_shape[-1]
