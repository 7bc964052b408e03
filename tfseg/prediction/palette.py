"""`colorize`: paints a map of train ids with the data set's class colours.

`palette_array` checks a colour list and returns it as an array; `predict_inputs` uses it to
check its options before anything is written.
"""

import numpy as np

from tfseg.errors import ConfigError


def colorize(train_ids, colors):
    """Looks up the RGB colour of every pixel's class (pure numpy; eager tensors are converted).

    Ids outside `0..len(colors) - 1`, such as the ignore value 255 of a label map, are painted
    black, so ground-truth labels can be coloured with the same call as predictions.

    Args:
        train_ids: integer array of any shape, e.g. `[H, W]` or `[B, H, W]`.
        colors: one RGB triple (0..255) per class, in train-id order (`DatasetInfo.colors`).

    Returns:
        uint8 array of shape `train_ids.shape + (3,)`.

    Raises:
        ConfigError: `train_ids` is not integer, or `colors` is not a list of RGB triples.

    Example:
        >>> colorize(np.array([[0, 1], [255, 1]]), [(128, 64, 128), (244, 35, 232)])[1, 0]
        array([0, 0, 0], dtype=uint8)
    """
    ids = np.asarray(train_ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise ConfigError(f"train ids must be integers, got an array of {ids.dtype}")
    palette = palette_array(colors)
    # One extra black row for every out-of-range id: a single gather, no second pass to mask.
    table = np.concatenate([palette, np.zeros((1, 3), np.uint8)])
    valid = (ids >= 0) & (ids < len(palette))
    return table[np.where(valid, ids, len(palette))]


def palette_array(colors):
    """`colors` as a uint8 `[N, 3]` array, checking it is a non-empty list of RGB triples."""
    try:
        palette = np.asarray(colors, dtype=np.int64)
    except (TypeError, ValueError):
        raise ConfigError(f"colors must be a list of (R, G, B) triples, got {colors!r}") from None
    if palette.ndim != 2 or palette.shape[1] != 3 or len(palette) == 0:
        raise ConfigError(f"colors must be a non-empty list of (R, G, B) triples, got {colors!r}")
    if palette.min() < 0 or palette.max() > 255:
        raise ConfigError("colors must have channel values in 0..255")
    return palette.astype(np.uint8)
