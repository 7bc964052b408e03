"""ONNX export: the BN-folded, fixed-size forward graph through tf2onnx, checked for TensorRT 8.2.

The artifact takes float32 RGB pixels 0..255 `image` `[1, H, W, 3]` (normalization is inside) and
returns float32 `logits` `[1, H, W, C]`, both NHWC; every shape in the file is static. Opset 13 is
the default because it is the highest TensorRT 8.2 (JetPack 4.6, Jetson TX1/TX2) parses, and the
input is float32 because TensorRT before 8.5 rejects UINT8 inputs (`tfseg/export/tensorrt_ops.py`).

The conversion starts from the frozen GraphDef of the folded model (`tfseg.graph.freeze_model`,
the graph the `frozen_graph` format ships), not from a SavedModel or a `tf.function`: tf2onnx
makes the same ONNX graph from either (the same nodes and initializers), and this route freezes
the weights with tfseg's lighter converter and names the input and output in one step. Folding
first matters more than the route: it removes the BatchNorm arithmetic from the file.
"""

import contextlib
import logging
import os
import time

from tfseg.errors import ConfigError, check_int
from tfseg.export.request import ExportResult
from tfseg.export.tensorrt_ops import check_tensorrt_8_2

FILE_NAME = "model.onnx"
INPUT_NAME = "image"
OUTPUT_NAME = "logits"
DEFAULT_OPSET = 13
# Below opset 10 (Slice with attributes) the MatchSize crops' outputs lose their static shapes.
MIN_OPSET = 10
ONNX_EXTRA = "the ONNX export needs the onnx extra: pip install -e '.[onnx]'"
# A single-file ONNX model is one protobuf, which cannot exceed 2 GiB.
MAX_PROTO_BYTES = 2**31 - 1
# Converter messages kept in export.json (the first ones; later ones repeat them).
MAX_LOG_MESSAGES = 20


def onnx_tools():
    """Imports `(tf2onnx, onnx)`.

    Raises:
        ConfigError: either is missing (the `onnx` extra is not installed).
    """
    try:
        import onnx
        import tf2onnx
        import tf2onnx.convert  # noqa: F401  (the submodule is not imported by the package)
    except ImportError as error:
        raise ConfigError(f"{ONNX_EXTRA} ({error})") from None
    return tf2onnx, onnx


def export_onnx(request):
    """Writes `model.onnx`: the request's folded model at `[1, H, W, 3]`, converted by tf2onnx.

    After the conversion the model must pass `onnx.checker`, have every tensor shape static
    after ONNX shape inference, and take/return exactly `image` / `logits`; then it is written
    atomically (a temporary name renamed). The TensorRT 8.2 allow-list check
    (`check_tensorrt_8_2`) does not stop the export: its findings go to
    `details["tensorrt_8_2"]`, since the file still serves onnxruntime and newer TensorRT.

    Args:
        request: an `ExportRequest`; options: `opset` (default 13, TensorRT 8.2's highest).

    Returns:
        An `ExportResult` with `files=["model.onnx"]`, the input/output contract, `resize=False`
        and details: `opset`, `converter`, `conversion_seconds`, `nodes`, `op_types`,
        `tensorrt_8_2` (`{"ok", "unsupported_ops", "errors", "warnings", ...}`) and
        `converter_warnings` (tf2onnx's warnings and errors, if any).

    Raises:
        ConfigError: tf2onnx/onnx missing, a bad `opset`, a model tf2onnx cannot convert, or
            one whose ONNX form is not static or not a single float32 input and output.

    Example:
        >>> request = ExportRequest(model, (360, 640), "export/onnx", options={"opset": 13})
        >>> export_onnx(request).details["tensorrt_8_2"]["ok"]
        True
    """
    tf2onnx, onnx = onnx_tools()
    opset = check_int("opset", request.option("opset", DEFAULT_OPSET), minimum=MIN_OPSET)
    height, width = (
        check_int(f"input {dim}", size, minimum=1)
        for dim, size in zip(("height", "width"), request.input_size)
    )

    from tfseg.graph import freeze_model

    start = time.perf_counter()
    folded = request.folded
    frozen = freeze_model(folded, input_shape=(height, width, 3))
    with captured_converter_logs() as messages:
        try:
            proto = convert_graph_def(tf2onnx, frozen, opset, name=folded.name)
        except Exception as error:  # tf2onnx raises bare ValueError/KeyError/... on bad graphs
            raise ConfigError(
                f"tf2onnx could not convert {folded.name} at opset {opset}: "
                f"{type(error).__name__}: {error}{_log_tail(messages)}"
            ) from None
    seconds = time.perf_counter() - start
    _drop_unused_opsets(proto)
    _add_metadata(proto, folded.name, request.class_names)

    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as error:
        first = str(error).strip().splitlines()[0]
        raise ConfigError(
            f"tf2onnx turned {folded.name} into an invalid ONNX model ({first})"
            f"{_log_tail(messages)}"
        ) from None
    try:
        inferred = onnx.shape_inference.infer_shapes(proto, check_type=True, strict_mode=True)
    except onnx.shape_inference.InferenceError as error:
        first = str(error).strip().splitlines()[0]
        raise ConfigError(f"ONNX shape inference fails on {folded.name}: {first}") from None
    dynamic = non_static_tensors(inferred)
    if dynamic:
        raise ConfigError(
            f"the ONNX form of {folded.name} has {len(dynamic)} tensor(s) of unknown shape "
            f"(first: {', '.join(dynamic[:3])}); a fixed-size export must be fully static"
        )
    contract = _contract(inferred, (1, height, width, 3))

    tensorrt = check_tensorrt_8_2(proto)
    op_types = tensorrt.pop("op_types")

    data = _serialize(proto, folded.name)
    from tfseg.io import atomic_write

    atomic_write(os.path.join(request.out_dir, FILE_NAME), data)
    return ExportResult(
        files=[FILE_NAME],
        input=contract["input"],
        outputs=[contract["output"]],
        resize=False,
        details={
            "opset": opset,
            "converter": f"tf2onnx {tf2onnx.__version__} from the frozen BN-folded graph",
            "onnx_version": onnx.__version__,
            "ir_version": proto.ir_version,
            "conversion_seconds": round(seconds, 2),
            "nodes": len(proto.graph.node),
            "op_types": op_types,
            "layout": "NHWC",
            "tensorrt_8_2": tensorrt,
            "converter_warnings": messages[:MAX_LOG_MESSAGES],
        },
    )


