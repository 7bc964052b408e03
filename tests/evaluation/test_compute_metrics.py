"""Metrics against hand-computed confusion matrices and instance counts."""

import math
import types

import numpy as np
import pytest
from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling as official

from tfseg.evaluation import ConfusionMatrix, compute_metrics
from tfseg.evaluation.instance_stats import InstanceStats

nan = float("nan")


def test_class_iou_nan_and_means():
    matrix = [[4, 1, 0], [2, 3, 0], [0, 0, 0]]
    m = compute_metrics(matrix, ["a", "b", "c"])
    assert m["iou"]["a"] == pytest.approx(4 / 7)  # TP 4, FP 2, FN 1
    assert m["iou"]["b"] == pytest.approx(3 / 6)
    assert math.isnan(m["iou"]["c"])  # neither in the ground truth nor predicted
    assert m["miou"] == pytest.approx((4 / 7 + 0.5) / 2)  # NaN is skipped, not counted as 0
    assert m["pixel_accuracy"] == pytest.approx(7 / 10)
    assert m["category_iou"] == {} and math.isnan(m["category_miou"])
    assert m["iiou_per_class"] == {} and math.isnan(m["iiou"]) and math.isnan(m["category_iiou"])
    assert m["confusion_matrix"].tolist() == matrix
    assert m["class_names"] == ["a", "b", "c"]


def test_absent_class_that_is_predicted_scores_zero():
    m = compute_metrics([[4, 1], [0, 0]], ["a", "b"])
    assert m["iou"]["b"] == 0.0  # FP only: 0 / 1, not NaN
    assert m["miou"] == pytest.approx((4 / 5 + 0) / 2)


def test_all_nan_gives_nan_means():
    m = compute_metrics(np.zeros((2, 2)), ["a", "b"])
    assert all(math.isnan(v) for v in m["iou"].values())
    assert math.isnan(m["miou"]) and math.isnan(m["pixel_accuracy"])


def test_ignored_pixels_do_not_count():
    labels = np.array([0, 0, 0, 1, 255, 255, 255])
    predictions = np.array([0, 0, 1, 1, 1, 1, 0])
    m = compute_metrics(ConfusionMatrix(2).update(labels, predictions), ["a", "b"])
    assert m["iou"]["a"] == pytest.approx(2 / 3)
    assert m["iou"]["b"] == pytest.approx(1 / 2)  # the ignored pixels predicted as b are no FP


def test_keep_void_predictions_are_misses_not_false_positives():
    # rows: ground truth a, b, void; columns: predicted a, b, void
    matrix = [[5, 1, 2], [1, 4, 0], [3, 6, 9]]
    m = compute_metrics(matrix, ["a", "b", "void"], void_class=2)
    assert list(m["iou"]) == ["a", "b"]  # void is not a scored class
    assert m["iou"]["a"] == pytest.approx(5 / (5 + 1 + 3))  # FN includes the 2 void predictions
    assert m["iou"]["b"] == pytest.approx(4 / (4 + 1 + 1))  # FP excludes the void ground truth
    assert m["pixel_accuracy"] == pytest.approx(9 / 13)
    # The original framework's metric took FP over every ground-truth row, void included:
    assert m["iou"]["b"] != pytest.approx(4 / (4 + 7 + 1))


def test_dataset_info_with_keep_void():
    info = types.SimpleNamespace(
        class_names=("a", "b", "void"), categories=("a", "b", "void"), keep_void=True
    )
    m = compute_metrics([[5, 1, 2], [1, 4, 0], [3, 6, 9]], info)
    assert list(m["iou"]) == ["a", "b"] and m["iou"]["a"] == pytest.approx(5 / 9)
    assert m["category_iou"] == {}  # every category is its class: no category metrics


def test_categories():
    matrix = [[4, 1, 1], [2, 3, 0], [1, 0, 5]]
    m = compute_metrics(matrix, ["a", "b", "c"], categories=["X", "X", "Y"])
    assert list(m["category_iou"]) == ["X", "Y"]
    # X = {a, b}: a <-> b confusions are hits; FN = the a -> c pixel; FP = the c -> a pixel
    assert m["category_iou"]["X"] == pytest.approx(10 / 12)
    assert m["category_iou"]["Y"] == pytest.approx(5 / 7)
    assert m["category_miou"] == pytest.approx((10 / 12 + 5 / 7) / 2)


def test_categories_skip_void_ground_truth():
    matrix = [[4, 1, 1, 0], [2, 3, 0, 1], [1, 0, 5, 0], [7, 7, 7, 7]]
    m = compute_metrics(
        matrix, ["a", "b", "c", "void"], categories=["X", "X", "Y", "void"], void_class=3
    )
    assert list(m["category_iou"]) == ["X", "Y"]
    assert m["category_iou"]["X"] == pytest.approx(10 / (10 + 1 + 2))  # b -> void is a miss
    assert m["category_iou"]["Y"] == pytest.approx(5 / 7)


