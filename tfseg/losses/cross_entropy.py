"""The paper's loss: ENet-weighted softmax cross-entropy with an ignore label, per sample."""

import tensorflow as tf

from tfseg.labels import IGNORE_VALUE


def _valid_pixels(labels, num_classes, ignore_value):
    labels = tf.cast(labels, tf.int32)
    valid = tf.logical_and(labels != ignore_value, labels < num_classes)
    return tf.where(valid, labels, 0), tf.cast(valid, tf.float32)


def weighted_cross_entropy(labels, logits, class_weights=None, ignore_value=IGNORE_VALUE):
    """Per-image weighted cross-entropy, normalized by the weight of the non-ignored pixels.

    For image `b`: `sum_i w[y_i] * CE_i / sum_i w[y_i]` over its pixels whose label is not
    `ignore_value`. Returning one value per image (not a scalar) lets Keras and `tf.distribute`
    average over the global batch correctly. An image with no valid pixel contributes 0.

    Args:
        labels: int `[B, H, W]` train ids; `ignore_value` (and ids >= C) are ignored.
        logits: `[B, H, W, C]`, any float dtype (computed in float32).
        class_weights: `[C]` per-class weights (e.g. ENet's `1 / ln(1.02 + p_c)`), or None for 1.
        ignore_value: label value that contributes nothing.

    Returns:
        float32 `[B]`.

    Example:
        >>> weighted_cross_entropy(labels, logits, class_weights=[1.0, 4.2, 9.7])
    """
    logits = tf.cast(logits, tf.float32)
    safe_labels, valid = _valid_pixels(labels, tf.shape(logits)[-1], ignore_value)
    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(safe_labels, logits)
    weights = valid
    if class_weights is not None:
        weights *= tf.gather(tf.cast(class_weights, tf.float32), safe_labels)
    total = tf.reduce_sum(weights * cross_entropy, axis=[1, 2])
    return tf.math.divide_no_nan(total, tf.reduce_sum(weights, axis=[1, 2]))


def bootstrapped_cross_entropy(labels, logits, top_fraction=0.25, ignore_value=IGNORE_VALUE):
    """Per-image mean of the hardest `top_fraction` of pixel cross-entropies (the original's
    unweighted loss for coarse pre-training and VGG16).

    The original took `tf.nn.top_k` over all `H*W` pixels with `k = 0.25 * H * W`; here ignored
    pixels never count, and `k` is capped by the number of valid pixels.

    Args:
        labels: int `[B, H, W]` train ids; `ignore_value` is ignored.
        logits: `[B, H, W, C]`.
        top_fraction: fraction of the image's pixels to keep, in (0, 1].
        ignore_value: label value that contributes nothing.

    Returns:
        float32 `[B]`.
    """
    if not 0.0 < top_fraction <= 1.0:
        raise ValueError(f"top_fraction must be in (0, 1], got {top_fraction}")
    logits = tf.cast(logits, tf.float32)
    safe_labels, valid = _valid_pixels(labels, tf.shape(logits)[-1], ignore_value)
    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(safe_labels, logits)
    batch = tf.shape(logits)[0]
    # Invalid pixels get -1 (cross-entropy is >= 0), so they sort last and are masked out.
    scores = tf.reshape(tf.where(valid > 0, cross_entropy, -1.0), [batch, -1])
    k = tf.cast(tf.math.ceil(top_fraction * tf.cast(tf.shape(scores)[1], tf.float32)), tf.int32)
    top = tf.math.top_k(scores, k=k).values
    kept = tf.cast(top >= 0.0, tf.float32)
    return tf.math.divide_no_nan(tf.reduce_sum(top * kept, axis=1), tf.reduce_sum(kept, axis=1))
