"""A tiny synthetic Cityscapes set, predictions made from its ground truth, comparisons, and the
tiny models and custom data set the evaluation tests run on."""

import glob
import json
import math
import os

import cv2
import keras
import numpy as np
import pytest

from tfseg.data import dataset_info
from tfseg.data.info import cityscapes_lookup
from tfseg.evaluation import ConfusionMatrix, compute_metrics
from tfseg.evaluation.instance_stats import InstanceStats
from tfseg.evaluation.prediction_files import prediction_path
from tfseg.io import write_png

# 4 val images, labels at 64x128: models run at 32x64, so logits are upsampled 2x.
SYNTH = {"num_train": 0, "num_val": 4, "height": 64, "width": 128, "seed": 3}
# Half the label resolution, so the logits are upsampled to the labels.
HEIGHT, WIDTH = SYNTH["height"] // 2, SYNTH["width"] // 2
TOLERANCE = 1e-4


@pytest.fixture(scope="session")
def synthetic_dir(synthetic_set):
    """Read-only synthetic Cityscapes set shared by the tests of this folder."""
    return synthetic_set(**SYNTH)


def pixel_model(num_classes, seed=0):
    """A random per-pixel colour classifier with stride-2 logits: untrained, but it predicts
    many classes, so every metric is exercised."""
    init = keras.initializers.RandomNormal(stddev=1.0, seed=seed)
    inputs = keras.Input((HEIGHT, WIDTH, 3))
    x = keras.layers.Rescaling(1 / 64.0, offset=-2.0)(inputs)
    x = keras.layers.Conv2D(
        16, 3, strides=2, padding="same", activation="relu", kernel_initializer=init
    )(x)
    logits = keras.layers.Conv2D(num_classes, 1, kernel_initializer=init, bias_initializer=init)(x)
    return keras.Model(inputs, logits)


def make_custom(root, count=2, height=48, width=64):
    """A custom data set of 8x8 blocks with values 0, 1, 7 and an ignored block."""
    rng = np.random.default_rng(0)
    os.makedirs(os.path.join(root, "images", "val", "sub"))
    os.makedirs(os.path.join(root, "labels", "val", "sub"))
    classes = [
        {"name": "background", "color": [0, 0, 0]},
        {"name": "red", "color": [255, 0, 0]},
        {"name": "blue", "color": [0, 0, 255], "id": 7},
    ]
    with open(os.path.join(root, "dataset.json"), "w") as f:
        json.dump({"name": "blocks", "classes": classes}, f)
    colors = np.array([[90, 90, 90], [230, 20, 20], [20, 20, 230]], np.uint8)
    for k in range(count):
        blocks = np.kron(rng.integers(0, 3, (height // 8, width // 8)), np.ones((8, 8), int))
        label = np.array([0, 1, 7], np.uint8)[blocks]
        label[:8, :8] = 255
        write_png(os.path.join(root, "images", "val", "sub", f"img{k}.png"), colors[blocks])
        write_png(os.path.join(root, "labels", "val", "sub", f"img{k}.png"), label)
    return root


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
