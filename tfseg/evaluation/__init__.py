"""Evaluation: streaming confusion matrix, IoU / category IoU / iIoU as the official Cityscapes
script defines them, model evaluation at the labels' full resolution, and the official script.

    >>> metrics = evaluate_model(model, "data/cityscapes", "val", height=512, width=1024,
    ...                          predictions_dir="preds")
    >>> write_metrics_json(metrics, "experiments/run/metrics.json")
    >>> print(format_metrics_table(metrics))
    >>> official = run_official_evaluation("preds", "data/cityscapes", "val")  # same numbers

All scores follow cityscapesscripts' `evalPixelLevelSemanticLabeling.py`: false positives are
counted on evaluated ground truth only (not on void, unlike the original framework), NaN marks a
class that is neither present nor predicted, and means skip NaN. iIoU needs Cityscapes
`*_instanceIds.png` files; custom data sets report class (and, if they define categories,
category) scores only, with NaN iIoU.

`evaluate`, `evaluate_model` and `run_official_evaluation` take a data set's folder and a split
name, or a `tfseg.data.open_split(...)` `Split`.

What each module holds:

    evaluator.py           `evaluate` (any segmenter) and `evaluate_model` (a Keras model)
    confusion_matrix.py    `ConfusionMatrix`: streaming counts over train ids
    instance_stats.py      `InstanceStats`: the instance-weighted counts of iIoU
    metrics.py             `compute_metrics`: IoU, category IoU, iIoU, pixel accuracy
    metrics_table.py       `format_metrics_table`: the command line's table
    metrics_json.py        `write_metrics_json`: strict JSON, written atomically
    prediction_files.py    `prediction_path`: where a prediction PNG goes
    official.py            `run_official_evaluation`: cityscapesscripts' own evaluation

Only the user verbs are exported here; the other names are imported from their modules, e.g.
`from tfseg.evaluation.instance_stats import InstanceStats`.
"""

from tfseg.evaluation.confusion_matrix import ConfusionMatrix
from tfseg.evaluation.evaluator import evaluate, evaluate_model
from tfseg.evaluation.metrics import compute_metrics
from tfseg.evaluation.metrics_json import write_metrics_json
from tfseg.evaluation.metrics_table import format_metrics_table
from tfseg.evaluation.official import run_official_evaluation

__all__ = [
    "ConfusionMatrix",
    "compute_metrics",
    "evaluate",
    "evaluate_model",
    "format_metrics_table",
    "run_official_evaluation",
    "write_metrics_json",
]
