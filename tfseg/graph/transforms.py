"""The seed paper's GraphDef transforms, run by TensorFlow's own Graph Transform Tool.

TensorFlow 2.17 no longer ships the Python package `tensorflow.tools.graph_transforms`, but its
wheel still holds the C++ tool behind the private binding
`tensorflow.python.util._pywrap_transform_graph`. `transform_graph` is the only function that
calls it, and it repairs what the binding loses on the way (the GraphDef's `versions`).
Should a TensorFlow ship without the binding, `apply_transforms` falls back to Grappler's
equivalent optimizers, which have no weight quantization.
"""

import importlib
from typing import NamedTuple

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import config_pb2, meta_graph_pb2, rewriter_config_pb2
from tensorflow.python.framework import meta_graph, tensor_util
from tensorflow.python.grappler import tf_optimizer

from tfseg.errors import PlatformError

# The seed paper's chain, spelled as the tool parses it. `{dtype}` and `{shape}` are the frozen
# input's (see `seed_transforms`); `quantize_weights` is not part of it because it writes the
# separate 8-bit file.
SEED_TRANSFORMS = (
    'strip_unused_nodes(type={dtype}, shape="{shape}")',
    "remove_nodes(op=Identity, op=CheckNumerics)",
    "fold_constants(ignore_errors=true)",
    "fold_batch_norms",
    "fold_old_batch_norms",
    "merge_duplicate_nodes",
    "sort_by_execution_order",
)

# Grappler's counterparts of SEED_TRANSFORMS: pruning strips unused nodes; dependency, pruning
# and debug_stripper remove Identity and CheckNumerics; constfold folds constants and constant
# scales into Conv2D; common_subgraph_elimination merges duplicates. Its output is already in
# execution order.
GRAPPLER_OPTIMIZERS = (
    "constfold",
    "arithmetic",
    "dependency",
    "pruning",
    "debug_stripper",
    "common_subgraph_elimination",
)

GRAPH_TRANSFORM_TOOL = "graph_transform_tool"
GRAPPLER = "grappler"
BACKENDS = ("auto", GRAPH_TRANSFORM_TOOL, GRAPPLER)

_BINDING_MODULE = "tensorflow.python.util._pywrap_transform_graph"
_BINDING_FUNCTION = "TransformGraphWithStringInputs"

# quantize_weights gives an all-zero constant the range [0, FLT_MIN]; anything narrower than this
# is that degenerate range (a real 8-bit range over float32 weights is far wider).
_DEGENERATE_RANGE = 1e-30


class GraphTransformToolMissing(PlatformError):
    """This TensorFlow has no Graph Transform Tool binding (8-bit weights need it)."""


class TransformedGraphs(NamedTuple):
    """The graph after each transform step, and which backend ran them.

    `steps` is a list of `(step_name, FrozenGraph)` in the order they ran; `backend` is
    `GRAPH_TRANSFORM_TOOL` or `GRAPPLER`.
    """

    backend: str
    steps: list

    @property
    def graph(self):
        """The `FrozenGraph` after the last step."""
        return self.steps[-1][1]


def graph_transform_tool_available():
    """Whether this TensorFlow ships the Graph Transform Tool binding.

    Returns:
        `True` if `transform_graph` (and so `quantize_weights`) can run.

    Example:
        >>> graph_transform_tool_available()
        True
    """
    try:
        _binding()
    except GraphTransformToolMissing:
        return False
    return True


def _binding():
    # import_module, unlike `from ... import`, honours a module that is missing from
    # sys.modules, so the fallback can be exercised.
    try:
        return getattr(importlib.import_module(_BINDING_MODULE), _BINDING_FUNCTION)
    except (ImportError, AttributeError) as error:
        raise GraphTransformToolMissing(
            f"TensorFlow {tf.__version__} has no Graph Transform Tool binding "
            f"({_BINDING_MODULE}.{_BINDING_FUNCTION}): {error}"
        ) from error


def _node_name(tensor_name):
    return tensor_name.lstrip("^").split(":")[0]


def transform_graph(graph_def, inputs, outputs, transforms):
    """Runs Graph Transform Tool transforms on a GraphDef.

    The tool's binding returns a GraphDef without `versions` (producer 0) and without the
    function library; both are copied back from `graph_def`.

    Args:
        graph_def: a `tf.compat.v1.GraphDef`; it is not modified.
        inputs: names of the input nodes or tensors (`"image"` or `"image:0"`).
        outputs: names of the output nodes or tensors. The tool never removes these nodes.
        transforms: transform strings as the tool spells them, e.g.
            `['remove_nodes(op=Identity)', 'fold_constants(ignore_errors=true)']`.

    Returns:
        The transformed `tf.compat.v1.GraphDef`.

    Raises:
        GraphTransformToolMissing: this TensorFlow has no Graph Transform Tool binding.
        ValueError: the tool rejected a transform or its parameters.

    Example:
        >>> graph_def = transform_graph(frozen.graph_def, ["image"], ["Identity"],
        ...                             ["remove_nodes(op=Identity)"])
    """
    run = _binding()
    output = run(
        graph_def.SerializeToString(),
        ",".join(_node_name(name) for name in inputs).encode(),
        ",".join(_node_name(name) for name in outputs).encode(),
        " ".join(transforms).encode(),
    )
    result = tf.compat.v1.GraphDef()
    result.ParseFromString(output)
    result.versions.CopyFrom(graph_def.versions)
    result.library.CopyFrom(graph_def.library)
    return result


