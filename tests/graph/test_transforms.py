"""The seed paper's GraphDef transforms keep tfseg's outputs; quantize_weights is sound."""

import importlib
import sys
import types
from typing import NamedTuple

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.framework import tensor_util

import tfseg
from tfseg.graph import (
    GRAPH_TRANSFORM_TOOL,
    GRAPPLER,
    SEED_TRANSFORMS,
    FrozenGraph,
    GraphTransformToolMissing,
    apply_transforms,
    fold_batch_norms,
    freeze_model,
    function_call_ops,
    graph_transform_tool_available,
    quantize_weights,
    run_frozen_graph,
    seed_transforms,
    strip_default_attrs,
    transform_graph,
)
from tfseg.graph import transforms as transforms_module

H, W = 64, 128
ENCODERS = ("shufflenet", "mobilenet")


class Case(NamedTuple):
    encoder: str
    frozen: object
    images: np.ndarray
    keras_logits: np.ndarray
    frozen_logits: np.ndarray
    result: object  # apply_transforms(frozen)


def zero_a_large_bias(model):
    """Sets the first bias of >= 1024 elements to zeros (quantize_weights' NaN case)."""
    for layer in model.layers:
        bias = getattr(layer, "bias", None)
        if bias is not None and bias.shape[0] >= 1024:
            bias.assign(np.zeros(bias.shape, "float32"))
            return
    raise AssertionError("the model has no bias of >= 1024 elements")


@pytest.fixture(scope="module")
def cases(randomize_batch_norms):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    built = {}
    for encoder in ENCODERS:
        model = tfseg.build_model(encoder, "skipnet", num_classes=5, input_shape=(H, W))
        randomize_batch_norms(model, rng)
        folded = fold_batch_norms(model)
        if encoder == "mobilenet":
            zero_a_large_bias(folded)
        images = rng.uniform(0, 255, (1, H, W, 3)).astype("float32")
        frozen = freeze_model(folded)
        built[encoder] = Case(
            encoder,
            frozen,
            images,
            keras.ops.convert_to_numpy(folded(images, training=False)),
            run_frozen_graph(frozen, images),
            apply_transforms(frozen),
        )
    return built


@pytest.fixture(params=ENCODERS)
def case(request, cases):
    return cases[request.param]


def node_name(tensor_name):
    return tensor_name.lstrip("^").split(":")[0]


def op_counts(graph_def, *ops):
    return sum(node.op in ops for node in graph_def.node)


def is_topologically_sorted(graph_def):
    seen = set()
    for node in graph_def.node:
        if any(node_name(name) not in seen for name in node.input):
            return False
        seen.add(node.name)
    return True


def ranges(graph_def):
    """(min, max) of each Dequantize, from its min and max Const inputs."""
    nodes = {node.name: node for node in graph_def.node}

    def value(name):
        return float(tensor_util.MakeNdarray(nodes[node_name(name)].attr["value"].tensor))

    return [
        (value(node.input[1]), value(node.input[2]))
        for node in graph_def.node
        if node.op == "Dequantize"
    ]


def assert_close_to(logits, reference, relative):
    scale = np.abs(reference).max()
    assert scale > 1e-3, "degenerate reference logits"
    np.testing.assert_allclose(logits, reference, rtol=0, atol=relative * scale)


def test_graph_transform_tool_binding_is_still_in_tensorflow():
    # If this fails, this TensorFlow dropped the private binding: exports fall back to Grappler
    # (recorded as their backend) and lose quantize_weights. See tfseg/graph/transforms.py.
    binding = importlib.import_module(transforms_module._BINDING_MODULE)  # never skipped
    assert hasattr(binding, transforms_module._BINDING_FUNCTION), (
        f"TensorFlow {tf.__version__} no longer has "
        f"{transforms_module._BINDING_MODULE}.{transforms_module._BINDING_FUNCTION}"
    )
    assert graph_transform_tool_available()


