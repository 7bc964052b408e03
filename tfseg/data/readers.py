"""Reads a label PNG into numpy for the checker and the class-weight counter."""

import cv2
import numpy as np

from tfseg.errors import DataError


def read_label_file(path):
    """Decodes an 8-bit single-channel label PNG.

    Args:
        path: the label file.

    Returns:
        uint8 `[H, W]` array of label values.

    Raises:
        DataError: unreadable, corrupt, or not 8-bit single-channel; names the file.

    Example:
        >>> values = read_label_file("x_gtFine_labelIds.png")
    """
    array = read_image_file(path)
    if array.dtype != np.uint8 or array.ndim != 2:
        kind = (
            f"{array.dtype.itemsize * 8}-bit, {1 if array.ndim == 2 else array.shape[2]} channel(s)"
        )
        raise DataError(f"{path}: label must be an 8-bit single-channel PNG, found {kind}")
    return array


def read_image_file(path, flags=cv2.IMREAD_UNCHANGED):
    """`cv2.imread` that raises `DataError` naming the file instead of returning None."""
    try:
        array = cv2.imread(path, flags)
    except cv2.error as error:
        raise DataError(f"{path}: cannot decode ({error})") from None
    if array is None:
        raise DataError(f"{path}: unreadable or corrupt image")
    return array
