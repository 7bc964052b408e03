"""Float-operation counts of a frozen graph with the TF profiler, as the RTSeg paper counted."""

import tensorflow as tf

# Ops whose profiler count is 2 x multiply-accumulates.
CONVOLUTION_OPS = ("Conv2D", "DepthwiseConv2dNative", "Conv2DBackpropInput", "MatMul")


def count_flops(graph_def):
    """Runs `tf.compat.v1.profiler` float-operation counting over a frozen GraphDef.

    This is the counter behind the paper's GFLOPs: 2 x MACs for (depthwise, transposed)
    convolutions and one operation per output element for element-wise ops such as bias adds and
    residual additions. Activations, padding, concatenation and reshapes count zero.

    Args:
        graph_def: a frozen `GraphDef` with fully known shapes.

    Returns:
        A dict with `flops` (total), `macs` (half the convolution flops) and `by_op`
        (`{op type: flops}`, sorted by decreasing count).
    """
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    builder = tf.compat.v1.profiler.ProfileOptionBuilder
    options = builder(builder.float_operation()).with_empty_output().build()
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")  # the v1 profiler warns about its own deprecated shape helper
    try:
        profile = tf.compat.v1.profiler.profile(graph, cmd="op", options=options)
    finally:
        logger.setLevel(level)
    # The "op" view is a chain: each op type's node holds its own `float_ops` and, as children,
    # the op types with smaller counts.
    by_op, pending = {}, list(profile.children)
    while pending:
        node = pending.pop()
        if node.float_ops:
            by_op[node.name] = by_op.get(node.name, 0) + int(node.float_ops)
        pending.extend(node.children)
    by_op = dict(sorted(by_op.items(), key=lambda kv: -kv[1]))
    macs = sum(by_op.get(op, 0) for op in CONVOLUTION_OPS) // 2
    return {"flops": int(profile.total_float_ops), "macs": macs, "by_op": by_op}
