"""The tf.data ops on one example: read and check a pair, map label values to train ids, and
resize or augment the pair to the network's input size.

Every op fails with the file's name on bad data (a `tf.errors.InvalidArgumentError` when the
dataset is iterated), so nothing is silently trained on.
"""

import tensorflow as tf

from tfseg.io.headers import PNG_SIGNATURE, PNG_TRAILER
from tfseg.labels import IGNORE_VALUE

# A label value that marks padding added by augmentation; it maps to the ignore value.
PADDING = -1
# How many offending values an error message lists.
_LISTED = 10


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


def map_label(raw_label, table, label_path):
    """Looks every pixel up in the 256-entry `table` (see `DatasetInfo.lookup`).

    Args:
        raw_label: integer tensor of label-file values (0..255, or `PADDING` = -1 for pixels
            added by augmentation), any shape.
        table: int32 tensor `[256]`; -1 marks a value that is not in the table.
        label_path: scalar string tensor, named in the error.

    Returns:
        int32 tensor of train ids (ignore and padding = 255), same shape as `raw_label`.

    Raises (when the dataset is iterated):
        tf.errors.InvalidArgumentError naming the file and the unknown values: a label file with
        values outside the table is never trained on.

    Example:
        >>> map_label(tf.constant([7, 26, 0]), tf.constant(cityscapes_lookup()), "x.png")
        <tf.Tensor: ... numpy=array([  0,  13, 255], dtype=int32)>
    """
    raw_label = tf.cast(raw_label, tf.int32)
    # Entry 0 of the shifted table is the padding value, so one gather maps both.
    shifted = tf.concat([[IGNORE_VALUE], tf.cast(table, tf.int32)], 0)
    mapped = tf.gather(shifted, raw_label + 1)

    def report():
        flat_raw, flat_mapped = tf.reshape(raw_label, [-1]), tf.reshape(mapped, [-1])
        unknown, _ = tf.unique(tf.boolean_mask(flat_raw, flat_mapped < 0))
        listed = tf.strings.reduce_join(
            tf.strings.as_string(tf.sort(unknown)[:_LISTED]), separator=", "
        )
        failed = assert_that(
            False, "label file ", label_path, ": values outside the label table: ", listed
        )
        with tf.control_dependencies([failed]):
            return tf.identity(False)

    known = tf.cond(tf.reduce_min(mapped) >= 0, lambda: tf.identity(True), report)
    with tf.control_dependencies([known]):
        return tf.identity(mapped)


def resize_example(image, raw_label, table, label_path, *, height, width):
    """Bilinear for the image, nearest for the label, then label values -> train ids.

    Args:
        image: uint8 `[H0, W0, 3]`.
        raw_label: uint8 `[H0, W0, 1]` label-file values.
        table: int32 `[256]` lookup (`DatasetInfo.lookup`).
        label_path: scalar string tensor, for error messages.
        height, width: output size.

    Returns:
        `(image, label)`: float32 `[height, width, 3]` in 0..255 and int32 `[height, width]`.
    """
    image = tf.image.resize(image, [height, width], method="bilinear")
    label = tf.image.resize(raw_label, [height, width], method="nearest")
    # Looking up after the resize touches 4x fewer pixels at 512x1024, and still checks every
    # pixel the network is trained on.
    label = map_label(label, table, label_path)
    image = tf.ensure_shape(image, [height, width, 3])
    return image, tf.ensure_shape(label[:, :, 0], [height, width])


def augment_example(
    image,
    raw_label,
    table,
    label_path,
    seed,
    *,
    height,
    width,
    scale_range=(0.5, 2.0),
    flip=True,
    photometric=False,
):
    """Training augmentation; every random choice comes from `seed`, so it is reproducible.

    The pair is scaled by `s ~ U(scale_range)` relative to `height x width` (so s = 1 is the plain
    resize of `augment="none"`), and a `height x width` window is taken at a random offset: a crop
    where the scaled pair is larger, padding where it is smaller (image 0, label 255 = ignore,
    never trained on). With probability 1/2 the window is mirrored. Scaling, cropping, padding
    and flipping are one `tf.image.crop_and_resize` per tensor (bilinear for the image, nearest
    for the label) with the same box, which keeps the two aligned and only computes the output
    pixels, straight from the file's resolution. With `photometric`, brightness (+-32), contrast
    (x0.8..1.2) and saturation (x0.8..1.2) are then jittered on the image only.

    Args:
        image: uint8 `[H0, W0, 3]`.
        raw_label: uint8 `[H0, W0, 1]` label-file values.
        table: int32 `[256]` lookup (`DatasetInfo.lookup`).
        label_path: scalar string tensor, for error messages.
        seed: int32/int64 `[2]`, the stateless seed of this example.
        height, width: output size.
        scale_range: (min, max) of the random scale; (1, 1) disables scaling.
        flip: random horizontal flip.
        photometric: colour jitter.

    Returns:
        `(image, label)`: float32 `[height, width, 3]` in 0..255 and int32 `[height, width]`.

    Example:
        >>> image, label = augment_example(image, raw_label, table, path, tf.constant([0, 7]),
        ...                                height=512, width=1024)
    """
    seeds = tf.random.experimental.stateless_split(seed, num=4)
    scale = tf.random.stateless_uniform([], seeds[0], scale_range[0], scale_range[1])
    offsets = tf.random.stateless_uniform([2], seeds[1])
    source = tf.cast(tf.shape(image)[:2], tf.float32)
    box = []
    for axis, target in enumerate((height, width)):
        scaled = target * scale  # size of the whole scaled image on this axis
        # Window start in scaled pixels: in [0, scaled - target] (crop) or [scaled - target, 0]
        # (pad), uniformly either way.
        start = offsets[axis] * (scaled - target)
        # Centres of the first / last window pixels, in source pixels (half-pixel convention, as
        # tf.image.resize), then normalized as crop_and_resize wants (0 and 1 = edge centres).
        ratio = source[axis] / scaled
        first = (start + 0.5) * ratio - 0.5
        last = (start + target - 0.5) * ratio - 0.5
        denominator = tf.maximum(source[axis] - 1, 1.0)
        box.append((first / denominator, last / denominator))
    (y1, y2), (x1, x2) = box
    if flip:
        mirrored = tf.random.stateless_uniform([], seeds[2]) < 0.5
        x1, x2 = tf.where(mirrored, x2, x1), tf.where(mirrored, x1, x2)  # a reversed box mirrors
    boxes = tf.reshape(tf.stack([y1, x1, y2, x2]), [1, 4])
    size = [height, width]
    image = tf.image.crop_and_resize(image[None], boxes, [0], size, method="bilinear")[0]
    label = tf.image.crop_and_resize(
        raw_label[None], boxes, [0], size, method="nearest", extrapolation_value=PADDING
    )[0]
    label = map_label(tf.cast(label, tf.int32), table, label_path)
    if photometric:
        image = _photometric(image, seeds[3])
    image = tf.ensure_shape(image, [height, width, 3])
    return image, tf.ensure_shape(label[:, :, 0], [height, width])


def _photometric(image, seed):
    seeds = tf.random.experimental.stateless_split(seed, num=3)
    image = image + tf.random.stateless_uniform([], seeds[0], -32.0, 32.0)
    image = tf.image.adjust_contrast(image, tf.random.stateless_uniform([], seeds[1], 0.8, 1.2))
    image = tf.clip_by_value(image, 0.0, 255.0)
    image = tf.image.adjust_saturation(image, tf.random.stateless_uniform([], seeds[2], 0.8, 1.2))
    return tf.clip_by_value(image, 0.0, 255.0)
