"""What a data set contains: its format, classes, colours and the label-value table."""

import dataclasses
import os

import numpy as np
from cityscapesscripts.helpers.labels import trainId2label

from tfseg.data.cityscapes_lookup import NUM_CITYSCAPES_CLASSES, UNKNOWN, cityscapes_lookup
from tfseg.data.read_dataset_json import DATASET_JSON, read_dataset_json
from tfseg.errors import DataError
from tfseg.labels import IGNORE_VALUE

CITYSCAPES = "cityscapes"
CUSTOM = "custom"
VOID_NAME = "void"
VOID_COLOR = (0, 0, 0)


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
        keep_void,
    )  # fmt: skip


def _frozen_info(
    data_format, root, name, names, colors, categories, has_instances, label_ids, table, keep_void
):
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
    )
