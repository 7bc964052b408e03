"""The image/label pairs of one split, or a `DataError` naming every unpaired file."""

from tfseg.data.scan_examples import scan_examples
from tfseg.errors import DataError

# Enough to see the pattern; `tfseg data check` lists all of them.
MAX_LISTED = 20


def list_examples(data_dir, split, *, annotation=None):
    """Lists `(image_path, label_path, instance_path_or_None)` of a split, sorted by name.

    See `scan_examples` for the layouts. Instance paths exist only for Cityscapes files that have
    an `*_instanceIds.png` next to the labels.

    Args:
        data_dir: the data set's root folder (Cityscapes layout or custom with dataset.json).
        split: e.g. "train", "val", "test", "train_extra".
        annotation: "fine" or "coarse" (Cityscapes only); None means coarse for train_extra only.

    Returns:
        list of 3-tuples of str (the third may be None).

    Raises:
        DataError: a missing folder, an image without its label (or the reverse), or an empty
            split; the message names each file (up to 20).
        ConfigError: a bad split or annotation.

    Example:
        >>> image, label, instance = list_examples("data/synthetic", "val")[0]
    """
    result = scan_examples(data_dir, split, annotation=annotation)
    if result.problems:
        raise DataError(format_problems(result.problems, f"split {split!r} of {data_dir}"))
    return result.examples


def format_problems(problems, where):
    """One message for a list of (path, message) problems."""
    lines = [f"{path}: {message}" for path, message in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f"... and {len(problems) - MAX_LISTED} more; `tfseg data check` lists all")
    head = f"{len(problems)} problem(s) in {where}:" if len(problems) > 1 else ""
    return "\n  ".join([head] + lines) if head else lines[0]
