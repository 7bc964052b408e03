"""Whether an ONNX model stays inside what TensorRT 8.2's ONNX parser (JetPack 4.6) takes.

TX1/TX2 boards stop at TensorRT 8.2.1, and no TensorRT runs on the machines tfseg is tested on, so
`check_tensorrt_8_2` reads the ONNX file instead: the opset, the graph's data types, every op
type against an allow-list, and the per-op restrictions of the parser's support matrix. A model
that passes can still fail on the device (the matrix is not the parser); what is known to be
doubtful comes back as a warning to verify there.
"""

import collections

# The highest opset TensorRT 8.2's parser imports: "TensorRT 8.2 supports operators up to Opset 13".
MAX_OPSET = 13

# Op types of the onnx-tensorrt operator support matrix (its docs/operators.md for TensorRT 8.2 and
# 8.4, "up to Opset 13"; each "Y" for FP32 and FP16) that tfseg models emit through tf2onnx: every
# built-in encoder x decoder pair uses a subset of these (tests/export/test_onnx.py converts them).
TFSEG_OPS = frozenset(
    {
        "Add",
        "AveragePool",
        "Clip",
        "Concat",
        "Conv",
        "ConvTranspose",
        "MaxPool",
        "Mul",
        "Pad",
        "Relu",
        "Reshape",
        "Slice",
        "Transpose",
    }
)
# From the same matrix, op types of nearby graphs: Cast in uint8-input exports, Constant and
# Identity in other converters' output, Resize (its modes checked below) where a model upsamples
# with tf.image.resize.
TENSORRT_8_2_OPS = TFSEG_OPS | {"Cast", "Constant", "Identity", "Resize"}

# The matrix: "TensorRT supports the following ONNX data types: DOUBLE, FLOAT32, FLOAT16, INT8, and
# BOOL", with INT64 (and DOUBLE) cast down to INT32 (FLOAT). UINT8 is missing: the 8.2 parser
# fails with "Unsupported ONNX data type: UINT8 (2)"; TensorRT takes UINT8 inputs from 8.5 on.
SUPPORTED_TYPES = frozenset({"FLOAT", "FLOAT16", "DOUBLE", "INT8", "INT32", "INT64", "BOOL"})

# Inputs (by position) that the parser needs as constants: an initializer or a Constant's output.
# Conv/ConvTranspose: "Weights W must be an initializer" (and ConvTranspose's bias); Slice: "axes
# must be an initializer" (starts, ends and steps too, for a static engine); Pad's pads and value,
# Clip's bounds, Reshape's shape and Resize's roi/scales/sizes make shape or range arguments.
CONSTANT_INPUTS = {
    "Conv": {1: "weights", 2: "bias"},
    "ConvTranspose": {1: "weights", 2: "bias"},
    "Slice": {1: "starts", 2: "ends", 3: "axes", 4: "steps"},
    "Pad": {1: "pads", 2: "constant_value"},
    "Clip": {1: "min", 2: "max"},
    "Reshape": {1: "shape"},
    "Resize": {1: "roi", 2: "scales", 3: "sizes"},
}

# Resize attributes the matrix lists as supported.
RESIZE_MODES = frozenset({"nearest", "linear"})
RESIZE_COORDINATE_MODES = frozenset(
    {"half_pixel", "pytorch_half_pixel", "tf_half_pixel_for_nn", "asymmetric", "align_corners"}
)
RESIZE_NEAREST_MODES = frozenset({"floor", "ceil", "round_prefer_floor", "round_prefer_ceil"})

# The IR version of opset 13's ONNX release; the parser warns about newer files (and goes on).
PARSER_IR_VERSION = 7