def test_input_checks():
    with pytest.raises(ValueError, match="does not match"):
        compute_metrics([[1, 0], [0, 1]], ["a", "b", "c"])
    with pytest.raises(ValueError, match="square"):
        compute_metrics([[1, 0, 0], [0, 1, 0]], ["a", "b"])
    with pytest.raises(ValueError, match="categories"):
        compute_metrics([[1, 0], [0, 1]], ["a", "b"], categories=["x"])
    with pytest.raises(ValueError, match="void_class"):
        compute_metrics([[1, 0], [0, 1]], ["a", "b"], void_class=2)


def instance_example():
    """25 pixels: two persons, a car, a caravan, road with stray person / rider predictions."""
    # Cityscapes ids: person 24 (train 11), rider 25 (12), car 26 (13), caravan 29, road 7 (0).
    instances = [24000] * 4 + [24001] * 2 + [26000] * 5 + [29000] * 3 + [7] * 10 + [24]
    labels = [11] * 6 + [13] * 5 + [255] * 3 + [0] * 10 + [11]
    predictions = [11, 11, 11, 0, 12, 0] + [13] * 5 + [13] * 3 + [11, 11, 12] + [0] * 7 + [11]
    return [np.array(v).reshape(1, 25) for v in (instances, labels, predictions)]


def test_instance_weighted_iiou_by_hand():
    instances, labels, predictions = instance_example()
    stats = InstanceStats().update(instances, predictions)
    confusion = ConfusionMatrix(19).update(labels, predictions)
    names = [f"c{i}" for i in range(19)]
    names[11:14] = ["person", "rider", "car"]
    m = compute_metrics(confusion, names, instance_stats=stats)

    person = official.args.avgClassSize["person"]
    # Person 24000: 4 px, 3 hit, weight A/4; person 24001: 2 px, 0 hit, weight A/2.
    tp_w, fn_w = 3 * person / 4, 1 * person / 4 + 2 * person / 2
    assert stats.tp_weighted[11] == pytest.approx(tp_w)
    assert stats.fn_weighted[11] == pytest.approx(fn_w)
    assert stats.tp[11] == 3 and stats.fn[11] == 3 and stats.num_instances[11] == 2
    assert stats.num_instances.sum() == 3  # the caravan is ignored, "24" is not an instance
    # False positives are unweighted: the 2 road pixels predicted as person.
    assert m["iou"]["person"] == pytest.approx(4 / 9)
    assert m["iiou_per_class"]["person"] == pytest.approx(tp_w / (tp_w + 2 + fn_w))
    assert m["iiou_per_class"]["rider"] == 0.0  # no rider instance, 2 FP
    assert m["iiou_per_class"]["car"] == pytest.approx(1.0)  # caravan pixels are no FP
    assert math.isnan(m["iiou_per_class"]["c14"])  # truck: nothing
    assert list(m["iiou_per_class"]) == [
        "person",
        "rider",
        "car",
        "c14",
        "c15",
        "c16",
        "c17",
        "c18",
    ]
    assert m["iiou"] == pytest.approx((tp_w / (tp_w + 2 + fn_w) + 0 + 1) / 3)

    # Category human: the rider prediction on person 24001 is a hit; 3 road pixels are FP.
    human_tp, human_fn = 3 * person / 4 + 1 * person / 2, 1 * person / 4 + 1 * person / 2
    assert m["category_iiou_per_category"]["human"] == pytest.approx(
        human_tp / (human_tp + 3 + human_fn)
    )
    assert m["category_iiou_per_category"]["vehicle"] == pytest.approx(1.0)
    assert m["category_iiou"] == pytest.approx((human_tp / (human_tp + 3 + human_fn) + 1) / 2)


def test_instance_stats_merge_and_checks():
    instances, _, predictions = instance_example()
    streamed = InstanceStats().update(instances, predictions).update(instances, predictions)
    merged = InstanceStats().update(instances, predictions)
    merged.merge(InstanceStats().update(instances, predictions))
    np.testing.assert_allclose(streamed.tp_weighted, merged.tp_weighted)
    np.testing.assert_allclose(streamed.category_fn_weighted, merged.category_fn_weighted)
    # Instance ids are per image: the same id twice in one image is one instance of twice the
    # size, which weighs half as much per pixel.
    joined = InstanceStats().update(
        np.concatenate([instances] * 2), np.concatenate([predictions] * 2)
    )
    assert joined.num_instances[11] == 2 and streamed.num_instances[11] == 4
    np.testing.assert_allclose(joined.tp_weighted * 2, streamed.tp_weighted)
    with pytest.raises(ValueError, match="shape"):
        InstanceStats().update(instances, predictions[:, :3])
    with pytest.raises(ValueError, match="merge"):
        InstanceStats(19).merge(InstanceStats(20))
    assert InstanceStats().category_names == ("human", "vehicle")
    assert InstanceStats().class_ids == (11, 12, 13, 14, 15, 16, 17, 18)
