"""`tfseg evaluate`: Cityscapes metrics of a trained model at the labels' full resolution.

  tfseg evaluate --model_dir=runs/x [--data_dir=DIR] [--split=val] [--checkpoint=best|last]
                 [--predictions_dir=DIR] [--official]

Writes <model_dir>/metrics.json (miou, iou per class, category_iou, iiou, pixel_accuracy, ...)
and prints a table. --predictions_dir also writes the predictions as labelId PNGs named as
cityscapesscripts expects; --official runs cityscapesscripts' own evaluation on them and prints
both results side by side.
"""

import os
import tempfile

from absl import flags

from tfseg.cli.model_flags import define_model_dir_flags
from tfseg.errors import ConfigError
from tfseg.evaluation import (
    evaluate_model,
    format_metrics_table,
    run_official_evaluation,
    write_metrics_json,
)
from tfseg.model_dir import ModelDir

FLAGS = flags.FLAGS
define_model_dir_flags()
flags.DEFINE_string("data_dir", None, "Data set root (default: the one the model trained on).")
flags.DEFINE_string("split", "val", "Split to evaluate.")
flags.DEFINE_string("predictions_dir", None, "Also write the predictions as labelId PNGs here.")
flags.DEFINE_bool("official", False, "Also run cityscapesscripts' evaluation on the predictions.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")

COMPARED = ("miou", "category_miou", "iiou", "category_iiou")


def main(argv):
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[1:])}")
    model_dir = ModelDir(FLAGS.model_dir)
    config = model_dir.read_config() or {}
    identity = model_dir.model_identity()
    data_dir = FLAGS.data_dir or config["train"]["data_dir"]
    model = model_dir.load_model(FLAGS.checkpoint)
    with tempfile.TemporaryDirectory() as scratch:
        predictions_dir = FLAGS.predictions_dir or (scratch if FLAGS.official else None)
        metrics = evaluate_model(
            model,
            data_dir,
            FLAGS.split,
            height=identity["height"],
            width=identity["width"],
            keep_void=identity["keep_void"],
            predictions_dir=predictions_dir,
            progress=FLAGS.progress,
        )
        metrics.update(checkpoint=FLAGS.checkpoint, split=FLAGS.split, data_dir=data_dir)
        print(format_metrics_table(metrics))
        if FLAGS.official:
            official = run_official_evaluation(
                predictions_dir, data_dir, FLAGS.split, keep_void=identity["keep_void"]
            )
            metrics["official"] = {key: official[key] for key in COMPARED if key in official}
            print("\ncityscapesscripts on the same predictions:")
            for key in COMPARED:
                if key in official:
                    print(f"  {key:<14} tfseg {metrics[key]:.6f}   official {official[key]:.6f}")
    write_metrics_json(metrics, model_dir.metrics)
    print(f"\nmetrics: {model_dir.metrics}")
    if FLAGS.predictions_dir:
        print(f"predictions: {os.path.abspath(FLAGS.predictions_dir)}")
    return 0
