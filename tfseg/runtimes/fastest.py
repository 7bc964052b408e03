"""`open_model_runtime`: what `tfseg predict|evaluate --runtime=auto|<name>` run a model dir with.

Which runtime is fastest depends on the model and the machine (docs/benchmarking.md: OpenVINO
for ShuffleNet's grouped convolutions, onnxruntime or the oneDNN frozen graph for MobileNet, on
different CPUs), so `auto` goes by measurement: the fastest batch-1 row this device has in
`<model_dir>/benchmarks/*.jsonl` (written by `tfseg benchmark run --model_dir=M`) at the size
nearest the model's. Without such rows `auto` measures the candidates once, with the
benchmark's own protocol, and appends the rows there; if nothing can be measured, the order of
`CPU_PREFERENCE` (or `GPU_PREFERENCE` with an NVIDIA GPU) decides. The artifact is exported once
into the model dir and reused while it is newer than the model it came from.
"""

import glob
import os

from tfseg.errors import ConfigError, DataError, TfsegError

# Float runtimes only: a quantized artifact changes the results, which `auto` must not do.
CPU_PREFERENCE = ("openvino", "frozen_graph", "onnxruntime", "function")
GPU_PREFERENCE = ("tftrt", "function")
# What `--runtime` accepts: `keras` (the saved Keras model, the default), `auto`, or one of these.
MODEL_DIR_RUNTIMES = ("keras", "auto", *dict.fromkeys(CPU_PREFERENCE + GPU_PREFERENCE))
_CANDIDATES = set(CPU_PREFERENCE) | set(GPU_PREFERENCE)
# `auto`'s own measurement: short, but interleaved like `make benchmark` (docs/benchmarking.md).
AUTO_PROTOCOL = {"warmup": 3, "iterations": 10, "rounds": 2, "timed": "model"}
# `choose_runtime`'s reason when no row decided (`open_model_runtime` then measures).
_UNMEASURED = "no benchmark rows for this machine; the usual fastest"


def choose_runtime(model_dir, *, gpu=None, size=None):
    """The runtime `--runtime=auto` picks for a model dir on this machine, from its rows, and why.

    Args:
        model_dir: a `tfseg.model_dir.ModelDir`.
        gpu: whether an NVIDIA GPU is there (default: asked from TensorFlow).
        size: `(height, width)` whose rows decide (default: the model's training size; rows of
            the nearest measured size are used).

    Returns:
        `(runtime name, reason)`; the name is a key of `tfseg.benchmark.protocol.RUNTIMES`.

    Example:
        >>> choose_runtime(ModelDir("runs/skipnet_shufflenet"))
        ('openvino', 'measured fastest here: 34.2 ms at 512x1024 (runs/.../amd-epyc-2c.jsonl)')
    """
    from tfseg.benchmark.environment import device_name
    from tfseg.benchmark.runtimes import runtime_problem

    measured = _measured_fastest(model_dir, device_name(), runtime_problem, size)
    if measured:
        return measured
    return _preferred(_candidates(gpu)), _UNMEASURED


