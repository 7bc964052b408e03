"""What a data set contains: its format, classes, colours, label-value table and file layout.

Every fact that depends on the format (Cityscapes or custom) is a field or a property of
`DatasetInfo`; the rest of the package reads those instead of testing the format itself.
"""

import dataclasses
import os
from typing import NamedTuple

import numpy as np
from cityscapesscripts.helpers.labels import id2label, labels, trainId2label

from tfseg.data.dataset_json import DATASET_JSON, read_dataset_json
from tfseg.errors import DataError
from tfseg.labels import IGNORE_VALUE

CITYSCAPES = "cityscapes"
CUSTOM = "custom"
VOID_NAME = "void"
VOID_COLOR = (0, 0, 0)
# The annotations of a split: Cityscapes has fine (gtFine) and coarse (gtCoarse) labels.
FINE = "fine"
COARSE = "coarse"
ANNOTATIONS = (FINE, COARSE)
CITYSCAPES_SPLITS = ("train", "val", "test", "train_extra")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
# The 19 evaluated classes; every other label is void.
NUM_CITYSCAPES_CLASSES = 19
# Marks a value that is not a label id at all (e.g. 34..255 in a labelIds PNG).
UNKNOWN = -1


class SplitLayout(NamedTuple):
    """Where the files of one split are, relative to the data set's root.

    `<image_dir>/**/<name><image suffix>` pairs with `<label_dir>/**/<name><label_suffix>`, and
    with `<label_dir>/**/<name><instance_suffix>` when that exists (None: no instance files).
    """

    image_dir: str
    label_dir: str
    image_suffixes: tuple
    label_suffix: str
    instance_suffix: str | None


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """The classes of a data set, in train-id order, and how label files map onto them.

    Attributes:
        format: "cityscapes" or "custom".
        root: the data set's folder (absolute).
        name: a display name ("cityscapes" or the custom JSON's `name`).
        class_names: class names, index = train id (the network's output channel).
        colors: RGB colour per class, for colour-coded predictions.
        categories: category name per class (Cityscapes: flat, construction, object, nature, sky,
            human, vehicle; custom: the JSON's `category`, default the class name).
        has_instances: per class, whether instances are labelled (Cityscapes: person, rider,
            car, truck, bus, train, motorcycle, bicycle, which the iIoU metric weighs per
            instance); all False for custom data.
        train_id_to_label_id: label-file value per class, for writing predictions in the data
            set's own ids (Cityscapes labelIds, which the official evaluation reads).
        lookup: 256 entries mapping a label-file value to a train id, `ignore_value` or -1 for a
            value that is not in the table (the pipeline raises on those).
        keep_void: whether void / ignored pixels are trained as the last class.
        ignore_value: the value of ignored pixels in the labels the pipeline yields (255).
        image_folder, label_folder: the folders under `root` that hold one sub-folder of images
            / labels per split (Cityscapes: leftImg8bit and gtFine, gtCoarse for coarse labels;
            custom: the JSON's `image_dir` and `label_dir`).
    """

    format: str
    root: str
    name: str
    class_names: tuple
    colors: tuple
    categories: tuple
    has_instances: tuple
    train_id_to_label_id: tuple
    lookup: tuple
    keep_void: bool = False
    ignore_value: int = IGNORE_VALUE
    image_folder: str = "leftImg8bit"
    label_folder: str = "gtFine"

    @property
    def category_names(self):
        """The distinct categories, in first-seen order."""
        return tuple(dict.fromkeys(self.categories))

    @property
    def num_classes(self):
        """Number of network output classes (19 for Cityscapes, 20 with keep_void)."""
        return len(self.class_names)

    def lookup_table(self):
        """`lookup` as an int32 numpy array of shape [256]."""
        return np.asarray(self.lookup, dtype=np.int32)

    @property
    def png_images(self):
        """Whether images must be PNG (Cityscapes); custom images may also be JPEG."""
        return self.format == CITYSCAPES

    @property
    def instance_metrics(self):
        """Whether labels come with Cityscapes instance ids, from which iIoU is computed.

        The ids are those of `*_instanceIds.png`; where that file is missing, the label ids
        stand in (non-instance pixels hold their label id in Cityscapes' instance images).
        """
        return self.format == CITYSCAPES and any(self.has_instances)

    @property
    def official_evaluation(self):
        """Whether cityscapesscripts' own evaluation can score this data set's predictions."""
        return self.format == CITYSCAPES

    @property
    def annotations(self):
        """The annotations a split may have: fine and coarse (Cityscapes), or fine only."""
        return ANNOTATIONS if self.format == CITYSCAPES else (FINE,)

    @property
    def known_splits(self):
        """The split names of the format, in their natural order (none for custom data)."""
        return CITYSCAPES_SPLITS if self.format == CITYSCAPES else ()

    def default_annotation(self, split):
        """The annotation read when none is given: coarse for Cityscapes' train_extra (which
        has only coarse labels), fine otherwise."""
        return COARSE if (self.format == CITYSCAPES and split == "train_extra") else FINE

    def folders(self, annotation=FINE):
        """`(image folder, label folder)` under `root`, each with one sub-folder per split."""
        if self.format == CITYSCAPES and annotation == COARSE:
            return self.image_folder, "gtCoarse"
        return self.image_folder, self.label_folder

    def split_layout(self, split, annotation=FINE):
        """The `SplitLayout` of `split`: its folders (relative to `root`) and file suffixes.

        Cityscapes: `leftImg8bit/<split>/**/<name>_leftImg8bit.png` and
        `gtFine/<split>/**/<name>_gtFine_labelIds.png` (and `_instanceIds.png`), `gtCoarse` /
        `_gtCoarse_` for coarse. Custom: `<image_dir>/<split>/**/<name>.png|jpg|jpeg` and
        `<label_dir>/<split>/**/<name>.png`.
        """
        image_folder, label_folder = self.folders(annotation)
        image_dir, label_dir = os.path.join(image_folder, split), os.path.join(label_folder, split)
        if self.format == CITYSCAPES:
            return SplitLayout(
                image_dir, label_dir, ("_leftImg8bit.png",), f"_{label_folder}_labelIds.png",
                f"_{label_folder}_instanceIds.png",
            )  # fmt: skip
        return SplitLayout(image_dir, label_dir, IMAGE_EXTENSIONS, ".png", None)

    def value_names(self):
        """Label-file value -> name, for the values in the table: the Cityscapes label name,
        or the class name ("ignore" for the ignore value) of a custom data set."""
        names = {}
        for value, train_id in enumerate(self.lookup):
            if train_id < 0:
                continue
            if self.format == CITYSCAPES:
                names[value] = id2label[value].name
            else:
                names[value] = (
                    self.class_names[train_id] if train_id < self.num_classes else "ignore"
                )
        return names


