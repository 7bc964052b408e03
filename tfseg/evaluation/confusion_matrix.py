"""A streaming confusion matrix over train ids: rows are ground truth, columns predictions."""

import numpy as np

from tfseg.labels import IGNORE_VALUE


class ConfusionMatrix:
    """Counts (ground truth, prediction) pixel pairs, image after image, in an int64 matrix.

    Pixels whose ground truth is `ignore_value` are skipped; every other label and every
    prediction must be a train id `0..num_classes-1` (a `ValueError` says which value is not).
    Matrices of several workers or shards add up with `merge` (or `+`), so an evaluation can be
    split and joined without changing the result.

    Attributes:
        num_classes: the number of train ids (the matrix is `[num_classes, num_classes]`).
        ignore_value: ground-truth value of unlabelled pixels (255).
        matrix: int64 numpy array; `matrix[g, p]` counts pixels of class g predicted as p.

    Example:
        >>> cm = ConfusionMatrix(3)
        >>> cm.update([[0, 1, 255]], [[0, 2, 1]]).matrix.tolist()
        [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
    """

    def __init__(self, num_classes, ignore_value=IGNORE_VALUE, matrix=None):
        """Creates an empty matrix, or wraps `matrix` (copied) to continue counting from it.

        Args:
            num_classes: number of classes, >= 1.
            ignore_value: ground-truth value that is not counted.
            matrix: optional initial `[num_classes, num_classes]` counts.
        """
        if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
        self.num_classes = int(num_classes)
        self.ignore_value = ignore_value
        shape = (self.num_classes, self.num_classes)
        if matrix is None:
            self.matrix = np.zeros(shape, np.int64)
        else:
            matrix = np.asarray(matrix)
            if matrix.shape != shape:
                raise ValueError(f"matrix must have shape {shape}, got {matrix.shape}")
            self.matrix = matrix.astype(np.int64, copy=True)

    def update(self, labels, predictions):
        """Adds one batch (any shape, e.g. `[H, W]` or `[B, H, W]`) of labels and predictions.

        Args:
            labels: integer array-like (numpy or an eager tensor) of train ids / `ignore_value`.
            predictions: integer array-like of the same shape, train ids.

        Returns:
            self, so calls can be chained.

        Raises:
            ValueError: the shapes differ, or a value is not a valid train id.
        """
        labels = np.asarray(labels)
        predictions = np.asarray(predictions)
        if labels.shape != predictions.shape:
            raise ValueError(
                f"labels {labels.shape} and predictions {predictions.shape} differ in shape"
            )
        labels = labels.reshape(-1)
        predictions = predictions.reshape(-1)
        valid = labels != self.ignore_value
        if not valid.all():
            labels, predictions = labels[valid], predictions[valid]
        if labels.size == 0:
            return self
        n = self.num_classes
        for name, values in (("label", labels), ("prediction", predictions)):
            low, high = values.min(), values.max()
            if low < 0 or high >= n:
                bad = low if low < 0 else high
                raise ValueError(f"{name} value {bad} is not a train id 0..{n - 1}")
        # One bincount over the pair index g * n + p is far faster than np.add.at or a loop over
        # classes (about 10 ms for a 1024x2048 image).
        pairs = labels.astype(np.int64) * n + predictions.astype(np.int64)
        self.matrix += np.bincount(pairs, minlength=n * n).reshape(n, n)
        return self

    def merge(self, other):
        """Adds the counts of another matrix (same classes) into this one.

        Args:
            other: a `ConfusionMatrix` or a `[num_classes, num_classes]` array.

        Returns:
            self.
        """
        counts = other.matrix if isinstance(other, ConfusionMatrix) else np.asarray(other)
        if counts.shape != self.matrix.shape:
            raise ValueError(f"cannot merge a {counts.shape} matrix into {self.matrix.shape}")
        self.matrix += counts.astype(np.int64)
        return self

    def __add__(self, other):
        return ConfusionMatrix(self.num_classes, self.ignore_value, self.matrix).merge(other)

    def reset(self):
        """Sets every count to zero."""
        self.matrix[:] = 0

    @property
    def total(self):
        """Number of counted (not ignored) pixels."""
        return int(self.matrix.sum())

    def __repr__(self):
        return f"ConfusionMatrix(num_classes={self.num_classes}, total={self.total})"
