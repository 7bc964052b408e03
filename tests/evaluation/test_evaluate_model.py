"""evaluate_model end to end: tiny models, labels larger than the network input, official check."""

import glob
import json
import math
import os

import cv2
import numpy as np
import pytest
import tensorflow as tf

import tfseg
from tfseg.data import dataset_info, load_eval_dataset, open_split
from tfseg.errors import ConfigError
from tfseg.evaluation import (
    ConfusionMatrix,
    compute_metrics,
    evaluate_model,
    format_metrics_table,
    run_official_evaluation,
    write_metrics_json,
)

from .conftest import HEIGHT, SYNTH, WIDTH, assert_metrics_close, make_custom, pixel_model


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


def test_an_opened_split_gives_the_same_metrics_as_its_folder(synthetic_dir, tmp_path):
    model = pixel_model(19)
    options = dict(height=HEIGHT, width=WIDTH, progress=False)
    from_folder = evaluate_model(model, synthetic_dir, "val", **options)
    val = open_split(synthetic_dir, "val")
    predictions_dir = str(tmp_path / "predictions")
    from_split = evaluate_model(model, val, predictions_dir=predictions_dir, **options)
    np.testing.assert_array_equal(from_split["confusion_matrix"], from_folder["confusion_matrix"])
    assert_metrics_close(from_split, from_folder, tolerance=0)
    official = run_official_evaluation(predictions_dir, val)
    np.testing.assert_array_equal(official["confusion_matrix"], from_split["confusion_matrix"])
    first = evaluate_model(model, val, max_images=2, **options)
    labels = [example["label"].numpy() for example in load_eval_dataset(val, max_images=2)]
    assert first["num_images"] == 2
    assert first["confusion_matrix"].sum() == sum(int((y != 255).sum()) for y in labels)
    with pytest.raises(ConfigError, match="keep_void=True does not match"):
        evaluate_model(pixel_model(20), val, keep_void=True, **options)
    void = evaluate_model(
        pixel_model(20), open_split(synthetic_dir, "val", keep_void=True), **options
    )
    assert void["confusion_matrix"].shape == (20, 20)
