"""`tfseg evaluate`: Cityscapes metrics of a trained model at the labels' full resolution.

  tfseg evaluate --model_dir=runs/x [--data_dir=DIR] [--split=val] [--checkpoint=best|last]
                 [--predictions_dir=DIR] [--official]
                 [--runtime=keras|auto|openvino|frozen_graph|onnxruntime|...]
  tfseg evaluate --artifact=runs/x/export/tflite/model_int8.tflite [--data_dir=DIR]

Writes <model_dir>/metrics.json (miou, iou per class, category_iou, iiou, pixel_accuracy, ...)
and prints a table. --predictions_dir also writes the predictions as labelId PNGs named as
cityscapesscripts expects; --official runs cityscapesscripts' own evaluation on them and prints
both results side by side. --runtime=auto evaluates the model on the runtime measured fastest
on this machine, --runtime=NAME on that one (metrics to <model_dir>/metrics-<runtime>.json).
--artifact evaluates an exported model with the same code (its metrics go to metrics.json in
the artifact's folder); the data set is the one the model was trained on when the artifact sits
in its model dir, else --data_dir.
"""

import os
import tempfile

from absl import flags

from tfseg.cli.model_flags import define_model_dir_flags
from tfseg.errors import ConfigError
from tfseg.evaluation import (
    evaluate,
    evaluate_model,
    format_metrics_table,
    run_official_evaluation,
    write_metrics_json,
)
from tfseg.model_dir import ModelDir

FLAGS = flags.FLAGS
define_model_dir_flags(artifact=True)
flags.DEFINE_string("data_dir", None, "Data set root (default: the one the model trained on).")
flags.DEFINE_string("split", "val", "Split to evaluate.")
flags.DEFINE_string("predictions_dir", None, "Also write the predictions as labelId PNGs here.")
flags.DEFINE_bool("official", False, "Also run cityscapesscripts' evaluation on the predictions.")
flags.DEFINE_bool("progress", True, "Show a progress bar.")

COMPARED = ("miou", "category_miou", "iiou", "category_iiou")


def main(argv):
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[1:])}")
    if FLAGS.artifact:
        runner, metrics_path, data_dir, keep_void = _artifact()
    else:
        runner, metrics_path, data_dir, keep_void = _model_dir()
    with tempfile.TemporaryDirectory() as scratch:
        predictions_dir = FLAGS.predictions_dir or (scratch if FLAGS.official else None)
        metrics = runner(
            data_dir, FLAGS.split, predictions_dir=predictions_dir, progress=FLAGS.progress
        )
        metrics.update(split=FLAGS.split, data_dir=data_dir)
        print(format_metrics_table(metrics))
        if FLAGS.official:
            official = run_official_evaluation(
                predictions_dir, data_dir, FLAGS.split, keep_void=keep_void
            )
            metrics["official"] = {key: official[key] for key in COMPARED if key in official}
            print("\ncityscapesscripts on the same predictions:")
            for key in COMPARED:
                if key in official:
                    print(f"  {key:<14} tfseg {metrics[key]:.6f}   official {official[key]:.6f}")
    write_metrics_json(metrics, metrics_path)
    print(f"\nmetrics: {metrics_path}")
    if FLAGS.predictions_dir:
        print(f"predictions: {os.path.abspath(FLAGS.predictions_dir)}")
    return 0


def _model_dir():
    model_dir = ModelDir(FLAGS.model_dir)
    identity = model_dir.model_identity()  # checks that it is a model dir
    config = model_dir.read_config()
    data_dir = FLAGS.data_dir or config["train"]["data_dir"]
    if FLAGS.runtime == "keras":
        model = model_dir.load_model(FLAGS.checkpoint)
        metrics_path = model_dir.metrics
    else:
        from tfseg.runtimes.fastest import open_model_runtime

        runtime, name = open_model_runtime(model_dir, FLAGS.runtime, checkpoint=FLAGS.checkpoint)
        # The Keras model's metrics.json stays the model dir's own figure.
        metrics_path = os.path.join(model_dir.path, f"metrics-{name}.json")

    def run(data_dir, split, **options):
        if FLAGS.runtime == "keras":
            metrics = evaluate_model(
                model, data_dir, split, height=identity["height"], width=identity["width"],
                keep_void=identity["keep_void"], **options,
            )  # fmt: skip
        else:
            metrics = evaluate(
                runtime.segment, data_dir, split, keep_void=identity["keep_void"], **options
            )
            metrics["runtime"] = name
        metrics["checkpoint"] = FLAGS.checkpoint
        return metrics

    return run, metrics_path, data_dir, identity["keep_void"]


def _artifact():
    from tfseg.runtimes import load_runtime

    runtime = load_runtime(FLAGS.artifact)
    folder = FLAGS.artifact if os.path.isdir(FLAGS.artifact) else os.path.dirname(FLAGS.artifact)
    config = _owning_model_dir_config(folder)
    data_dir = FLAGS.data_dir or config.get("train", {}).get("data_dir")
    if data_dir is None:
        raise ConfigError(f"--artifact={FLAGS.artifact} is outside a model dir: pass --data_dir")
    keep_void = config.get("model", {}).get("keep_void", False)

    def run(data_dir, split, **options):
        metrics = evaluate(runtime.segment, data_dir, split, keep_void=keep_void, **options)
        metrics["artifact"] = os.path.abspath(FLAGS.artifact)
        return metrics

    return run, os.path.join(folder or ".", "metrics.json"), data_dir, keep_void


def _owning_model_dir_config(folder):
    """config.json of the model dir an export folder sits in (`<model_dir>/export/<format>`)."""
    model_dir = os.path.dirname(os.path.dirname(os.path.abspath(folder)))
    return ModelDir(model_dir).read_config() or {}
