"""Writes the colour-coded prediction and the overlay of one image or frame."""

import os

from tfseg.io import write_png
from tfseg.prediction.colorize import colorize
from tfseg.prediction.overlay import overlay


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
