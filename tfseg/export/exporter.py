"""`export`: a trained model dir -> one artifact per format, each with its export.json."""

import os
import shutil
import tempfile

import numpy as np

from tfseg.errors import ConfigError, DataError, PlatformError
from tfseg.export.manifest import manifest, write_manifest
from tfseg.export.parity import measure_parity
from tfseg.export.request import ExportRequest
from tfseg.model_builder import build_model
from tfseg.model_dir import ModelDir


def export(
    model_dir,
    fmt,
    *,
    checkpoint="best",
    height=None,
    width=None,
    out=None,
    overwrite=False,
    parity_images=50,
    data_dir=None,
    progress=print,
    **options,
):
    """Exports a trained model in one format (or every format this machine can produce).

    BatchNorm is folded into the convolutions first. Fixed-size formats take `[1, H, W, 3]`, H x W
    defaulting to the training size. Each artifact goes to `<model_dir>/export/<format>/` (or
    `out`), written into a temporary folder that is renamed when everything, `export.json`
    included, succeeded; an existing folder is refused unless `overwrite`. `export.json` records
    the artifact's contract, classes, files (bytes, sha256), versions, and its parity with the
    Keras model on `parity_images` validation images of the model's data set.

    Args:
        model_dir: a trained model dir.
        fmt: a key of `tfseg.export.EXPORTERS`, or `"all"`.
        checkpoint: `best` (best validation mIoU) or `last`.
        height, width: the fixed input size (default: the training size).
        out: the output folder (with `"all"`: one sub-folder per format).
        overwrite: replace an existing output folder.
        parity_images: validation images for the parity check (0: none).
        data_dir: the data set for calibration and parity (default: the one trained on).
        progress: called with one line per step (None: quiet).
        **options: format options (`quantization`, `calibration_images`, `opset`, `precision`,
            `with_logits`, `tf1_compatible`, `workspace_mb`).

    Returns:
        The list of `export.json` dicts written.

    Raises:
        ConfigError, DataError, PlatformError: with a message naming what to change.

    Example:
        >>> export("runs/skipnet_shufflenet", "tflite", quantization="int8")
    """
    from tfseg.export import EXPORTERS, available_formats

    say = progress or (lambda line: None)
    if fmt != "all" and fmt not in EXPORTERS:
        raise ConfigError(f"--format={fmt}: unknown; valid formats: all, {', '.join(EXPORTERS)}")
    model_dir = ModelDir(model_dir)
    config = model_dir.read_config()
    if config is None:
        raise DataError(f"{model_dir.path}: no config.json; is this a tfseg model dir?")
    identity = config["model"]
    size = (height or identity["height"], width or identity["width"])
    for name, value in zip(("height", "width"), size):
        if not isinstance(value, int) or value < 32:
            raise ConfigError(f"--{name}={value}: must be an integer >= 32")
    formats = available_formats() if fmt == "all" else [fmt]
    data_dir = data_dir or config.get("train", {}).get("data_dir")
    targets = {
        f: os.path.join(out, f) if out and fmt == "all" else out or model_dir.export_dir(f)
        for f in formats
    }
    for target in targets.values():
        if os.path.exists(target) and not overwrite:
            raise ConfigError(f"{target} exists; pass --overwrite to replace it")
    trained = model_dir.load_model(checkpoint)
    reference = _reference_runtime(model_at_size(trained, identity, size))
    written = []
    for f in formats:
        say(f"exporting {f} to {targets[f]} ...")
        data = export_model(
            trained, identity, f, targets[f], input_size=size, options=options,
            calibration_images=calibration_from_config(config, data_dir, size),
            colors=config.get("data", {}).get("colors"), checkpoint=checkpoint,
            parity=lambda folder: _parity(folder, reference, config, data_dir, parity_images),
            overwrite=True,  # checked above, before the model was loaded
        )  # fmt: skip
        say(_summary(f, targets[f], data))
        written.append(data)
    return written


