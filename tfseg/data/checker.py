"""A full check of a data set's files, collecting every problem instead of stopping at the first."""

import dataclasses
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from tfseg.data.examples import find_examples
from tfseg.data.header_checks import pair_problems
from tfseg.data.info import FINE, dataset_info
from tfseg.data.readers import read_image_file, read_label_file
from tfseg.errors import TfsegError
from tfseg.labels import IGNORE_VALUE


@dataclasses.dataclass
class SplitReport:
    """What the checker found in one split.

    Attributes:
        split, annotation: which split ("fine"/"coarse" for Cityscapes; "fine" for custom data).
        num_examples: image/label pairs found.
        num_instances: pairs that also have an instanceIds file.
        image_sizes: "HxW" -> number of images.
        label_histogram: label-file value -> pixel count over all label files.
    """

    split: str
    annotation: str
    num_examples: int = 0
    num_instances: int = 0
    image_sizes: dict = dataclasses.field(default_factory=dict)
    label_histogram: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class DatasetReport:
    """The checker's result; `ok` is False when any problem was found.

    Attributes:
        data_dir, format: the data set.
        class_names: train-id order.
        value_names: label-file value -> name (Cityscapes label name, or class name / "ignore").
        splits: one `SplitReport` per split checked.
        problems: (path, message) per offending file or folder: these stop training.
        warnings: (path, message) for things worth a look that do not (e.g. an all-void label).
    """

    data_dir: str
    format: str = ""
    class_names: tuple = ()
    value_names: dict = dataclasses.field(default_factory=dict)
    splits: list = dataclasses.field(default_factory=list)
    problems: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)

    @property
    def ok(self):
        return not self.problems

    def to_text(self):
        """The report as printed by `tfseg data check`."""
        lines = [
            f"data set {self.data_dir}: {self.format or 'unknown'} format, "
            f"{len(self.class_names)} classes"
        ]
        for s in self.splits:
            lines.append(
                f"split {s.split} ({s.annotation}): {s.num_examples} examples, "
                f"{s.num_instances} with instanceIds"
            )
            if s.image_sizes:
                sizes = ", ".join(f"{size} ({n})" for size, n in sorted(s.image_sizes.items()))
                lines.append(f"  image sizes: {sizes}")
            total = sum(s.label_histogram.values())
            if total:
                lines.append("  label values (value name: share of pixels):")
                for value, count in sorted(s.label_histogram.items()):
                    name = self.value_names.get(value, "UNKNOWN")
                    lines.append(
                        f"    {value:3d} {name:<22} {100 * count / total:7.3f}%  ({count} px)"
                    )
        for title, entries in (("problems", self.problems), ("warnings", self.warnings)):
            if entries:
                lines.append(f"{title} ({len(entries)}):")
                lines += [f"  {path}: {message}" for path, message in entries]
        lines.append("OK" if self.ok else f"FAILED: {len(self.problems)} problem(s)")
        return "\n".join(lines)


