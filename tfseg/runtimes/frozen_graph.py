"""`FrozenGraphRuntime`: a frozen GraphDef run in a TF1 session, as TF Serving and TF 1.x do."""

import numpy as np
import tensorflow as tf
from google.protobuf.message import DecodeError

from tfseg.errors import DataError
from tfseg.runtimes.runtime import Runtime


class FrozenGraphRuntime(Runtime):
    """Runs `model.pb` / `model_q8.pb` in a default-config `tf.compat.v1.Session` (Grappler on).

    Args:
        path: the `.pb` file.
        input_name, output_name: the graph's tensors (default `image:0`, `logits:0`); the input
            size and the class count are read from their shapes.
    """

    format = "frozen_graph"

    def __init__(self, path, input_name="image:0", output_name="logits:0"):
        graph_def = tf.compat.v1.GraphDef()
        try:
            with open(path, "rb") as f:
                graph_def.ParseFromString(f.read())
        except (OSError, DecodeError) as error:
            raise DataError(f"{path}: not a readable GraphDef ({error})") from None
        graph = tf.Graph()
        try:
            with graph.as_default():
                tf.graph_util.import_graph_def(graph_def, name="")
            self._input = graph.get_tensor_by_name(input_name)
            self._output = graph.get_tensor_by_name(output_name)
        except (ValueError, KeyError) as error:
            raise DataError(f"{path}: not a tfseg frozen graph ({error})") from None
        shape = self._input.shape
        super().__init__(path, (shape[1], shape[2]), self._output.shape[-1])
        self.session = tf.compat.v1.Session(graph=graph)

    def logits(self, images):
        batch = self._input.shape[0]
        images = np.asarray(images, np.float32)
        if batch is None or batch == len(images):
            return self.session.run(self._output, {self._input: images})
        return np.concatenate(
            [self.session.run(self._output, {self._input: one[None]}) for one in images]
        )
