"""A tf.data error met while reading a split, as a `DataError` that names the file.

The pipeline's own checks (`tfseg/data/example_ops.py`) name the file in their message; the
PNG / JPEG decoders do not (`Invalid PNG data, size 24749 [[{{node DecodePng}}]]`). For those, the
split's files are decoded one by one until the culprit is found: slow on a large split, but
only on the way to an error, and without it the user would have to search by hand.
"""

import re

import tensorflow as tf

from tfseg.errors import DataError

# `assert_that` messages come out as "assertion failed: [<the message>]".
_ASSERTION = re.compile(r"assertion failed: \[(.*?)\]( \[\[|\n|$)", re.DOTALL)
_NODE = re.compile(r"\s*\[\[\{\{node [^}]*\}\}\]\].*", re.DOTALL)
_FUNCTION = re.compile(r"\{\{function_node [^}]*\}\}\s*")


def data_error_from(error, split, data_dir=None):
    """The `DataError` for a `tf.errors.InvalidArgumentError` raised while iterating `split`.

    Args:
        error: the `InvalidArgumentError`.
        split: the `Split` the pipeline read.
        data_dir: the data set's folder for the advice (default `split.data_dir`).

    Returns:
        A `DataError` naming the file, or None when the error is not about a file (a bug, or a
        shape error: the caller lets it through with its traceback).
    """
    message = getattr(error, "message", str(error))
    assertion = _ASSERTION.search(message)
    if assertion:
        return DataError(" ".join(assertion.group(1).split()))
    if not re.search(r"Invalid PNG|Invalid JPEG|decode|corrupt|Premature end", message, re.I):
        return None
    reason = _short(message)
    culprit = find_undecodable(split)
    check = f"`tfseg data check --data_dir={data_dir or split.data_dir}` lists every such file"
    if culprit is None:
        return DataError(f"a file of split {split.name!r} could not be decoded ({reason}); {check}")
    path, detail = culprit
    return DataError(f"{path}: cannot decode ({detail}); the file is damaged: replace it; {check}")


def find_undecodable(split):
    """The first file of `split` that TensorFlow's decoders refuse, as `(path, reason)`, or None."""
    for example in split.examples:
        for path in example:
            if path is None:
                continue
            try:
                contents = tf.io.read_file(path)
                if path.lower().endswith(".png"):
                    tf.io.decode_png(
                        contents, dtype=tf.uint16 if "instanceIds" in path else tf.uint8
                    )
                else:
                    tf.io.decode_image(contents, expand_animations=False)
            except tf.errors.OpError as error:
                return path, _short(getattr(error, "message", str(error)))
    return None


def _short(message):
    """TensorFlow's message without its node, function and op annotations, on one line."""
    message = _NODE.sub("", _FUNCTION.sub("", message))
    message = re.sub(r"\s*\[Op:\w+\].*", "", message)
    message = message.split("transformation with iterator: ")[-1]
    message = re.sub(r"^Iterator::\S+: ", "", message)
    return " ".join(message.split())[:200]
