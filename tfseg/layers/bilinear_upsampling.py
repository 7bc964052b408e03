"""The FCN bilinear kernel, used to initialize every transposed convolution."""

import math

import keras
import numpy as np


def bilinear_kernel_1d(size):
    """The 1-D FCN upsampling profile of length `size`.

    `f = ceil(size / 2)`, `c = (2f - 1 - f mod 2) / (2f)`, `w(x) = 1 - |x / f - c|`, as in the
    original `get_deconv_filter`: size 4 gives [.25, .75, .75, .25], size 16 the standard 8x
    bilinear kernel.
    """
    f = math.ceil(size / 2)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    x = np.arange(size, dtype=np.float64)
    return 1.0 - np.abs(x / f - c)


@keras.saving.register_keras_serializable(package="tfseg")
class BilinearUpsampling(keras.initializers.Initializer):
    """Initializes a `Conv2DTranspose` kernel `[kh, kw, C_out, C_in]` to bilinear upsampling.

    Channel `i` is upsampled from channel `i` (`W[:, :, i, i]`) for `i < min(C_out, C_in)`; all
    other entries are zero. The kernel stays trainable.

    Example:
        >>> keras.layers.Conv2DTranspose(19, 16, strides=8, padding="same",
        ...                              kernel_initializer=BilinearUpsampling())
    """

    def __call__(self, shape, dtype=None):
        kh, kw, c_out, c_in = shape
        profile = np.outer(bilinear_kernel_1d(kh), bilinear_kernel_1d(kw))
        kernel = np.zeros(shape, dtype=np.float32)
        for i in range(min(c_out, c_in)):
            kernel[:, :, i, i] = profile
        return keras.ops.convert_to_tensor(kernel, dtype=dtype or "float32")

    def get_config(self):
        return {}
