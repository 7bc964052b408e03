"""Writes an evaluation's metrics as strict JSON, atomically."""

import json
import math
import os

import numpy as np

from tfseg.data.atomic_write import atomic_write

# The headline numbers first, the bulky confusion matrix last.
_ORDER = (
    "miou",
    "iou",
    "pixel_accuracy",
    "category_miou",
    "category_iou",
    "iiou",
    "iiou_per_class",
    "category_iiou",
    "category_iiou_per_category",
    "num_images",
    "seconds",
    "class_names",
)


def write_metrics_json(metrics, path):
    """Writes `metrics` (from `compute_metrics` / `evaluate_model`) to `path` as JSON.

    NaN and infinities become `null` (JSON has no NaN), numpy values become plain numbers and
    lists; the file is replaced in one step (temporary file + rename), so a reader never sees
    half of it. Keys: miou, iou {class: IoU}, pixel_accuracy, category_miou, category_iou
    {category: IoU}, iiou, iiou_per_class, category_iiou, category_iiou_per_category,
    num_images, seconds, class_names, confusion_matrix (rows ground truth), and any other key
    of `metrics`. Values are fractions in 0..1.

    Args:
        metrics: dict of metrics.
        path: destination file; its folder is created if needed.

    Example:
        >>> write_metrics_json(evaluate_model(model, "data/cityscapes", "val", height=512,
        ...                                   width=1024), "experiments/run/metrics.json")
    """
    ordered = {key: metrics[key] for key in _ORDER if key in metrics}
    ordered.update({k: v for k, v in metrics.items() if k not in ordered})
    if "confusion_matrix" in ordered:
        ordered["confusion_matrix"] = ordered.pop("confusion_matrix")
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    atomic_write(path, json.dumps(_plain(ordered), indent=2, allow_nan=False) + "\n")


def _plain(value):
    """A JSON-ready copy: NaN -> None, numpy -> Python."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