def _input_node(frozen):
    name = _node_name(frozen.input_name)
    for node in frozen.graph_def.node:
        if node.name == name:
            return node
    raise ValueError(f"the graph has no input node {name!r}")


def seed_transforms(frozen, transforms=SEED_TRANSFORMS):
    """`transforms` with `{dtype}` and `{shape}` filled in from the frozen graph's input.

    Args:
        frozen: a `FrozenGraph`.
        transforms: transform strings, possibly holding `{dtype}` and `{shape}`.

    Returns:
        A list of transform strings, e.g. `'strip_unused_nodes(type=float, shape="1,64,128,3")'`.

    Example:
        >>> seed_transforms(freeze_model(model))[0]
        'strip_unused_nodes(type=float, shape="1,64,128,3")'
    """
    placeholder = _input_node(frozen)
    # The tool parses TensorFlow's own dtype names ("float", "uint8"), i.e. DT_* without prefix.
    dtype = types_pb2.DataType.Name(placeholder.attr["dtype"].type)[len("DT_") :].lower()
    shape = ",".join(str(dim.size) for dim in placeholder.attr["shape"].shape.dim)
    return [transform.format(dtype=dtype, shape=shape) for transform in transforms]


def _check_endpoints(graph_def, frozen, step):
    names = {node.name for node in graph_def.node}
    for tensor_name in (frozen.input_name, frozen.output_name):
        if _node_name(tensor_name) not in names:
            raise ValueError(f"{step} removed the graph's endpoint {tensor_name!r}")


