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
* Bad files never train silently: `list_examples` and the pipelines raise `tfseg.errors.DataError`
  naming the file, and errors met while iterating name it too; `check_dataset` lists every problem.
"""

from tfseg.data.augment_example import augment_example
from tfseg.data.check_dataset import DatasetReport, check_dataset
from tfseg.data.cityscapes_lookup import cityscapes_lookup
from tfseg.data.class_weights import class_weights
from tfseg.data.dataset_info import DatasetInfo, dataset_info
from tfseg.data.list_examples import list_examples
from tfseg.data.load_dataset import load_dataset
from tfseg.data.load_eval_dataset import load_eval_dataset
from tfseg.data.synthetic import render_scene, synthesize_scenes
from tfseg.labels import IGNORE_VALUE

__all__ = [
    "IGNORE_VALUE",
    "DatasetInfo",
    "DatasetReport",
    "augment_example",
    "check_dataset",
    "cityscapes_lookup",
    "class_weights",
    "dataset_info",
    "list_examples",
    "load_dataset",
    "load_eval_dataset",
    "render_scene",
    "synthesize_scenes",
]