def check_tensorrt_8_2(onnx_model):
    """Checks an ONNX model against TensorRT 8.2's ONNX parser, without TensorRT.

    Checked: the default-domain opset is at most 13; graph inputs, outputs and initializers have
    data types TensorRT takes (no UINT8); every op type is on `TENSORRT_8_2_OPS`; Conv and
    ConvTranspose are 2-D/3-D with constant weights, and ConvTranspose has no `output_padding` or
    `output_shape`; the shape-like inputs of Slice, Pad, Clip, Reshape and Resize are constants;
    Resize modes are among the matrix's; MaxPool has no `Indices` output; Cast goes to a supported
    type; 3-D ConvTranspose pads are symmetric. Warnings (the model may work; verify on the
    device): 2-D ConvTranspose with asymmetric pads, Pad in a non-constant mode, graph inputs of
    unknown size, a newer IR version.

    Args:
        onnx_model: an `onnx.ModelProto`.

    Returns:
        `{"ok": bool, "unsupported_ops": [op types, sorted], "errors": [messages],
        "warnings": [messages], "op_types": {op type: count}}`; `ok` is True when there are no
        unsupported ops and no errors (warnings do not count).

    Example:
        >>> report = check_tensorrt_8_2(onnx.load("export/onnx/model.onnx"))
        >>> report["ok"], report["warnings"]
        (True, [])
    """
    import onnx

    graph = onnx_model.graph
    errors, warnings = [], []
    type_name = onnx.TensorProto.DataType.Name

    for opset in onnx_model.opset_import:
        if opset.domain in ("", "ai.onnx") and opset.version > MAX_OPSET:
            errors.append(
                f"opset {opset.version}: TensorRT 8.2 parses opsets up to {MAX_OPSET} "
                f"(export with opset={MAX_OPSET})"
            )
    if onnx_model.ir_version > PARSER_IR_VERSION:
        warnings.append(
            f"IR version {onnx_model.ir_version} is newer than opset 13's ({PARSER_IR_VERSION}): "
            "TensorRT 8.2's parser warns about it; verify on the device"
        )

    initializers = {tensor.name: tensor for tensor in graph.initializer}
    constants = set(initializers)
    for node in graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            constants.update(node.output)

    for kind, values in (("input", graph.input), ("output", graph.output)):
        for value in values:
            if value.name in initializers or not value.type.HasField("tensor_type"):
                continue
            elem_type = value.type.tensor_type.elem_type
            name = type_name(elem_type)
            if name == "UINT8":
                errors.append(
                    f"graph {kind} {value.name!r} is UINT8: TensorRT takes UINT8 only from 8.5 "
                    "on; export a float32 input (pixels 0..255)"
                )
            elif name not in SUPPORTED_TYPES:
                errors.append(f"graph {kind} {value.name!r} is {name}, a type TensorRT lacks")
            if kind == "input":
                dims = value.type.tensor_type.shape.dim
                if not all(dim.HasField("dim_value") and dim.dim_value > 0 for dim in dims):
                    warnings.append(
                        f"graph input {value.name!r} has a dimension of unknown size: the engine "
                        "needs an optimization profile (tfseg exports fixed sizes)"
                    )
    for tensor in graph.initializer:
        name = type_name(tensor.data_type)
        if name not in SUPPORTED_TYPES:
            errors.append(f"initializer {tensor.name!r} is {name}, a type TensorRT lacks")

    op_types = collections.Counter()
    unsupported = set()
    for node in graph.node:
        op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}"
        op_types[op] += 1
        if op not in TENSORRT_8_2_OPS:
            unsupported.add(op)
            continue
        _check_node(node, constants, initializers, errors, warnings)

    return {
        "ok": not unsupported and not errors,
        "unsupported_ops": sorted(unsupported),
        "errors": errors,
        "warnings": warnings,
        "op_types": dict(sorted(op_types.items())),
    }


def _attributes(node):
    import onnx

    return {attr.name: onnx.helper.get_attribute_value(attr) for attr in node.attribute}


def _check_node(node, constants, initializers, errors, warnings):
    """Appends the support-matrix problems of one (allow-listed) node."""
    import onnx

    label = f"{node.op_type} {node.name!r}"
    attributes = _attributes(node)
    for index, role in CONSTANT_INPUTS.get(node.op_type, {}).items():
        if index < len(node.input) and node.input[index] and node.input[index] not in constants:
            errors.append(f"{label}: its {role} input is computed; TensorRT 8.2 needs a constant")

    if node.op_type in ("Conv", "ConvTranspose"):
        weights = initializers.get(node.input[1]) if len(node.input) > 1 else None
        if weights is not None and len(weights.dims) not in (4, 5):
            errors.append(f"{label}: {len(weights.dims) - 2}-D; TensorRT 8.2 takes 2-D or 3-D")
    if node.op_type == "ConvTranspose":
        if any(attributes.get("output_padding", [])):
            errors.append(f"{label}: output_padding is set; export without it")
        if "output_shape" in attributes:
            errors.append(f"{label}: output_shape is set; export explicit pads instead")
        pads = list(attributes.get("pads", []))
        half = len(pads) // 2
        if pads and pads[:half] != pads[half:]:
            # The parser sets such pads as the deconvolution layer's pre- and post-padding; it
            # refuses them only for 3-D deconvolutions before TensorRT 8.4 (NVIDIA/TensorRT
            # issues #1744, #2095). Never run on a device here, hence a warning for 2-D.
            if half == 3:
                errors.append(
                    f"{label}: asymmetric 3-D pads {pads}; TensorRT 8.2 refuses asymmetric "
                    "padding for 3-D deconvolutions"
                )
            else:
                warnings.append(
                    f"{label}: asymmetric pads {pads} (begin {pads[:half]}, end {pads[half:]}); "
                    "TensorRT 8.2 takes them for 2-D deconvolutions as pre/post padding: verify "
                    "on the device"
                )
    elif node.op_type == "MaxPool" and len([o for o in node.output if o]) > 1:
        errors.append(f"{label}: its Indices output is unsupported")
    elif node.op_type == "Pad":
        mode = _text(attributes.get("mode", "constant"))
        if mode != "constant":
            warnings.append(
                f"{label}: mode {mode!r} (tfseg emits 'constant'); verify on the device"
            )
    elif node.op_type == "Cast":
        to = onnx.TensorProto.DataType.Name(attributes.get("to", 0))
        if to not in SUPPORTED_TYPES:
            errors.append(f"{label}: casts to {to}, a type TensorRT lacks")
    elif node.op_type == "Resize":
        checks = (
            ("mode", "nearest", RESIZE_MODES),
            ("coordinate_transformation_mode", "half_pixel", RESIZE_COORDINATE_MODES),
            ("nearest_mode", "round_prefer_floor", RESIZE_NEAREST_MODES),
        )
        for name, default, allowed in checks:
            value = _text(attributes.get(name, default))
            if value not in allowed:
                errors.append(
                    f"{label}: {name}={value!r}; TensorRT 8.2 supports {', '.join(sorted(allowed))}"
                )


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)
