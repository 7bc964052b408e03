"""The training / validation tf.data pipeline: batches of (image, label)."""

import tensorflow as tf

from tfseg.data.example_ops import augment_example, read_example, resize_example
from tfseg.data.splits import as_split
from tfseg.errors import ConfigError, check_int, is_int

AUGMENTATIONS = ("none", "standard")


def load_dataset(
    data_dir,
    split=None,
    *,
    height=512,
    width=1024,
    batch_size=4,
    training=False,
    augment="none",
    scale_range=(0.5, 2.0),
    photometric=False,
    keep_void=False,
    seed=None,
    shuffle_buffer=None,
    repeat=None,
    input_context=None,
    annotation=None,
    validate=True,
):
    """Batches of `(image, label)` read from the PNG files of a split.

    Images are float32 `[B, height, width, 3]` RGB in 0..255 (the models normalize internally);
    labels are int32 `[B, height, width]` train ids 0..N-1, ignore = 255. Without augmentation the
    pair is resized to `height x width` (bilinear image, nearest label), as the original did.

    Every file header is checked before the pipeline is built (`validate`), and while it runs a
    truncated PNG, a size mismatch or a label value outside the table stops iteration with an
    error naming the file: nothing is silently trained on.

    Args:
        data_dir: data set root, Cityscapes layout or custom (`dataset.json`), auto-detected; or
            a `Split` from `open_split` (then `split` may be left out), whose example list is
            read as it is.
        split: "train", "val", "test", or "train_extra" (Cityscapes coarse) / any custom split.
        height, width: network input size.
        batch_size: the global batch size; with `input_context` each pipeline batches its share.
        training: shuffle (whole file list unless `shuffle_buffer`), repeat (unless `repeat` is
            False), drop the last partial batch, and allow augmentation.
        augment: "none" (the original) or "standard": random scale in `scale_range`, crop/pad
            (label padding = ignore) and horizontal flip, jointly on image and label.
        scale_range: (min, max) random scale relative to `height x width`.
        photometric: brightness / contrast / saturation jitter (needs training=True).
        keep_void: train void as class N (19 for Cityscapes, the original's 20th class); a
            `Split` has it from `open_split`.
        seed: makes shuffling, augmentation and element order reproducible; None = random.
        shuffle_buffer: elements of the (file-name) shuffle buffer; default all files.
        repeat: None repeats iff training; True/False force it.
        input_context: a `tf.distribute.InputContext` (`distribute_datasets_from_function`):
            shards the files by input pipeline and batches the per-replica size.
        annotation: Cityscapes "fine" or "coarse"; default coarse only for train_extra.
        validate: read every file header first and raise `DataError` naming bad files (a
            `Split` that `open_split` checked is not checked again).

    Returns:
        A `tf.data.Dataset` of `(image, label)`, prefetched, auto-shard policy DATA.

    Raises:
        DataError: missing folders, unpaired or bad files (named), an empty split.
        ConfigError: a bad argument value.

    Example:
        >>> ds = load_dataset("data/synthetic", "train", height=256, width=512, batch_size=8,
        ...                   training=True, augment="standard", seed=0)
        >>> images, labels = next(iter(ds))  # [8, 256, 512, 3] float32, [8, 256, 512] int32
    """
    _check_arguments(height, width, batch_size, augment, scale_range, shuffle_buffer, seed)
    augmenting = augment == "standard" or photometric
    if augmenting and not training:
        raise ConfigError("augmentation (augment='standard' or photometric) needs training=True")
    opened = as_split(
        data_dir, split, annotation=annotation, keep_void=keep_void, validate=validate
    )
    info, examples = opened.info, opened.examples
    png_images = info.png_images

    per_batch = batch_size
    files = tf.data.Dataset.from_tensor_slices(([e[0] for e in examples], [e[1] for e in examples]))
    if input_context is not None:
        pipelines, index = input_context.num_input_pipelines, input_context.input_pipeline_id
        if len(examples) < pipelines:
            raise ConfigError(
                f"{len(examples)} examples cannot be sharded over {pipelines} pipelines"
            )
        per_batch = input_context.get_per_replica_batch_size(batch_size)
        files = files.shard(pipelines, index)
        seed = None if seed is None else seed + index  # different augmentation per shard
    if training:
        files = files.shuffle(
            shuffle_buffer or len(examples), seed=seed, reshuffle_each_iteration=True
        )
    if training if repeat is None else repeat:
        files = files.repeat()

    table = tf.constant(info.lookup_table())

    if augmenting:
        augment_options = dict(
            height=height,
            width=width,
            scale_range=(
                tuple(float(s) for s in scale_range) if augment == "standard" else (1.0, 1.0)
            ),
            flip=augment == "standard",
            photometric=photometric,
        )
        # One stateless seed pair per element: the result does not depend on thread scheduling.
        seeds = tf.data.Dataset.random(seed=seed).batch(2, drop_remainder=True)
        elements = tf.data.Dataset.zip(files, seeds)

        def load(paths, element_seed):
            image, raw_label = read_example(*paths, png_images=png_images)
            return augment_example(
                image, raw_label, table, paths[1], element_seed, **augment_options
            )

    else:
        elements = files

        def load(image_path, label_path):
            image, raw_label = read_example(image_path, label_path, png_images=png_images)
            return resize_example(image, raw_label, table, label_path, height=height, width=width)

    deterministic = seed is not None or not training
    dataset = elements.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
    dataset = dataset.batch(per_batch, drop_remainder=training)
    dataset = dataset.prefetch(tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.deterministic = deterministic
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _check_arguments(height, width, batch_size, augment, scale_range, shuffle_buffer, seed):
    for name, value in (("height", height), ("width", width), ("batch_size", batch_size)):
        check_int(name, value, minimum=1)
    if augment not in AUGMENTATIONS:
        raise ConfigError(f"augment must be one of {AUGMENTATIONS}, got {augment!r}")
    try:
        low, high = (float(s) for s in scale_range)
    except (TypeError, ValueError):
        raise ConfigError(f"scale_range must be (min, max), got {scale_range!r}") from None
    if not 0 < low <= high:
        raise ConfigError(f"scale_range must satisfy 0 < min <= max, got {scale_range!r}")
    if shuffle_buffer is not None:
        check_int("shuffle_buffer", shuffle_buffer, minimum=1)
    if seed is not None and not is_int(seed):
        raise ConfigError(f"seed must be an integer or None, got {seed!r}")
