"""Finds the image/label pairs of one split and every pairing problem, without raising."""

import dataclasses
import os

from tfseg.data.dataset_info import CITYSCAPES, detect_format
from tfseg.data.read_dataset_json import read_dataset_json
from tfseg.errors import ConfigError

FINE = "fine"
COARSE = "coarse"
ANNOTATIONS = (FINE, COARSE)
CITYSCAPES_SPLITS = ("train", "val", "test", "train_extra")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
_IMAGE_SUFFIX = "_leftImg8bit.png"


@dataclasses.dataclass
class ScanResult:
    """The pairs found in one split and the problems met on the way.

    Attributes:
        format, split, annotation: what was scanned ("fine" / "coarse"; "fine" for custom data).
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


def resolve_annotation(data_format, split, annotation):
    """The annotation to read: "coarse" for Cityscapes' train_extra, else "fine" unless given.

    Raises:
        ConfigError: a bad split name, or an annotation that this split / format cannot have.
    """
    if not isinstance(split, str) or not split or split in (".", "..") or "/" in split:
        raise ConfigError(f"split must be a folder name such as 'train' or 'val', got {split!r}")
    if annotation is None:
        return COARSE if (data_format == CITYSCAPES and split == "train_extra") else FINE
    if annotation not in ANNOTATIONS:
        raise ConfigError(f"annotation must be 'fine' or 'coarse', got {annotation!r}")
    if data_format != CITYSCAPES and annotation != FINE:
        raise ConfigError("custom data sets have one annotation; leave annotation unset")
    if split == "train_extra" and annotation == FINE:
        raise ConfigError("Cityscapes' train_extra split has only coarse labels (gtCoarse)")
    return annotation


def scan_examples(data_dir, split, *, annotation=None):
    """Pairs the images and labels of `split` by name and lists every problem.

    Cityscapes: `leftImg8bit/<split>/**/<name>_leftImg8bit.png` pairs with
    `gtFine/<split>/**/<name>_gtFine_labelIds.png` (`gtCoarse`/`_gtCoarse_` for coarse), and with
    `<name>_gt*_instanceIds.png` when that exists. Custom: `<image_dir>/<split>/**/<name>.png|jpg`
    pairs with `<label_dir>/<split>/**/<name>.png`. Other files are not looked at.

    Args:
        data_dir: the data set's root folder.
        split: e.g. "train", "val", "test", "train_extra".
        annotation: "fine" or "coarse" (Cityscapes); None picks "coarse" for train_extra only.

    Returns:
        A `ScanResult`; its `problems` name missing folders, unpaired files and an empty split.
    """
    data_format = detect_format(data_dir)
    annotation = resolve_annotation(data_format, split, annotation)
    if data_format == CITYSCAPES:
        gt = "gtFine" if annotation == FINE else "gtCoarse"
        image_dir = os.path.join(data_dir, "leftImg8bit", split)
        label_dir = os.path.join(data_dir, gt, split)
        images = _walk(image_dir, lambda f: _strip(f, (_IMAGE_SUFFIX,)))
        labels = _walk(label_dir, lambda f: _strip(f, (f"_{gt}_labelIds.png",)))
        instances = _walk(label_dir, lambda f: _strip(f, (f"_{gt}_instanceIds.png",)))
    else:
        spec = read_dataset_json(data_dir)
        image_dir = os.path.join(data_dir, spec["image_dir"], split)
        label_dir = os.path.join(data_dir, spec["label_dir"], split)
        images = _walk(image_dir, lambda f: _strip(f, IMAGE_EXTENSIONS))
        labels = _walk(label_dir, lambda f: _strip(f, (".png",)))
        instances = ({}, [])
    result = ScanResult(data_format, split, annotation, image_dir, label_dir)
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
    for dirpath, dirnames, filenames in os.walk(folder):
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