def test_steps_are_the_seed_chain_for_the_frozen_input(cases):
    result = cases["shufflenet"].result
    assert result.backend == GRAPH_TRANSFORM_TOOL
    names = [name for name, _ in result.steps]
    assert names == seed_transforms(cases["shufflenet"].frozen)
    assert names[0] == f'strip_unused_nodes(type=float, shape="1,{H},{W},3")'
    assert len(names) == len(SEED_TRANSFORMS) == 7


def test_every_seed_step_keeps_output_names_and_versions(case):
    frozen = case.frozen
    producer = frozen.graph_def.versions.producer
    assert producer == tf.version.GRAPH_DEF_VERSION
    for step, graph in case.result.steps:
        assert graph.input_name == frozen.input_name and graph.output_name == frozen.output_name
        logits = run_frozen_graph(graph, case.images)
        assert_close_to(logits, case.frozen_logits, 1e-6)
        assert_close_to(logits, case.keras_logits, 1e-5)
        assert graph.graph_def.versions.producer == producer, step
        assert function_call_ops(graph.graph_def) == [], step


def test_seed_chain_strips_identities_dedupes_and_sorts(case):
    before = case.frozen.graph_def
    graphs = {name.split("(")[0]: graph.graph_def for name, graph in case.result.steps}
    output = node_name(case.frozen.output_name)
    assert op_counts(before, "Identity") > 50
    for name in list(graphs)[1:]:
        # The output tensor is an Identity; the tool keeps the nodes named in `outputs`.
        identities = {n.name for n in graphs[name].node if n.op in ("Identity", "CheckNumerics")}
        assert identities == {output}, name
    # fold_constants copies the folded biases while the originals stay alive (the output's
    # ^NoOp control input holds every weight); merge_duplicate_nodes merges them back.
    assert op_counts(graphs["merge_duplicate_nodes"], "Const") < op_counts(
        graphs["fold_old_batch_norms"], "Const"
    )
    assert len(graphs["sort_by_execution_order"].node) < 0.7 * len(before.node)
    # Splicing out Identity nodes leaves consumers before their new inputs; the last step sorts.
    assert not is_topologically_sorted(graphs["remove_nodes"])
    assert is_topologically_sorted(graphs["sort_by_execution_order"])


def test_quantize_weights_is_close_small_and_finite(case):
    quantized = quantize_weights(case.result.graph)
    graph_def = quantized.graph_def
    assert op_counts(graph_def, "Dequantize") > 10
    assert graph_def.versions.producer == tf.version.GRAPH_DEF_VERSION
    assert all(high - low > 1e-6 for low, high in ranges(graph_def))
    for grappler in (True, False):  # without Grappler nothing folds the Dequantize nodes away
        logits = run_frozen_graph(quantized, case.images, grappler=grappler)
        assert np.isfinite(logits).all()
        assert_close_to(logits, case.keras_logits, 0.04)
    # Measured 0.289 (0.9 M parameters, more per-node overhead) and 0.256 (3.3 M parameters).
    ratio = {"shufflenet": 0.32, "mobilenet": 0.30}[case.encoder]
    assert graph_def.ByteSize() <= ratio * case.result.graph.graph_def.ByteSize()


def test_quantize_weights_repairs_the_all_zero_bias(cases):
    case = cases["mobilenet"]
    optimized = case.result.graph
    zero_constants = [
        n
        for n in optimized.graph_def.node
        if n.op == "Const"
        and n.attr["dtype"].type == tf.float32.as_datatype_enum
        and (array := tensor_util.MakeNdarray(n.attr["value"].tensor)).size >= 1024
        and not array.any()
    ]
    assert zero_constants, "the fixture should hold an all-zero constant of >= 1024 elements"
    # The raw tool output has the degenerate range, which gives NaN once Grappler does not
    # fold it away; if this starts failing, TensorFlow fixed quantize_weights.
    raw = optimized._replace(
        graph_def=transform_graph(
            optimized.graph_def,
            [optimized.input_name],
            [optimized.output_name],
            ["quantize_weights"],
        )
    )
    widths = [high - low for low, high in ranges(raw.graph_def)]
    assert any(width < 1e-30 for width in widths)
    assert np.isnan(run_frozen_graph(raw, case.images, grappler=False)).any()
    repaired = quantize_weights(optimized)
    expected = [1.0 if width < 1e-30 else width for width in widths]
    widths = [high - low for low, high in ranges(repaired.graph_def)]
    np.testing.assert_allclose(widths, expected, rtol=1e-6)
    assert np.isfinite(run_frozen_graph(repaired, case.images, grappler=False)).all()