def export_model(
    model,
    identity,
    fmt,
    out_dir,
    *,
    input_size=None,
    options=None,
    calibration_images=None,
    colors=None,
    checkpoint=None,
    parity=None,
    overwrite=False,
):
    """Exports an in-memory Keras model in one format, without a model dir (`export`'s core).

    `export` calls it for each format of a trained model dir; `tfseg benchmark` calls it for a
    model with random weights. The artifact is written into a temporary folder next to `out_dir`
    that is renamed to `out_dir` when everything, `export.json` included, succeeded.

    Args:
        model: a Keras segmentation model (BatchNorm not folded; it is folded here), at any size:
            it is rebuilt at `input_size` (or at any size for the SavedModel) with its weights.
        identity: the model's identity, as a model dir's `config.json` `"model"`: `encoder`,
            `decoder`, `decoder_options`, `class_names`, `height`, `width` (the trained size).
        fmt: a key of `tfseg.export.EXPORTERS`.
        out_dir: the artifact's folder.
        input_size: `(height, width)` of fixed-size formats (default: `identity`'s size).
        options: format options, as for `export`.
        calibration_images: `n -> iterable of uint8 [1, H, W, 3]` images at `input_size` (int8
            calibration), or None.
        colors: the classes' colours for `export.json` (default black).
        checkpoint: recorded in `export.json` (`best`, `last`, or None).
        parity: `folder -> dict`, the `parity` entry of `export.json` measured on the written
            folder (default: `{"skipped": ...}`).
        overwrite: replace an existing `out_dir`.

    Returns:
        The `export.json` dict written.

    Raises:
        ConfigError, DataError, PlatformError: with a message naming what to change.

    Example:
        >>> identity = {"encoder": "shufflenet", "decoder": "skipnet", "decoder_options": {},
        ...             "class_names": [str(i) for i in range(19)], "height": 360, "width": 640}
        >>> export_model(model, identity, "onnx", "cache/onnx")["artifact"]
        'model.onnx'
    """
    from tfseg.export import EXPORTERS

    if fmt not in EXPORTERS:
        raise ConfigError(f"format {fmt!r}: unknown; valid formats: {', '.join(EXPORTERS)}")
    if os.path.exists(out_dir) and not overwrite:
        raise ConfigError(f"{out_dir} exists; pass --overwrite to replace it")
    size = tuple(input_size or (identity["height"], identity["width"]))
    options = dict(options or {})
    parent = os.path.dirname(os.path.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    temporary = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.tmp-", dir=parent)
    try:
        any_size = fmt == "saved_model"
        request = ExportRequest(
            model=model_at_size(model, identity, (None, None) if any_size else size),
            input_size=size,
            out_dir=temporary,
            options=options,
            calibration_images=calibration_images,
            class_names=tuple(identity["class_names"]),
        )
        result = EXPORTERS[fmt](request)
        data = manifest(
            fmt, result, identity, colors, options, checkpoint=checkpoint, input_size=size
        )
        write_manifest(temporary, data)  # the runtime of a SavedModel reads it
        data["parity"] = parity(temporary) if parity else {"skipped": "no data set given"}
        write_manifest(temporary, data)
        _replace(temporary, out_dir)
        return data
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def model_at_size(trained, identity, size):
    """The trained model's weights in the same architecture built for input `size`."""
    if tuple(size) == tuple(trained.input_shape[1:3]):
        return trained
    model = build_model(
        identity["encoder"],
        identity["decoder"],
        num_classes=len(identity["class_names"]),
        input_shape=tuple(size),
        **identity.get("decoder_options", {}),
    )
    model.set_weights(trained.get_weights())
    return model


def _reference_runtime(model):
    from tfseg.runtimes.keras_model import KerasRuntime

    return KerasRuntime(model)


def calibration_from_config(config, data_dir, size):
    """`n -> uint8 [1, H, W, 3]` training images at `size`, or None without the data set.

    Args:
        config: a model dir's `config.json` dict (its `train` split is used).
        data_dir: the data set's root folder.
        size: `(height, width)` the images are resized to.
    """
    split = config.get("train", {}).get("train_split", "train")
    if not data_dir or not os.path.isdir(data_dir):
        return None

    def images(count):
        import tensorflow as tf

        from tfseg.data import list_examples
        from tfseg.prediction.images import read_image

        examples = list_examples(data_dir, split)
        # Evenly spread over the split, so the ranges see every kind of scene.
        picks = np.linspace(0, len(examples) - 1, min(count, len(examples))).round().astype(int)
        for index in dict.fromkeys(picks.tolist()):
            image = read_image(examples[index][0])[None]
            resized = tf.image.resize(image, size, method="bilinear").numpy()
            yield np.clip(np.round(resized), 0, 255).astype(np.uint8)

    return images


def _parity(folder, reference, config, data_dir, parity_images):
    if not parity_images:
        return {"skipped": "--parity_images=0"}
    if not data_dir or not os.path.isdir(data_dir):
        return {"skipped": f"the data set {data_dir} was not found (pass --data_dir)"}
    from tfseg.runtimes import load_runtime

    try:
        artifact = load_runtime(folder)
    except PlatformError as error:  # e.g. TF-TRT engines without a GPU
        return {"skipped": str(error)}
    split = config.get("train", {}).get("val_split", "val")
    keep_void = config["model"].get("keep_void", False)
    return measure_parity(
        reference, artifact, data_dir, split, num_images=parity_images, keep_void=keep_void
    )


def _replace(temporary, target):
    """Moves the finished artifact into place; an old one is removed only after that."""
    backup = None
    if os.path.exists(target):
        backup = tempfile.mkdtemp(
            prefix=f".{os.path.basename(target)}.old-", dir=os.path.dirname(target)
        )
        os.rmdir(backup)
        os.rename(target, backup)
    os.rename(temporary, target)
    if backup:
        shutil.rmtree(backup, ignore_errors=True)


def _summary(fmt, target, data):
    main = data["artifact"]
    size = data["files"][main]["bytes"]
    parity = data.get("parity", {})
    if "argmax_agreement" in parity:
        check = (
            f"argmax agreement {100 * parity['argmax_agreement']:.3f}% on {parity['images']} "
            f"images, mIoU {100 * parity['miou']:.2f}% (Keras {100 * parity['keras_miou']:.2f}%)"
        )
    else:
        check = f"parity not measured: {parity.get('skipped', '?')}"
    return f"{fmt}: {os.path.join(target, main)} ({size / 1e6:.2f} MB); {check}"
