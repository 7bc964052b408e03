"""Decodes one PNG or JPEG into RGB, failing with the file's name."""

import cv2
import numpy as np

from tfseg.errors import DataError
from tfseg.io import image_header


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
