"""`tfseg predict`: segment images, folders or videos with a trained model.

  tfseg predict --model_dir=runs/x --input=street.png --input=frames/ --input=drive.mp4
                [--output_dir=DIR] [--alpha=0.5] [--every_nth_frame=N]
  tfseg predict --model_dir=runs/x --runtime=auto --input=frames/
  tfseg predict --artifact=runs/x/export/onnx/model.onnx --input=street.png

Writes <name>_color.png (the prediction in the data set's palette) and <name>_overlay.png (blended
over the image) per image, and <name>_overlay.mp4 per video. --runtime=auto runs the model dir's
model on the runtime measured fastest on this machine (docs/benchmarking.md); --artifact runs an
exported model instead (palette from its export.json), through the same writers.
"""

import os

from absl import flags

from tfseg.cli.model_flags import define_model_dir_flags
from tfseg.errors import ConfigError, DataError
from tfseg.model_dir import ModelDir
from tfseg.prediction import predict_inputs
from tfseg.prediction.inputs import list_inputs

FLAGS = flags.FLAGS
define_model_dir_flags(artifact=True)
flags.DEFINE_multi_string(
    "input", None, "Image, folder or video; repeat for several.", required=True
)
flags.DEFINE_string(
    "output_dir", None, "Where to write (default: <model_dir>/predictions, or beside the artifact)."
)
flags.DEFINE_float(
    "alpha", 0.5, "Opacity of the prediction in the overlays.", lower_bound=0.0, upper_bound=1.0
)
flags.DEFINE_integer(
    "every_nth_frame", 0, "Videos: also write PNGs of every Nth frame (0: none).", lower_bound=0
)
flags.DEFINE_integer("batch_size", 1, "Images per forward pass.", lower_bound=1)


def main(argv):
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[1:])}")
    if FLAGS.artifact:
        from tfseg.runtimes import load_runtime, read_manifest

        model = load_runtime(FLAGS.artifact)
        manifest = read_manifest(FLAGS.artifact) or {}
        colors = [c["color"] for c in manifest.get("classes", [])] or None
        if colors is None:
            raise ConfigError(
                f"--artifact={FLAGS.artifact} has no export.json with the class colours beside it"
            )
        # Beside the artifact: a folder artifact (SavedModel) gets a sibling, not files inside.
        artifact = os.path.abspath(FLAGS.artifact).rstrip(os.sep)
        if os.path.isdir(artifact):
            default_output = f"{artifact}-predictions"
        else:
            default_output = os.path.join(os.path.dirname(artifact), "predictions")
    else:
        model_dir = ModelDir(FLAGS.model_dir)
        model_dir.require()
        colors = model_dir.read_config()["data"].get("colors")
        if not colors:
            raise DataError(
                f"{model_dir.config_path}: no class colours in its 'data' entry; restore the file"
            )
        model = _model_dir_runtime(model_dir)
        default_output = os.path.join(model_dir.path, "predictions")
    output_dir = FLAGS.output_dir or default_output
    replaced = _existing_outputs(FLAGS.input, output_dir)
    if replaced:
        print(f"replacing {replaced} earlier output file(s) in {os.path.abspath(output_dir)}")
    written = predict_inputs(
        model,
        FLAGS.input,
        output_dir,
        colors=colors,
        alpha=FLAGS.alpha,
        batch_size=FLAGS.batch_size,
        every_nth_frame=FLAGS.every_nth_frame,
    )
    print(f"wrote {len(written)} files to {os.path.abspath(output_dir)}")
    return 0


def _model_dir_runtime(model_dir):
    """The Keras model, or the `--runtime` (auto: the measured fastest here) that runs it."""
    if FLAGS.runtime == "keras":
        return model_dir.load_model(FLAGS.checkpoint)
    from tfseg.runtimes.fastest import open_model_runtime

    return open_model_runtime(model_dir, FLAGS.runtime, checkpoint=FLAGS.checkpoint)[0]


def _existing_outputs(inputs, output_dir):
    """How many of the files this run will write exist already (they are replaced, so say so)."""
    if not os.path.isdir(output_dir):
        return 0
    items = list_inputs(inputs, output_dir)
    return sum(os.path.exists(path) for item in items for path in item.outputs())
