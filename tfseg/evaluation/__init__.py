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
"""

from tfseg.evaluation.compute_metrics import compute_metrics
from tfseg.evaluation.confusion_matrix import ConfusionMatrix
from tfseg.evaluation.evaluate_model import evaluate, evaluate_model
from tfseg.evaluation.format_metrics_table import format_metrics_table
from tfseg.evaluation.instance_stats import InstanceStats
from tfseg.evaluation.prediction_path import prediction_path
from tfseg.evaluation.run_official_evaluation import run_official_evaluation
from tfseg.evaluation.write_metrics_json import write_metrics_json

__all__ = [
    "ConfusionMatrix",
    "InstanceStats",
    "compute_metrics",
    "evaluate",
    "evaluate_model",
    "format_metrics_table",
    "prediction_path",
    "run_official_evaluation",
    "write_metrics_json",
]