def check_dataset(data_dir, split=None, *, annotation=None, progress=None):
    """Checks every file of a data set (or of one split) and reports all problems.

    For each split: the folders exist, every image has its label and the reverse, the split is not
    empty; for each pair: both files decode completely, the label is an 8-bit single-channel PNG,
    image / label / instance sizes agree, and every label value is in the table. It also
    collects the image sizes and the label-value histogram. Works on both layouts.

    Args:
        data_dir: data set root.
        split: one split, or None for every split found (Cityscapes: leftImg8bit/ and gtFine/
            sub-folders, plus gtCoarse/ ones as coarse; custom: sub-folders of images/ and labels/).
        annotation: with `split`, Cityscapes "fine" or "coarse".
        progress: optional callable(done, total) called as pairs are checked.

    Returns:
        A `DatasetReport`; `report.ok` is False if anything would stop (or spoil) training.

    Example:
        >>> report = check_dataset("data/synthetic")
        >>> print(report.to_text()); assert report.ok
    """
    report = DatasetReport(os.path.abspath(data_dir))
    try:
        info = dataset_info(data_dir)
    except TfsegError as error:
        report.problems.append((data_dir, str(error).removeprefix(f"{data_dir}: ")))
        return report
    report.format, report.class_names = info.format, info.class_names
    report.value_names = info.value_names()
    jobs = [(split, annotation)] if split else _splits(data_dir, info)
    if not jobs:
        report.problems.append((data_dir, "no splits found"))
    elif not split and "val" not in {name for name, _ in jobs}:
        report.problems.append(
            (data_dir, "no 'val' split, which `tfseg train` validates on (--val_split=val); add "
             "one, or check a single split with --split")
        )  # fmt: skip
    scans = []
    for name, kind in jobs:
        try:
            scans.append(find_examples(data_dir, name, annotation=kind, info=info))
        except TfsegError as error:
            report.problems.append((data_dir, str(error)))
    total, done = sum(len(s.examples) for s in scans), 0
    table = info.lookup_table()
    png_images = info.png_images
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        for scan in scans:
            report.problems += scan.problems
            split_report = SplitReport(scan.split, scan.annotation, num_examples=len(scan.examples))
            split_report.num_instances = sum(e[2] is not None for e in scan.examples)
            sizes, histogram = Counter(), np.zeros(256, np.int64)
            for size, values, problems, warnings in pool.map(
                lambda e: _check_pair(e, table, png_images), scan.examples
            ):
                if size:
                    sizes[size] += 1
                if values is not None:
                    histogram += values
                report.problems += problems
                report.warnings += warnings
                done += 1
                if progress:
                    progress(done, total)
            split_report.image_sizes = dict(sizes)
            split_report.label_histogram = {
                int(v): int(histogram[v]) for v in np.flatnonzero(histogram)
            }
            report.splits.append(split_report)
    return report


def _splits(data_dir, info):
    """(split, annotation) of every split folder: those under the image folder and the fine
    label folder (except the splits with coarse labels only), then those with coarse labels."""

    def subdirs(folder):
        folder = os.path.join(data_dir, folder)
        return (
            {d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d))}
            if os.path.isdir(folder)
            else set()
        )

    order = {name: i for i, name in enumerate(info.known_splits)}
    key = lambda s: (order.get(s, len(order)), s)  # noqa: E731
    jobs = []
    for annotation in info.annotations:
        image_folder, label_folder = info.folders(annotation)
        names = subdirs(label_folder)
        if annotation == FINE:
            names |= subdirs(image_folder)
            names = {s for s in names if info.default_annotation(s) == FINE}
        jobs += [(s, annotation) for s in sorted(names, key=key)]
    return jobs


def _check_pair(example, table, png_images):
    """Returns (image size "HxW" or None, label histogram or None, problems, warnings)."""
    image_path, label_path, instance_path = example
    problems = pair_problems(example, png_images)
    bad = {path for path, _ in problems}
    size = values = None
    warnings = []
    if image_path not in bad:
        try:
            image = read_image_file(image_path, cv2.IMREAD_COLOR)
            size = f"{image.shape[0]}x{image.shape[1]}"
        except TfsegError as error:
            problems.append((image_path, str(error).removeprefix(f"{image_path}: ")))
    label = None
    if label_path not in bad:
        try:
            label = read_label_file(label_path)
        except TfsegError as error:
            problems.append((label_path, str(error).removeprefix(f"{label_path}: ")))
    if label is not None:
        values = np.bincount(label.ravel(), minlength=256)
        unknown = np.flatnonzero((values > 0) & (table < 0))
        if unknown.size:
            listed = ", ".join(str(v) for v in unknown[:10])
            problems.append((label_path, f"values outside the label table: {listed}"))
        trained = (table >= 0) & (table != IGNORE_VALUE)
        if not values[trained].any():
            warnings.append((label_path, "no pixel of this label is trained on (all ignore)"))
    if label is not None and instance_path is not None and instance_path not in bad:
        try:
            instance = read_image_file(instance_path).astype(np.int64)
        except TfsegError as error:
            problems.append((instance_path, str(error).removeprefix(f"{instance_path}: ")))
        else:
            if instance.shape == label.shape:
                semantic = np.where(instance >= 1000, instance // 1000, instance)
                mismatched = int(np.count_nonzero(semantic != label))
                if mismatched:
                    warnings.append(
                        (
                            instance_path,
                            f"{mismatched} pixels whose class differs from the labelIds file",
                        )
                    )
    return size, values, problems, warnings
