"""How closely an artifact follows the Keras model, on validation images of the model's data set."""

import numpy as np

from tfseg.data import list_examples
from tfseg.errors import DataError


def measure_parity(reference, artifact, data_dir, split="val", *, num_images=50, keep_void=False):
    """Compares an artifact's runtime with the Keras model's on the first `num_images` images.

    Both see the same images through the same pre- and post-processing (`Runtime.segment`), so
    what differs is the artifact alone. Logits are compared at the network's input size; the
    mIoU of each is computed by `tfseg.evaluation.evaluate` on the same images, at the labels'
    resolution, with the metrics of every other evaluation.

    Args:
        reference: the Keras model's `Runtime`.
        artifact: the artifact's `Runtime`.
        data_dir, split: the validation data.
        num_images: how many images (the split's first, in file-name order).
        keep_void: the model has the original's void class.

    Returns:
        `{"images", "split", "max_abs_logit_diff", "max_rel_logit_diff", "argmax_agreement",
        "miou", "keras_miou", "miou_delta"}`.
    """
    from tfseg.evaluation import evaluate
    from tfseg.prediction.images import read_image

    examples = list_examples(data_dir, split)[:num_images]
    if not examples:
        raise DataError(f"{data_dir}: the {split!r} split has no images for the parity check")
    worst, scale, agree, pixels = 0.0, 0.0, 0, 0
    for image_path, *_ in examples:
        image = read_image(image_path)[None]
        inputs = _resized(image, reference.input_size)
        want = np.asarray(reference.logits(inputs), np.float32)
        got = np.asarray(artifact.logits(_resized(image, artifact.input_size)), np.float32)
        if got.shape != want.shape:
            raise DataError(
                f"{artifact.path}: logits of shape {got.shape}, the Keras model's are {want.shape}"
            )
        worst = max(worst, float(np.abs(got - want).max()))
        scale = max(scale, float(np.abs(want).max()))
        agree += int((got.argmax(-1) == want.argmax(-1)).sum())
        pixels += want.shape[0] * want.shape[1] * want.shape[2]
    options = {"keep_void": keep_void, "max_images": num_images, "progress": False}
    artifact_metrics = evaluate(artifact.segment, data_dir, split, **options)
    keras_metrics = evaluate(reference.segment, data_dir, split, **options)
    return {
        "images": len(examples),
        "split": split,
        "max_abs_logit_diff": worst,
        "max_rel_logit_diff": worst / scale if scale else 0.0,
        "argmax_agreement": agree / pixels,
        "miou": artifact_metrics["miou"],
        "keras_miou": keras_metrics["miou"],
        "miou_delta": artifact_metrics["miou"] - keras_metrics["miou"],
    }


def _resized(image, size):
    import tensorflow as tf

    size = [s if s is not None else image.shape[1 + i] for i, s in enumerate(size)]
    return tf.image.resize(image, size, method="bilinear").numpy()
