"""The benchmark's runtimes opened in a worker process: each name of `protocol.RUNTIMES` as a
`tfseg.runtimes.Runtime`, whose `logits` (`--timed=model`) or `segment` (`--timed=end_to_end`)
is what is timed.

The Keras-model runtimes are built here from the saved weights; the artifact runtimes are the
files `tfseg export` wrote, opened by `tfseg.runtimes.load_runtime`, exactly as `tfseg evaluate
--artifact` opens them (`end_to_end` then times their `segment`: resize, forward pass,
upsampling and argmax with TensorFlow ops, and the host copies).
"""

import importlib.util
import os

import tfseg
from tfseg.benchmark.protocol import RUNTIMES

ONNX_EXTRA = "needs the onnx extra (pip install -e '.[onnx]': tf2onnx, onnx, onnxruntime)"


def runtime_problem(name):
    """Why runtime `name` cannot run on this machine (a sentence), or None if it may.

    Only what can be known without importing TensorFlow; what only an export or a load finds
    out (TF-TRT without a GPU, an op a converter refuses) is reported by the worker.

    Example:
        >>> runtime_problem("tftrt")
        'TensorRT is not installed (TF-TRT needs TensorFlow 2.17 with libnvinfer and an NVIDIA GPU)'
    """
    if name not in RUNTIMES:
        return f"unknown runtime {name!r}"
    if name == "onnxruntime":
        missing = [m for m in ("tf2onnx", "onnx", "onnxruntime") if not _installed(m)]
        if missing:
            return f"{', '.join(missing)} not installed: {ONNX_EXTRA}"
    if name == "openvino":
        if not _installed("openvino"):
            return "openvino is not installed (pip install openvino)"
        for module in ("export", "runtimes"):
            if not _tfseg_module(module, "openvino"):
                return f"this tfseg has no tfseg/{module}/openvino.py (OpenVINO support)"
    if name == "tftrt" and not _installed("tensorrt"):
        return (
            "TensorRT is not installed (TF-TRT needs TensorFlow 2.17 with libnvinfer and an "
            "NVIDIA GPU)"
        )
    return None


def open_runtime(name, *, size, build_model, artifact=None, threads=0):
    """Opens runtime `name` at input `size` for timing.

    Args:
        name: a key of `RUNTIMES`.
        size: `(height, width)` of the network input.
        build_model: `size -> keras.Model` with the benchmarked weights (Keras runtimes).
        artifact: the exported artifact's folder (artifact runtimes).
        threads: CPU threads (0: the runtime's default).

    Returns:
        `(runtime, threads_used)`: a `Runtime`, and `{"intra_op", "inter_op"}` or
        `{"runtime_threads"}` as the runtime reports them.
    """
    import tensorflow as tf

    tf_threads = {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads() or "default",
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads() or "default",
    }
    info = RUNTIMES[name]
    if info.export_format is None:
        return _keras_runtime(name, build_model(tuple(size))), tf_threads
    from tfseg.runtimes import load_runtime

    runtime = load_runtime(artifact, threads=threads or None)
    if name == "frozen_graph" and threads:
        # The runtime's session has the default config; give it the thread settings.
        config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1
        )
        runtime.session = tf.compat.v1.Session(graph=runtime.session.graph, config=config)
    own = getattr(runtime, "threads", None)
    return runtime, ({"runtime_threads": own} if own else tf_threads)


def _keras_runtime(name, model):
    import tensorflow as tf

    from tfseg.inference import Segmenter
    from tfseg.runtimes.keras_model import KerasRuntime
    from tfseg.runtimes.runtime import Runtime

    if name == "function":
        return KerasRuntime(model)

    class KerasCall(Runtime):
        """`keras`, `predict` and `xla`: one way of calling the Keras model each."""

        format = name

        def __init__(self):
            height, width = model.input_shape[1:3]
            super().__init__(f"<{name}: {model.name}>", (height, width), model.output_shape[-1])
            if name == "xla":
                self._xla = tf.function(
                    lambda x: tf.cast(model(x, training=False), tf.float32), jit_compile=True
                )
                self._segmenter = Segmenter(
                    self._xla, input_size=self.input_size, num_classes=self.num_classes
                )

        def logits(self, images):
            images = tf.convert_to_tensor(images, tf.float32)
            if name == "keras":
                return model(images, training=False).numpy()
            if name == "predict":
                return model.predict(images, batch_size=len(images), verbose=0)
            return self._xla(images).numpy()

        def segment(self, images):
            if name == "xla":
                return self._segmenter(images).numpy()
            return super().segment(images)  # eager resize, the call, eager upsampling + argmax

    return KerasCall()


def _installed(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _tfseg_module(package, module):
    # A file check: find_spec("tfseg.export.openvino") would import tfseg.export (and Keras).
    return os.path.isfile(os.path.join(os.path.dirname(tfseg.__file__), package, f"{module}.py"))
