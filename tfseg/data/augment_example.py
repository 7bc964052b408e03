"""Joint random scale, crop, flip and photometric jitter of an image and its label."""

import tensorflow as tf

from tfseg.data.map_label import PADDING, map_label


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
