"""`measure_conv_peak`: the machine's achievable convolution throughput, the yardstick of a row's
achieved GFLOP/s (docs/benchmarking.md, "Achieved GFLOP/s").

One dense 3x3 convolution, 64 -> 64 channels, stride 1, on a [1, 360, 640, 64] tensor: the
commonest layer shape of the paper's encoders at the paper's real-time size, large enough that
the kernel, not call overhead, is timed. It runs under `tf.function` in the process that asks,
so it has that process's thread and oneDNN settings. 2 FLOPs per multiply-add, as `tfseg flops`.
"""

import time

import numpy as np

CONV_SHAPE = (1, 360, 640, 64)
CONV_KERNEL = (3, 3, 64, 64)


def conv_flops():
    """FLOPs of one call of the yardstick convolution (2 per multiply-add, bias left out)."""
    _, height, width, _ = CONV_SHAPE
    kh, kw, cin, cout = CONV_KERNEL
    return 2 * height * width * kh * kw * cin * cout


def measure_conv_peak(warmup=3, iterations=10):
    """Times the yardstick convolution and returns its throughput.

    Args:
        warmup: untimed calls first (tracing, oneDNN primitive creation).
        iterations: timed calls; the median is used, so one slow call does not count.

    Returns:
        GFLOP/s of the median call (float).

    Example:
        >>> measure_conv_peak(warmup=1, iterations=3) > 0
        True
    """
    import tensorflow as tf

    rng = np.random.default_rng(0)
    images = tf.constant(rng.standard_normal(CONV_SHAPE, dtype=np.float32))
    kernel = tf.constant(rng.standard_normal(CONV_KERNEL, dtype=np.float32) * 0.05)
    conv = tf.function(lambda x: tf.nn.conv2d(x, kernel, strides=1, padding="SAME"))
    for _ in range(warmup):
        conv(images).numpy()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        conv(images).numpy()
        times.append(time.perf_counter() - start)
    return conv_flops() / float(np.median(times)) / 1e9
