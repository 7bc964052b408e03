"""The benchmark's preparation, run in a worker process: the model, its timed inputs and the Keras
model's outputs on them, GFLOPs, the memory report and every artifact, written into a cache.

The cache folder is keyed by the model's name and a hash of its weights (and the TensorFlow and
tfseg versions), so artifacts exported once are reused by later runs of the same weights:

```
<cache>/<model>-<classes>c-<hash>/
  model.weights.h5                  the weights the Keras runtimes rebuild the model with
  <H>x<W>/inputs-b<B>.npy           the timed inputs (float32 pixels, or uint8 frames)
  <H>x<W>/reference-b<B>.npy        the Keras model's logits (or class ids) on them
  <H>x<W>/memory-b<B>.json          the per-layer memory report (--memory)
  <H>x<W>/<runtime>/                the artifact, as `tfseg export` writes it (export.json)
```
"""

import hashlib
import json
import os

import numpy as np

import tfseg
from tfseg.benchmark.protocol import RUNTIMES
from tfseg.errors import DataError


def prepare(job, emit):
    """Makes everything the runtime workers need, emitting one event per finished item.

    Args:
        job: `{"cache", "model": {...}, "sizes", "batch_sizes", "timed", "frame_size", "seed",
            "artifacts": [{"runtime", "size"}], "memory", "skip": [step names]}`; `model` is
            `{"model_dir", "checkpoint", "data_dir", "parity_images"}` or `{"encoder",
            "decoder", "num_classes", "decoder_options"}`.
        emit: called with each event dict: `step` (before a step that could crash the process),
            `model`, `size`, `artifact`.

    Raises:
        ConfigError, DataError: an unknown model, a model dir without a model.
    """
    import keras
    import tensorflow as tf

    from tfseg.benchmark.conv_peak import measure_conv_peak
    from tfseg.export.exporter import model_at_size
    from tfseg.platform import onednn_enabled
    from tfseg.runtimes.keras_model import KerasRuntime

    model, identity, config, notes = _load_model(job)
    key = _cache_key(model)
    root = os.path.join(job["cache"], key)
    os.makedirs(root, exist_ok=True)
    weights = os.path.join(root, "model.weights.h5")
    if not os.path.isfile(weights):
        temporary = os.path.join(root, f".tmp-{os.getpid()}.weights.h5")
        model.save_weights(temporary)
        os.replace(temporary, weights)
    emit(
        {
            "event": "model",
            "name": model.name,
            "encoder": identity["encoder"],
            "decoder": identity["decoder"],
            "decoder_options": identity.get("decoder_options", {}),
            "num_classes": len(identity["class_names"]),
            "weights": weights,
            "cache": root,
            "notes": notes,
            "onednn": onednn_enabled(),
            "gpu": _gpu_name(tf),
            "conv_peak_gflops_per_s": measure_conv_peak(),
        }
    )
    data = _data(job, config)
    for size in map(tuple, job["sizes"]):
        at_size = model_at_size(model, identity, size)
        folder = os.path.join(root, f"{size[0]}x{size[1]}")
        os.makedirs(folder, exist_ok=True)
        from tfseg.graph import profile_model

        counts = profile_model(at_size)
        reference = KerasRuntime(at_size)
        batches, calibration = {}, []
        for batch in job["batch_sizes"]:
            batches[str(batch)] = _timed_inputs(job, folder, size, batch, reference)
            if job["timed"] == "model":
                calibration.extend(np.load(batches[str(batch)]["inputs"]).astype(np.uint8))
            else:
                frames = np.load(batches[str(batch)]["inputs"])
                resized = tf.image.resize(frames, size, method="bilinear").numpy()
                calibration.extend(np.clip(np.round(resized), 0, 255).astype(np.uint8))
            if job.get("memory"):
                from tfseg.benchmark.memory import memory_report

                path = os.path.join(folder, f"memory-b{batch}.json")
                with open(path, "w") as f:
                    json.dump(memory_report(at_size, batch, identity["encoder"]), f)
                batches[str(batch)]["memory"] = path
        emit(
            {
                "event": "size",
                "size": list(size),
                "gflops": counts["gflops"],
                "params": counts["params"],
                "batches": batches,
                "keras_miou": _keras_miou(data, reference),
            }
        )
        for entry in job["artifacts"]:
            if tuple(entry["size"]) != size:
                continue
            step = f"export {entry['runtime']} {size[0]}x{size[1]}"
            if step in job.get("skip", ()):
                continue
            emit({"event": "step", "step": step})
            emit(
                _artifact(
                    entry["runtime"], model, identity, size, folder, data, reference,
                    np.stack(calibration),
                )  # fmt: skip
            )
        keras.backend.clear_session()


