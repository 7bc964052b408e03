"""The SavedModel export: the `Segmenter` itself, for TF Serving and TensorFlow 2.17+ programs."""

import os

import tensorflow as tf

from tfseg.export.request import ExportResult
from tfseg.inference import Segmenter

SIGNATURES = ("serving_default", "serving_bytes", "forward")


class _ServingModule(Segmenter):
    """`Segmenter` plus the raw forward pass (float32 pixels -> logits), for parity checks."""

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="image")])
    def forward(self, image):
        return {"logits": tf.cast(self._forward(image), tf.float32)}


def export_saved_model(request):
    """Writes `tf.saved_model.save` of the BN-folded model's `Segmenter` into `request.out_dir`.

    Signatures (no custom objects: a process that never imports tfseg loads and runs it):

    * `serving_default`: `images` uint8 `[B, H, W, 3]` of **any size** -> `class_ids` uint8
      `[B, H, W]` (+ `logits` float32 `[B, H, W, C]` with the option `with_logits`);
    * `serving_bytes`: `encoded_images` string `[B]` (PNG or JPEG, one size per batch) -> the
      same, as TF Serving clients send images;
    * `forward`: `image` float32 `[B, h, w, 3]` pixels 0..255 -> `logits` at that size, the
      network alone.

    Args:
        request: an `ExportRequest` whose model takes any size (`input_size` is where the
            serving signature resizes images to: the training size).

    Returns:
        An `ExportResult` (`resize=True`: the artifact resizes by itself).
    """
    module = _ServingModule(
        request.folded,
        input_size=request.input_size,
        with_logits=bool(request.option("with_logits", False)),
    )
    signatures = {
        "serving_default": module.serve,
        "serving_bytes": module.serve_encoded,
        "forward": module.forward,
    }
    tf.saved_model.save(module, request.out_dir, signatures=signatures)
    num_classes = module.num_classes
    outputs = [{"name": "class_ids", "shape": [None, None, None], "dtype": "uint8"}]
    if module.with_logits:
        outputs.append(
            {"name": "logits", "shape": [None, None, None, num_classes], "dtype": "float32"}
        )
    files = sorted(
        os.path.relpath(os.path.join(folder, name), request.out_dir)
        for folder, _, names in os.walk(request.out_dir)
        for name in names
    )
    files.remove("saved_model.pb")
    return ExportResult(
        files=["saved_model.pb", *files],
        input={"name": "images", "shape": [None, None, None, 3], "dtype": "uint8"},
        outputs=outputs,
        resize=True,
        details={"signatures": list(SIGNATURES), "resizes_to": list(request.input_size)},
    )
