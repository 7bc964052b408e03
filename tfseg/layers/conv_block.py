"""Convolution -> BatchNormalization -> activation, the unit every model here is built from."""

import keras


def conv_bn_act(x, conv, *, batchnorm=True, activation=None, bn_momentum=0.99, bn_epsilon=1e-3):
    """Applies `conv`, then optionally BatchNormalization and an activation.

    BatchNormalization is synchronized across replicas, so a batch split over devices is
    normalized as one batch. The BN and activation layers are named after the convolution
    (`<conv>_bn`, `<conv>_<activation>`), so pretrained weights and BN folding can find them.

    Args:
        x: input tensor.
        conv: a (not yet called) convolution layer; give it `use_bias=False` when `batchnorm`.
        batchnorm: whether to add BatchNormalization.
        activation: a Keras activation name (`"relu"`, `"relu6"`) or None.
        bn_momentum, bn_epsilon: BatchNormalization settings (Keras defaults 0.99 / 1e-3 match the
            original's `tf.layers.batch_normalization`).

    Returns:
        The output tensor.
    """
    x = conv(x)
    if batchnorm:
        # Synchronized: under tf.distribute the batch statistics are those of the global batch,
        # so N replicas train exactly like one device with the same global batch.
        x = keras.layers.BatchNormalization(
            momentum=bn_momentum, epsilon=bn_epsilon, synchronized=True, name=f"{conv.name}_bn"
        )(x)
    if activation:
        x = keras.layers.Activation(activation, name=f"{conv.name}_{activation}")(x)
    return x
