"""The training losses as one Keras `Loss`, for `model.fit` users and the training loop."""

import keras

from tfseg.errors import ConfigError
from tfseg.labels import IGNORE_VALUE
from tfseg.losses.cross_entropy import bootstrapped_cross_entropy, weighted_cross_entropy

LOSSES = ("weighted", "unweighted", "bootstrapped")


@keras.saving.register_keras_serializable(package="tfseg")
class SegmentationLoss(keras.losses.Loss):
    """Cross-entropy for segmentation with an ignore label, computed per image.

    `call` gives one value per image (`[B]`); calling the loss reduces them as Keras'
    `reduction` says: the mean over the batch by default (for `model.fit`), or no reduction with
    `reduction=None`, which the training loop uses so that `tf.nn.compute_average_loss` divides
    by the global batch size.

    Args:
        kind: `"weighted"` (ENet class weights, the paper's default), `"unweighted"` (plain
            cross-entropy over non-ignored pixels) or `"bootstrapped"` (mean of the hardest 25% of
            pixels, the original's loss for coarse pre-training and VGG16).
        class_weights: `[C]` weights, required for `"weighted"`.
        ignore_value: label value that contributes nothing.
        top_fraction: fraction kept by `"bootstrapped"`.
        name, **kwargs: passed to `keras.losses.Loss` (e.g. `reduction=None`).

    Raises:
        ConfigError (a ValueError): an unknown `kind`, or `"weighted"` without `class_weights`.

    Example:
        >>> loss = SegmentationLoss("weighted", class_weights=weights)
        >>> model.compile(optimizer="adam", loss=loss)
        >>> per_image = SegmentationLoss("unweighted", reduction=None)(labels, logits)  # [B]
    """

    def __init__(
        self,
        kind="weighted",
        class_weights=None,
        ignore_value=IGNORE_VALUE,
        top_fraction=0.25,
        name="segmentation_loss",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        if kind not in LOSSES:
            raise ConfigError(f"loss must be one of {list(LOSSES)}, got {kind!r}")
        if kind == "weighted" and class_weights is None:
            raise ConfigError("the weighted loss needs class_weights")
        self.kind = kind
        self.class_weights = None if class_weights is None else [float(w) for w in class_weights]
        self.ignore_value = int(ignore_value)
        self.top_fraction = float(top_fraction)

    def call(self, y_true, y_pred):
        if self.kind == "bootstrapped":
            return bootstrapped_cross_entropy(y_true, y_pred, self.top_fraction, self.ignore_value)
        weights = self.class_weights if self.kind == "weighted" else None
        return weighted_cross_entropy(y_true, y_pred, weights, self.ignore_value)

    def get_config(self):
        config = super().get_config()
        config.update(
            kind=self.kind,
            class_weights=self.class_weights,
            ignore_value=self.ignore_value,
            top_fraction=self.top_fraction,
        )
        return config
