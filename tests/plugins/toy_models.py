"""A toy encoder and a toy decoder from outside tfseg, as a user's own project would write them.

Importing this module registers both (the `--plugin=toy_models` route); its specs are also the
objects of the entry points the plugin tests install (the `tfseg.encoders` / `tfseg.decoders`
groups).
"""

import keras

import tfseg
from tfseg.encoders import EncoderSpec, make_endpoints
from tfseg.layers import INCEPTION, ImageNormalization, MatchSize

TOY_CHANNELS = {2: 8, 4: 8, 8: 16, 16: 16, 32: 24}


def build_toy_encoder(image, output_stride=32, weight_decay=5e-4):
    """Five stride-2 convolutions; an endpoint at every stride up to 32."""
    x = ImageNormalization.of(INCEPTION, name="toy_normalize")(image)
    features, stride = {}, 1
    for stride in sorted(TOY_CHANNELS):
        x = keras.layers.Conv2D(
            TOY_CHANNELS[stride], 3, strides=2, padding="same", activation="relu",
            name=f"toy_conv_s{stride}",
        )(x)  # fmt: skip
        features[stride] = x
    return make_endpoints(image, features)


def build_toy_decoder(endpoints, num_classes, *, upsampling="bilinear", weight_decay=5e-4):
    """Scores the deepest endpoint and upsamples it to the image size."""
    deepest = endpoints[max(endpoints)]
    scores = keras.layers.Conv2D(num_classes, 1, name="toy_score")(deepest.tensor)
    scores = keras.layers.UpSampling2D(deepest.stride, interpolation=upsampling)(scores)
    return MatchSize(name="toy_crop")(scores, endpoints[1].tensor)


TOY_ENCODER = EncoderSpec(
    build=build_toy_encoder,
    normalization=INCEPTION,
    output_strides=(32,),
    channels=TOY_CHANNELS,
    layer_pattern=r"toy_conv_s\d+",
)

tfseg.register_encoder("toy", TOY_ENCODER)
tfseg.register_decoder("toy_head", build_toy_decoder)