def apply_transforms(frozen, transforms=SEED_TRANSFORMS, backend="auto"):
    """Applies transforms one at a time, keeping the graph after each (seed Table 10).

    Each step is one call of the Graph Transform Tool, so the size after every transform can
    be recorded; the result is the same as running the whole chain at once. With
    `backend="auto"` and no Graph Transform Tool in this TensorFlow, Grappler's equivalent of
    `SEED_TRANSFORMS` (`GRAPPLER_OPTIMIZERS`) runs as a single step instead.

    Args:
        frozen: a `FrozenGraph`, e.g. from `freeze_model`.
        transforms: Graph Transform Tool transform strings; `{dtype}` and `{shape}` are
            replaced by the input's (see `seed_transforms`).
        backend: `"auto"`, `GRAPH_TRANSFORM_TOOL` or `GRAPPLER`.

    Returns:
        A `TransformedGraphs`: `steps` holds `(step_name, FrozenGraph)` per step, `graph` the
        last one, `backend` the backend that ran.

    Raises:
        GraphTransformToolMissing: the tool is missing and `backend` is
            `GRAPH_TRANSFORM_TOOL`, or `"auto"` with transforms other than `SEED_TRANSFORMS`
            (Grappler has no equivalent of arbitrary transforms).

    Example:
        >>> result = apply_transforms(freeze_model(fold_batch_norms(model)))
        >>> [(name, graph.graph_def.ByteSize()) for name, graph in result.steps]
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        # Without the tool, transforms other than the seed chain fail in transform_graph.
        fallback = tuple(transforms) == SEED_TRANSFORMS and not graph_transform_tool_available()
        backend = GRAPPLER if fallback else GRAPH_TRANSFORM_TOOL
    if backend == GRAPPLER:
        step = f"grappler({','.join(GRAPPLER_OPTIMIZERS)})"
        return TransformedGraphs(GRAPPLER, [(step, optimize_with_grappler(frozen))])

    inputs, outputs = [frozen.input_name], [frozen.output_name]
    steps, current = [], frozen
    for transform in seed_transforms(frozen, transforms):
        graph_def = transform_graph(current.graph_def, inputs, outputs, [transform])
        _check_endpoints(graph_def, frozen, transform)
        current = current._replace(graph_def=graph_def)
        steps.append((transform, current))
    return TransformedGraphs(GRAPH_TRANSFORM_TOOL, steps)


def optimize_with_grappler(frozen, optimizers=GRAPPLER_OPTIMIZERS):
    """Grappler's counterpart of the seed transforms, for a TensorFlow without the tool.

    It folds constants, strips Identity/CheckNumerics and unused nodes and merges duplicates
    like `SEED_TRANSFORMS`, but has no weight quantization.

    Args:
        frozen: a `FrozenGraph`.
        optimizers: names of Grappler optimizers (`RewriterConfig.optimizers`).

    Returns:
        The optimized `FrozenGraph`, same input and output names.

    Example:
        >>> optimized = optimize_with_grappler(freeze_model(model))
    """
    meta_graph_def = meta_graph_pb2.MetaGraphDef()
    meta_graph_def.graph_def.CopyFrom(frozen.graph_def)
    # Grappler keeps only what the fetch nodes need and never removes a fetch node; it reads
    # them from the `train_op` collection.
    meta_graph_def.collection_def["train_op"].node_list.value.append(_node_name(frozen.output_name))
    config = config_pb2.ConfigProto()
    rewrite_options = config.graph_options.rewrite_options
    rewrite_options.optimizers.extend(optimizers)
    # One iteration leaves nodes that the first round's folding has just made foldable.
    rewrite_options.meta_optimizer_iterations = rewriter_config_pb2.RewriterConfig.TWO
    rewrite_options.min_graph_nodes = -1  # optimize small graphs too
    graph_def = tf_optimizer.OptimizeGraph(config, meta_graph_def)
    _check_endpoints(graph_def, frozen, "grappler")
    return frozen._replace(graph_def=graph_def)


def quantize_weights(frozen):
    """Stores every float constant of >= 1024 elements as 8 bits (the tool's `quantize_weights`).

    Each such constant becomes a quint8 constant and a `Dequantize` (`MIN_FIRST`) with its
    float range, so the file shrinks to about a quarter; the graph computes in float as before.
    The tool starts its running maximum at the smallest positive float instead of the most
    negative one, so an all-zero constant (e.g. a 1024-channel bias after BN folding of an
    untrained model) gets the range [0, 1.2e-38] and dequantizes to NaN once denormals are
    flushed to zero. Such ranges are widened to [min, min + 1] and their codes set to 0, which
    dequantizes to exactly 0.

    Args:
        frozen: a `FrozenGraph`, usually after `apply_transforms`.

    Returns:
        The quantized `FrozenGraph`, same input and output names.

    Raises:
        GraphTransformToolMissing: this TensorFlow has no Graph Transform Tool; Grappler
            cannot quantize weights.

    Example:
        >>> quantized = quantize_weights(apply_transforms(frozen).graph)
    """
    try:
        graph_def = transform_graph(
            frozen.graph_def, [frozen.input_name], [frozen.output_name], ["quantize_weights"]
        )
    except GraphTransformToolMissing as error:
        raise GraphTransformToolMissing(
            "8-bit weights need the Graph Transform Tool, which this TensorFlow lacks; the "
            f"Grappler fallback has no weight quantization ({error})"
        ) from error
    _repair_degenerate_ranges(graph_def)
    return frozen._replace(graph_def=graph_def)


def _repair_degenerate_ranges(graph_def):
    nodes = {node.name: node for node in graph_def.node}
    for node in graph_def.node:
        if node.op != "Dequantize":
            continue
        codes, low, high = (nodes[_node_name(name)] for name in node.input[:3])
        low_value = float(tensor_util.MakeNdarray(low.attr["value"].tensor))
        high_value = float(tensor_util.MakeNdarray(high.attr["value"].tensor))
        if high_value - low_value >= _DEGENERATE_RANGE:
            continue
        high.attr["value"].tensor.CopyFrom(
            tensor_util.make_tensor_proto(np.float32(low_value + 1.0))
        )
        # The tool's ranges always contain 0, so every value of this constant is (nearly) 0.
        # Code 0 dequantizes to 0 under the widened range too, whereas a code > 0 (from a
        # denormal weight) would now mean up to 1.
        tensor = codes.attr["value"].tensor
        count = int(np.prod([dim.size for dim in tensor.tensor_shape.dim]))
        tensor.ClearField("int_val")
        tensor.tensor_content = np.zeros(count, tf.as_dtype(tensor.dtype).as_numpy_dtype).tobytes()


def strip_default_attrs(graph_def):
    """A copy of `graph_def` without attrs that hold their op's default value (`--tf1_compatible`).

    TensorFlow 1.15 refuses a NodeDef with an attr its op does not know, such as the
    `explicit_paddings=[]` of DepthwiseConv2dNative and MaxPool, or Dequantize's `narrow_range`,
    `axis` and `dtype`, as TensorFlow 2 freezes them. Attrs added
    since have defaults that reproduce the old behaviour, so dropping every default-valued
    attr (by this TensorFlow's op registry) lets TF 1.15 import the graph.

    Args:
        graph_def: a `tf.compat.v1.GraphDef`; it is not modified.

    Returns:
        The stripped `tf.compat.v1.GraphDef`.

    Example:
        >>> graph_def_for_tf1 = strip_default_attrs(quantize_weights(frozen).graph_def)
    """
    # The registry-aware stripping works on a MetaGraphDef only.
    meta_graph_def = meta_graph_pb2.MetaGraphDef()
    meta_graph_def.graph_def.CopyFrom(graph_def)
    meta_graph.strip_graph_default_valued_attrs(meta_graph_def)
    return meta_graph_def.graph_def
