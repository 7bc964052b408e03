"""Runs a model over an evaluation split at the labels' full resolution and computes its metrics."""

import collections
import contextlib
import os
import time
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
import tensorflow as tf

from tfseg.data.decode_errors import data_error_from
from tfseg.data.evaluation_pipeline import load_eval_dataset
from tfseg.data.splits import as_split
from tfseg.errors import ConfigError, DataError, check_int
from tfseg.evaluation.confusion_matrix import ConfusionMatrix
from tfseg.evaluation.instance_stats import InstanceStats
from tfseg.evaluation.metrics import compute_metrics
from tfseg.evaluation.prediction_files import prediction_path
from tfseg.inference import Segmenter
from tfseg.io import write_png

# PNG writes run in a background thread (OpenCV releases the GIL); this bounds the images held
# in memory while waiting to be written.
_MAX_PENDING_WRITES = 4


def evaluate(
    segment,
    data_dir,
    split=None,
    *,
    keep_void=False,
    predictions_dir=None,
    progress=True,
    annotation=None,
    max_images=None,
):
    """Evaluates any segmenter on a split, at the resolution of the label files.

    `segment` takes one uint8 RGB image as stored `[1, H, W, 3]` and returns its train ids
    `[1, H, W]`: a `tfseg.inference.Segmenter`, or any exported artifact through
    `tfseg.runtimes.load_runtime(path).segment`, so every format is measured by this same code.
    Metrics are those of `compute_metrics`, which match cityscapesscripts'
    `evalPixelLevelSemanticLabeling.py`.

    iIoU needs Cityscapes instance ids: it is computed when every label of the split has its
    `*_instanceIds.png`, and is NaN otherwise (and always for custom data sets).

    Args:
        segment: `segment(images) -> class ids` (tensor or numpy).
        data_dir: data set root (Cityscapes layout or custom), or a `Split` from `open_split`
            (which carries its split, annotation and keep_void).
        split: the split to evaluate; default "val".
        keep_void: the segmenter predicts a last "void" class (20 for Cityscapes). Void
            predictions are written as label id 0 (the data set's ignore value for custom data)
            and count as misses of the ground-truth class, never as false positives; void
            ground truth is not evaluated.
        predictions_dir: if set, every prediction is also written there as a PNG of label ids
            (`DatasetInfo.train_id_to_label_id`), named by `prediction_path` (Cityscapes:
            `<city>/<city>_<seq>_<frame>_pred_labelIds.png`), atomically.
        progress: show a `keras.utils.Progbar` with the running mIoU.
        annotation: Cityscapes "fine" / "coarse" (default: fine, coarse for train_extra).
        max_images: evaluate only the split's first this many images (file-name order).

    Returns:
        The `compute_metrics` dict plus `num_images` and `seconds` (wall time of the loop).

    Raises:
        ConfigError: the predictions do not fit the data set (size, class ids).
        DataError: missing or bad data files (the message names them).

    Example:
        >>> runtime = tfseg.runtimes.load_runtime("runs/x/export/tflite/model_float.tflite")
        >>> metrics = evaluate(runtime.segment, "data/cityscapes", "val")
    """
    opened = as_split(data_dir, split, default="val", annotation=annotation, keep_void=keep_void)
    if max_images is not None:
        opened = opened.head(check_int("max_images", max_images, minimum=1))
    info = opened.info
    dataset = load_eval_dataset(opened)
    use_instances = info.instance_metrics and opened.has_all_instances
    confusion = ConfusionMatrix(info.num_classes, info.ignore_value)
    instance_stats = InstanceStats(info.num_classes) if use_instances else None
    label_ids = np.asarray(info.train_id_to_label_id, np.uint8)
    bar = None
    if progress:
        bar = keras.utils.Progbar(len(opened), stateful_metrics=["mIoU"], unit_name="image")

    start = time.perf_counter()
    count = 0
    with contextlib.ExitStack() as stack:
        writer = pending = None
        if predictions_dir is not None:
            os.makedirs(predictions_dir, exist_ok=True)
            writer = stack.enter_context(ThreadPoolExecutor(1))
            pending = collections.deque()
        for example in _iterate(dataset, opened):
            label = example["label"][0].numpy()
            prediction = _prediction(segment, example["image"], label, info)
            confusion.update(label, prediction)
            if instance_stats is not None:
                instance_stats.update(example["instance"][0].numpy(), prediction)
            if writer is not None:
                path = prediction_path(
                    predictions_dir, example["label_path"][0].numpy().decode(), opened.label_dir
                )
                os.makedirs(os.path.dirname(path), exist_ok=True)
                pending.append(writer.submit(write_png, path, label_ids[prediction]))
                while len(pending) > _MAX_PENDING_WRITES:
                    pending.popleft().result()
            count += 1
            if bar is not None:
                running = compute_metrics(confusion, info)["miou"]
                bar.update(count, values=[("mIoU", running)])
        while pending:
            pending.popleft().result()
    seconds = time.perf_counter() - start

    metrics = compute_metrics(confusion, info, instance_stats=instance_stats)
    metrics["num_images"] = count
    metrics["seconds"] = seconds
    return metrics


