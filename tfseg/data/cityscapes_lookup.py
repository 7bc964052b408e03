"""The Cityscapes labelId -> trainId table, built from cityscapesscripts' official label list."""

import numpy as np
from cityscapesscripts.helpers.labels import labels

from tfseg.labels import IGNORE_VALUE

# The 19 evaluated classes; every other label is void.
NUM_CITYSCAPES_CLASSES = 19
# Marks a value that is not a label id at all (e.g. 34..255 in a labelIds PNG).
UNKNOWN = -1


def cityscapes_lookup(keep_void=False):
    """A 256-entry table mapping every uint8 labelId to its trainId.

    The 19 evaluated classes get trainIds 0..18, every other official label id (0..6, 9, 10, 14..16,
    18, 29, 30) gets the ignore value 255, or 19 with `keep_void=True` (the original framework
    trained void as a 20th class). Values that are not Cityscapes label ids (34..255) map to -1, so
    the caller can reject the file instead of training on garbage.

    Args:
        keep_void: map void labels to class 19 instead of 255.

    Returns:
        `np.ndarray` of shape `[256]`, dtype int32.

    Example:
        >>> table = cityscapes_lookup()
        >>> int(table[7]), int(table[26]), int(table[0]), int(table[40])  # road, car, unlabeled, ?
        (0, 13, 255, -1)
    """
    table = np.full(256, UNKNOWN, dtype=np.int32)
    void = NUM_CITYSCAPES_CLASSES if keep_void else IGNORE_VALUE
    for label in labels:
        if label.id < 0:  # 'license plate' is never written to labelIds PNGs
            continue
        train_id = label.trainId
        table[label.id] = train_id if 0 <= train_id < NUM_CITYSCAPES_CLASSES else void
    return table
