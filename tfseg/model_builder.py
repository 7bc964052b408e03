"""`build_model`: any encoder with any decoder, at any input size."""

import inspect

import keras

from tfseg.decoders import DECODERS, ENCODER_OUTPUT_STRIDE
from tfseg.encoders import ENCODERS
from tfseg.errors import ConfigError

# The decoder options the RTSeg paper used with each encoder (original-tfsegmentation.md §3).
# Explicit options given to build_model override them.
PAPER_DECODER_OPTIONS = {
    ("vgg16", "skipnet"): {"batchnorm": False},
    ("resnet18", "skipnet"): {"batchnorm": False},
    ("mobilenet", "skipnet"): {"batchnorm": True},
    ("shufflenet", "skipnet"): {"batchnorm": True},
    ("vgg16", "unet"): {"block": "linear"},
    ("resnet18", "unet"): {"block": "linknet"},
    ("mobilenet", "unet"): {"block": "linear", "head_channels": 32},
    ("shufflenet", "unet"): {"block": "linear"},
    ("mobilenet", "dilation"): {"batchnorm": True},
}

# The smallest input every encoder/decoder pair accepts: one pixel at stride 32.
MIN_SIZE = 32


def _check_choice(kind, name, choices):
    if name not in choices:
        raise ConfigError(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(choices)}")


def _check_input_shape(input_shape):
    if len(input_shape) != 2:
        raise ConfigError(f"input_shape must be (height, width), got {input_shape!r}")
    for dim, size in zip(("height", "width"), input_shape):
        if size is None:
            continue
        if not isinstance(size, int) or isinstance(size, bool) or size < MIN_SIZE:
            raise ConfigError(f"input {dim} must be an integer >= {MIN_SIZE}, got {size!r}")


def _decoder_options(encoder, decoder, options):
    builder = DECODERS[decoder]
    valid = [
        name
        for name, p in inspect.signature(builder).parameters.items()
        if p.kind is p.KEYWORD_ONLY and name != "weight_decay"
    ]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ConfigError(
            f"unknown option(s) {', '.join(unknown)} for decoder {decoder!r}; "
            f"valid options: {', '.join(valid)}"
        )
    return {**PAPER_DECODER_OPTIONS.get((encoder, decoder), {}), **options}


def build_model(
    encoder, decoder, num_classes=19, input_shape=(512, 1024), *, weight_decay=5e-4, **options
):
    """Builds a segmentation model from an encoder and a decoder.

    The model takes an RGB image in 0..255 (`[B, H, W, 3]`, any dtype; normalization is inside)
    and returns float32 logits `[B, H, W, num_classes]` from a final layer named `logits`. By
    default each pair gets the decoder options the paper used (`PAPER_DECODER_OPTIONS`).

    Args:
        encoder: one of `ENCODERS`: `vgg16`, `resnet18`, `mobilenet`, `shufflenet`.
        decoder: one of `DECODERS`: `skipnet`, `unet`, `dilation`.
        num_classes: number of output classes (>= 2); 19 Cityscapes train classes by default,
            20 for the original's void-as-a-class setting.
        input_shape: `(height, width)`, each >= 32 and not necessarily divisible by 32; `None`
            for a size known only at run time.
        weight_decay: L2 factor `wd` of the loss term `wd * sum(W**2) / 2` on every kernel.
        **options: decoder options, e.g. `variant="16s"` (skipnet), `block="linknet"` (unet),
            `batchnorm=False`.

    Returns:
        A `keras.Model` named `<decoder>_<encoder>`.

    Raises:
        ConfigError (a ValueError): unknown names or options, bad sizes or `num_classes`.

    Example:
        >>> model = build_model("shufflenet", "skipnet", num_classes=19, input_shape=(360, 640))
        >>> model.output_shape
        (None, 360, 640, 19)
    """
    _check_choice("encoder", encoder, ENCODERS)
    _check_choice("decoder", decoder, DECODERS)
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
        raise ConfigError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    input_shape = tuple(input_shape)
    _check_input_shape(input_shape)
    decoder_options = _decoder_options(encoder, decoder, options)

    image = keras.Input(shape=(*input_shape, 3), name="image")
    endpoints = ENCODERS[encoder](
        image, output_stride=ENCODER_OUTPUT_STRIDE[decoder], weight_decay=weight_decay
    )
    logits = DECODERS[decoder](endpoints, num_classes, weight_decay=weight_decay, **decoder_options)
    # float32 even under a mixed-precision policy: the loss and softmax need it.
    logits = keras.layers.Activation("linear", dtype="float32", name="logits")(logits)
    return keras.Model(image, logits, name=f"{decoder}_{encoder}")
