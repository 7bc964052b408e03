"""`tfseg export`: a trained model as SavedModel, frozen GraphDef, TFLite, ONNX or TF-TRT.

  tfseg export --model_dir=runs/x --format=saved_model
  tfseg export --model_dir=runs/x --format=tflite --quantization=int8 --calibration_images=100
  tfseg export --model_dir=runs/x --format=onnx --height=360 --width=640
  tfseg export --model_dir=runs/x --format=all

Each artifact goes to <model_dir>/export/<format>/ (or --out) with an export.json: what it takes
and returns, its files and checksums, and its parity with the Keras model on --parity_images
validation images (argmax agreement, logit difference, mIoU). See docs/deployment.md.
"""

from absl import flags

from tfseg.errors import ConfigError
from tfseg.export import EXPORTERS, export
from tfseg.export.tflite import QUANTIZATIONS
from tfseg.export.tftrt import PRECISIONS

FLAGS = flags.FLAGS
flags.DEFINE_string("model_dir", None, "The trained model's folder.", required=True)
flags.DEFINE_enum("format", None, ["all", *EXPORTERS], "What to write.", required=True)
flags.DEFINE_enum(
    "checkpoint", "best", ["best", "last"],
    "best: the model with the best validation mIoU; last: the last checkpoint.",
)  # fmt: skip
flags.DEFINE_integer(
    "height", None, "Fixed input height (default: the training size).", lower_bound=32
)
flags.DEFINE_integer(
    "width", None, "Fixed input width (default: the training size).", lower_bound=32
)
flags.DEFINE_string("out", None, "Output folder (default: <model_dir>/export/<format>).")
flags.DEFINE_bool("overwrite", False, "Replace an existing output folder.")
flags.DEFINE_integer(
    "parity_images", 50, "Validation images to check the artifact against Keras on.", lower_bound=0
)
flags.DEFINE_string("data_dir", None, "Data set for calibration and parity (default: trained on).")
flags.DEFINE_enum("quantization", "float", list(QUANTIZATIONS), "tflite: weights / full int8.")
flags.DEFINE_integer(
    "calibration_images", 100, "tflite int8, tftrt INT8: training images to calibrate on.",
    lower_bound=1,
)  # fmt: skip
flags.DEFINE_integer("opset", 13, "onnx: opset (13 is TensorRT 8.2's, JetPack 4.6).", lower_bound=7)
flags.DEFINE_enum("precision", "FP16", list(PRECISIONS), "tftrt: engine precision.")
flags.DEFINE_integer("workspace_mb", 1024, "tftrt: TensorRT workspace in MiB.", lower_bound=16)
flags.DEFINE_bool("with_logits", False, "saved_model: also return the logits.")
flags.DEFINE_bool("tf1_compatible", False, "frozen_graph: strip attributes TF 1.15 cannot read.")


def main(argv):
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[1:])}")
    export(
        FLAGS.model_dir,
        FLAGS.format,
        checkpoint=FLAGS.checkpoint,
        height=FLAGS.height,
        width=FLAGS.width,
        out=FLAGS.out,
        overwrite=FLAGS.overwrite,
        parity_images=FLAGS.parity_images,
        data_dir=FLAGS.data_dir,
        quantization=FLAGS.quantization,
        calibration_images=FLAGS.calibration_images,
        opset=FLAGS.opset,
        precision=FLAGS.precision,
        workspace_mb=FLAGS.workspace_mb,
        with_logits=FLAGS.with_logits,
        tf1_compatible=FLAGS.tf1_compatible,
    )
    return 0