def evaluate_model(model, data_dir, split=None, *, height, width, **options):
    """Evaluates a Keras model: `evaluate` with `Segmenter(model)` at `height` x `width`.

    Each image is resized to `height` x `width` for the network; its logits are then resized
    **bilinearly** to the label's full resolution (e.g. 512x1024 -> 1024x2048) and the arg-max is
    taken there. Interpolating the scores places class boundaries where the scores cross, with
    sub-pixel precision; taking the arg-max first and upsampling it with nearest neighbour (what
    the original framework exported) turns every low-resolution pixel into a block with
    staircase edges, which costs IoU on thin and small objects.

    Args:
        model: a Keras model mapping RGB 0..255 `[1, height, width, 3]` to logits
            `[1, h, w, num_classes]` (any h, w: they are resized).
        data_dir, split: as for `evaluate` (a folder and a split name, or a `Split`).
        height, width: network input size.
        **options: `keep_void`, `predictions_dir`, `progress`, `annotation`, `max_images`, as
            for `evaluate`.

    Returns:
        The `evaluate` dict.

    Raises:
        ConfigError: the model's classes or input size do not fit the data set.
        DataError: missing or bad data files (the message names them).

    Example:
        >>> model = tfseg.build_model("shufflenet", "skipnet", num_classes=19,
        ...                           input_shape=(512, 1024))
        >>> metrics = evaluate_model(model, "data/cityscapes", "val", height=512, width=1024)
        >>> print(format_metrics_table(metrics))
    """
    opened = as_split(
        data_dir, split, default="val", annotation=options.pop("annotation", None),
        keep_void=options.pop("keep_void", False), validate=False,
    )  # fmt: skip
    _check_model(model, opened.info, height, width)
    segmenter = Segmenter(model, input_size=(height, width))
    return evaluate(segmenter, opened, **options)  # which checks the headers


def _prediction(segment, image, label, info):
    """`segment`'s class ids for one image, checked against the label."""
    prediction = np.asarray(segment(image))
    if prediction.ndim == 3:
        prediction = prediction[0]
    if prediction.shape != label.shape:
        raise ConfigError(
            f"the segmenter returned class ids of size {prediction.shape} for a label of size "
            f"{label.shape}"
        )
    return prediction.astype(np.int64, copy=False)


def _check_model(model, info, height, width):
    output_shape, input_shape = _shape(model, "output_shape"), _shape(model, "input_shape")
    classes = output_shape[-1] if output_shape else None
    if classes is not None and classes != info.num_classes:
        hint = ""
        if classes == info.num_classes + 1 and not info.keep_void:
            hint = " (a model with a void class needs keep_void=True)"
        elif classes == info.num_classes - 1 and info.keep_void:
            hint = " (this model has no void class: keep_void=False)"
        raise ConfigError(
            f"the model predicts {classes} classes but the data set in {info.root} has "
            f"{info.num_classes}{hint}"
        )
    if input_shape and len(input_shape) == 4:
        expected = input_shape[1:3]
        if any(e is not None and e != v for e, v in zip(expected, (height, width))):
            raise ConfigError(
                f"the model takes {expected[0]}x{expected[1]} images, but height x width is "
                f"{height}x{width}"
            )


def _shape(model, attribute):
    """A single-tensor model's input / output shape, or None (unbuilt or several tensors)."""
    try:
        shape = getattr(model, attribute)
    except (AttributeError, ValueError):
        return None
    return tuple(shape) if isinstance(shape, (tuple, list)) and not _nested(shape) else None


def _nested(shape):
    return any(isinstance(d, (tuple, list)) for d in shape)


def _iterate(dataset, opened=None):
    """The dataset's elements; a file error met while reading becomes a `DataError` naming it
    (a decoder's error, which names no file, is traced to the file among `opened`'s)."""
    iterator = iter(dataset)
    while True:
        try:
            example = next(iterator)
        except StopIteration:
            return
        except tf.errors.InvalidArgumentError as error:
            found = data_error_from(error, opened) if opened is not None else None
            # The pipeline's other errors are about its files too; drop TensorFlow's op trace.
            raise (found or DataError(error.message.split("\n")[0])) from None
        yield example
