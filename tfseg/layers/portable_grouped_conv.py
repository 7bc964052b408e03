"""A native grouped convolution whose gradient also works where TensorFlow has none."""

import functools

import tensorflow as tf


def portable_grouped_conv2d(inputs, kernel, strides, padding):
    """`tf.nn.conv2d` with a grouped kernel, differentiable on every CPU.

    TensorFlow's CPU gradient kernels (`Conv2DBackpropInput`, `Conv2DBackpropFilter`) accept a
    grouped kernel only when oneDNN is on, and then only for the dtypes oneDNN covers on that CPU
    (float16 under `mixed_float16` falls back to kernels without groups); elsewhere they fail with
    "Gradients for grouped convolutions are not supported on CPU". The forward op is the same
    single native `Conv2D` either way. On a GPU (cuDNN has grouped gradients for every float
    type) the gradient uses TensorFlow's grouped kernels; on a CPU it splits the input, kernel and
    output gradient into their contiguous channel groups and back-propagates each group through
    an ordinary convolution, which every CPU kernel supports, so CPU training computes the same
    thing whatever TensorFlow enabled (`benchmarks/grouped_conv_gradients.py` times both forms).

    Args:
        inputs: `[B, H, W, C_in]`, `C_in` known statically.
        kernel: `[kh, kw, C_in / groups, C_out]`, same dtype as `inputs`.
        strides: int stride, the same in both spatial dimensions.
        padding: `"VALID"` or `"SAME"`.

    Returns:
        `[B, H', W', C_out]`, equal to `tf.nn.conv2d(inputs, kernel, strides, padding)`.
    """
    groups = inputs.shape[-1] // kernel.shape[2]
    stride_list = [1, strides, strides, 1]

    @tf.custom_gradient
    def conv(x, w):
        def grad(dy):
            if _native_grouped_backprop_available(x):
                return _backprop(x, w, dy, stride_list, padding)
            parts = zip(*(tf.split(t, groups, axis=-1) for t in (x, w, dy)))
            dxs, dws = zip(*(_backprop(*part, stride_list, padding) for part in parts))
            return tf.concat(dxs, axis=-1), tf.concat(dws, axis=-1)

        return tf.nn.conv2d(x, w, strides, padding), grad

    return conv(inputs, kernel)


def _backprop(x, w, dy, strides, padding):
    dx = tf.raw_ops.Conv2DBackpropInput(
        input_sizes=tf.shape(x), filter=w, out_backprop=dy, strides=strides, padding=padding
    )
    dw = tf.raw_ops.Conv2DBackpropFilter(
        input=x, filter_sizes=tf.shape(w), out_backprop=dy, strides=strides, padding=padding
    )
    return dx, dw


def _native_grouped_backprop_available(tensor):
    """Whether `tensor` is on a GPU, whose kernels have grouped-convolution gradients.

    An unplaced graph tensor (empty device) goes where TensorFlow places convolutions: a GPU if
    there is one.
    """
    device = tensor.device.upper()
    return "GPU" in device or (not device and _has_gpu())


@functools.cache
def _has_gpu():
    return bool(tf.config.list_logical_devices("GPU"))
