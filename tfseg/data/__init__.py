"""Data: Cityscapes-format and custom data sets as tf.data pipelines, class weights, a checker.

Two layouts are auto-detected from the folder:

* **Cityscapes** (real, or made by `synthesize_scenes`):
  `leftImg8bit/<split>/<city>/*_leftImg8bit.png`
  paired by name with `gtFine/<split>/<city>/*_gtFine_labelIds.png` (`gtCoarse`, `_gtCoarse_` for
  the coarse set; `train_extra` is coarse only). Label ids map to the 19 train ids through the
  official cityscapesscripts table; every other id is ignored (255), or class 19 with
  `keep_void=True` (the original framework's 20th class).
* **Custom**: a `dataset.json` at the root naming the classes (see `read_dataset_json`), images in
  `images/<split>/` (PNG or JPEG) and 8-bit label PNGs in `labels/<split>/`, paired by name.

The contract of the pipelines:

* `load_dataset(...)` yields `(image, label)`: float32 `[B, H, W, 3]` RGB in 0..255 (models
  normalize internally) and int32 `[B, H, W]` train ids 0..N-1, ignore = 255.
* `load_eval_dataset(...)` yields dicts of single examples with labels at full resolution.
* `open_split(data_dir, split)` resolves a split once (its `DatasetInfo`, its sorted examples,
  their headers checked); the pipelines, `class_weights` and `tfseg.evaluation` take the `Split`
  it returns as well as a folder.
* Bad files never train silently: `list_examples`, `open_split` and the pipelines raise
  `tfseg.errors.DataError` naming the file, and errors met while iterating name it too;
  `check_dataset` lists every problem.

What each module holds:

    info.py                 `dataset_info` -> `DatasetInfo` (classes, label table, and every fact
                            that depends on the format); `cityscapes_lookup`, `detect_format`
    dataset_json.py         `read_dataset_json`: the `dataset.json` of a custom data set
    examples.py             `find_examples` (pairs and problems), `list_examples` (pairs or raise)
    header_checks.py        `header_problems`: what the files' headers reveal, without decoding
    splits.py               `open_split` -> `Split`; `as_split` for functions taking either form
    example_ops.py          tf.data ops on one example: read, map labels, resize, augment
    training_pipeline.py    `load_dataset`
    evaluation_pipeline.py  `load_eval_dataset`
    weights.py              `class_weights` (ENet / median frequency), cached as JSON
    readers.py              OpenCV readers of label and image files, for the two below
    checker.py              `check_dataset` -> `DatasetReport`
    synthetic/              `synthesize_scenes`: procedural Cityscapes-format street scenes

Only the user verbs are exported here, and they are imported on first use, so that importing a
module of this package (e.g. for its choice tuples) does not import TensorFlow; the other names
are imported from their modules, e.g. `from tfseg.data.splits import Split`.
"""

from tfseg.lazy_names import lazy_exports as _lazy_exports

_PUBLIC = {
    "IGNORE_VALUE": "tfseg.labels",
    "DatasetInfo": "tfseg.data.info",
    "check_dataset": "tfseg.data.checker",
    "class_weights": "tfseg.data.weights",
    "dataset_info": "tfseg.data.info",
    "list_examples": "tfseg.data.examples",
    "load_dataset": "tfseg.data.training_pipeline",
    "load_eval_dataset": "tfseg.data.evaluation_pipeline",
    "open_split": "tfseg.data.splits",
    "synthesize_scenes": "tfseg.data.synthetic",
}

__all__ = list(_PUBLIC)


__getattr__, __dir__ = _lazy_exports(__name__, _PUBLIC)