def convert_graph_def(tf2onnx, frozen, opset, name="model"):
    """tf2onnx's `from_graph_def` of a `FrozenGraph`, its input and output renamed.

    By default tf2onnx deep-copies the whole graph, weights included, before each of its ~12
    optimizer passes (in every round), so that a failing pass can be skipped; the discarded
    copies are freed only by the cyclic garbage collector. For UNet-ResNet18 that costs 1 GB of
    extra peak memory (3.4 instead of 2.3 GB); VGG16 (537 MB of weights) ran out of 22 GB that
    way, and still needs more than 12 GB without the copies. The conversion therefore runs first
    without them (tf2onnx's `TF2ONNX_CATCH_ERRORS` switch, set only for the call); only if a pass
    then fails does it run again tf2onnx's way, which skips that pass and logs it. Both give the
    same ONNX graph (same nodes, attributes and initializers).

    Args:
        tf2onnx: the imported `tf2onnx` package (with `tf2onnx.convert`).
        frozen: a `tfseg.graph.FrozenGraph`.
        opset: the ONNX opset.
        name: the graph's name.

    Returns:
        The `onnx.ModelProto`, its input named `image` and its output `logits`.

    Example:
        >>> proto = convert_graph_def(tf2onnx, freeze_model(folded), 13, name=folded.name)
    """
    renames = {frozen.input_name: INPUT_NAME, frozen.output_name: OUTPUT_NAME}

    def convert():
        proto, _ = tf2onnx.convert.from_graph_def(
            frozen.graph_def,
            name=name,
            input_names=[frozen.input_name],
            output_names=[frozen.output_name],
            opset=opset,
            tensors_to_rename=renames,
        )
        return proto

    switch = "TF2ONNX_CATCH_ERRORS"
    saved = os.environ.get(switch)
    os.environ[switch] = "FALSE"
    try:
        return convert()
    except Exception:  # a failing optimizer pass (or a graph tf2onnx cannot take at all)
        logging.getLogger("tf2onnx").warning(
            "conversion without tf2onnx's optimizer fallback failed; retrying with it"
        )
    finally:
        if saved is None:
            os.environ.pop(switch, None)
        else:
            os.environ[switch] = saved
    return convert()


def non_static_tensors(model):
    """Names of the tensors of a shape-inferred model whose shape is not fully known.

    Graph inputs, outputs and every node output count; a node output without a `value_info`
    (shape inference could not say) is not static either.

    Args:
        model: an `onnx.ModelProto`, after `onnx.shape_inference.infer_shapes`.

    Returns:
        A list of tensor names (empty: every shape is static).
    """
    graph = model.graph
    known = {}
    for value in (*graph.input, *graph.value_info, *graph.output):
        known[value.name] = value
    initializers = {tensor.name for tensor in graph.initializer}
    names = [value.name for value in (*graph.input, *graph.output)]
    names += [output for node in graph.node for output in node.output if output]
    dynamic = []
    for name in dict.fromkeys(names):
        if name in initializers:
            continue
        value = known.get(name)
        if value is None or not _static(value):
            dynamic.append(name)
    return dynamic


