"""The image/label pairs of one split: `find_examples` (pairs and problems) and `list_examples`
(pairs, or a `DataError` naming every unpaired file)."""

import dataclasses
import os

from tfseg.data.info import ANNOTATIONS, COARSE, FINE, dataset_info
from tfseg.errors import ConfigError, DataError

# Enough to see the pattern; `tfseg data check` lists all of them.
MAX_LISTED = 20


@dataclasses.dataclass
class FoundExamples:
    """The pairs found in one split and the problems met on the way.

    Attributes:
        format, split, annotation: what was searched ("fine" / "coarse"; "fine" for custom data).
        image_dir, label_dir: the two folders that were walked.
        examples: sorted list of (image_path, label_path, instance_path or None).
        problems: list of (path, message), one per offending file or folder.
    """

    format: str
    split: str
    annotation: str
    image_dir: str
    label_dir: str
    examples: list = dataclasses.field(default_factory=list)
    problems: list = dataclasses.field(default_factory=list)


def resolve_annotation(info, split, annotation):
    """The annotation to read: "coarse" for Cityscapes' train_extra, else "fine" unless given.

    Args:
        info: the data set's `DatasetInfo`.
        split: the split's name.
        annotation: "fine", "coarse" or None.

    Raises:
        ConfigError: a bad split name, or an annotation that this split / format cannot have.
    """
    if not isinstance(split, str) or not split or split in (".", "..") or "/" in split:
        raise ConfigError(f"split must be a folder name such as 'train' or 'val', got {split!r}")
    if annotation is None:
        return info.default_annotation(split)
    if annotation not in ANNOTATIONS:
        raise ConfigError(f"annotation must be 'fine' or 'coarse', got {annotation!r}")
    if annotation not in info.annotations:
        raise ConfigError("custom data sets have one annotation; leave annotation unset")
    if annotation == FINE and info.default_annotation(split) == COARSE:
        raise ConfigError("Cityscapes' train_extra split has only coarse labels (gtCoarse)")
    return annotation


def find_examples(data_dir, split, *, annotation=None, info=None):
    """Pairs the images and labels of `split` by name and lists every problem, without raising
    for the files (a bad split name or annotation is a `ConfigError`).

    The layout is the data set's `DatasetInfo.split_layout`: Cityscapes
    `leftImg8bit/<split>/**/<name>_leftImg8bit.png` pairs with
    `gtFine/<split>/**/<name>_gtFine_labelIds.png` (`gtCoarse`/`_gtCoarse_` for coarse), and with
    `<name>_gt*_instanceIds.png` when that exists; custom `<image_dir>/<split>/**/<name>.png|jpg`
    pairs with `<label_dir>/<split>/**/<name>.png`. Other files are not looked at.

    Args:
        data_dir: the data set's root folder.
        split: e.g. "train", "val", "test", "train_extra".
        annotation: "fine" or "coarse" (Cityscapes); None picks "coarse" for train_extra only.
        info: the data set's `DatasetInfo` if it is already known (else it is read).

    Returns:
        A `FoundExamples`; its `problems` name missing folders, unpaired files and an empty split.
    """
    info = info or dataset_info(data_dir)
    annotation = resolve_annotation(info, split, annotation)
    layout = info.split_layout(split, annotation)
    image_dir = os.path.join(data_dir, layout.image_dir)
    label_dir = os.path.join(data_dir, layout.label_dir)
    images = _walk(image_dir, lambda f: _strip(f, layout.image_suffixes))
    labels = _walk(label_dir, lambda f: _strip(f, (layout.label_suffix,)))
    instances = ({}, [])
    if layout.instance_suffix:
        instances = _walk(label_dir, lambda f: _strip(f, (layout.instance_suffix,)))
    result = FoundExamples(info.format, split, annotation, image_dir, label_dir)
    (images, image_problems), (labels, label_problems) = images, labels
    result.problems += image_problems + label_problems
    for folder in (image_dir, label_dir):
        if not os.path.isdir(folder):
            result.problems.append((folder, "folder not found"))
    if result.problems:
        return result
    if not images:
        result.problems.append((image_dir, f"no images in split {split!r} (the split is empty)"))
    for key in sorted(images.keys() - labels.keys()):
        result.problems.append((images[key], f"image has no label (expected in {label_dir})"))
    for key in sorted(labels.keys() - images.keys()):
        result.problems.append((labels[key], f"label has no image (expected in {image_dir})"))
    instance_paths = instances[0]
    result.examples = [
        (images[key], labels[key], instance_paths.get(key))
        for key in sorted(images.keys() & labels.keys())
    ]
    return result


def list_examples(data_dir, split, *, annotation=None):
    """Lists `(image_path, label_path, instance_path_or_None)` of a split, sorted by name.

    See `find_examples` for the layouts. Instance paths exist only for Cityscapes files that have
    an `*_instanceIds.png` next to the labels. `open_split` gives the same list together with
    the data set's description (and checks the file headers).

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
    result = find_examples(data_dir, split, annotation=annotation)
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


def _strip(filename, suffixes):
    """The file's name without the suffix, or None if it has none of `suffixes`."""
    lower = filename.lower()
    for suffix in suffixes:
        if lower.endswith(suffix.lower()) and len(filename) > len(suffix):
            return filename[: -len(suffix)]
    return None


def _walk(folder, key_of):
    """Maps `relative/dir/name-without-suffix` -> path for every matching file under `folder`."""
    found, problems = {}, []

    def unreadable(error):
        # os.walk skips a folder it cannot list; unreported, its files would look missing.
        if os.path.isdir(error.filename or ""):
            reason = (error.strerror or str(error)).lower()
            problems.append((error.filename, f"cannot read the folder ({reason})"))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        dirnames.sort()
        for filename in sorted(filenames):
            stem = key_of(filename)
            if stem is None:
                continue
            path = os.path.join(dirpath, filename)
            key = os.path.relpath(os.path.join(dirpath, stem), folder)
            if key in found:
                problems.append((path, f"same name as {found[key]}; cannot tell which to pair"))
                continue
            found[key] = path
    return found, problems
