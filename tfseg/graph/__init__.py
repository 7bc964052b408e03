"""Graph-level tools: BN folding, freezing and FLOP counting of Keras models."""

from tfseg.graph.count_flops import count_flops
from tfseg.graph.fold_batch_norms import fold_batch_norms
from tfseg.graph.freeze_model import (
    FrozenGraph,
    freeze_model,
    function_call_ops,
    run_frozen_graph,
)
from tfseg.graph.profile_model import profile_model

__all__ = [
    "FrozenGraph",
    "count_flops",
    "fold_batch_norms",
    "freeze_model",
    "function_call_ops",
    "profile_model",
    "run_frozen_graph",
]
