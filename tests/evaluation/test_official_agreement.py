"""tfseg's metrics equal cityscapesscripts' official evaluation on the same prediction PNGs."""

import math
import os
import shutil

import cv2
import numpy as np
import pytest

from tfseg.evaluation import run_official_evaluation
from tfseg.io import write_png

from .conftest import assert_metrics_close, ground_truths, write_predictions

VOID = 19


@pytest.fixture(scope="module")
def rich_dir(synthetic_dir, tmp_path_factory):
    """The synthetic set with some cars turned into trucks and caravans (ignored in evaluation),
    and some sidewalk into guard rail (ignored), so every rule of the official script is used."""
    out = str(tmp_path_factory.mktemp("rich") / "cityscapes")
    shutil.copytree(synthetic_dir, out)
    for path, label_ids, instances in ground_truths(out):
        cars = [i for i in np.unique(instances) if i // 1000 == 26]
        for k, instance in enumerate(cars[:4]):
            new_label = (27, 29)[k % 2]  # truck, caravan
            mask = instances == instance
            label_ids[mask] = new_label
            instances[mask] = new_label * 1000 + k
        label_ids[:4][label_ids[:4] == 8] = 14  # guard rail (construction, ignored)
        write_png(path, label_ids)
        write_png(path.replace("labelIds", "instanceIds"), instances.astype(np.uint16))
    return out


def noisy(train_ids, rng):
    """The ground truth with 15 % random classes and random predictions on void."""
    prediction = np.where(train_ids == 255, rng.integers(0, 19, train_ids.shape), train_ids)
    noise = rng.random(train_ids.shape) < 0.15
    return np.where(noise, rng.integers(0, 19, train_ids.shape), prediction)


def swapped(train_ids, rng):
    """person <-> rider, half the car pixels as truck, a band of road as sidewalk; void -> road."""
    prediction = np.where(train_ids == 255, 0, train_ids)
    prediction = np.select([prediction == 11, prediction == 12], [12, 11], prediction)
    half = rng.random(train_ids.shape) < 0.5
    prediction[(train_ids == 13) & half] = 14
    band = prediction[-10:]
    band[band == 0] = 1
    return prediction


def perfect(train_ids, rng):
    """The ground truth itself (absent classes are then NaN in both)."""
    return np.where(train_ids == 255, 10, train_ids)


def with_void(train_ids, rng):
    """keep_void: 10 % void predictions (misses) and void predicted on most void ground truth."""
    prediction = noisy(np.where(train_ids == VOID, 255, train_ids), rng)
    prediction[rng.random(train_ids.shape) < 0.1] = VOID
    prediction[(train_ids == VOID) & (rng.random(train_ids.shape) < 0.7)] = VOID
    return prediction


@pytest.mark.parametrize("dataset", ["synthetic_dir", "rich_dir"])
@pytest.mark.parametrize(
    "make_prediction, keep_void",
    [(noisy, False), (swapped, False), (perfect, False), (with_void, True)],
    ids=["noisy", "swapped", "perfect", "void"],
)
def test_equal_to_official(request, tmp_path, dataset, make_prediction, keep_void):
    data_dir = request.getfixturevalue(dataset)
    predictions_dir = str(tmp_path / "predictions")
    ours = write_predictions(data_dir, predictions_dir, make_prediction, keep_void=keep_void)
    official = run_official_evaluation(predictions_dir, data_dir, "val", keep_void=keep_void)

    assert_metrics_close(ours, official)
    np.testing.assert_array_equal(ours["confusion_matrix"], official["confusion_matrix"])
    assert official["num_images"] == 4
    # The comparison is not vacuous: scores exist and differ between classes.
    assert 0 < ours["miou"] < 1 or make_prediction is perfect
    assert not math.isnan(ours["iiou"]) and not math.isnan(ours["category_iiou"])
    if make_prediction is perfect:
        assert ours["miou"] == pytest.approx(1.0) and ours["iiou"] == pytest.approx(1.0)
        assert math.isnan(ours["iou"]["wall"])


def test_rich_set_has_ignored_instances(rich_dir, tmp_path):
    """The caravans of `rich_dir` are skipped; the trucks are scored."""
    predictions_dir = str(tmp_path / "predictions")
    ours = write_predictions(rich_dir, predictions_dir, noisy)
    official = run_official_evaluation(predictions_dir, rich_dir, "val")
    assert not math.isnan(official["iiou_per_class"]["truck"])
    assert official["iiou_per_class"] == pytest.approx(ours["iiou_per_class"], abs=1e-4)


def test_without_instance_files_iiou_is_nan(synthetic_dir, tmp_path):
    data_dir = str(tmp_path / "no_instances")
    shutil.copytree(synthetic_dir, data_dir)
    os.remove(ground_truths(data_dir)[0][0].replace("labelIds", "instanceIds"))
    predictions_dir = str(tmp_path / "predictions")
    ours = write_predictions(synthetic_dir, predictions_dir, noisy)
    official = run_official_evaluation(predictions_dir, data_dir, "val")
    assert math.isnan(official["iiou"]) and math.isnan(official["category_iiou"])
    assert official["iiou_per_class"] == {}
    assert official["miou"] == pytest.approx(ours["miou"], abs=1e-4)


def test_official_args_are_restored(synthetic_dir, tmp_path):
    from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling as ev

    before = dict(vars(ev.args))
    predictions_dir = str(tmp_path / "predictions")
    write_predictions(synthetic_dir, predictions_dir, noisy)
    run_official_evaluation(predictions_dir, synthetic_dir, "val")
    assert dict(vars(ev.args)) == before


def test_finds_predictions_named_like_the_official_search(synthetic_dir, tmp_path):
    """Files named `<city>_<seq>_<frame>*.png` anywhere under the folder are found too."""
    predictions_dir = str(tmp_path / "predictions")
    ours = write_predictions(synthetic_dir, predictions_dir, noisy)
    flat = tmp_path / "flat"
    flat.mkdir()
    for root, _, names in os.walk(predictions_dir):
        for name in names:
            stem = name.replace("_pred_labelIds.png", "")
            shutil.copy(os.path.join(root, name), flat / f"{stem}_leftImg8bit.png")
    official = run_official_evaluation(str(flat), synthetic_dir, "val")
    assert_metrics_close(ours, official)


def test_prediction_files_are_8_bit_label_ids(synthetic_dir, tmp_path):
    predictions_dir = tmp_path / "predictions"
    write_predictions(synthetic_dir, str(predictions_dir), perfect)
    (path, label_ids, _), *_ = ground_truths(synthetic_dir)
    city = os.path.basename(os.path.dirname(path))
    name = os.path.basename(path).replace("_gtFine_labelIds", "_pred_labelIds")
    written = cv2.imread(str(predictions_dir / city / name), cv2.IMREAD_UNCHANGED)
    assert written.dtype == np.uint8 and written.shape == label_ids.shape
    evaluated = np.isin(label_ids, [7, 8, 11, 17, 19, 20, 21, 22, 23, 24, 25, 26, 33])
    np.testing.assert_array_equal(written[evaluated], label_ids[evaluated])
