"""`overlay`: blends a colour-coded prediction over its image.

`check_alpha` checks the blend weight; `predict_inputs` uses it to check its options before
anything is written.
"""

import numpy as np

from tfseg.errors import ConfigError


def overlay(image, color, alpha=0.5):
    """Alpha-blends `color` over `image`: `round((1 - alpha) * image + alpha * color)`.

    Pure numpy (eager tensors are converted).

    Args:
        image: uint8 (or 0..255 float) RGB array `[..., H, W, 3]`.
        color: array of the same shape, e.g. from `colorize`.
        alpha: weight of `color`, in 0..1 (0 shows only the image, 1 only the colours).

    Returns:
        uint8 array of the same shape.

    Raises:
        ConfigError: the shapes differ or `alpha` is outside 0..1.

    Example:
        >>> overlay(np.full((1, 1, 3), 200), np.zeros((1, 1, 3)), alpha=0.25)
        array([[[150, 150, 150]]], dtype=uint8)
    """
    image, color = np.asarray(image), np.asarray(color)
    if image.shape != color.shape:
        raise ConfigError(f"image {image.shape} and colour {color.shape} must have the same shape")
    check_alpha(alpha)
    # float32 is exact enough for 0..255 and halves the memory of a float64 blend.
    blend = (1.0 - alpha) * image.astype(np.float32) + alpha * color.astype(np.float32)
    return np.clip(np.rint(blend), 0, 255).astype(np.uint8)


def check_alpha(alpha):
    """Raises `ConfigError` unless `alpha` is a number in 0..1."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)):
        raise ConfigError(f"alpha must be a number in 0..1, got {alpha!r}")
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"alpha must be in 0..1, got {alpha!r}")
