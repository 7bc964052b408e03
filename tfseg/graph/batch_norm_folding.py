"""Fold inference-mode BatchNormalization into the convolution before it."""

import keras
import numpy as np

from tfseg.layers import GroupConv2D

# Layers whose output channels are the last axis of the kernel, except where noted in _scale_kernel.
FOLDABLE = (
    keras.layers.Conv2D,
    keras.layers.DepthwiseConv2D,
    keras.layers.Conv2DTranspose,
    GroupConv2D,
)


@keras.saving.register_keras_serializable(package="tfseg")
class FoldedBatchNormalization(keras.layers.Layer):
    """Identity that takes the place (and name) of a BatchNormalization folded into its conv."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):  # BN nodes are recorded with a `mask` argument
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def _producer(layer):
    """The single layer whose output `layer` consumes, or None."""
    if len(layer._inbound_nodes) != 1:
        return None
    inputs = layer._inbound_nodes[0].input_tensors
    if len(inputs) != 1:
        return None
    return inputs[0]._keras_history.operation


def foldable_pairs(model):
    """Maps each convolution name to the BatchNormalization that is its only consumer.

    A pair folds when the convolution has no activation of its own and feeds nothing but the BN,
    so replacing the BN by identity changes no other path.
    """
    pairs = {}
    for layer in model.layers:
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        conv = _producer(layer)
        if (
            isinstance(conv, FOLDABLE)
            and len(conv._outbound_nodes) == 1
            and getattr(conv, "activation", keras.activations.linear) is keras.activations.linear
        ):
            pairs[conv.name] = layer
    return pairs


def _scale_kernel(conv, kernel, scale):
    if isinstance(conv, keras.layers.Conv2DTranspose):  # [kh, kw, C_out, C_in]
        return kernel * scale[None, None, :, None]
    if isinstance(conv, keras.layers.DepthwiseConv2D):  # [kh, kw, C_in, multiplier]
        return kernel * scale.reshape(kernel.shape[2], kernel.shape[3])
    return kernel * scale  # [kh, kw, C_in / groups, C_out]


def folded_weights(conv, bn):
    """Kernel and bias of `conv` followed by `bn` in inference mode, as one convolution.

    `bn(y) = gamma * (y - mean) / sqrt(var + eps) + beta` with `y = conv(x) + b` equals a
    convolution with kernel `W * s` and bias `(b - mean) * s + beta`, `s = gamma / sqrt(var + eps)`.
    """
    mean = keras.ops.convert_to_numpy(bn.moving_mean).astype(np.float64)
    variance = keras.ops.convert_to_numpy(bn.moving_variance).astype(np.float64)
    gamma = keras.ops.convert_to_numpy(bn.gamma) if bn.scale else np.ones_like(mean)
    beta = keras.ops.convert_to_numpy(bn.beta) if bn.center else np.zeros_like(mean)
    scale = gamma / np.sqrt(variance + bn.epsilon)
    kernel = keras.ops.convert_to_numpy(conv.kernel).astype(np.float64)
    bias = keras.ops.convert_to_numpy(conv.bias) if conv.use_bias else np.zeros_like(mean)
    new_kernel = _scale_kernel(conv, kernel, scale).astype(np.float32)
    new_bias = ((bias - mean) * scale + beta).astype(np.float32)
    return [new_kernel, new_bias]


def fold_batch_norms(model):
    """Returns a copy of `model` with every foldable BatchNormalization merged into its conv.

    Grappler folds BN scales into plain `Conv2D` only; depthwise, dilated and transposed
    convolutions keep their BN arithmetic (docs/design-notes.md). Folding on the Keras weights
    handles all of them. Each folded BN becomes a `FoldedBatchNormalization` identity of the same
    name, its convolution gets a bias, and the result equals the original in inference mode.

    Args:
        model: a functional `keras.Model`.

    Returns:
        A new functional `keras.Model` with the same inputs, outputs and layer names.

    Example:
        >>> folded = fold_batch_norms(build_model("mobilenet", "skipnet"))
    """
    pairs = foldable_pairs(model)
    folded_bns = {bn.name for bn in pairs.values()}

    def clone(layer):
        if layer.name in folded_bns:
            return FoldedBatchNormalization(name=layer.name)
        config = layer.get_config()
        if layer.name in pairs:
            config["use_bias"] = True
        return layer.__class__.from_config(config)

    folded = keras.models.clone_model(model, clone_function=clone)
    for layer in model.layers:
        target = folded.get_layer(layer.name)
        if layer.name in pairs:
            target.set_weights(folded_weights(layer, pairs[layer.name]))
        elif layer.name not in folded_bns and layer.weights:
            target.set_weights(layer.get_weights())
    return folded
