"""IoU, mIoU, pixel accuracy, category IoU and iIoU from a confusion matrix, as Cityscapes defines
them (cityscapesscripts' `evalPixelLevelSemanticLabeling.py`)."""

import math

import numpy as np

from tfseg.evaluation.confusion_matrix import ConfusionMatrix


def compute_metrics(
    confusion_matrix, classes, *, categories=None, void_class=None, instance_stats=None
):
    """Computes every segmentation metric the official Cityscapes script reports.

    Definitions (those of the official script, on train ids; `E` = the evaluated classes, i.e.
    all but `void_class`):

    * IoU_c = TP / (TP + FP + FN) with TP = M[c, c], FN = the rest of row c (a pixel predicted as
      void is a miss), FP = column c over the rows of `E` only (ignored / void ground truth is not a
      false positive; the original framework's metric counted it as one). NaN when the
      denominator is 0 (class absent and never predicted).
    * Means skip NaN entries, and are NaN if every entry is NaN.
    * Category IoU: the same with the classes of a category merged (a road pixel predicted as
      sidewalk is a hit for "flat").
    * iIoU_c = TP_w / (TP_w + FP + FN_w) with the instance-weighted counts of `instance_stats`
      and the unweighted FP above; category iIoU likewise for the categories of `instance_stats`.
    * Pixel accuracy = sum of TP over `E` / number of pixels with an evaluated ground truth.

    Args:
        confusion_matrix: a `ConfusionMatrix` or an `[N, N]` array (rows ground truth).
        classes: a `DatasetInfo` (class names, categories and void are taken from it), or the
            N class names in train-id order.
        categories: with class names: the category of each class, or None for no category
            metrics. (From a `DatasetInfo`: its categories, unless every category is just the
            class's own name, as for a custom data set without categories.)
        void_class: with class names: the train id of the void class (keep_void), or None. From a
            `DatasetInfo`: the last class if it has `keep_void`.
        instance_stats: an `InstanceStats` (Cityscapes with instanceIds files), or None: iIoU is
            then NaN and the per-class / per-category iIoU dicts are empty.

    Returns:
        dict with floats in 0..1 (NaN where the official script gives NaN):
            miou, iou ({class: IoU} for the evaluated classes), pixel_accuracy,
            category_miou, category_iou ({category: IoU}, empty without categories),
            iiou, iiou_per_class ({instance class: iIoU}),
            category_iiou, category_iiou_per_category ({category: iIoU}),
            confusion_matrix (int64 `[N, N]` numpy array), class_names (all N, void included).

    Example:
        >>> m = compute_metrics([[3, 1], [0, 4]], ["a", "b"])
        >>> round(m["miou"], 4), m["iou"]["a"], m["pixel_accuracy"]
        (0.775, 0.75, 0.875)
    """
    if hasattr(classes, "class_names"):
        info = classes
        names = list(info.class_names)
        void_class = len(names) - 1 if getattr(info, "keep_void", False) else None
        categories = list(info.categories)
        # A custom data set without categories gives each class its own name as category;
        # category metrics would only repeat the class metrics then.
        if categories == names:
            categories = None
    else:
        names = list(classes)
    matrix = _as_matrix(confusion_matrix)
    n = len(names)
    if matrix.shape != (n, n):
        raise ValueError(f"confusion matrix {matrix.shape} does not match {n} class names")
    if categories is not None and len(categories) != n:
        raise ValueError(f"{len(categories)} categories for {n} classes")
    if void_class is not None and not 0 <= void_class < n:
        raise ValueError(f"void_class {void_class} is not a train id 0..{n - 1}")

    evaluated = [c for c in range(n) if c != void_class]
    # Integer arithmetic for the counts, as the official script (np.longlong) does.
    tp = np.diag(matrix)
    gt_total = matrix.sum(axis=1)
    predicted_on_evaluated = matrix[evaluated, :].sum(axis=0)
    iou = {}
    for c in evaluated:
        fn = gt_total[c] - tp[c]
        fp = predicted_on_evaluated[c] - tp[c]
        iou[names[c]] = _ratio(tp[c], tp[c] + fp + fn)
    labelled = int(matrix[evaluated, :].sum())
    pixel_accuracy = _ratio(int(tp[evaluated].sum()), labelled)

    category_iou = {}
    category_members = {}
    if categories is not None:
        for c in evaluated:
            category_members.setdefault(categories[c], []).append(c)
        for category, members in category_members.items():
            tp_k, fp_k, fn_k = _category_counts(matrix, members, evaluated)
            category_iou[category] = _ratio(tp_k, tp_k + fp_k + fn_k)

    iiou_per_class, category_iiou = {}, {}
    if instance_stats is not None:
        if instance_stats.num_classes != n:
            raise ValueError(
                f"instance stats over {instance_stats.num_classes} classes, matrix over {n}"
            )
        for c in instance_stats.class_ids:
            fp = predicted_on_evaluated[c] - tp[c]
            tp_w, fn_w = instance_stats.tp_weighted[c], instance_stats.fn_weighted[c]
            iiou_per_class[names[c]] = _ratio(tp_w, tp_w + fp + fn_w)
        for k, category in enumerate(instance_stats.category_names):
            members = list(instance_stats.category_members[k])
            fp = _category_counts(matrix, members, evaluated)[1]
            tp_w = instance_stats.category_tp_weighted[k]
            fn_w = instance_stats.category_fn_weighted[k]
            category_iiou[category] = _ratio(tp_w, tp_w + fp + fn_w)

    return {
        "miou": _mean(iou.values()),
        "iou": iou,
        "pixel_accuracy": pixel_accuracy,
        "category_miou": _mean(category_iou.values()),
        "category_iou": category_iou,
        "iiou": _mean(iiou_per_class.values()),
        "iiou_per_class": iiou_per_class,
        "category_iiou": _mean(category_iiou.values()),
        "category_iiou_per_category": category_iiou,
        "confusion_matrix": matrix,
        "class_names": names,
    }


def _as_matrix(confusion_matrix):
    if isinstance(confusion_matrix, ConfusionMatrix):
        return confusion_matrix.matrix.copy()
    matrix = np.asarray(confusion_matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"confusion matrix must be square, got shape {matrix.shape}")
    return matrix.astype(np.int64)


def _category_counts(matrix, members, evaluated):
    """TP, FP, FN of a group of classes; FP only from evaluated rows outside the group."""
    tp = int(matrix[np.ix_(members, members)].sum())
    fn = int(matrix[members, :].sum()) - tp
    others = [c for c in evaluated if c not in members]
    fp = int(matrix[np.ix_(others, members)].sum()) if others else 0
    return tp, fp, fn


def _ratio(numerator, denominator):
    # The official script returns NaN for a zero denominator, not 0.
    if denominator == 0:
        return float("nan")
    return float(numerator) / float(denominator)


def _mean(values):
    """Mean over the non-NaN values, NaN if none (the official `getScoreAverage`)."""
    valid = [v for v in values if not math.isnan(v)]
    return sum(valid) / len(valid) if valid else float("nan")
