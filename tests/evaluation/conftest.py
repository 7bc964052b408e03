"""A tiny synthetic Cityscapes set, predictions made from its ground truth, and comparisons."""

import glob
import math
import os

import cv2
import numpy as np
import pytest

from tfseg.data import cityscapes_lookup, dataset_info, synthesize_scenes
from tfseg.evaluation import ConfusionMatrix, InstanceStats, compute_metrics, prediction_path
from tfseg.io import write_png

# 4 val images, labels at 64x128: models run at 32x64, so logits are upsampled 2x.
SYNTH = {"num_train": 0, "num_val": 4, "height": 64, "width": 128, "seed": 3}
TOLERANCE = 1e-4


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory):
    """Read-only synthetic Cityscapes set shared by the tests of this folder."""
    out = str(tmp_path_factory.mktemp("eval_synthetic") / "cityscapes")
    synthesize_scenes(out, **SYNTH, workers=1)
    return out


def ground_truths(data_dir, split="val"):
    """Sorted `(label_path, label_ids, instance_ids)` of a split."""
    result = []
    for path in sorted(glob.glob(os.path.join(data_dir, "gtFine", split, "*", "*_labelIds.png"))):
        label_ids = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        instances = cv2.imread(path.replace("labelIds", "instanceIds"), cv2.IMREAD_UNCHANGED)
        result.append((path, label_ids, instances))
    return result


def write_predictions(data_dir, predictions_dir, make_prediction, *, keep_void=False, seed=0):
    """Writes `make_prediction(train_ids, rng)` for every val image as label-id PNGs.

    Returns the metrics tfseg computes for those predictions (train ids, 255 / 19 = void).
    """
    info = dataset_info(data_dir, keep_void=keep_void)
    lookup = cityscapes_lookup(keep_void)
    to_label_id = np.asarray(info.train_id_to_label_id, np.uint8)
    rng = np.random.default_rng(seed)
    confusion = ConfusionMatrix(info.num_classes)
    stats = InstanceStats(info.num_classes)
    label_dir = os.path.join(data_dir, "gtFine", "val")
    for path, label_ids, instances in ground_truths(data_dir):
        train_ids = lookup[label_ids]
        prediction = make_prediction(train_ids, rng)
        assert prediction.min() >= 0 and prediction.max() < info.num_classes
        confusion.update(train_ids, prediction)
        stats.update(instances, prediction)
        out = prediction_path(predictions_dir, path, label_dir)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        write_png(out, to_label_id[prediction])
    return compute_metrics(confusion, info, instance_stats=stats)


def assert_metrics_close(actual, expected, tolerance=TOLERANCE):
    """Every score of `expected` equals `actual` within `tolerance`; NaN only matches NaN."""
    keys = [
        "miou",
        "pixel_accuracy",
        "category_miou",
        "iiou",
        "category_iiou",
        "iou",
        "category_iou",
        "iiou_per_class",
        "category_iiou_per_category",
    ]
    for key in keys:
        a, e = actual[key], expected[key]
        if isinstance(e, dict):
            assert list(a) == list(e), key
            for name in e:
                _assert_close(a[name], e[name], tolerance, f"{key}[{name}]")
        else:
            _assert_close(a, e, tolerance, key)


def _assert_close(actual, expected, tolerance, what):
    if math.isnan(expected):
        assert math.isnan(actual), f"{what}: {actual} but expected NaN"
    else:
        assert abs(actual - expected) <= tolerance, f"{what}: {actual} != {expected}"
