"""The original's L2 weight decay as a Keras regularizer."""

import keras


def weight_decay_regularizer(weight_decay):
    """Returns a regularizer adding `weight_decay * sum(W**2) / 2` to the loss, or None for 0.

    The original added `wd * tf.nn.l2_loss(W)` per kernel, and `tf.nn.l2_loss` halves the sum of
    squares; Keras' `L2(l)` computes `l * sum(W**2)` without the half, hence `wd / 2`.
    """
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    return keras.regularizers.L2(weight_decay / 2.0) if weight_decay else None
