"""The evaluation pipeline: one example at a time, labels at their file's full resolution."""

import tensorflow as tf

from tfseg.data.example_ops import map_label, read_example, read_instance
from tfseg.data.splits import as_split
from tfseg.errors import check_int


def load_eval_dataset(
    data_dir,
    split=None,
    *,
    height=None,
    width=None,
    keep_void=False,
    annotation=None,
    validate=True,
    max_images=None,
):
    """Single examples (batch 1) for evaluation, in file-name order.

    Each element is a dict:
        image: uint8 `[1, H0, W0, 3]` RGB as stored (what `tfseg.inference.Segmenter` takes);
            with `height` and `width`, float32 `[1, height, width, 3]` resized (bilinear) for
            the network instead.
        label: int32 `[1, H0, W0]` train ids (ignore 255) at the label file's full resolution;
            the evaluator upsamples the logits to it.
        instance: int32 `[1, H0, W0]`: the `*_instanceIds.png` if present, else the raw label ids
            (Cityscapes semantics: non-instance pixels hold their label id), zeros for custom data.
        image_path, label_path: string `[1]`.

    Args:
        data_dir: data set root (Cityscapes layout or custom), auto-detected; or a `Split` from
            `open_split` (then `split` may be left out).
        split: e.g. "val".
        height, width: network input size, or None (the default) for the image as stored.
        keep_void: map void to class N instead of 255 (as in `load_dataset`).
        annotation: Cityscapes "fine" or "coarse"; default coarse only for train_extra.
        validate: check every file header first (raises `DataError` naming bad files); a
            `Split` that `open_split` checked is not checked again.
        max_images: only the first this many examples.

    Returns:
        A `tf.data.Dataset` of dicts, prefetched.

    Example:
        >>> for example in load_eval_dataset("data/synthetic", "val", height=256, width=512):
        ...     logits = model(example["image"])  # then resize to example["label"].shape[1:]
    """
    resize = height is not None or width is not None
    if resize:
        height, width = check_int("height", height, minimum=1), check_int("width", width, minimum=1)
    opened = as_split(
        data_dir, split, annotation=annotation, keep_void=keep_void, validate=validate
    )
    info, examples = opened.info, opened.examples
    if max_images is not None:
        examples = examples[: check_int("max_images", max_images, minimum=1)]
    png_images = info.png_images
    table = tf.constant(info.lookup_table())
    # "" marks a missing instance file; Cityscapes then falls back to the label ids.
    instances = [e[2] or "" for e in examples]
    use_label_ids = info.instance_metrics

    def load(image_path, label_path, instance_path):
        image, raw_label = read_example(image_path, label_path, png_images=png_images)
        label = map_label(raw_label[:, :, 0], table, label_path)
        size = tf.shape(label)
        if use_label_ids:
            instance = tf.cond(
                tf.equal(instance_path, ""),
                lambda: tf.cast(raw_label[:, :, 0], tf.int32),
                lambda: read_instance(instance_path, label_path, size),
            )
        else:
            instance = tf.zeros(size, tf.int32)
        if resize:
            image = tf.ensure_shape(
                tf.image.resize(image, [height, width], method="bilinear"), [height, width, 3]
            )
        return {
            "image": image,
            "label": label,
            "instance": instance,
            "image_path": image_path,
            "label_path": label_path,
        }

    dataset = tf.data.Dataset.from_tensor_slices(
        ([e[0] for e in examples], [e[1] for e in examples], instances)
    )
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.batch(1).prefetch(tf.data.AUTOTUNE)
