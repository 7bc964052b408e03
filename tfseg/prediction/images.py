"""Image files in and out: segmenting a list of images, reading one, writing its PNG pair.

* `predict_images(segment, items, ...)` reads, segments and writes images in batches of equal
  size; `predict_inputs` calls it for each run of consecutive images.
* `read_image(path)` decodes a PNG or JPEG as uint8 RGB, failing with the file's name.
* `write_prediction(output_stem, image, train_ids, ...)` writes `<stem>_color.png` and
  `<stem>_overlay.png`; video frames go through it too (`tfseg/prediction/video.py`).
"""

import os

import cv2
import keras
import numpy as np

from tfseg.errors import DataError
from tfseg.io import image_header, write_png
from tfseg.prediction.blend import overlay
from tfseg.prediction.palette import colorize


def predict_images(segment, items, *, colors, alpha=0.5, batch_size=1, progress=True):
    """Reads, segments and writes images, batching consecutive images of the same size.

    Images are read one at a time and at most `batch_size` are held, so memory does not grow
    with the number of images. A batch is cut short where the image size changes, because the
    logits are resized back to the images' own size inside one batched call.

    Args:
        segment: `segment(uint8 images) -> train ids`: a `tfseg.inference.Segmenter` or an
            artifact's `Runtime`.
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
        >>> predict_images(Segmenter(model), list_inputs(["photos/"], "out"),
        ...                colors=info.colors)
        ['out/a_color.png', 'out/a_overlay.png', ...]
    """
    bar = None
    if progress and len(items) > 1:
        bar = keras.utils.Progbar(len(items), unit_name="image")
    written, batch, done = [], [], 0

    def flush():
        nonlocal batch, done
        ids = np.asarray(segment(np.stack([image for _, image in batch])))
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


def read_image(path):
    """Reads a PNG or JPEG as uint8 RGB, whatever its stored format.

    Grayscale becomes three equal channels, alpha is dropped, 16-bit is scaled to 8-bit, and a
    JPEG's EXIF orientation is applied, so the prediction lines up with the picture as viewers
    show it.

    Args:
        path: an image file.

    Returns:
        uint8 `[H, W, 3]` RGB.

    Raises:
        DataError: the file is missing, unreadable, not PNG/JPEG, truncated or corrupt; names it.

    Example:
        >>> read_image("frankfurt_000000_000294_leftImg8bit.png").shape
        (1024, 2048, 3)
    """
    image_header(path)  # named errors for missing, non-image and truncated files
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        raise DataError(f"{path}: cannot read file ({error.strerror or error})") from None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise DataError(f"{path}: corrupt image (it cannot be decoded)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def write_prediction(output_stem, image, train_ids, *, colors, alpha=0.5):
    """Writes `<output_stem>_color.png` and `<output_stem>_overlay.png`, each atomically.

    Args:
        output_stem: output path without suffix; missing folders are created.
        image: uint8 `[H, W, 3]` RGB.
        train_ids: integer `[H, W]` prediction.
        colors: RGB colour per class.
        alpha: weight of the colours in the overlay.

    Returns:
        `(paths, blended)`: the two paths written and the uint8 overlay image.

    Example:
        >>> paths, _ = write_prediction("out/x", image, ids, colors=info.colors)
        >>> paths
        ['out/x_color.png', 'out/x_overlay.png']
    """
    color = colorize(train_ids, colors)
    blended = overlay(image, color, alpha)
    os.makedirs(os.path.dirname(output_stem) or ".", exist_ok=True)
    paths = [output_stem + "_color.png", output_stem + "_overlay.png"]
    write_png(paths[0], color)
    write_png(paths[1], blended)
    return paths, blended