def open_model_runtime(
    model_dir, runtime="auto", *, checkpoint="best", threads=None, measure=True, progress=print
):
    """Opens a model dir's model with runtime `runtime` (`auto`: the measured fastest here).

    An artifact runtime's export is made on first use (`<model_dir>/export/auto/<format>-
    <checkpoint>/`, with its parity report) unless `tfseg export` already wrote a float one
    for the same checkpoint at the training size after the model was last saved.

    Args:
        model_dir: a `tfseg.model_dir.ModelDir` holding a trained model.
        runtime: `auto`, `keras` or a name of `MODEL_DIR_RUNTIMES`.
        checkpoint: `best` or `last`.
        threads: CPU threads of the artifact runtime (default: its own).
        measure: with `auto` and no rows for this device, measure the candidates (tens of
            seconds on 2 cores, exports included) instead of going by `CPU_PREFERENCE`.
        progress: called with one line per step saying what runs and why (None: quiet).

    Returns:
        `(runtime, name)`: a `tfseg.runtimes.Runtime` and the runtime's name.

    Raises:
        ConfigError, DataError, PlatformError: as `tfseg.export.export` and `load_runtime`;
            ConfigError for a runtime name that is not in `MODEL_DIR_RUNTIMES`.

    Example:
        >>> runtime, name = open_model_runtime(ModelDir("runs/skipnet_shufflenet"))
        >>> runtime.segment(frames)   # uint8 [B, H, W, 3] -> train ids [B, H, W]
    """
    from tfseg.benchmark.protocol import RUNTIMES
    from tfseg.runtimes import load_runtime
    from tfseg.runtimes.keras_model import KerasRuntime

    say = progress or (lambda line: None)
    if runtime not in MODEL_DIR_RUNTIMES:
        raise ConfigError(
            f"--runtime={runtime}: unknown; choose one of {', '.join(MODEL_DIR_RUNTIMES)}"
        )
    model_dir.require()
    identity = model_dir.model_identity()
    size = (identity["height"], identity["width"])
    if runtime == "auto":
        runtime, reason = choose_runtime(model_dir, size=size)
        if reason == _UNMEASURED and measure:
            measured = _measure_candidates(model_dir, checkpoint, size, say)
            runtime, reason = measured or (runtime, reason)
        say(f"--runtime=auto: {runtime} ({reason})")
    fmt = None if runtime == "keras" else RUNTIMES[runtime].export_format
    if fmt is None:
        return KerasRuntime(model_dir.load_model(checkpoint), path=model_dir.path), runtime
    # What the export must be newer than: the best model, or the checkpoint pointer.
    model_path = (
        model_dir.best_model
        if checkpoint == "best"
        else os.path.join(model_dir.checkpoints, "checkpoint")
    )
    folder = _current_export(model_dir.export_dir(fmt), checkpoint, model_path, size)
    if folder is None:
        from tfseg.export import export

        folder = os.path.join(model_dir.export_dir("auto"), f"{fmt}-{checkpoint}")
        if _current_export(folder, checkpoint, model_path, size) is None:
            say(f"exporting {fmt} to {folder} (once; reused while the model is unchanged)")
            export(
                model_dir.path, fmt, checkpoint=checkpoint, out=folder, overwrite=True,
                parity_images=8, progress=None,
            )  # fmt: skip
    return load_runtime(folder, threads=threads), runtime


def _candidates(gpu):
    if gpu is None:
        import tensorflow as tf

        gpu = bool(tf.config.list_physical_devices("GPU"))
    return GPU_PREFERENCE if gpu else CPU_PREFERENCE


def _preferred(candidates):
    from tfseg.benchmark.runtimes import runtime_problem

    return next((name for name in candidates if runtime_problem(name) is None), "function")


def _measure_candidates(model_dir, checkpoint, size, say):
    """Times every candidate that can run here at the model's size with `AUTO_PROTOCOL`, rows
    appended to `<model_dir>/benchmarks/<device>.jsonl`; `(name, reason)`, or None if that
    failed (the reason said)."""
    from tfseg.benchmark.runner import run_benchmark
    from tfseg.benchmark.runtimes import runtime_problem

    names = [name for name in _candidates(None) if runtime_problem(name) is None]
    say(
        f"--runtime=auto: no benchmark rows for this machine; timing {', '.join(names)} at "
        f"{size[0]}x{size[1]} once (the rows go to {model_dir.path}/benchmarks/)"
    )
    try:
        run_benchmark(
            model_dir=model_dir.path, checkpoint=checkpoint, runtimes=names, sizes=[size],
            parity_images=0, notes="measured by --runtime=auto", progress=None,
            **AUTO_PROTOCOL,
        )  # fmt: skip
    except TfsegError as error:
        say(f"--runtime=auto: the measurement failed ({error}); going by the usual order")
        return None
    from tfseg.benchmark.environment import device_name

    return _measured_fastest(model_dir, device_name(), runtime_problem, size)


def _current_export(folder, checkpoint, model_path, size):
    """`folder` if it holds a float export of `checkpoint` at the training `size`, newer than
    the model (`tfseg export`'s other options change nothing `--runtime` depends on)."""
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
        or manifest.get("options", {}).get("quantization", "float") != "float"
        or list(manifest.get("input_size") or []) != list(size)
    ):
        return None
    manifest_path = os.path.join(folder, "export.json")
    if os.path.exists(model_path) and os.path.getmtime(model_path) > os.path.getmtime(
        manifest_path
    ):
        return None
    return folder


def _measured_fastest(model_dir, device, runtime_problem, size=None):
    """`(name, reason)` of the fastest measured batch-1 runtime, or None without rows."""
    from tfseg.benchmark.record import read_rows

    if size is None:
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
    # Compare like with like: one timed mode (end_to_end, what predict does, if measured).
    mode = "end_to_end" if any(row["timed"] == "end_to_end" for row, _ in rows) else "model"
    rows = [(row, path) for row, path in rows if row["timed"] == mode]
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
