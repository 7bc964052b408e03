"""Segments a list of images in batches of equal size."""

import keras
import numpy as np

from tfseg.prediction.read_image import read_image
from tfseg.prediction.write_prediction import write_prediction


def predict_images(segment, items, *, colors, alpha=0.5, batch_size=1, progress=True):
    """Reads, segments and writes images, batching consecutive images of the same size.

    Images are read one at a time and at most `batch_size` are held, so memory does not grow
    with the number of images. A batch is cut short where the image size changes, because the
    logits are resized back to the images' own size inside one batched call.

    Args:
        segment: from `make_segment_fn(model)`.
        items: image `PredictionInput`s (from `list_inputs`).
        colors: RGB colour per class.
        alpha: weight of the colours in the overlay.
        batch_size: images per forward pass.
        progress: show a `keras.utils.Progbar` when there is more than one image.

    Returns:
        The paths written, two per image (`_color.png`, `_overlay.png`), in input order.

    Raises:
        DataError: an image cannot be decoded; names it (images before it are already written).

    Example:
        >>> predict_images(make_segment_fn(model), list_inputs(["photos/"], "out"),
        ...                colors=info.colors)
        ['out/a_color.png', 'out/a_overlay.png', ...]
    """
    bar = None
    if progress and len(items) > 1:
        bar = keras.utils.Progbar(len(items), unit_name="image")
    written, batch, done = [], [], 0

    def flush():
        nonlocal batch, done
        ids = segment(np.stack([image for _, image in batch])).numpy()
        for (item, image), item_ids in zip(batch, ids):
            paths, _ = write_prediction(
                item.output_stem, image, item_ids, colors=colors, alpha=alpha
            )
            written.extend(paths)
        done += len(batch)
        batch = []
        if bar is not None:
            bar.update(done)

    for item in items:
        image = read_image(item.path)
        if batch and image.shape != batch[0][1].shape:
            flush()
        batch.append((item, image))
        # Flush a full batch at once, so an error in a later image leaves this one written.
        if len(batch) == batch_size:
            flush()
    if batch:
        flush()
    return written
