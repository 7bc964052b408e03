"""`open_fastest_runtime`: what `tfseg predict|evaluate --runtime=auto` runs a model dir with.

Which runtime is fastest depends on the model and the machine (docs/benchmarking.md: OpenVINO
for ShuffleNet's grouped convolutions, onnxruntime or the oneDNN frozen graph for MobileNet, on
different CPUs), so the choice is measured where it can be: if `tfseg benchmark run
--model_dir=M` has written rows for this device (`M/benchmarks/<device>.jsonl`), the fastest
batch-1 runtime at the size nearest the model's is taken. Without rows, the order of
`CPU_PREFERENCE` (or `GPU_PREFERENCE` with an NVIDIA GPU) is used: the order measured fastest on
this repository's CPUs. The artifact is exported once into the model dir and reused while it
is newer than the model it came from.
"""

import glob
import os

from tfseg.errors import DataError

# Float runtimes only: a quantized artifact changes the results, which `auto` must not do.
CPU_PREFERENCE = ("openvino", "frozen_graph", "onnxruntime", "function")
GPU_PREFERENCE = ("tftrt", "function")
# Runtimes that run the Keras model itself rather than an exported artifact.
KERAS_RUNTIMES = ("function", "keras", "predict")
_CANDIDATES = set(CPU_PREFERENCE) | set(GPU_PREFERENCE)


def choose_runtime(model_dir, *, gpu=None):
    """The runtime `--runtime=auto` picks for a model dir on this machine, and why.

    Args:
        model_dir: a `tfseg.model_dir.ModelDir`.
        gpu: whether an NVIDIA GPU is there (default: asked from TensorFlow).

    Returns:
        `(runtime name, reason)`; the name is a key of `tfseg.benchmark.protocol.RUNTIMES`.

    Example:
        >>> choose_runtime(ModelDir("runs/skipnet_shufflenet"))
        ('openvino', 'measured fastest here: 34.2 ms at 512x1024 (runs/.../amd-epyc-2c.jsonl)')
    """
    from tfseg.benchmark.environment import device_name
    from tfseg.benchmark.runtimes import runtime_problem

    if gpu is None:
        import tensorflow as tf

        gpu = bool(tf.config.list_physical_devices("GPU"))
    measured = _measured_fastest(model_dir, device_name(), runtime_problem)
    if measured:
        return measured
    for name in GPU_PREFERENCE if gpu else CPU_PREFERENCE:
        if runtime_problem(name) is None:
            return name, "no benchmark rows for this machine; the usual fastest that can run here"
    return "function", "no faster runtime can run here"


def open_fastest_runtime(model_dir, *, checkpoint="best", threads=None, progress=print):
    """Opens a model dir's model with the runtime `choose_runtime` picks.

    An artifact runtime's export is made on first use (`<model_dir>/export/auto/<format>-
    <checkpoint>/`, with its parity report) unless `tfseg export` already wrote one for the
    same checkpoint, with default options, after the model was last saved.

    Args:
        model_dir: a `tfseg.model_dir.ModelDir` holding a trained model.
        checkpoint: `best` or `last`.
        threads: CPU threads of the artifact runtime (default: its own).
        progress: called with one line saying what runs and why (None: quiet).

    Returns:
        `(runtime, name)`: a `tfseg.runtimes.Runtime` and the runtime's name.

    Raises:
        ConfigError, DataError, PlatformError: as `tfseg.export.export` and `load_runtime`.
    """
    from tfseg.benchmark.protocol import RUNTIMES
    from tfseg.runtimes import load_runtime

    say = progress or (lambda line: None)
    name, reason = choose_runtime(model_dir)
    say(f"--runtime=auto: {name} ({reason})")
    fmt = RUNTIMES[name].export_format
    # What the export must be newer than: the best model, or the checkpoint pointer.
    model_path = (
        model_dir.best_model
        if checkpoint == "best"
        else os.path.join(model_dir.checkpoints, "checkpoint")
    )
    if fmt is None:
        from tfseg.runtimes.keras_model import KerasRuntime

        return KerasRuntime(model_dir.load_model(checkpoint), path=model_path), name
    folder = _current_export(model_dir.export_dir(fmt), checkpoint, model_path)
    if folder is None:
        from tfseg.export import export

        folder = os.path.join(model_dir.export_dir("auto"), f"{fmt}-{checkpoint}")
        if _current_export(folder, checkpoint, model_path) is None:
            say(f"exporting {fmt} to {folder} (once; reused while the model is unchanged)")
            export(
                model_dir.path, fmt, checkpoint=checkpoint, out=folder, overwrite=True,
                parity_images=8, progress=None,
            )  # fmt: skip
    return load_runtime(folder, threads=threads), name


def _current_export(folder, checkpoint, model_path):
    """`folder` if it holds a default-options export of `checkpoint` newer than the model."""
    from tfseg.runtimes import read_manifest

    if not os.path.isdir(folder):
        return None
    try:
        manifest = read_manifest(folder)
    except DataError:
        return None
    if (
        not manifest
        or manifest.get("model", {}).get("checkpoint") != checkpoint
        or manifest.get("options")
    ):
        return None
    manifest_path = os.path.join(folder, "export.json")
    if os.path.exists(model_path) and os.path.getmtime(model_path) > os.path.getmtime(
        manifest_path
    ):
        return None
    return folder


def _measured_fastest(model_dir, device, runtime_problem):
    """`(name, reason)` of the fastest measured batch-1 runtime, or None without rows."""
    from tfseg.benchmark.record import read_rows

    config = model_dir.read_config() or {}
    size = (config.get("model", {}).get("height"), config.get("model", {}).get("width"))
    rows = []
    for path in sorted(glob.glob(os.path.join(model_dir.path, "benchmarks", "*.jsonl"))):
        try:
            rows += [(row, path) for row in read_rows(path)]
        except DataError:
            continue  # a damaged results file only loses its advice
    rows = [
        (row, path)
        for row, path in rows
        if row["device"] == device
        and row["batch_size"] == 1
        and row["runtime"] in _CANDIDATES
        and row["latency_ms_p50"]
        and runtime_problem(row["runtime"]) is None
    ]
    if not rows:
        return None
    if None not in size:
        pixels = size[0] * size[1]
        nearest = min(abs(r["height"] * r["width"] - pixels) for r, _ in rows)
        rows = [(r, p) for r, p in rows if abs(r["height"] * r["width"] - pixels) == nearest]
    row, path = min(rows, key=lambda item: item[0]["latency_ms_p50"])
    return row["runtime"], (
        f"measured fastest here: {row['latency_ms_p50']:.1f} ms at {row['height']}x{row['width']} "
        f"({path})"
    )
