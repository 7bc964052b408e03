"""evaluate_model end to end: tiny models, labels larger than the network input, official check."""

import glob
import json
import math
import os

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

import tfseg
from tfseg.data import dataset_info, load_eval_dataset
from tfseg.evaluation import (
    ConfusionMatrix,
    compute_metrics,
    evaluate_model,
    format_metrics_table,
    run_official_evaluation,
    write_metrics_json,
)
from tfseg.io import write_png

from .conftest import SYNTH, assert_metrics_close

# Half the label resolution (64x128), so the logits are upsampled to the labels.
HEIGHT, WIDTH = SYNTH["height"] // 2, SYNTH["width"] // 2


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


@pytest.fixture(scope="module")
def shufflenet_model():
    return tfseg.build_model("shufflenet", "skipnet", num_classes=19, input_shape=(HEIGHT, WIDTH))


def test_tiny_untrained_model_matches_official(synthetic_dir, shufflenet_model, tmp_path):
    predictions_dir = str(tmp_path / "predictions")
    metrics = evaluate_model(
        shufflenet_model,
        synthetic_dir,
        "val",
        height=HEIGHT,
        width=WIDTH,
        predictions_dir=predictions_dir,
        progress=False,
    )
    assert metrics["num_images"] == 4 and metrics["seconds"] > 0
    assert metrics["confusion_matrix"].sum() > 0
    official = run_official_evaluation(predictions_dir, synthetic_dir, "val")
    assert_metrics_close(metrics, official)
    np.testing.assert_array_equal(metrics["confusion_matrix"], official["confusion_matrix"])


def test_predictions_are_bilinear_logits_at_label_resolution(synthetic_dir, tmp_path):
    model = pixel_model(19)
    predictions_dir = tmp_path / "predictions"
    metrics = evaluate_model(
        model,
        synthetic_dir,
        "val",
        height=HEIGHT,
        width=WIDTH,
        predictions_dir=str(predictions_dir),
        progress=False,
    )
    official = run_official_evaluation(str(predictions_dir), synthetic_dir, "val")
    assert_metrics_close(metrics, official)
    np.testing.assert_array_equal(metrics["confusion_matrix"], official["confusion_matrix"])
    used = np.count_nonzero(metrics["confusion_matrix"].sum(axis=0))
    assert used >= 5, "the test model should predict several classes"
    assert not math.isnan(metrics["iiou"])

    # Same as resizing the logits by hand (not nearest on the arg-max) and mapping to label ids.
    info = dataset_info(synthetic_dir)
    to_label_id = np.asarray(info.train_id_to_label_id)
    example = next(iter(load_eval_dataset(synthetic_dir, "val", height=HEIGHT, width=WIDTH)))
    logits = model(example["image"], training=False)
    assert logits.shape[1:3] == (HEIGHT // 2, WIDTH // 2)
    label_shape = example["label"].shape[1:3]
    expected = tf.argmax(tf.image.resize(logits, label_shape, "bilinear")[0], -1).numpy()
    label_path = example["label_path"][0].numpy().decode()
    city = os.path.basename(os.path.dirname(label_path))
    name = os.path.basename(label_path).replace("_gtFine_labelIds", "_pred_labelIds")
    written = cv2.imread(str(predictions_dir / city / name), cv2.IMREAD_UNCHANGED)
    assert written.shape == tuple(label_shape) == (SYNTH["height"], SYNTH["width"])
    np.testing.assert_array_equal(written, to_label_id[expected])
    assert not glob.glob(str(predictions_dir / "**" / ".tmp-*"), recursive=True)


def test_keep_void_model_matches_official(synthetic_dir, tmp_path):
    model = pixel_model(20, seed=1)
    # Make void win where the most frequent class (building) would: many void predictions.
    kernel, bias = model.layers[-1].get_weights()
    kernel[..., 19], bias[19] = kernel[..., 2], bias[2] + 0.5
    model.layers[-1].set_weights([kernel, bias])
    predictions_dir = str(tmp_path / "predictions")
    metrics = evaluate_model(
        model,
        synthetic_dir,
        "val",
        height=HEIGHT,
        width=WIDTH,
        keep_void=True,
        predictions_dir=predictions_dir,
        progress=False,
    )
    assert "void" not in metrics["iou"] and len(metrics["iou"]) == 19
    assert metrics["confusion_matrix"].shape == (20, 20)
    assert metrics["confusion_matrix"][:19, 19].sum() > 0, "some pixels should be predicted void"
    official = run_official_evaluation(predictions_dir, synthetic_dir, "val", keep_void=True)
    assert_metrics_close(metrics, official)
    np.testing.assert_array_equal(metrics["confusion_matrix"], official["confusion_matrix"])


def test_custom_data_set(tmp_path):
    root = make_custom(str(tmp_path / "custom"))
    model = pixel_model(3, seed=2)
    predictions_dir = tmp_path / "predictions"
    metrics = evaluate_model(
        model,
        root,
        "val",
        height=HEIGHT,
        width=WIDTH,
        predictions_dir=str(predictions_dir),
        progress=False,
    )
    assert list(metrics["iou"]) == ["background", "red", "blue"]
    assert metrics["category_iou"] == {} and math.isnan(metrics["category_miou"])
    assert math.isnan(metrics["iiou"]) and metrics["iiou_per_class"] == {}
    # The written predictions (label values 0, 1, 7) give back the same confusion matrix.
    lookup = np.full(256, 255)
    lookup[[0, 1, 7]] = [0, 1, 2]
    confusion = ConfusionMatrix(3)
    for label_path in sorted(glob.glob(os.path.join(root, "labels", "val", "sub", "*.png"))):
        written = cv2.imread(str(predictions_dir / "sub" / os.path.basename(label_path)), 0)
        assert set(np.unique(written)) <= {0, 1, 7}
        confusion.update(lookup[cv2.imread(label_path, 0)], lookup[written])
    np.testing.assert_array_equal(confusion.matrix, metrics["confusion_matrix"])
    assert compute_metrics(confusion, dataset_info(root))["miou"] == metrics["miou"]
    table = format_metrics_table(metrics)
    assert "background" in table and "category" not in table


def test_cli_outputs(synthetic_dir, tmp_path, capsys):
    metrics = evaluate_model(
        pixel_model(19), synthetic_dir, "val", height=HEIGHT, width=WIDTH, progress=True
    )
    assert "mIoU" in capsys.readouterr().out  # the Progbar
    path = str(tmp_path / "model" / "metrics.json")
    write_metrics_json(metrics, path)
    with open(path) as f:
        saved = json.load(f)
    for key in ("miou", "iou", "category_iou", "iiou", "pixel_accuracy"):
        assert key in saved
    assert saved["miou"] == pytest.approx(metrics["miou"])
    assert saved["iou"]["wall"] is None  # NaN -> null
    assert np.array_equal(saved["confusion_matrix"], metrics["confusion_matrix"])
    table = format_metrics_table(metrics)
    for word in ("road", "bicycle", "vehicle", "mean", "pixel accuracy", "n/a", "4 images"):
        assert word in table


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