def _load_model(job):
    """`(model, identity, config or None, notes)` of a model dir or of random weights."""
    import keras

    from tfseg.model_builder import build_model

    spec = job["model"]
    if spec.get("model_dir"):
        from tfseg.model_dir import ModelDir

        model_dir = ModelDir(spec["model_dir"])
        config = model_dir.read_config()
        if config is None:
            raise DataError(
                f"--model_dir={model_dir.path}: no config.json; is it a tfseg model dir?"
            )
        model = model_dir.load_model(spec.get("checkpoint", "best"))
        notes = [f"trained weights ({spec.get('checkpoint', 'best')} checkpoint)"]
        data_dir = spec.get("data_dir") or config.get("train", {}).get("data_dir")
        if spec.get("parity_images") and not (data_dir and os.path.isdir(data_dir)):
            # Said, not silent: a relative data_dir is relative to where training ran.
            notes.append(f"no mIoU: its data set {data_dir} is not there (pass --data_dir)")
        return model, config["model"], config, notes
    keras.utils.set_random_seed(job["seed"])
    size = tuple(job["sizes"][0])
    options = spec.get("decoder_options") or {}
    model = build_model(spec["encoder"], spec["decoder"], spec["num_classes"], size, **options)
    identity = {
        "encoder": spec["encoder"],
        "decoder": spec["decoder"],
        "decoder_options": options,
        "class_names": [f"class_{i}" for i in range(spec["num_classes"])],
        "height": size[0],
        "width": size[1],
    }
    notes = [
        f"random weights (Keras initializers, seed {job['seed']}): speed only, parity on the "
        "timed inputs only, no mIoU"
    ]
    return model, identity, None, notes


def _cache_key(model):
    import keras
    import tensorflow as tf

    digest = hashlib.sha256(f"{tf.__version__} {keras.__version__} {tfseg.__version__}".encode())
    for weight in model.weights:
        digest.update(np.ascontiguousarray(weight.numpy()).tobytes())
    return f"{model.name}-{model.output_shape[-1]}c-{digest.hexdigest()[:12]}"


def _timed_inputs(job, folder, size, batch, reference):
    """The timed inputs of one size and batch and the Keras model's outputs on them (cached)."""
    frame = tuple(job["frame_size"])
    seed = job["seed"]
    if job["timed"] == "model":
        stem = f"model-b{batch}-s{seed}"
    else:
        stem = f"frames{frame[0]}x{frame[1]}-b{batch}-s{seed}"
    paths = {
        "inputs": os.path.join(folder, f"inputs-{stem}.npy"),
        "reference": os.path.join(folder, f"reference-{stem}.npy"),
    }
    if not all(os.path.isfile(p) for p in paths.values()):
        rng = np.random.default_rng([seed, *size, batch])
        if job["timed"] == "model":
            # Whole-number pixels, so the uint8 input of a full-int8 model sees the same image.
            inputs = _smooth_images(rng, batch, size).astype(np.float32)
            wanted = reference.logits(inputs)
        else:
            inputs = _smooth_images(rng, batch, frame)
            wanted = reference.segment(inputs)
        for name, value in (("inputs", inputs), ("reference", wanted)):
            temporary = paths[name][: -len(".npy")] + f".tmp-{os.getpid()}.npy"
            np.save(temporary, value)
            os.replace(temporary, paths[name])
    wanted = np.load(paths["reference"])
    ids = wanted.argmax(-1) if job["timed"] == "model" else wanted
    counts = np.bincount(ids.ravel().astype(np.int64))
    paths["classes"] = [int((counts > 0).sum()), float(counts.max() / counts.sum())]
    return paths


