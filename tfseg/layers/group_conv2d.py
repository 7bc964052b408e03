"""A grouped convolution that lowers to one native TensorFlow `Conv2D` op."""

import keras
import tensorflow as tf

from tfseg.layers.portable_grouped_conv import portable_grouped_conv2d


@keras.saving.register_keras_serializable(package="tfseg")
class GroupConv2D(keras.layers.Layer):
    """Grouped 2-D convolution as a single `tf.nn.conv2d` call.

    Keras' own `Conv2D(groups=g)` wraps the op in an XLA-compiled function on the TensorFlow
    backend. That function survives into frozen graphs as `StatefulPartitionedCall`, which the TF
    profiler cannot see into, tf2onnx turns into an invalid ONNX model, and which trains about 2x
    slower on CPU (docs/design-notes.md). TensorFlow's conv2d accepts a kernel whose input depth
    is `C_in / groups` and convolves the contiguous channel groups natively, so this layer calls
    it directly. Channel groups are contiguous, as in the original TFSegmentation code.

    Two CPU kernels TensorFlow lacks without oneDNN (the default on CPUs without AVX-512) shape
    the rest:

    - Grouped-convolution gradients. Unless called with `training=False` inside a graph, the
      layer differentiates through `portable_grouped_conv2d`, whose forward op is the same native
      `Conv2D`. Graphs traced with `training=False` (freezing, export, evaluation) keep the plain
      op; taking gradients through such a graph needs oneDNN or a GPU.
    - The fused grouped convolution. With groups, the bias is added by `AddV2`, not `BiasAdd`:
      Grappler's remapper fuses `Conv2D` + `BiasAdd` into `_FusedConv2D`, which has no grouped
      CPU kernel without oneDNN, and does not fuse `AddV2` there. BN-folded graphs give every
      grouped convolution a bias, so this keeps them runnable in default-config sessions.

    Args:
        filters: output channels; must be divisible by `groups`.
        kernel_size: int, square kernel size.
        groups: number of channel groups; the input depth must be divisible by it.
        strides: int, square stride.
        padding: `"valid"` or `"same"`.
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer, kernel_regularizer: as in `keras.layers.Conv2D`.

    Example:
        >>> y = GroupConv2D(240, groups=3)(keras.Input((32, 64, 480)))
    """

    def __init__(
        self,
        filters,
        kernel_size=1,
        groups=1,
        strides=1,
        padding="valid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if filters % groups:
            raise ValueError(f"{self.name}: filters={filters} is not divisible by groups={groups}")
        if padding not in ("valid", "same"):
            raise ValueError(f"{self.name}: padding must be 'valid' or 'same', got {padding!r}")
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.groups = int(groups)
        self.strides = int(strides)
        self.padding = padding
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels % self.groups:
            raise ValueError(
                f"{self.name}: input channels {channels} are not divisible by groups={self.groups}"
            )
        k = self.kernel_size
        self.kernel = self.add_weight(
            name="kernel",
            shape=(k, k, channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer=self.bias_initializer
            )

    def call(self, inputs, training=None):
        kernel = tf.cast(self.kernel, inputs.dtype)
        padding = self.padding.upper()
        # Eager calls leave no graph behind, so they may always take the portable gradient.
        if self.groups > 1 and (training is not False or tf.executing_eagerly()):
            outputs = portable_grouped_conv2d(inputs, kernel, self.strides, padding)
        else:
            outputs = tf.nn.conv2d(inputs, kernel, strides=self.strides, padding=padding)
        if not self.use_bias:
            return outputs
        bias = tf.cast(self.bias, outputs.dtype)
        if self.groups > 1:
            return outputs + bias
        return tf.nn.bias_add(outputs, bias)

    def compute_output_shape(self, input_shape):
        def out(size):
            if size is None:
                return None
            if self.padding == "same":
                return -(-size // self.strides)
            return (size - self.kernel_size) // self.strides + 1

        return (input_shape[0], out(input_shape[1]), out(input_shape[2]), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            groups=self.groups,
            strides=self.strides,
            padding=self.padding,
            use_bias=self.use_bias,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            bias_initializer=keras.initializers.serialize(self.bias_initializer),
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer),
        )
        return config
