"""Prediction: images, folders of images and videos -> colour-coded PNGs, overlays and videos.

    >>> from tfseg.prediction import predict_inputs
    >>> predict_inputs(model, ["photos/", "drive.mp4"], "out", colors=info.colors)

* `predict_inputs` is the whole job: it checks every input first, then streams images and frames
  through `tfseg.inference.Segmenter(model)` (a `tf.function`: resize to the model's size,
  inference, logits resized back to the image's size, argmax), or an exported artifact's
  `Runtime`, and writes every file atomically.
* `colorize` and `overlay` turn train ids into class colours and blend them over an image; they
  are pure numpy, for reuse (e.g. TensorBoard images during training).

What each module holds, in the order a prediction run uses them:

    prediction.py       `predict_inputs`: checks the options, then runs the steps below
    inputs.py           `list_inputs`: files and folders -> checked `PredictionInput`s;
                        `IMAGE_EXTENSIONS`, `VIDEO_EXTENSIONS`
    images.py           `predict_images`: segments images in batches of equal size;
                        `read_image`, `write_prediction` (an image's or frame's PNG pair)
    video.py            `predict_video`: segments a video into `<stem>_overlay.mp4`
    video_io.py         `probe_video` -> `VideoInfo`, `read_video_frames`, `AtomicVideoWriter`
    palette.py          `colorize`: train ids -> class colours; `palette_array`
    blend.py            `overlay`: the alpha blend of colours over an image; `check_alpha`

Only the user verbs are exported here; the other names are imported from their modules, e.g.
`from tfseg.prediction.inputs import list_inputs`.
"""

from tfseg.prediction.blend import overlay
from tfseg.prediction.palette import colorize
from tfseg.prediction.prediction import predict_inputs

__all__ = ["colorize", "overlay", "predict_inputs"]