def _smooth_images(rng, batch, size):
    """Random images with regions, as scenes have: noise at 1/16 of the size, upsampled
    bicubically, plus +-8 of pixel noise (a random network's argmax on plain noise is one
    class everywhere, which would make argmax agreement meaningless)."""
    import tensorflow as tf

    low = rng.uniform(0, 255, (batch, max(1, size[0] // 16), max(1, size[1] // 16), 3))
    images = tf.image.resize(low.astype(np.float32), size, method="bicubic").numpy()
    images += rng.uniform(-8, 8, images.shape)
    return np.clip(np.round(images), 0, 255).astype(np.uint8)


def _data(job, config):
    """`{"data_dir", "split", "keep_void", "parity_images"}` of a model dir's data set, or None."""
    spec = job["model"]
    if config is None or not spec.get("parity_images"):
        return None
    data_dir = spec.get("data_dir") or config.get("train", {}).get("data_dir")
    if not data_dir or not os.path.isdir(data_dir):
        return None
    return {
        "config": config,
        "data_dir": data_dir,
        "split": config.get("train", {}).get("val_split", "val"),
        "keep_void": config["model"].get("keep_void", False),
        "parity_images": spec["parity_images"],
    }


def _artifact(runtime, model, identity, size, folder, data, reference, calibration):
    """Exports (or finds in the cache) one runtime's artifact; an `artifact` event."""
    from tfseg.errors import TfsegError
    from tfseg.export.exporter import calibration_from_config, export_model

    info = RUNTIMES[runtime]
    target = os.path.join(folder, runtime)
    event = {"event": "artifact", "runtime": runtime, "size": list(size), "path": target}
    notes = []
    options = dict(info.options)
    images = None
    if options.get("quantization") == "int8":
        images = calibration_from_config(data["config"], data["data_dir"], size) if data else None
        if images is None:
            options["calibration_images"] = len(calibration)
            images = lambda count: (image[None] for image in calibration[:count])  # noqa: E731
            notes.append(
                f"int8 calibrated on the {len(calibration)} timed input(s) (random images), not "
                "on data"
            )
        else:
            notes.append("int8 calibrated on 100 training images")
    manifest_path = os.path.join(target, "export.json")
    try:
        if os.path.isfile(manifest_path):
            with open(manifest_path) as f:
                manifest = json.load(f)
            notes.append("artifact from the benchmark cache")
        else:
            manifest = export_model(
                model, identity, info.export_format, target, input_size=size, options=options,
                calibration_images=images, parity=_parity(data, reference),
            )  # fmt: skip
    except TfsegError as error:
        return {**event, "error": str(error)}
    except Exception as error:  # a converter's own exception: the runtime is skipped, named
        return {**event, "error": _one_line(error)}
    parity = manifest.get("parity", {})
    if "miou" in parity:
        event["miou"] = parity["miou"]
        event["keras_miou"] = parity["keras_miou"]
        notes.append(f"mIoU on {parity['images']} {parity['split']} images")
    main = manifest["files"][manifest["artifact"]]
    notes.append(f"artifact {manifest['artifact']} {main['bytes'] / 1e6:.2f} MB")
    return {**event, "error": None, "notes": notes}


def _parity(data, reference):
    if data is None:
        return None
    from tfseg.export.parity import measure_parity
    from tfseg.runtimes import load_runtime

    def parity(folder):
        return measure_parity(
            reference, load_runtime(folder), data["data_dir"], data["split"],
            num_images=data["parity_images"], keep_void=data["keep_void"],
        )  # fmt: skip

    return parity


def _keras_miou(data, reference):
    """The Keras model's mIoU on the parity images (the `keras`, `function`, ... rows'), or None."""
    if data is None:
        return None
    from tfseg.evaluation import evaluate

    metrics = evaluate(
        reference.segment, data["data_dir"], data["split"], keep_void=data["keep_void"],
        max_images=data["parity_images"], progress=False,
    )  # fmt: skip
    return metrics["miou"]


def _gpu_name(tf):
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    details = tf.config.experimental.get_device_details(gpus[0])
    return details.get("device_name", gpus[0].name)


def _one_line(error):
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {first[:300]}" if first else type(error).__name__
