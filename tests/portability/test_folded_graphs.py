"""BN-folded and frozen ShuffleNet graphs run as TensorFlow's consumers run them: under
`tf.function` and in a default-config session, Grappler on, with oneDNN off and on."""

import pytest

from .conftest import run_python_json

pytestmark = pytest.mark.platform

FOLDED = """
import json
import numpy as np
import tensorflow as tf
import tfseg
from tfseg.graph import fold_batch_norms, freeze_model
from tfseg.platform import onednn_enabled

model = tfseg.build_model("shufflenet", "skipnet", num_classes=5, input_shape=(64, 128))
rng = np.random.default_rng(0)
for layer in model.layers:  # BN statistics far from the identity, so folding matters
    if isinstance(layer, tf.keras.layers.BatchNormalization):
        n = layer.moving_mean.shape[0]
        layer.moving_mean.assign(rng.normal(0, 0.5, n).astype("float32"))
        layer.moving_variance.assign(rng.uniform(0.5, 2.0, n).astype("float32"))
images = rng.uniform(0, 255, (2, 64, 128, 3)).astype("float32")
expected = model(images, training=False).numpy()
scale = float(np.abs(expected).max())

folded = fold_batch_norms(model)
function_out = tf.function(lambda x: folded(x, training=False))(images).numpy()

frozen = freeze_model(folded, batch_size=2)
graph = tf.Graph()
with graph.as_default():
    tf.graph_util.import_graph_def(frozen.graph_def, name="")
with tf.compat.v1.Session(graph=graph) as session:  # default config: Grappler's remapper on
    session_out = session.run(frozen.output_name, {frozen.input_name: images})

ops = [n.op for n in frozen.graph_def.node]
print(json.dumps({
    "onednn": onednn_enabled(),
    "function": float(np.abs(function_out - expected).max()) / scale,
    "session": float(np.abs(session_out - expected).max()) / scale,
    "grouped_biases": ops.count("AddV2"),
}))
"""


def test_folded_and_frozen_shufflenet_run_with_grappler_on(onednn_setting):
    result = run_python_json(FOLDED, onednn_setting)
    assert result["onednn"] is (onednn_setting == "1")
    assert result["function"] < 2e-5, result
    assert result["session"] < 2e-5, result
    assert result["grouped_biases"] > 0
