"""Writes a PNG so that readers never see a half-written file."""

import cv2
import numpy as np

from tfseg.errors import DataError
from tfseg.io.files import atomic_write


def write_png(path, array):
    """Encodes `array` as PNG into a temporary file next to `path`, then renames it over `path`.

    Args:
        path: destination file.
        array: uint8 `[H, W]` (grayscale), uint16 `[H, W]` (16-bit grayscale, e.g. instanceIds),
            uint8 `[H, W, 3]` RGB or `[H, W, 4]` RGBA (channel order as given, not OpenCV's BGR).

    Example:
        >>> write_png("out/label.png", np.zeros((4, 8), np.uint8))
    """
    array = np.asarray(array)
    if array.ndim == 3:
        code = cv2.COLOR_RGB2BGR if array.shape[2] == 3 else cv2.COLOR_RGBA2BGRA
        array = cv2.cvtColor(array, code)
    ok, encoded = cv2.imencode(".png", array)
    if not ok:
        raise DataError(f"{path}: PNG encoding failed for an array of {array.shape} {array.dtype}")
    atomic_write(path, encoded.tobytes())
