"""Prediction: images, folders of images and videos -> colour-coded PNGs, overlays and videos.

    >>> from tfseg.prediction import predict_inputs
    >>> predict_inputs(model, ["photos/", "drive.mp4"], "out", colors=info.colors)

* `predict_inputs` is the whole job: it checks every input first, then streams images and frames
  through `make_segment_fn(model)` (a `tf.function`: resize to the model's size, inference,
  logits resized back to the image's size, argmax) and writes every file atomically.
* `colorize` and `overlay` turn train ids into class colours and blend them over an image; they
  are pure numpy, for reuse (e.g. TensorBoard images during training).
"""

from tfseg.prediction.atomic_video_writer import AtomicVideoWriter
from tfseg.prediction.colorize import colorize
from tfseg.prediction.list_inputs import (
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    PredictionInput,
    list_inputs,
)
from tfseg.prediction.make_segment_fn import make_segment_fn
from tfseg.prediction.overlay import overlay
from tfseg.prediction.predict_images import predict_images
from tfseg.prediction.predict_inputs import predict_inputs
from tfseg.prediction.predict_video import predict_video
from tfseg.prediction.probe_video import VideoInfo, probe_video
from tfseg.prediction.read_image import read_image
from tfseg.prediction.read_video_frames import read_video_frames
from tfseg.prediction.write_prediction import write_prediction

__all__ = [
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "AtomicVideoWriter",
    "PredictionInput",
    "VideoInfo",
    "colorize",
    "list_inputs",
    "make_segment_fn",
    "overlay",
    "predict_images",
    "predict_inputs",
    "predict_video",
    "probe_video",
    "read_image",
    "read_video_frames",
    "write_prediction",
]
