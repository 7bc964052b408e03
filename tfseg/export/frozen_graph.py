"""The frozen GraphDef export, with the seed paper's graph transforms and 8-bit weights."""

import json
import os
import time

import numpy as np
import tensorflow as tf

from tfseg.export.request import ExportResult
from tfseg.graph import (
    FrozenGraph,
    apply_transforms,
    freeze_model,
    quantize_weights,
    run_frozen_graph,
    strip_default_attrs,
)
from tfseg.io import atomic_write

INPUT_NAME, OUTPUT_NAME = "image", "logits"
FILES = {"float": "model.pb", "q8": "model_q8.pb"}


def export_frozen_graph(request):
    """Writes the fixed-size forward graph, transformed step by step, and its 8-bit twin.

    The BN-folded model is frozen at `[1, H, W, 3]` float32 (`image:0` -> `logits:0`), then the
    seed paper's transforms run one at a time with TensorFlow's Graph Transform Tool
    (`tfseg.graph.apply_transforms`; Grappler's equivalents if the tool is missing). After each
    step `transforms.json` records the graph's node count, its size and the largest output
    change on a reference image (`run_frozen_graph`, Grappler on, as consumers run it).
    `quantize_weights` then writes `model_q8.pb` (8-bit weights, dequantized at load time).

    Options: `tf1_compatible` strips attributes TF 1.15 does not know (default-valued ones);
    `quantize` (default True) writes `model_q8.pb` where the tool exists.

    Returns:
        An `ExportResult` for `model.pb` (and `model_q8.pb`, `transforms.json`).
    """
    height, width = request.input_size
    frozen = _named(freeze_model(request.folded, input_shape=(height, width, 3)))
    reference = np.random.default_rng(0).uniform(0, 255, (1, height, width, 3)).astype("float32")
    expected = run_frozen_graph(frozen, reference)
    scale = max(float(np.abs(expected).max()), 1e-12)

    start = time.perf_counter()
    transformed = apply_transforms(frozen)
    steps = [_step("frozen", frozen, expected, reference, scale)]
    steps += [_step(name, graph, expected, reference, scale) for name, graph in transformed.steps]
    files, details = [FILES["float"]], {"backend": transformed.backend}
    final = transformed.graph
    if request.option("quantize", True) and transformed.backend == "graph_transform_tool":
        quantized = quantize_weights(final)
        steps.append(_step("quantize_weights", quantized, expected, reference, scale))
        _write(request, FILES["q8"], quantized)
        files.append(FILES["q8"])
        details["q8_size_ratio"] = round(steps[-1]["bytes"] / steps[-2]["bytes"], 4)
    elif request.option("quantize", True):
        details["q8"] = "not written: 8-bit weights need the Graph Transform Tool"
    details["seconds"] = round(time.perf_counter() - start, 2)
    _write(request, FILES["float"], final)
    atomic_write(
        os.path.join(request.out_dir, "transforms.json"), json.dumps(steps, indent=2) + "\n"
    )
    files.append("transforms.json")
    details["tf1_compatible"] = bool(request.option("tf1_compatible", False))
    details["steps"] = [s["step"] for s in steps]
    num_classes = int(expected.shape[-1])
    return ExportResult(
        files=files,
        input={"name": f"{INPUT_NAME}:0", "shape": [1, height, width, 3], "dtype": "float32"},
        outputs=[
            {
                "name": f"{OUTPUT_NAME}:0",
                "shape": [1, height, width, num_classes],
                "dtype": "float32",
            }
        ],
        details=details,
    )


def _named(frozen):
    """`frozen` with its output also reachable as `logits:0` (consumers look it up by name)."""
    graph_def = tf.compat.v1.GraphDef()
    graph_def.CopyFrom(frozen.graph_def)
    node = graph_def.node.add(name=OUTPUT_NAME, op="Identity", input=[frozen.output_name])
    node.attr["T"].type = tf.float32.as_datatype_enum
    return FrozenGraph(graph_def, f"{INPUT_NAME}:0", f"{OUTPUT_NAME}:0")


def _step(name, frozen, expected, reference, scale):
    got = run_frozen_graph(frozen, reference)
    return {
        "step": name,
        "nodes": len(frozen.graph_def.node),
        "bytes": frozen.graph_def.ByteSize(),
        "max_rel_diff": float(np.abs(got - expected).max() / scale),
        "argmax_agreement": float(np.mean(got.argmax(-1) == expected.argmax(-1))),
    }


def _write(request, name, frozen):
    graph_def = frozen.graph_def
    if request.option("tf1_compatible", False):
        graph_def = strip_default_attrs(graph_def)
    atomic_write(os.path.join(request.out_dir, name), graph_def.SerializeToString())
