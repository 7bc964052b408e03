"""Where a prediction PNG for a given label file goes, so cityscapesscripts' evaluation finds it."""

import os
import re

# `<city>_<seq>_<frame>_gtFine_labelIds.png` (or gtCoarse): the official script looks for
# `<city>_<seq>_<frame>*.png` anywhere under the results folder.
_CITYSCAPES_LABEL = re.compile(r"^(?P<stem>.+)_gt(Fine|Coarse)_labelIds\.png$")
PREDICTION_SUFFIX = "_pred_labelIds.png"


def prediction_path(predictions_dir, label_path, label_dir):
    """The prediction file for `label_path`, mirroring its place under `label_dir`.

    Cityscapes labels `<label_dir>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png` give
    `<predictions_dir>/<city>/<city>_<seq>_<frame>_pred_labelIds.png`, the name pattern the
    official `evalPixelLevelSemanticLabeling.py` searches for. Labels of a custom data set keep
    their relative path and name (with a `.png` extension).

    Args:
        predictions_dir: root folder of the predictions.
        label_path: a ground-truth label file.
        label_dir: the folder of the split's labels (e.g. `<data>/gtFine/val`), whose layout is
            mirrored.

    Returns:
        str: the prediction's path.

    Example:
        >>> prediction_path("preds", "data/gtFine/val/x/x_000001_000019_gtFine_labelIds.png",
        ...                 "data/gtFine/val")
        'preds/x/x_000001_000019_pred_labelIds.png'
    """
    relative = os.path.relpath(os.path.abspath(label_path), os.path.abspath(label_dir))
    if relative.startswith(os.pardir + os.sep):
        # Not under label_dir: keep only the name (still unique for Cityscapes file names).
        relative = os.path.basename(label_path)
    folder, name = os.path.split(relative)
    match = _CITYSCAPES_LABEL.match(name)
    if match:
        name = match.group("stem") + PREDICTION_SUFFIX
    else:
        name = os.path.splitext(name)[0] + ".png"
    return os.path.join(predictions_dir, folder, name)
