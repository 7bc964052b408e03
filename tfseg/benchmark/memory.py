"""Memory: per-layer activation and parameter memory of a Keras model (seed 004 Tables 1-2),
and the measured peaks of a process (host VmHWM, GPU).

The per-layer figures are computed from the model, not measured: a layer's activation memory is
the element count of its output tensor(s) at the batch size times the bytes of their dtype
(float32: 4), its parameter memory the element count of its weights (kernels, biases, BN
statistics) times their dtype's bytes. The seed paper's Table 1 sums exactly these (its "MB"
are MiB: VGG16-FCN8s at 256x512 gives 154 MiB of activations and 128 MiB of parameters), which
is what training keeps alive for the backward pass. Inference needs far less: a tensor can be
freed after its last consumer ran; `inference_peak_mib` is that peak over the model's layer
order (a lower bound for a runtime, which also holds its workspace, weights and the library).
"""

import re

import numpy as np

MIB = 1 << 20


def memory_report(model, batch=1, encoder=None):
    """Per-layer activation and parameter memory of a Keras model, with totals per part.

    Layers are assigned to the encoder by name: the encoder is rebuilt alone on a fresh input
    (`encoder`'s builder, at the decoder's output stride) and every layer of that name in
    `model` is the encoder's; the rest after the input is the decoder's. Without `encoder`
    (or when the names do not match), every layer is the model's.

    Args:
        model: a Keras functional model with a known input size.
        batch: images per batch.
        encoder: the encoder's name in `tfseg.ENCODERS` (and `model.name` must be
            `<decoder>_<encoder>`), or None.

    Returns:
        `{"model", "input", "batch", "layers": [{"name", "type", "part", "output_shape",
        "activation_mib", "params", "param_mib"}], "totals": {part: {"activation_mib", "params",
        "param_mib", "layers"}}, "inference_peak_mib", "method"}`.

    Example:
        >>> report = memory_report(build_model("vgg16", "skipnet", 35, (256, 512)), 1, "vgg16")
        >>> round(report["totals"]["encoder"]["activation_mib"], 1)  # seed 004 Table 1: 154
        159.8
    """
    encoder_names = _encoder_layer_names(model, encoder) if encoder else set()
    layers = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            part = "input"
        elif layer.name in encoder_names:
            part = "encoder"
        else:
            part = "decoder" if encoder_names else "model"
        outputs = [t for node in layer._inbound_nodes for t in node.output_tensors]
        shapes = [[batch, *t.shape[1:]] for t in outputs]
        activation = sum(_bytes(shape, t.dtype) for shape, t in zip(shapes, outputs))
        params = int(sum(np.prod(w.shape) for w in layer.weights))
        param_bytes = sum(_bytes(w.shape, w.dtype) for w in layer.weights)
        layers.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "part": part,
                "output_shape": shapes[0] if len(shapes) == 1 else shapes,
                "activation_mib": activation / MIB,
                "params": params,
                "param_mib": param_bytes / MIB,
            }
        )
    totals = {}
    for entry in layers:
        total = totals.setdefault(
            entry["part"], {"activation_mib": 0.0, "params": 0, "param_mib": 0.0, "layers": 0}
        )
        for key in ("activation_mib", "params", "param_mib"):
            total[key] += entry[key]
        total["layers"] += 1
    totals["total"] = {
        key: sum(t[key] for t in list(totals.values())) for key in next(iter(totals.values()))
    }
    return {
        "model": model.name,
        "input": [batch, *model.input_shape[1:]],
        "batch": batch,
        "layers": layers,
        "totals": totals,
        "inference_peak_mib": _inference_peak(model, batch),
        "method": (
            "computed from the Keras model: activations = output elements x dtype bytes per "
            "layer at the batch size (all kept, as in training: seed 004 Tables 1-2); parameters "
            "= weight elements x dtype bytes; inference_peak_mib = the largest sum of live "
            "tensors when each is freed after its last consumer; MiB = 2**20 bytes"
        ),
    }


