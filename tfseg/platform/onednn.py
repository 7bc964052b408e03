"""Whether TensorFlow runs its CPU kernels through oneDNN, and the CLI's choice of it.

TensorFlow 2.17 turns oneDNN on by default only on x86 CPUs with AVX-512-class features; on CPUs
with AVX or AVX2 alone it stays off unless `TF_ENABLE_ONEDNN_OPTS=1` is set before TensorFlow is
imported. Without oneDNN several kernels tfseg's models rely on behave differently: the gradients
of grouped convolutions and the fused grouped convolution that Grappler's remapper emits have no
CPU implementation (see `tfseg.layers.GroupConv2D`).
"""

import os

ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"


def onednn_enabled():
    """True when this process's TensorFlow runs CPU kernels through oneDNN.

    TensorFlow reads `TF_ENABLE_ONEDNN_OPTS` once, when it is imported, and decides from it and
    the CPU's features; this asks TensorFlow for the decision it made.
    """
    from tensorflow.python.util import _pywrap_util_port

    return bool(_pywrap_util_port.IsMklEnabled())


def prefer_onednn(environ=os.environ):
    """Turns oneDNN on for a process that has not imported TensorFlow yet, unless the user chose.

    The `tfseg` command line calls this first: on CPUs where TensorFlow leaves oneDNN off, the
    models train and run faster with it on (README, "CPU requirements"). A value the user set,
    `0` included, is kept. Library users are not affected: they import TensorFlow themselves.

    Returns:
        The value `TF_ENABLE_ONEDNN_OPTS` has afterwards.
    """
    return environ.setdefault(ONEDNN_VARIABLE, "1")
