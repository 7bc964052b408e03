"""GFLOPs, MACs and parameters of a model, counted the way the RTSeg paper counted them."""

import numpy as np

from tfseg.graph.batch_norm_folding import fold_batch_norms
from tfseg.graph.flop_counter import count_flops
from tfseg.graph.frozen_graph import freeze_model

CONVENTION = (
    "TF profiler float operations of the frozen forward graph at batch 1 with BatchNorm folded: "
    "2 per multiply-accumulate, 1 per element of bias adds, residual adds and pooling windows"
)


def count_params(weights):
    return int(sum(np.prod(w.shape) for w in weights))


def profile_model(model):
    """Counts a model's forward float operations as the RTSeg paper did.

    The model's BatchNormalization layers are folded into their convolutions (so a BN costs what
    the original's conv bias cost), the inference graph is frozen at batch 1 and the TF profiler
    counts its float operations.

    Args:
        model: a `keras.Model` with a fully known input size.

    Returns:
        A dict: `gflops`, `flops`, `macs`, `params` (trainable: kernels, biases, BN gamma/beta),
        `params_total` (also BN moving statistics), `flops_by_op` and `convention`.

    Example:
        >>> profile_model(build_model("shufflenet", "skipnet", 20, (360, 640)))["gflops"]
        2.0305...
    """
    counts = count_flops(freeze_model(fold_batch_norms(model)).graph_def)
    return {
        "gflops": counts["flops"] / 1e9,
        "flops": counts["flops"],
        "macs": counts["macs"],
        "params": count_params(model.trainable_weights),
        "params_total": count_params(model.weights),
        "flops_by_op": counts["by_op"],
        "convention": CONVENTION,
    }
