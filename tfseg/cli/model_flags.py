"""absl flags that choose and size a model, shared by every command that builds one."""

from absl import flags

from tfseg.decoders import DECODERS
from tfseg.decoders.skipnet import VARIANTS
from tfseg.decoders.unet import BLOCKS
from tfseg.encoders import ENCODERS

FLAGS = flags.FLAGS


def define_model_flags(require_names=True, num_classes=True):
    """Defines --encoder, --decoder, --height, --width, [--num_classes] and decoder options."""
    flags.DEFINE_enum("encoder", None, list(ENCODERS), "Encoder (feature extractor).")
    flags.DEFINE_enum("decoder", None, list(DECODERS), "Decoder (meta-architecture).")
    flags.DEFINE_integer("height", 512, "Input height in pixels.", lower_bound=32)
    flags.DEFINE_integer("width", 1024, "Input width in pixels.", lower_bound=32)
    if num_classes:
        flags.DEFINE_integer("num_classes", 19, "Number of output classes.", lower_bound=2)
    flags.DEFINE_enum(
        "variant", None, sorted(VARIANTS),
        "SkipNet only: FCN-8s (default), FCN-16s or FCN-32s.",
    )  # fmt: skip
    flags.DEFINE_enum(
        "unet_block", None, list(BLOCKS),
        "UNet only: decoder block style (default: the paper's for the encoder).",
    )  # fmt: skip
    if require_names:
        flags.mark_flags_as_required(["encoder", "decoder"])


def decoder_options_from_flags():
    """The decoder options the user set explicitly, validated against the decoder."""
    options = {}
    if FLAGS.variant is not None:
        options["variant"] = FLAGS.variant
    if FLAGS.unet_block is not None:
        options["block"] = FLAGS.unet_block
    return options


def model_flag_values():
    """The model the flags of `define_model_flags` choose, keyed as `TrainConfig`'s fields.

    `tfseg/cli/config_flags.py` reads a config field marked `model_flag` from here.
    """
    return {
        "encoder": FLAGS.encoder,
        "decoder": FLAGS.decoder,
        "height": FLAGS.height,
        "width": FLAGS.width,
        "decoder_options": decoder_options_from_flags(),
    }


def define_model_dir_flags(artifact=False):
    """--model_dir and --checkpoint (and --artifact), for the commands that use a trained model.

    With `artifact`, `--artifact=PATH` (an exported model: SavedModel folder, .pb, .tflite,
    .onnx) may replace `--model_dir`; exactly one of the two is required. `--runtime` then says
    what runs a model dir's model: the Keras model, `auto` (the measured fastest here) or a
    named runtime (exported once into the model dir).
    """
    from tfseg.model_dir import CHECKPOINTS  # here: `tfseg flops` needs no model dir
    from tfseg.runtimes.fastest import MODEL_DIR_RUNTIMES

    flags.DEFINE_string("model_dir", None, "The training run's folder.", required=not artifact)
    if artifact:
        flags.DEFINE_string(
            "artifact", None, "An exported model (tfseg export) to run instead of the model dir's."
        )
        flags.register_multi_flags_validator(
            ["model_dir", "artifact"],
            lambda values: (values["model_dir"] is None) != (values["artifact"] is None),
            message="give exactly one of --model_dir and --artifact",
        )
        flags.DEFINE_enum(
            "runtime", "keras", list(MODEL_DIR_RUNTIMES),
            "With --model_dir: keras (the saved model), auto (the fastest runtime measured on "
            "this machine; measured once if the model dir has no benchmark rows) or a runtime "
            "(its artifact is exported once into <model_dir>/export/auto).",
        )  # fmt: skip
        flags.register_multi_flags_validator(
            ["artifact", "runtime"],
            lambda values: values["artifact"] is None or values["runtime"] == "keras",
            message="--runtime is for --model_dir; an --artifact runs on its own format's runtime",
        )
    flags.DEFINE_enum(
        "checkpoint", "best", list(CHECKPOINTS),
        "best: the model with the best validation mIoU; last: the last checkpoint.",
    )  # fmt: skip
