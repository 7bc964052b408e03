"""Reads and validates the `dataset.json` that marks a custom data set."""

import json
import os

from tfseg.errors import DataError, is_int

DATASET_JSON = "dataset.json"
_KEYS = {"name", "classes", "ignore_value", "image_dir", "label_dir"}
_CLASS_KEYS = {"name", "color", "id", "category"}


def read_dataset_json(data_dir):
    """Reads `<data_dir>/dataset.json` and returns it with every default filled in.

    The file names the classes in train-id order, their colours and the label-file values:

        {"name": "potholes",
         "classes": [{"name": "background", "color": [0, 0, 0]},
                     {"name": "pothole", "color": [255, 0, 0], "id": 1}],
         "ignore_value": 255}

    `id` (default: the class's position) is the pixel value that stands for the class in the label
    PNGs, `category` (default: the class name) groups classes for category metrics,
    `ignore_value` (default 255) is the label-file value of pixels that are not trained on, and
    `image_dir` / `label_dir` (default `images` / `labels`) are the folders that hold one
    sub-folder per split.

    Args:
        data_dir: the data set's root folder.

    Returns:
        dict with keys name, classes (list of dicts with name, color, id, category), ignore_value,
        image_dir and label_dir.

    Raises:
        DataError: the file is missing, not JSON, or has a bad value (the message says which).

    Example:
        >>> spec = read_dataset_json("data/potholes")
        >>> [c["name"] for c in spec["classes"]]
        ['background', 'pothole']
    """
    path = os.path.join(data_dir, DATASET_JSON)
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: not a readable JSON file ({error})") from None

    def bad(what):
        return DataError(f"{path}: {what}")

    if not isinstance(raw, dict):
        raise bad("expected a JSON object with a 'classes' list")
    unknown = set(raw) - _KEYS
    if unknown:
        raise bad(f"unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    classes = raw.get("classes")
    if not isinstance(classes, list) or not classes:
        raise bad('\'classes\' must be a non-empty list of {"name": ..., "color": [r, g, b]}')
    ignore_value = raw.get("ignore_value", 255)
    if not _is_uint8(ignore_value):
        raise bad(f"'ignore_value' must be an integer 0..255, got {ignore_value!r}")

    spec_classes, names, ids = [], set(), {}
    for index, entry in enumerate(classes):
        where = f"classes[{index}]"
        if not isinstance(entry, dict) or "name" not in entry or "color" not in entry:
            raise bad(f"{where} must be an object with 'name' and 'color'")
        unknown = set(entry) - _CLASS_KEYS
        if unknown:
            raise bad(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_CLASS_KEYS)}")
        name = entry["name"]
        if not isinstance(name, str) or not name:
            raise bad(f"{where}: 'name' must be a non-empty string")
        if name in names:
            raise bad(f"{where}: duplicate class name {name!r}")
        names.add(name)
        color = entry["color"]
        if not (isinstance(color, list) and len(color) == 3 and all(map(_is_uint8, color))):
            raise bad(f"{where} ({name}): 'color' must be [r, g, b] with integers 0..255")
        value = entry.get("id", index)
        if not _is_uint8(value):
            raise bad(f"{where} ({name}): 'id' must be an integer 0..255, got {value!r}")
        if value == ignore_value:
            raise bad(f"{where} ({name}): 'id' {value} is the ignore_value")
        if value in ids:
            raise bad(f"{where} ({name}): 'id' {value} is also used by {ids[value]!r}")
        ids[value] = name
        category = entry.get("category", name)
        if not isinstance(category, str) or not category:
            raise bad(f"{where} ({name}): 'category' must be a non-empty string")
        spec_classes.append(
            {"name": name, "color": tuple(color), "id": value, "category": category}
        )
    if len(spec_classes) > 255:
        raise bad(f"{len(spec_classes)} classes; at most 255 fit in 8-bit label PNGs")

    folders = {}
    for key, default in (("image_dir", "images"), ("label_dir", "labels")):
        folder = raw.get(key, default)
        if not isinstance(folder, str) or not folder or os.path.isabs(folder):
            raise bad(f"'{key}' must be a folder name relative to the data set, got {folder!r}")
        if os.path.normpath(folder).split(os.sep)[0] == os.pardir:
            # Training on files outside the data set would make it depend on whatever lies there.
            raise bad(f"'{key}' must be a folder inside the data set, got {folder!r}")
        folders[key] = folder
    return {
        "name": raw.get("name") or os.path.basename(os.path.abspath(data_dir)),
        "classes": spec_classes,
        "ignore_value": ignore_value,
        **folders,
    }


def _is_uint8(value):
    return is_int(value) and 0 <= value <= 255
