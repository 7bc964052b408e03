"""tf.data ops that read one image/label pair and fail with the file's name on bad data."""

import tensorflow as tf

from tfseg.io.headers import PNG_SIGNATURE, PNG_TRAILER


def read_example(image_path, label_path, *, png_images=True):
    """Reads and decodes one pair inside a tf.data map, checking the files as it goes.

    Before decoding, the PNG signature, the closing IEND chunk (a truncated file lacks it) and the
    label's pixel format (8-bit grayscale) are checked, so those errors name the file instead of
    TensorFlow's bare "Invalid PNG data". After decoding, image and label must have the same size.

    Args:
        image_path: scalar string tensor.
        label_path: scalar string tensor.
        png_images: images are PNG (Cityscapes); False decodes PNG or JPEG (custom data).

    Returns:
        `(image, label)`: uint8 `[H, W, 3]` RGB and the raw uint8 label values `[H, W, 1]`.

    Raises (when the dataset is iterated):
        tf.errors.InvalidArgumentError whose message names the file and what is wrong.
    """
    image_bytes = tf.io.read_file(image_path)
    label_bytes = tf.io.read_file(label_path)
    checks = [check_png(label_bytes, label_path, "label", require_gray8=True)]
    if png_images:
        checks.append(check_png(image_bytes, image_path, "image"))
    else:
        checks.append(_check_image_type(image_bytes, image_path))
    with tf.control_dependencies(checks):
        if png_images:
            image = tf.io.decode_png(image_bytes, channels=3)
        else:
            image = tf.io.decode_image(image_bytes, channels=3, expand_animations=False)
        label = tf.io.decode_png(label_bytes, channels=1)
    same_size = _assert_same_size("image", image_path, image, label_path, tf.shape(label)[:2])
    with tf.control_dependencies([same_size]):
        return tf.identity(image), tf.identity(label)


def read_instance(instance_path, label_path, label_size):
    """Decodes an `*_instanceIds.png` (8- or 16-bit grayscale) to int32 `[H, W]`.

    Args:
        instance_path: scalar string tensor.
        label_path: the paired label, named in a size-mismatch error.
        label_size: int32 `[2]`, the label's height and width.
    """
    contents = tf.io.read_file(instance_path)
    with tf.control_dependencies([check_png(contents, instance_path, "instance")]):
        sixteen_bit = tf.equal(tf.strings.substr(contents, 24, 1), b"\x10")
        instance = tf.cond(
            sixteen_bit,
            lambda: tf.cast(tf.io.decode_png(contents, channels=1, dtype=tf.uint16), tf.int32),
            lambda: tf.cast(tf.io.decode_png(contents, channels=1), tf.int32),
        )
    same_size = _assert_same_size("instance", instance_path, instance, label_path, label_size)
    with tf.control_dependencies([same_size]):
        return tf.identity(instance[:, :, 0])


def _assert_same_size(kind, path, decoded, label_path, label_size):
    """An assert op: the decoded `kind` image at `path` is as large as the label."""
    size = tf.shape(decoded)[:2]
    return assert_that(
        tf.reduce_all(tf.equal(size, label_size)),
        f"{kind}/label size mismatch: {kind} ",
        path,
        " is ",
        _size(size),
        " but label ",
        label_path,
        " is ",
        _size(label_size),
    )


def check_png(contents, path, kind, require_gray8=False):
    """An assert op: `contents` is a complete PNG (and 8-bit grayscale if `require_gray8`)."""
    length = tf.strings.length(contents)
    complete = tf.logical_and(
        tf.equal(tf.strings.substr(contents, 0, 8), PNG_SIGNATURE),
        tf.equal(tf.strings.substr(contents, tf.maximum(length - 12, 0), 12), PNG_TRAILER),
    )
    ok = assert_that(
        complete, kind, " file ", path, ": not a PNG, or truncated (no closing IEND chunk)"
    )
    if not require_gray8:
        return ok
    with tf.control_dependencies([ok]):
        # IHDR: bit depth at byte 24, colour type at byte 25; 8 and 0 = 8-bit grayscale.
        gray8 = tf.equal(tf.strings.substr(contents, 24, 2), b"\x08\x00")
        return assert_that(
            gray8,
            kind,
            " file ",
            path,
            ": must be an 8-bit single-channel PNG of label values ",
            "(palette, RGB and 16-bit PNGs would be misread)",
        )


def assert_that(condition, *message):
    """`tf.debugging.Assert` whose message (strings and string tensors) is joined into one line."""
    return tf.debugging.Assert(condition, [tf.strings.join(list(message))], summarize=1)


def _check_image_type(contents, path):
    """PNG or JPEG, and a PNG must be complete (JPEG truncation shows up in the decoder)."""
    is_png = tf.equal(tf.strings.substr(contents, 0, 8), PNG_SIGNATURE)
    is_jpeg = tf.equal(tf.strings.substr(contents, 0, 2), b"\xff\xd8")
    known = assert_that(tf.logical_or(is_png, is_jpeg), "image file ", path, ": not PNG or JPEG")

    def complete_png():
        with tf.control_dependencies([check_png(contents, path, "image")]):
            return tf.identity(True)

    with tf.control_dependencies([known]):
        return tf.cond(is_png, complete_png, lambda: tf.identity(True))


def _size(size):
    return tf.strings.join([tf.strings.as_string(size[0]), "x", tf.strings.as_string(size[1])])
