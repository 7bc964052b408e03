"""The streaming confusion matrix: counts, ignored pixels, merging and bad values."""

import numpy as np
import pytest
import tensorflow as tf

from tfseg.evaluation import ConfusionMatrix


def test_counts_rows_ground_truth_columns_prediction():
    labels = np.array([[0, 0, 1, 2], [2, 255, 255, 1]])
    predictions = np.array([[0, 1, 1, 0], [2, 2, 0, 1]])
    cm = ConfusionMatrix(3).update(labels, predictions)
    assert cm.matrix.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert cm.total == 6  # the two ignored pixels are not counted
    assert cm.matrix.dtype == np.int64


def test_streams_batches_and_tensors():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, (3, 5, 7))
    labels[0, :2] = 255
    predictions = rng.integers(0, 4, (3, 5, 7))
    whole = ConfusionMatrix(4).update(labels, predictions)
    streamed = ConfusionMatrix(4)
    for label, prediction in zip(labels, predictions):
        streamed.update(tf.constant(label), tf.constant(prediction))
    np.testing.assert_array_equal(whole.matrix, streamed.matrix)
    valid = labels != 255
    expected = np.zeros((4, 4), np.int64)
    np.add.at(expected, (labels[valid], predictions[valid]), 1)
    np.testing.assert_array_equal(whole.matrix, expected)


def test_merge_and_add_equal_one_pass():
    rng = np.random.default_rng(1)
    labels, predictions = rng.integers(0, 5, (2, 40)), rng.integers(0, 5, (2, 40))
    a = ConfusionMatrix(5).update(labels[0], predictions[0])
    b = ConfusionMatrix(5).update(labels[1], predictions[1])
    both = ConfusionMatrix(5).update(labels, predictions)
    np.testing.assert_array_equal((a + b).matrix, both.matrix)
    assert a.total == 40  # + made a new matrix
    np.testing.assert_array_equal(a.merge(b.matrix).matrix, both.matrix)
    a.reset()
    assert a.total == 0


def test_custom_ignore_value_and_empty_update():
    cm = ConfusionMatrix(2, ignore_value=9)
    cm.update([9, 9], [5, 7])  # ignored pixels are not checked either
    assert cm.total == 0
    cm.update(np.zeros((0,), np.int32), np.zeros((0,), np.int32))
    assert cm.total == 0


@pytest.mark.parametrize(
    "labels, predictions, message",
    [
        ([0, 3], [0, 1], "label value 3"),
        ([0, -1], [0, 1], "label value -1"),
        ([0, 1], [0, 7], "prediction value 7"),
        ([0, 1], [[0, 1]], "differ in shape"),
    ],
)
def test_bad_values_are_named(labels, predictions, message):
    with pytest.raises(ValueError, match=message):
        ConfusionMatrix(3).update(np.array(labels), np.array(predictions))


def test_bad_construction():
    with pytest.raises(ValueError, match="num_classes"):
        ConfusionMatrix(0)
    with pytest.raises(ValueError, match="shape"):
        ConfusionMatrix(3, matrix=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="merge"):
        ConfusionMatrix(3).merge(ConfusionMatrix(2))