def detect_format(data_dir):
    """Returns "custom" if `data_dir/dataset.json` exists, "cityscapes" if `leftImg8bit/` does.

    Raises:
        DataError: `data_dir` is missing or is neither layout.
    """
    if not os.path.isdir(data_dir):
        raise DataError(f"{data_dir}: data folder not found")
    if os.path.isfile(os.path.join(data_dir, DATASET_JSON)):
        return CUSTOM
    if os.path.isdir(os.path.join(data_dir, "leftImg8bit")):
        return CITYSCAPES
    raise DataError(
        f"{data_dir}: not a data set: expected leftImg8bit/ and gtFine/ (Cityscapes layout) or a "
        f"{DATASET_JSON} (custom layout); `tfseg data synth --out={data_dir}` makes a synthetic one"
    )


def dataset_info(data_dir, *, keep_void=False):
    """Describes the data set in `data_dir`, auto-detecting its layout.

    A folder with a `dataset.json` at its root is a custom data set; one with `leftImg8bit/` is
    Cityscapes (real or made by `synthesize_scenes`).

    Args:
        data_dir: the data set's root folder.
        keep_void: add a last class "void" for every ignored / void label (Cityscapes: the 20
            classes of the original framework; custom: the pixels equal to `ignore_value`).

    Returns:
        A frozen `DatasetInfo`.

    Raises:
        DataError: the folder is missing, is neither layout, or its dataset.json is invalid.

    Example:
        >>> info = dataset_info("data/synthetic")
        >>> info.format, info.num_classes, info.class_names[0], info.colors[0]
        ('cityscapes', 19, 'road', (128, 64, 128))
    """
    root = os.path.abspath(data_dir)
    if detect_format(root) == CITYSCAPES:
        return _cityscapes_info(root, keep_void)
    return _custom_info(root, keep_void)


