"""`tfseg predict`: segment images, folders or videos with a trained model.

  tfseg predict --model_dir=runs/x --input=street.png --input=frames/ --input=drive.mp4
                [--output_dir=DIR] [--alpha=0.5] [--every_nth_frame=N]

Writes <name>_color.png (the prediction in the data set's palette) and <name>_overlay.png (blended
over the image) per image, and <name>_overlay.mp4 per video.
"""

import os

from absl import flags

from tfseg.cli.model_flags import define_model_dir_flags
from tfseg.errors import ConfigError
from tfseg.model_dir import ModelDir
from tfseg.prediction import predict_inputs

FLAGS = flags.FLAGS
define_model_dir_flags()
flags.DEFINE_multi_string(
    "input", None, "Image, folder or video; repeat for several.", required=True
)
flags.DEFINE_string("output_dir", None, "Where to write (default: <model_dir>/predictions).")
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
    model_dir = ModelDir(FLAGS.model_dir)
    colors = model_dir.read_config()["data"]["colors"]
    model = model_dir.load_model(FLAGS.checkpoint)
    output_dir = FLAGS.output_dir or os.path.join(model_dir.path, "predictions")
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
