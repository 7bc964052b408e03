"""Graph-level tools: BN folding, freezing and FLOP counting of Keras models."""

from tfseg.graph.batch_norm_folding import fold_batch_norms
from tfseg.graph.flop_counter import count_flops
from tfseg.graph.frozen_graph import (
    FrozenGraph,
    freeze_model,
    function_call_ops,
    run_frozen_graph,
)
from tfseg.graph.model_profile import profile_model
from tfseg.graph.transforms import (
    GRAPH_TRANSFORM_TOOL,
    GRAPPLER,
    GRAPPLER_OPTIMIZERS,
    SEED_TRANSFORMS,
    GraphTransformToolMissing,
    TransformedGraphs,
    apply_transforms,
    graph_transform_tool_available,
    optimize_with_grappler,
    quantize_weights,
    seed_transforms,
    strip_default_attrs,
    transform_graph,
)

__all__ = [
    "FrozenGraph",
    "GRAPH_TRANSFORM_TOOL",
    "GRAPPLER",
    "GRAPPLER_OPTIMIZERS",
    "GraphTransformToolMissing",
    "SEED_TRANSFORMS",
    "TransformedGraphs",
    "apply_transforms",
    "count_flops",
    "fold_batch_norms",
    "freeze_model",
    "function_call_ops",
    "graph_transform_tool_available",
    "optimize_with_grappler",
    "profile_model",
    "quantize_weights",
    "run_frozen_graph",
    "seed_transforms",
    "strip_default_attrs",
    "transform_graph",
]
