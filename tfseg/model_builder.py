"""`build_model`: any encoder with any decoder, at any input size."""

import inspect

import keras

from tfseg.decoders import DECODERS
from tfseg.encoders import ENCODERS, check_endpoints
from tfseg.errors import ConfigError, check_int
from tfseg.registry import load_entry_points

# The smallest input every encoder/decoder pair accepts: one pixel at stride 32.
MIN_SIZE = 32


def _check_choice(kind, name, choices):
    if name not in choices:
        raise ConfigError(
            f"unknown {kind} {name!r}; valid {kind}s: {', '.join(choices)} (for one of your "
            f"own: tfseg.register_{kind}, or --plugin=module on the command line; see "
            "docs/extending.md)"
        )


def _check_input_shape(input_shape):
    """`input_shape` as a tuple of Python ints, None standing for a size left dynamic."""
    if len(input_shape) != 2:
        raise ConfigError(f"input_shape must be (height, width), got {input_shape!r}")
    return tuple(
        None if size is None else check_int(f"input {dim}", size, minimum=MIN_SIZE)
        for dim, size in zip(("height", "width"), input_shape)
    )


def _decoder_options(encoder, decoder, options):
    valid = [
        name
        for name, p in inspect.signature(DECODERS[decoder].build).parameters.items()
        if p.kind is p.KEYWORD_ONLY and name != "weight_decay"
    ]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ConfigError(
            f"unknown option(s) {', '.join(unknown)} for decoder {decoder!r}; "
            f"valid options: {', '.join(valid)}"
        )
    return {**ENCODERS[encoder].decoder_options.get(decoder, {}), **options}


def build_model(
    encoder, decoder, num_classes=19, input_shape=(512, 1024), *, weight_decay=5e-4, **options
):
    """Builds a segmentation model from an encoder and a decoder.

    The model takes an RGB image in 0..255 (`[B, H, W, 3]`, any dtype; normalization is inside)
    and returns float32 logits `[B, H, W, num_classes]` from a final layer named `logits`. By
    default each pair gets the decoder options the paper used (each encoder's
    `EncoderSpec.decoder_options`). The encoder's endpoints are checked against the contract.

    Args:
        encoder: one of `ENCODERS`: `vgg16`, `resnet18`, `mobilenet`, `shufflenet`, or one
            registered with `tfseg.register_encoder` (installed plugins are loaded first).
        decoder: one of `DECODERS`: `skipnet`, `unet`, `dilation`, or a registered one.
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
    load_entry_points()
    _check_choice("encoder", encoder, ENCODERS)
    _check_choice("decoder", decoder, DECODERS)
    encoder_spec, decoder_spec = ENCODERS[encoder], DECODERS[decoder]
    output_stride = decoder_spec.encoder_output_stride
    if output_stride not in encoder_spec.output_strides:
        raise ConfigError(
            f"decoder {decoder!r} needs the encoder at output stride {output_stride}; encoder "
            f"{encoder!r} supports {', '.join(map(str, encoder_spec.output_strides))}"
        )
    num_classes = check_int("num_classes", num_classes, minimum=2)
    input_shape = _check_input_shape(tuple(input_shape))
    decoder_options = _decoder_options(encoder, decoder, options)

    image = keras.Input(shape=(*input_shape, 3), name="image")
    endpoints = encoder_spec.build(image, output_stride=output_stride, weight_decay=weight_decay)
    channels = encoder_spec.channels if output_stride == 32 else None
    check_endpoints(endpoints, image, output_stride, encoder, channels)
    logits = decoder_spec.build(
        endpoints, num_classes, weight_decay=weight_decay, **decoder_options
    )
    # float32 even under a mixed-precision policy: the loss and softmax need it.
    logits = keras.layers.Activation("linear", dtype="float32", name="logits")(logits)
    return keras.Model(image, logits, name=f"{decoder}_{encoder}")