def _static(value):
    tensor_type = value.type.tensor_type
    if not value.type.HasField("tensor_type") or not tensor_type.HasField("shape"):
        return False
    return all(dim.HasField("dim_value") and dim.dim_value > 0 for dim in tensor_type.shape.dim)


def _contract(model, input_shape):
    """The `{"name", "shape", "dtype"}` of the single input and output; checks the contract."""
    import onnx

    graph = model.graph
    inputs = [v for v in graph.input if v.name not in {t.name for t in graph.initializer}]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ConfigError(
            f"the ONNX model must have one input and one output, has {len(inputs)} and "
            f"{len(graph.output)}"
        )
    described = {}
    for role, value, name in (("input", inputs[0], INPUT_NAME), ("output", graph.output[0], None)):
        tensor_type = value.type.tensor_type
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor_type.elem_type).name
        shape = [dim.dim_value for dim in tensor_type.shape.dim]
        expected = OUTPUT_NAME if name is None else name
        if value.name != expected or dtype != "float32" or len(shape) != 4:
            raise ConfigError(
                f"the ONNX {role} is {value.name!r} {dtype} {shape}; expected {expected!r} "
                "float32 [1, H, W, C]"
            )
        described[role] = {"name": value.name, "shape": shape, "dtype": dtype}
    if tuple(described["input"]["shape"]) != tuple(input_shape):
        raise ConfigError(
            f"the ONNX input has shape {described['input']['shape']}, not {list(input_shape)}"
        )
    if described["output"]["shape"][:3] != list(input_shape[:3]):
        raise ConfigError(
            f"the ONNX logits have shape {described['output']['shape']}; expected "
            f"[1, {input_shape[1]}, {input_shape[2]}, C] (logits at the input size)"
        )
    return described


def _drop_unused_opsets(proto):
    """Removes opset imports no node uses (tf2onnx always declares `ai.onnx.ml`)."""
    used = {node.domain for node in proto.graph.node} | {""}
    kept = [opset for opset in proto.opset_import if opset.domain in used]
    del proto.opset_import[:]
    proto.opset_import.extend(kept)


def _add_metadata(proto, name, class_names):
    import json

    import tfseg

    proto.doc_string = (
        f"tfseg {name}: float32 RGB 0..255 image [1, H, W, 3] (NHWC, normalization inside) -> "
        "float32 logits [1, H, W, C] (NHWC)"
    )
    entries = {"tfseg_version": tfseg.__version__, "model": name}
    if class_names:
        entries["class_names"] = json.dumps(list(class_names))
    for key, value in entries.items():
        proto.metadata_props.add(key=key, value=value)


def _serialize(proto, name):
    size = proto.ByteSize()
    if size > MAX_PROTO_BYTES:
        raise ConfigError(
            f"the ONNX form of {name} is {size / 2**30:.1f} GiB, above the 2 GiB a single ONNX "
            "file holds"
        )
    return proto.SerializeToString()


class _Collect(logging.Handler):
    def __init__(self, messages):
        super().__init__(level=logging.WARNING)
        self.messages = messages

    def emit(self, record):
        try:
            message = record.getMessage().strip()
        except Exception:  # a bad format string in a library's log call
            message = str(record.msg)
        entry = f"{record.levelname}: {message.splitlines()[0] if message else ''}"
        if entry not in self.messages:
            self.messages.append(entry)


@contextlib.contextmanager
def captured_converter_logs():
    """Silences tf2onnx's and TensorFlow's Python logging; yields tf2onnx's warnings and errors.

    tf2onnx logs every optimizer pass and TensorFlow its own deprecation notices while the graph
    is converted. For the duration of the block both loggers write only to a list, which the
    block receives: tf2onnx's WARNING and ERROR messages (deduplicated, first line each), for
    `export.json` and error messages. TensorFlow's are dropped.

    Example:
        >>> with captured_converter_logs() as messages:
        ...     tf2onnx.convert.from_graph_def(...)
    """
    messages = []
    collect, drop = _Collect(messages), logging.NullHandler()
    loggers = [(logging.getLogger("tf2onnx"), collect), (logging.getLogger("tensorflow"), drop)]
    try:  # tf2onnx.utils logs under its file name, outside the "tf2onnx" hierarchy
        import tf2onnx.utils

        loggers.append((logging.getLogger(tf2onnx.utils.__file__), collect))
    except ImportError:
        pass
    saved = [(logger, logger.handlers[:], logger.level, logger.propagate) for logger, _ in loggers]
    for logger, handler in loggers:
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.WARNING)
    try:
        yield messages
    finally:
        for logger, handlers, level, propagate in saved:
            logger.handlers = handlers
            logger.setLevel(level)
            logger.propagate = propagate


def _log_tail(messages):
    return f"; tf2onnx said: {' | '.join(messages[-3:])}" if messages else ""
