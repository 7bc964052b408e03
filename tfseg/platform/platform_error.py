"""Recognize TensorFlow errors that come from the platform, not from the user's model or data."""

import os
import re

from tfseg.errors import PlatformError
from tfseg.platform.onednn import ONEDNN_VARIABLE, onednn_enabled

# Messages of TensorFlow's CPU kernels that exist only with oneDNN, or only on GPUs, in TF 2.17.
_UNSUPPORTED = re.compile(
    r"not supported on (the )?CPU|does not support grouped convolutions|"
    r"No OpKernel was registered|Could not find device for node|Cannot assign a device|"
    # Conv2DBackpropFilter's check when it is handed a grouped filter without oneDNN.
    r"filter_size does not have enough elements",
    re.IGNORECASE,
)
_NODE = re.compile(r"\{\{node ([^}]+)\}\}")
_OP = re.compile(r"Op '(\w+)'")


def platform_error_from(error):
    """A one-line `PlatformError` for a TensorFlow `OpError` the platform caused, else None.

    "The platform" means: TensorFlow has no kernel for an op here (oneDNN off, a dtype the CPU
    kernel lacks, a GPU-only op). Other `OpError`s (shapes, NaN checks, files) are not matched and
    keep their traceback.

    Args:
        error: a `tf.errors.OpError`.

    Returns:
        A `PlatformError` naming the op, the node and what to do, or None.
    """
    import tensorflow as tf

    message = getattr(error, "message", str(error))
    if not (isinstance(error, tf.errors.UnimplementedError) or _UNSUPPORTED.search(message)):
        return None
    node = _NODE.findall(message)
    node = node[-1] if node else "?"
    op = _OP.search(message)
    op = op.group(1) if op else node.rsplit("/", 1)[-1].split("_")[0]
    reason = next((line.strip() for line in message.splitlines() if _UNSUPPORTED.search(line)), "")
    reason = reason or message.strip().splitlines()[-1].strip()
    return PlatformError(
        f"TensorFlow {tf.__version__} cannot run op {op} (node {node}) on this machine: "
        f"{_shorten(reason)}; {_advice()}"
    )


def _advice():
    if not onednn_enabled():
        value = os.environ.get(ONEDNN_VARIABLE)
        why = f"{ONEDNN_VARIABLE}={value}" if value is not None else "this CPU's default"
        return (
            f"oneDNN is off ({why}), and it provides many CPU kernels: "
            f"run again with {ONEDNN_VARIABLE}=1"
        )
    return "try --precision=float32, or a GPU; if it persists, report this line as a tfseg bug"


def _shorten(text, limit=200):
    text = _NODE.sub("", text).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."
