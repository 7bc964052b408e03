"""Bad input gives a `DataError` / `ConfigError` that names the file or value."""

import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from tfseg.errors import ConfigError, DataError
from tfseg.evaluation import (
    evaluate_model,
    format_metrics_table,
    run_official_evaluation,
    write_metrics_json,
)
from tfseg.io import write_png

from .conftest import HEIGHT, WIDTH, ground_truths, make_custom, pixel_model, write_predictions


def perfect(train_ids, rng):
    return np.where(train_ids == 255, 0, train_ids)


@pytest.fixture
def predictions_dir(synthetic_dir, tmp_path):
    out = str(tmp_path / "predictions")
    write_predictions(synthetic_dir, out, perfect)
    return out


def prediction_files(predictions_dir):
    return sorted(
        os.path.join(root, name) for root, _, names in os.walk(predictions_dir) for name in names
    )


def test_missing_prediction_is_named(synthetic_dir, predictions_dir):
    missing = prediction_files(predictions_dir)[1]
    os.remove(missing)
    with pytest.raises(DataError, match="prediction not found") as error:
        run_official_evaluation(predictions_dir, synthetic_dir, "val")
    assert missing in str(error.value)


def test_missing_predictions_dir(synthetic_dir, tmp_path):
    absent = str(tmp_path / "nowhere")
    with pytest.raises(DataError, match="predictions folder not found") as error:
        run_official_evaluation(absent, synthetic_dir, "val")
    assert absent in str(error.value)


def test_ambiguous_predictions(synthetic_dir, predictions_dir):
    first = prediction_files(predictions_dir)[0]
    os.remove(first)  # so the name-pattern search is used
    stem = "_".join(os.path.basename(first).split("_")[:3])
    for suffix in ("_a.png", "_b.png"):
        shutil.copy(
            prediction_files(predictions_dir)[0], os.path.join(predictions_dir, stem + suffix)
        )
    with pytest.raises(DataError, match="several predictions match") as error:
        run_official_evaluation(predictions_dir, synthetic_dir, "val")
    assert stem in str(error.value)


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((32, 64), np.uint8), "Image widths"),
        (np.zeros((64, 128, 3), np.uint8), "multiple channels"),
        (np.full((64, 128), 200, np.uint8), "not Cityscapes label ids"),
    ],
    ids=["size", "rgb", "values"],
)
def test_bad_prediction_file(synthetic_dir, predictions_dir, array, message):
    write_png(prediction_files(predictions_dir)[2], array)
    with pytest.raises(DataError, match=message):
        run_official_evaluation(predictions_dir, synthetic_dir, "val")


def test_official_needs_cityscapes_layout(tmp_path):
    root = make_custom(str(tmp_path / "custom"))
    os.makedirs(tmp_path / "predictions")
    with pytest.raises(ConfigError, match="Cityscapes-layout"):
        run_official_evaluation(str(tmp_path / "predictions"), root, "val")


def test_official_missing_split(synthetic_dir, predictions_dir):
    with pytest.raises(DataError, match="folder not found"):
        run_official_evaluation(predictions_dir, synthetic_dir, "test")


def test_model_class_count_mismatch(synthetic_dir):
    with pytest.raises(ConfigError, match="20 classes.*19.*keep_void=True"):
        evaluate_model(pixel_model(20), synthetic_dir, height=HEIGHT, width=WIDTH, progress=False)
    with pytest.raises(ConfigError, match="19 classes.*20.*keep_void=False"):
        evaluate_model(
            pixel_model(19),
            synthetic_dir,
            height=HEIGHT,
            width=WIDTH,
            keep_void=True,
            progress=False,
        )


def test_model_input_size_mismatch(synthetic_dir):
    with pytest.raises(ConfigError, match="takes 32x64 images.*64x128"):
        evaluate_model(pixel_model(19), synthetic_dir, height=64, width=128, progress=False)


def test_missing_data_dir(tmp_path):
    with pytest.raises(DataError, match="data folder not found"):
        evaluate_model(pixel_model(19), str(tmp_path / "nothing"), height=HEIGHT, width=WIDTH)


def test_broken_label_is_named(synthetic_dir, tmp_path):
    data_dir = str(tmp_path / "broken")
    shutil.copytree(synthetic_dir, data_dir)
    path = ground_truths(data_dir)[1][0]
    with open(path, "wb") as f:
        f.write(b"not a png")
    with pytest.raises(DataError) as error:
        evaluate_model(pixel_model(19), data_dir, height=HEIGHT, width=WIDTH, progress=False)
    assert path in str(error.value)


def test_metrics_json_is_strict_and_atomic(tmp_path):
    metrics = {
        "miou": float("nan"),
        "iou": {"a": np.float64(0.5), "b": float("nan")},
        "confusion_matrix": np.array([[1, 2], [3, 4]]),
        "pixel_accuracy": 0.25,
    }
    path = tmp_path / "sub" / "metrics.json"
    write_metrics_json(metrics, str(path))
    text = path.read_text()

    def no_constants(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    saved = json.loads(text, parse_constant=no_constants)
    assert saved == {
        "miou": None,
        "iou": {"a": 0.5, "b": None},
        "pixel_accuracy": 0.25,
        "confusion_matrix": [[1, 2], [3, 4]],
    }
    assert list(saved)[-1] == "confusion_matrix"
    assert os.listdir(tmp_path / "sub") == ["metrics.json"]


def test_table_shows_nan_as_na():
    table = format_metrics_table(
        {"iou": {"a": float("nan"), "b": 0.5}, "miou": 0.5, "iiou_per_class": {"b": float("nan")}}
    )
    lines = table.splitlines()
    assert lines[2].split() == ["a", "n/a", "-"]
    assert lines[3].split() == ["b", "50.00", "n/a"]
    assert lines[-1].split() == ["mean", "50.00", "n/a"]


def test_read_errors_while_iterating_become_data_errors():
    from tfseg.evaluation.evaluator import _iterate

    def broken(x):
        check = tf.debugging.Assert(False, [tf.constant("label file gt/x.png: truncated")])
        with tf.control_dependencies([check]):
            return tf.identity(x)

    dataset = tf.data.Dataset.from_tensors(0).map(broken)
    with pytest.raises(DataError, match="gt/x.png: truncated"):
        list(_iterate(dataset))
