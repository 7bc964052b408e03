"""Runs cityscapesscripts' own pixel-level evaluation on a folder of prediction PNGs."""

import contextlib
import copy
import fnmatch
import io
import os
import threading

import numpy as np

from tfseg.data.examples import format_problems
from tfseg.data.info import FINE
from tfseg.data.splits import as_split
from tfseg.errors import ConfigError, DataError
from tfseg.evaluation.instance_stats import InstanceStats
from tfseg.evaluation.prediction_files import prediction_path

# The official script keeps its settings in a module-level object; one evaluation at a time.
_LOCK = threading.Lock()


def run_official_evaluation(predictions_dir, data_dir, split=None, *, keep_void=False):
    """Evaluates label-id prediction PNGs with `evalPixelLevelSemanticLabeling.evaluateImgLists`.

    Each ground truth `<city>_<seq>_<frame>_gtFine_labelIds.png` of the split is paired with
    `prediction_path(...)` (what `evaluate_model` writes), or else, like the official script, with
    the one file `<city>_<seq>_<frame>*.png` anywhere under `predictions_dir`. Instance scores are
    evaluated when every ground truth has its `*_gtFine_instanceIds.png` (else iIoU is NaN). The
    script's printout is captured and its module-level `args` are restored afterwards.

    Args:
        predictions_dir: folder of prediction PNGs holding Cityscapes label ids.
        data_dir: a Cityscapes-layout data set (real or synthetic), or a `Split` of one from
            `open_split` (fine annotation; it carries its keep_void).
        split: the split the predictions are for (fine annotation); default "val".
        keep_void: only shapes the returned `confusion_matrix`: with True it is 20x20, and its
            last row / column gather every label id that is not one of the 19 classes.

    Returns:
        dict with the keys of `compute_metrics` (miou, iou, pixel_accuracy, category_miou,
        category_iou, iiou, iiou_per_class, category_iiou, category_iiou_per_category,
        confusion_matrix in train ids, class_names) taken from the official results, plus
        num_images and `official`, the script's own result dict without its 34x34 matrix.

    Raises:
        ConfigError: the data set is not in the Cityscapes layout.
        DataError: `predictions_dir` is missing, predictions are missing or ambiguous (named),
            or the official script rejected a file (its message).

    Example:
        >>> evaluate_model(model, "data/cityscapes", "val", height=512, width=1024,
        ...                predictions_dir="preds")
        >>> run_official_evaluation("preds", "data/cityscapes", "val")["miou"]
    """
    opened = as_split(
        data_dir, split, default="val", annotation=FINE, keep_void=keep_void, validate=False
    )
    info = opened.info
    if not info.official_evaluation:
        raise ConfigError(
            f"{opened.data_dir}: the official evaluation needs a Cityscapes-layout data set, "
            f"not a {info.format} one"
        )
    if not os.path.isdir(predictions_dir):
        raise DataError(f"{predictions_dir}: predictions folder not found")
    ground_truths = [label for _, label, _ in opened.examples]
    predictions = _find_predictions(predictions_dir, ground_truths, opened.label_dir)
    with_instances = all(
        os.path.isfile(label.replace("labelIds", "instanceIds")) for label in ground_truths
    )
    result = _evaluate(predictions, ground_truths, with_instances)
    return _convert(result, info, with_instances, len(ground_truths))


def _find_predictions(predictions_dir, ground_truths, label_dir):
    by_stem = {}  # "<city>_<seq>_<frame>" -> prediction files, as the official search sees them
    for root, _, names in os.walk(predictions_dir):
        for name in names:
            if name.endswith(".png"):
                by_stem.setdefault("_".join(name.split("_")[:3]), []).append(
                    os.path.join(root, name)
                )
    found, problems = [], []
    for label in ground_truths:
        expected = prediction_path(predictions_dir, label, label_dir)
        if os.path.isfile(expected):
            found.append(expected)
            continue
        stem = "_".join(os.path.basename(label).split("_")[:3])
        pattern = stem + "*.png"
        matches = [
            p for p in by_stem.get(stem, []) if fnmatch.fnmatch(os.path.basename(p), pattern)
        ]
        if len(matches) == 1:
            found.append(matches[0])
        elif not matches:
            problems.append((expected, f"prediction not found (for {label})"))
        else:
            problems.append((stem, f"several predictions match: {', '.join(sorted(matches))}"))
    if problems:
        raise DataError(format_problems(problems, f"predictions in {predictions_dir}"))
    return found


