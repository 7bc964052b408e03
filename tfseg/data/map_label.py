"""Maps raw label-file values to train ids inside tf.data, rejecting values not in the table."""

import tensorflow as tf

from tfseg.data.read_example import assert_that
from tfseg.labels import IGNORE_VALUE

# A label value that marks padding added by augmentation; it maps to the ignore value.
PADDING = -1
# How many offending values an error message lists.
_LISTED = 10


def map_label(raw_label, table, label_path):
    """Looks every pixel up in the 256-entry `table` (see `DatasetInfo.lookup`).

    Args:
        raw_label: integer tensor of label-file values (0..255, or `PADDING` = -1 for pixels
            added by augmentation), any shape.
        table: int32 tensor `[256]`; -1 marks a value that is not in the table.
        label_path: scalar string tensor, named in the error.

    Returns:
        int32 tensor of train ids (ignore and padding = 255), same shape as `raw_label`.

    Raises (when the dataset is iterated):
        tf.errors.InvalidArgumentError naming the file and the unknown values: a label file with
        values outside the table is never trained on.

    Example:
        >>> map_label(tf.constant([7, 26, 0]), tf.constant(cityscapes_lookup()), "x.png")
        <tf.Tensor: ... numpy=array([  0,  13, 255], dtype=int32)>
    """
    raw_label = tf.cast(raw_label, tf.int32)
    # Entry 0 of the shifted table is the padding value, so one gather maps both.
    shifted = tf.concat([[IGNORE_VALUE], tf.cast(table, tf.int32)], 0)
    mapped = tf.gather(shifted, raw_label + 1)

    def report():
        flat_raw, flat_mapped = tf.reshape(raw_label, [-1]), tf.reshape(mapped, [-1])
        unknown, _ = tf.unique(tf.boolean_mask(flat_raw, flat_mapped < 0))
        listed = tf.strings.reduce_join(
            tf.strings.as_string(tf.sort(unknown)[:_LISTED]), separator=", "
        )
        failed = assert_that(
            False, "label file ", label_path, ": values outside the label table: ", listed
        )
        with tf.control_dependencies([failed]):
            return tf.identity(False)

    known = tf.cond(tf.reduce_min(mapped) >= 0, lambda: tf.identity(True), report)
    with tf.control_dependencies([known]):
        return tf.identity(mapped)