def memory_markdown(report, measured=None):
    """The report as markdown: one table per part (seed 004 Tables 1-2) and the totals, with the
    measured peaks beside them.

    Args:
        report: a `memory_report`.
        measured: `{runtime: peak host MiB}` of the same model, size and batch, or None.

    Returns:
        Markdown text.
    """
    lines = [
        f"## {report['model']}, input {'x'.join(map(str, report['input']))}",
        "",
        report["method"] + ".",
        "",
    ]
    for part in ("encoder", "decoder", "model"):
        entries = [e for e in report["layers"] if e["part"] == part]
        if not entries:
            continue
        lines += [
            f"### {part}",
            "",
            "| layer | type | activations | activation MiB | parameters | parameter MiB |",
            "|---|---|---|---|---|---|",
        ]
        for e in entries:
            shape = e["output_shape"]
            shape = (
                " + ".join("x".join(map(str, s)) for s in shape)
                if shape and isinstance(shape[0], list)
                else "x".join(map(str, shape))
            )
            lines.append(
                f"| {e['name']} | {e['type']} | {shape} | {e['activation_mib']:.2f} "
                f"| {e['params']:,} | {e['param_mib']:.3f} |"
            )
        total = report["totals"][part]
        lines += [
            f"| **total {part}** | {total['layers']} layers | | **{total['activation_mib']:.1f}** "
            f"| **{total['params']:,}** | **{total['param_mib']:.2f}** |",
            "",
        ]
    total = report["totals"]["total"]
    lines += [
        "### totals",
        "",
        "| what | MiB |",
        "|---|---|",
        f"| activations, all layers (training keeps them) | {total['activation_mib']:.1f} |",
        f"| parameters ({total['params']:,}) | {total['param_mib']:.2f} |",
        f"| inference: largest set of live activations | {_fmt(report['inference_peak_mib'])} |",
    ]
    for runtime, peak in (measured or {}).items():
        lines.append(f"| measured peak host memory (VmHWM), `{runtime}` process | {_fmt(peak)} |")
    return "\n".join(lines) + "\n"


def peak_host_memory_mb():
    """This process's peak resident memory in MiB (`VmHWM` of `/proc/self/status`).

    Falls back on `getrusage`'s `ru_maxrss` where `/proc` is missing.
    """
    try:
        with open("/proc/self/status") as f:
            match = re.search(r"^VmHWM:\s*(\d+)\s*kB", f.read(), re.M)
        if match:
            return int(match.group(1)) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def reset_peak_host_memory():
    """Resets `VmHWM` to the current resident size (Linux >= 4.0: `5` to `/proc/self/clear_refs`),
    so the next `peak_host_memory_mb` is the peak since now. Returns whether it could."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_gpu_memory_mb():
    """TensorFlow's peak GPU memory in MiB since the last reset, or None without a GPU."""
    import sys

    tf = sys.modules.get("tensorflow")
    if tf is None or not tf.config.list_physical_devices("GPU"):
        return None
    try:
        peak = tf.config.experimental.get_memory_info("GPU:0")["peak"]
        tf.config.experimental.reset_memory_stats("GPU:0")
    except (ValueError, RuntimeError):
        return None
    return peak / MIB


def _bytes(shape, dtype):
    if any(s is None for s in shape):
        return 0
    return int(np.prod(shape)) * np.dtype(str(dtype)).itemsize


def _encoder_layer_names(model, encoder):
    import keras

    from tfseg.decoders import DECODERS
    from tfseg.encoders import ENCODERS

    decoder = model.name[: -len(encoder) - 1] if model.name.endswith(f"_{encoder}") else None
    if encoder not in ENCODERS or decoder not in DECODERS:
        return set()
    image = keras.Input(shape=model.input_shape[1:], name="image")
    stride = DECODERS[decoder].encoder_output_stride
    endpoints = ENCODERS[encoder].build(image, output_stride=stride, weight_decay=0.0)
    alone = keras.Model(image, [e.tensor for e in endpoints.values()])
    names = {layer.name for layer in alone.layers if type(layer).__name__ != "InputLayer"}
    found = {layer.name for layer in model.layers} & names
    return names if found == names else set()


def _inference_peak(model, batch):
    """The largest sum of live activation MiB, freeing each tensor after its last consumer."""
    try:
        producers, consumers, order = {}, {}, []
        for layer in model.layers:
            for node in layer._inbound_nodes:
                order.append(node)
                for t in node.output_tensors:
                    producers[id(t)] = _bytes([batch, *t.shape[1:]], t.dtype)
                for t in node.input_tensors:
                    consumers[id(t)] = consumers.get(id(t), 0) + 1
        outputs = {id(t) for t in model.outputs}
        live, made, peak = {}, set(), 0
        for node in order:
            if any(id(t) not in made for t in node.input_tensors):
                return None  # not in topological order: no estimate rather than a wrong one
            for t in node.output_tensors:
                made.add(id(t))
                live[id(t)] = producers[id(t)]
            peak = max(peak, sum(live.values()))
            for t in node.input_tensors:
                consumers[id(t)] -= 1
                if consumers[id(t)] == 0 and id(t) not in outputs:
                    live.pop(id(t), None)
        return peak / MIB
    except (AttributeError, KeyError, TypeError):  # a model this walk does not understand
        return None


def _fmt(value):
    return "n/a" if value is None else f"{value:.1f}"