def missing_module(monkeypatch):
    monkeypatch.setitem(sys.modules, transforms_module._BINDING_MODULE, None)


def module_without_function(monkeypatch):
    fake = types.ModuleType(transforms_module._BINDING_MODULE)
    monkeypatch.setitem(sys.modules, transforms_module._BINDING_MODULE, fake)


@pytest.mark.parametrize("remove_binding", [missing_module, module_without_function])
def test_missing_binding_raises_its_own_error(cases, monkeypatch, remove_binding):
    remove_binding(monkeypatch)
    frozen = cases["shufflenet"].frozen
    assert not graph_transform_tool_available()
    with pytest.raises(GraphTransformToolMissing, match="no Graph Transform Tool binding"):
        transform_graph(frozen.graph_def, [frozen.input_name], [frozen.output_name], [])
    with pytest.raises(GraphTransformToolMissing, match="8-bit weights need the Graph Transform"):
        quantize_weights(frozen)
    with pytest.raises(GraphTransformToolMissing):
        apply_transforms(frozen, backend=GRAPH_TRANSFORM_TOOL)
    with pytest.raises(GraphTransformToolMissing):  # Grappler stands in for the seed chain only
        apply_transforms(frozen, ["fold_constants"])


def test_grappler_fallback_when_the_binding_is_missing(cases, monkeypatch):
    case = cases["shufflenet"]
    missing_module(monkeypatch)
    result = apply_transforms(case.frozen)
    assert result.backend == GRAPPLER
    assert len(result.steps) == 1 and result.steps[0][0].startswith("grappler(")
    graph_def = result.graph.graph_def
    assert_close_to(run_frozen_graph(result.graph, case.images), case.keras_logits, 1e-5)
    output = node_name(case.frozen.output_name)
    assert {n.name for n in graph_def.node if n.op in ("Identity", "CheckNumerics")} == {output}
    assert len(graph_def.node) < 0.7 * len(case.frozen.graph_def.node)
    assert graph_def.versions.producer == tf.version.GRAPH_DEF_VERSION
    assert is_topologically_sorted(graph_def)
    assert function_call_ops(graph_def) == []


def test_strip_default_attrs_drops_default_explicit_paddings(cases):
    frozen = cases["shufflenet"].frozen
    before = frozen.graph_def
    has_paddings = [n.name for n in before.node if "explicit_paddings" in n.attr]
    assert has_paddings  # every Conv2D and MaxPool carries explicit_paddings=[]
    stripped = strip_default_attrs(before)
    assert not any("explicit_paddings" in n.attr for n in stripped.node)
    assert [n.name for n in before.node if "explicit_paddings" in n.attr] == has_paddings
    assert sum(len(n.attr) for n in stripped.node) < sum(len(n.attr) for n in before.node)
    assert stripped.versions == before.versions
    logits = run_frozen_graph(frozen._replace(graph_def=stripped), cases["shufflenet"].images)
    np.testing.assert_array_equal(logits, cases["shufflenet"].frozen_logits)


def test_repaired_range_keeps_denormal_weights_at_zero():
    # All values in (0, FLT_MIN): the tool's range is [0, FLT_MIN] with non-zero codes, which
    # would dequantize to ~0.09 under the widened range unless the codes are reset.
    with tf.Graph().as_default() as graph:
        image = tf.compat.v1.placeholder(tf.float32, (1, 1024), name="image")
        tf.identity(image + tf.constant(np.full(1024, 1e-39, np.float32)), name="output")
    frozen = FrozenGraph(graph.as_graph_def(), "image:0", "output:0")
    quantized = quantize_weights(frozen)
    assert op_counts(quantized.graph_def, "Dequantize") == 1
    for grappler in (True, False):
        logits = run_frozen_graph(quantized, np.zeros((1, 1024), np.float32), grappler=grappler)
        assert np.abs(logits).max() < 1e-30