def _evaluate(predictions, ground_truths, with_instances):
    from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling as official

    with _LOCK:
        saved = copy.copy(vars(official.args))
        args = official.args
        output = io.StringIO()
        try:
            args.quiet = True
            args.JSONOutput = False  # no result file next to the package
            args.evalInstLevelScore = with_instances
            args.evalPixelAccuracy = False
            args.colorized = False
            args.bold = args.nocol = ""
            with contextlib.redirect_stdout(output):
                return official.evaluateImgLists(predictions, ground_truths, args)
        except SystemExit:
            # The script reports a bad file with printError(): a message, then sys.exit(-1).
            lines = [line for line in output.getvalue().splitlines() if line.strip()]
            raise DataError(
                "cityscapesscripts evaluation failed: " + (lines[-1] if lines else "no message")
            ) from None
        except IndexError:
            raise DataError(
                "cityscapesscripts evaluation failed: a prediction holds values that are not "
                "Cityscapes label ids (0..33)"
            ) from None
        finally:
            vars(args).clear()
            vars(args).update(saved)


def _convert(result, info, with_instances, num_images):
    from cityscapesscripts.helpers.labels import name2label

    nan = float("nan")
    names = list(info.class_names)
    evaluated = [n for n in names if n in name2label and not name2label[n].ignoreInEval]
    iou = {n: float(result["classScores"][n]) for n in evaluated}
    categories = list(dict.fromkeys(name2label[n].category for n in evaluated))
    category_iou = {c: float(result["categoryScores"][c]) for c in categories}
    iiou_per_class, category_iiou = {}, {}
    if with_instances:
        stats = InstanceStats(len(names))
        scores = result["classInstScores"]
        iiou_per_class = {names[t]: float(scores[names[t]]) for t in stats.class_ids}
        category_iiou = {c: float(result["categoryInstScores"][c]) for c in stats.category_names}

    full = np.asarray(result["confMatrix"], np.int64)  # label ids x label ids
    ids = [name2label[n].id for n in evaluated]
    matrix = np.zeros((len(names), len(names)), np.int64)
    matrix[: len(ids), : len(ids)] = full[np.ix_(ids, ids)]
    if info.keep_void:
        others = [i for i in range(full.shape[0]) if i not in ids]
        matrix[: len(ids), -1] = full[np.ix_(ids, others)].sum(axis=1)
        matrix[-1, : len(ids)] = full[np.ix_(others, ids)].sum(axis=0)
        matrix[-1, -1] = full[np.ix_(others, others)].sum()
    labelled = int(full[ids, :].sum())
    correct = int(np.trace(full[np.ix_(ids, ids)]))

    def average(key):
        return float(result[key]) if with_instances or "Inst" not in key else nan

    official = {k: v for k, v in result.items() if k != "confMatrix"}
    return {
        "miou": average("averageScoreClasses"),
        "iou": iou,
        "pixel_accuracy": correct / labelled if labelled else nan,
        "category_miou": average("averageScoreCategories"),
        "category_iou": category_iou,
        "iiou": average("averageScoreInstClasses"),
        "iiou_per_class": iiou_per_class,
        "category_iiou": average("averageScoreInstCategories"),
        "category_iiou_per_category": category_iiou,
        "confusion_matrix": matrix,
        "class_names": names,
        "num_images": num_images,
        "official": official,
    }
