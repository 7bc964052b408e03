"""OpenVINO export: the ONNX of the BN-folded static graph, saved as OpenVINO IR.

The artifact is `model.xml` (the graph) + `model.bin` (float32 weights). Like the ONNX export it
takes float32 RGB pixels 0..255 `image` `[1, H, W, 3]` (normalization inside) and returns float32
`logits` `[1, H, W, C]`, both NHWC, every shape static.

The IR is converted from the ONNX that `tfseg.export.onnx.export_onnx` writes (the frozen,
BN-folded graph through tf2onnx), read by OpenVINO's ONNX frontend. The other route, OpenVINO's
TensorFlow frontend on the same frozen graph, gives the same numbers but a compiled CPU graph
with more nodes for SkipNet-MobileNet, which ran slower (see `export_openvino`). Both are read
with `openvino.Core.read_model`, not `openvino.convert_model`: the latter also reports usage to
Intel unless the user opted out (`openvino_telemetry`), which an export should not do.

Weights stay float32 (`save_model(compress_to_fp16=False)`); OpenVINO's own default would halve
them to float16.
"""

import collections
import dataclasses
import os
import tempfile
import time

import numpy as np

from tfseg.errors import ConfigError
from tfseg.export.onnx import FILE_NAME as ONNX_FILE
from tfseg.export.onnx import INPUT_NAME, OUTPUT_NAME, export_onnx, onnx_tools
from tfseg.export.request import ExportResult
from tfseg.optional_import import import_optional
from tfseg.runtimes.openvino import error_reason

FILE_NAME = "model.xml"
WEIGHTS_NAME = "model.bin"
OPENVINO_EXTRA = (
    "the OpenVINO export needs the openvino and onnx extras: pip install -e '.[onnx,openvino]'"
)


def export_openvino(request):
    """Writes `model.xml` + `model.bin`: the ONNX export of the request's model, as OpenVINO IR.

    `export_onnx` converts the folded model into a temporary folder (inside `out_dir`, removed
    afterwards); OpenVINO's ONNX frontend reads it, the IR's contract is checked (one float32
    input `image` `[1, H, W, 3]`, one float32 output `logits` `[1, H, W, C]`), and the IR is
    saved under temporary names that are renamed at the end, the weights before the graph. The
    IR then runs once on OpenVINO's CPU plugin at float32 against the folded Keras model on one
    random image (`details["check"]`), a smoke test that needs no data set; `tfseg export`
    measures the parity on validation images afterwards.

    The ONNX route was picked by measurement: on 2 threads, batch 1, its IR was as fast as the
    one OpenVINO's TensorFlow frontend makes from the frozen graph for SkipNet-ShuffleNet and
    faster for SkipNet-MobileNet (fewer nodes after the CPU plugin's fusions).

    Args:
        request: an `ExportRequest`; options: `opset` (default 13, passed to `export_onnx`).

    Returns:
        An `ExportResult` with `files=["model.xml", "model.bin"]`, the input/output contract,
        `resize=False` and details: `converter`, `openvino_version`, `opset`,
        `conversion_seconds`, `ops` (IR op types and counts), `weights`, `layout`, `check`
        (`{"max_rel_diff", "argmax_agreement"}`) and `onnx` (the ONNX export's details).

    Raises:
        ConfigError: openvino, tf2onnx or onnx missing (naming the extras), or a model whose
            ONNX or IR form breaks the contract.

    Example:
        >>> request = ExportRequest(model, (360, 640), "export/openvino")
        >>> export_openvino(request).files
        ['model.xml', 'model.bin']
    """
    ov = import_optional("openvino", OPENVINO_EXTRA)
    try:
        onnx_tools()
    except ConfigError as error:
        raise ConfigError(f"{OPENVINO_EXTRA} ({error})") from None
    height, width = request.input_size

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".openvino-", dir=request.out_dir) as folder:
        onnx_request = dataclasses.replace(request, out_dir=folder)
        onnx_request.folded = request.folded  # fold once (a cached_property of the request)
        onnx_result = export_onnx(onnx_request)
        try:
            model = ov.Core().read_model(os.path.join(folder, ONNX_FILE))
        except RuntimeError as error:
            name = request.folded.name
            raise ConfigError(
                f"OpenVINO cannot read the ONNX form of {name}: {error_reason(error)}"
            ) from None
        contract = _contract(model, (1, height, width, 3))
        ov.save_model(model, os.path.join(folder, FILE_NAME), compress_to_fp16=False)
        seconds = time.perf_counter() - start
        # The graph last: a reader that finds model.xml finds its weights.
        for name in (WEIGHTS_NAME, FILE_NAME):
            os.replace(os.path.join(folder, name), os.path.join(request.out_dir, name))
    return ExportResult(
        files=[FILE_NAME, WEIGHTS_NAME],
        input=contract["input"],
        outputs=[contract["output"]],
        resize=False,
        details={
            "converter": (
                f"OpenVINO {ov.get_version().split('-')[0]} ONNX frontend, from the ONNX of the "
                "frozen BN-folded graph"
            ),
            "openvino_version": ov.get_version(),
            "opset": onnx_result.details["opset"],
            "conversion_seconds": round(seconds, 2),
            "ops": dict(sorted(collections.Counter(_op_types(model)).items())),
            "weights": "float32",
            "layout": "NHWC",
            "check": _check(ov, request, os.path.join(request.out_dir, FILE_NAME)),
            "onnx": {
                key: onnx_result.details[key]
                for key in ("converter", "onnx_version", "nodes", "converter_warnings")
            },
        },
    )


def _op_types(model):
    return [op.get_type_name() for op in model.get_ordered_ops()]


def _contract(model, input_shape):
    """The `{"name", "shape", "dtype"}` of the IR's input and output; checks the contract."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ConfigError(
            f"the OpenVINO model must have one input and one output, has {len(model.inputs)} "
            f"and {len(model.outputs)}"
        )
    described = {}
    for role, port, name in (
        ("input", model.input(0), INPUT_NAME),
        ("output", model.output(0), OUTPUT_NAME),
    ):
        shape = port.get_partial_shape()
        dtype = port.get_element_type().to_dtype().name
        dims = [dim.get_length() for dim in shape] if shape.is_static else None
        if name not in port.get_names() or dtype != "float32" or not dims or len(dims) != 4:
            raise ConfigError(
                f"the OpenVINO {role} is {sorted(port.get_names())} {dtype} {shape}; expected "
                f"{name!r} float32 [1, H, W, C], static"
            )
        described[role] = {"name": name, "shape": dims, "dtype": dtype}
    if tuple(described["input"]["shape"]) != tuple(input_shape):
        raise ConfigError(
            f"the OpenVINO input has shape {described['input']['shape']}, not {list(input_shape)}"
        )
    if described["output"]["shape"][:3] != list(input_shape[:3]):
        raise ConfigError(
            f"the OpenVINO logits have shape {described['output']['shape']}; expected "
            f"[1, {input_shape[1]}, {input_shape[2]}, C] (logits at the input size)"
        )
    return described


def _check(ov, request, path):
    """The saved IR against the folded Keras model on one random image, at float32 on the CPU."""
    height, width = request.input_size
    image = np.random.default_rng(0).uniform(0, 255, (1, height, width, 3)).astype(np.float32)
    expected = np.asarray(request.folded(image, training=False))
    compiled = ov.Core().compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    got = compiled(image)[0]
    scale = max(float(np.abs(expected).max()), 1e-12)
    return {
        "max_rel_diff": float(np.abs(got - expected).max() / scale),
        "argmax_agreement": float(np.mean(got.argmax(-1) == expected.argmax(-1))),
    }