def _cityscapes_info(root, keep_void):
    classes = [trainId2label[t] for t in range(NUM_CITYSCAPES_CLASSES)]
    names = [c.name for c in classes]
    colors = [tuple(c.color) for c in classes]
    categories = [c.category for c in classes]
    label_ids = [c.id for c in classes]
    has_instances = [c.hasInstances for c in classes]
    if keep_void:
        # Predicting void writes labelId 0 (unlabeled), as the original's postprocess did.
        names, colors, categories = (
            names + [VOID_NAME],
            colors + [VOID_COLOR],
            categories + ["void"],
        )
        label_ids.append(0)
        has_instances.append(False)
    return _frozen_info(
        CITYSCAPES, root, "cityscapes", names, colors, categories, has_instances, label_ids,
        cityscapes_lookup(keep_void), keep_void,
    )  # fmt: skip


def _custom_info(root, keep_void):
    spec = read_dataset_json(root)
    classes = spec["classes"]
    names = [c["name"] for c in classes]
    colors = [c["color"] for c in classes]
    categories = [c["category"] for c in classes]
    label_ids = [c["id"] for c in classes]
    table = np.full(256, UNKNOWN, dtype=np.int32)
    for train_id, value in enumerate(label_ids):
        table[value] = train_id
    table[spec["ignore_value"]] = len(classes) if keep_void else IGNORE_VALUE
    if keep_void:
        if VOID_NAME in names:
            raise DataError(
                f"{os.path.join(root, DATASET_JSON)}: a class is named {VOID_NAME!r}, which "
                "keep_void adds"
            )
        names, colors, categories = (
            names + [VOID_NAME],
            colors + [VOID_COLOR],
            categories + ["void"],
        )
        label_ids.append(spec["ignore_value"])
    has_instances = [False] * len(names)
    return _frozen_info(
        CUSTOM, root, spec["name"], names, colors, categories, has_instances, label_ids, table,
        keep_void, image_folder=spec["image_dir"], label_folder=spec["label_dir"],
    )  # fmt: skip


def _frozen_info(
    data_format, root, name, names, colors, categories, has_instances, label_ids, table, keep_void,
    **folders,
):  # fmt: skip
    """A `DatasetInfo` from per-class lists and a 256-entry lookup array (all made hashable)."""
    return DatasetInfo(
        format=data_format,
        root=root,
        name=name,
        class_names=tuple(names),
        colors=tuple(tuple(c) for c in colors),
        categories=tuple(categories),
        has_instances=tuple(has_instances),
        train_id_to_label_id=tuple(label_ids),
        lookup=tuple(int(v) for v in table),
        keep_void=keep_void,
        **folders,
    )


def cityscapes_lookup(keep_void=False):
    """A 256-entry table mapping every uint8 labelId to its trainId.

    The 19 evaluated classes get trainIds 0..18, every other official label id (0..6, 9, 10, 14..16,
    18, 29, 30) gets the ignore value 255, or 19 with `keep_void=True` (the original framework
    trained void as a 20th class). Values that are not Cityscapes label ids (34..255) map to -1, so
    the caller can reject the file instead of training on garbage.

    Args:
        keep_void: map void labels to class 19 instead of 255.

    Returns:
        `np.ndarray` of shape `[256]`, dtype int32.

    Example:
        >>> table = cityscapes_lookup()
        >>> int(table[7]), int(table[26]), int(table[0]), int(table[40])  # road, car, unlabeled, ?
        (0, 13, 255, -1)
    """
    table = np.full(256, UNKNOWN, dtype=np.int32)
    void = NUM_CITYSCAPES_CLASSES if keep_void else IGNORE_VALUE
    for label in labels:
        if label.id < 0:  # 'license plate' is never written to labelIds PNGs
            continue
        train_id = label.trainId
        table[label.id] = train_id if 0 <= train_id < NUM_CITYSCAPES_CLASSES else void
    return table
