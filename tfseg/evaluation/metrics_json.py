"""Writes an evaluation's metrics as strict JSON, atomically."""

from tfseg.io import write_json

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
    write_json(path, ordered)
