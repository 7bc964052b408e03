"""Custom Keras layers shared by the encoders and decoders.

Each is registered for `.keras` serialization under the `tfseg` package.
"""

from tfseg.layers.bilinear_upsampling import BilinearUpsampling
from tfseg.layers.channel_shuffle import ChannelShuffle
from tfseg.layers.conv_block import conv_bn_act
from tfseg.layers.group_conv2d import GroupConv2D
from tfseg.layers.image_normalization import (
    CAFFE_BGR,
    IMAGENET,
    INCEPTION,
    ImageNormalization,
    Normalization,
)
from tfseg.layers.match_size import MatchSize
from tfseg.layers.portable_grouped_conv import portable_grouped_conv2d
from tfseg.layers.upsampling_block import upsampling_conv
from tfseg.layers.weight_decay import weight_decay_regularizer

__all__ = [
    "BilinearUpsampling",
    "CAFFE_BGR",
    "ChannelShuffle",
    "conv_bn_act",
    "GroupConv2D",
    "IMAGENET",
    "INCEPTION",
    "ImageNormalization",
    "MatchSize",
    "Normalization",
    "portable_grouped_conv2d",
    "upsampling_conv",
    "weight_decay_regularizer",
]
