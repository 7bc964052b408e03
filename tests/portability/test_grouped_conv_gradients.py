"""Grouped convolutions train on every CPU: the gradients of `GroupConv2D` are the same with
oneDNN off (TensorFlow has no grouped CPU gradient kernels then) and on (it has)."""

import numpy as np
import pytest
import tensorflow as tf

from tfseg.layers import GroupConv2D, portable_grouped_conv2d

from .conftest import SETTINGS, run_python

pytestmark = pytest.mark.platform

# (kernel size, stride, padding): ShuffleNet's 1x1 convolutions and the general case.
GEOMETRIES = [(1, 1, "VALID"), (3, 1, "SAME"), (3, 2, "SAME"), (3, 2, "VALID")]


def per_group_reference(x, w, stride, padding, groups):
    """The same convolution as `groups` ordinary ones: TensorFlow differentiates it anywhere."""
    parts = zip(tf.split(x, groups, axis=-1), tf.split(w, groups, axis=-1))
    return tf.concat([tf.nn.conv2d(a, b, stride, padding) for a, b in parts], axis=-1)


@pytest.mark.parametrize("kernel_size, stride, padding", GEOMETRIES)
def test_portable_gradient_equals_the_per_group_gradient(kernel_size, stride, padding):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(2, 9, 11, 12)), tf.float32)
    w = tf.constant(rng.normal(size=(kernel_size, kernel_size, 4, 6)), tf.float32)
    dy_seed = tf.constant(rng.normal(size=(2, 9, 11, 6)), tf.float32)

    def loss(conv):
        y = conv(x, w)
        return tf.reduce_sum(y * dy_seed[:, : y.shape[1], : y.shape[2]])

    grads = {}
    for name, conv in {
        "portable": lambda a, b: portable_grouped_conv2d(a, b, stride, padding),
        "reference": lambda a, b: per_group_reference(a, b, stride, padding, 3),
    }.items():
        for mode, run in {"eager": lambda f: f(), "graph": lambda f: tf.function(f)()}.items():

            def gradient(conv=conv):
                with tf.GradientTape() as tape:
                    tape.watch([x, w])
                    value = loss(conv)
                return [value, *tape.gradient(value, [x, w])]

            grads[name, mode] = [t.numpy() for t in run(gradient)]
    for key, values in grads.items():
        for got, want in zip(values, grads["reference", "eager"]):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4, err_msg=str(key))


def test_half_precision_gradients_work_on_the_cpu():
    """mixed_float16: oneDNN has no float16 grouped gradient kernel on CPUs without AVX512-FP16."""
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(2, 8, 8, 12)), tf.float16)
    w = tf.constant(rng.normal(size=(1, 1, 4, 6)) * 0.3, tf.float16)

    def gradients(conv, x, w):
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            value = tf.reduce_sum(tf.square(tf.cast(conv(x, w), tf.float32)))
        return tape.gradient(value, [x, w])

    got = tf.function(
        lambda: gradients(lambda a, b: portable_grouped_conv2d(a, b, 1, "VALID"), x, w)
    )()
    want = gradients(
        lambda a, b: per_group_reference(a, b, 1, "VALID", 3),
        tf.cast(x, tf.float32),
        tf.cast(w, tf.float32),
    )
    for g, r in zip(got, want):
        assert g.dtype == tf.float16
        np.testing.assert_allclose(g.numpy().astype("float32"), r.numpy(), rtol=2e-2, atol=2e-2)


# Gradients of a ShuffleNet-sized grouped 1x1 convolution with bias, in a tf.function, through
# `GroupConv2D` (the portable gradient) and, with oneDNN on, through TensorFlow's own kernels.
GRADIENTS = """
import json
import numpy as np
import tensorflow as tf
from tfseg.layers import GroupConv2D
from tfseg.platform import onednn_enabled

rng = np.random.default_rng(0)
x = tf.constant(rng.normal(size=(2, 8, 16, 240)), tf.float32)
layer = GroupConv2D(480, 1, groups=3, bias_initializer="glorot_uniform")
layer.build(x.shape)
layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.weights])

def gradients(call):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = call(x)
        value = tf.reduce_sum(tf.square(y))
    return tape.gradient(value, [x, *layer.trainable_variables])

out = {"onednn": onednn_enabled()}
out["portable"] = [g.numpy().tolist() for g in tf.function(lambda: gradients(layer))()]
if onednn_enabled():
    native = lambda v: tf.nn.conv2d(v, layer.kernel, 1, "VALID") + layer.bias
    out["native"] = [g.numpy().tolist() for g in tf.function(lambda: gradients(native))()]
print(json.dumps(out))
"""


def test_grouped_gradients_with_onednn_off_equal_those_with_onednn_on():
    import json

    results = {}
    for setting in SETTINGS:
        run = run_python(GRADIENTS, setting)
        assert run.returncode == 0, f"TF_ENABLE_ONEDNN_OPTS={setting}:\n{run.stderr[-3000:]}"
        results[setting] = json.loads(run.stdout.strip().splitlines()[-1])
    assert results["0"]["onednn"] is False and results["1"]["onednn"] is True
    native = results["1"]["native"]
    for name, grads in [("off", results["0"]["portable"]), ("on", results["1"]["portable"])]:
        for got, want, what in zip(grads, native, ["input", "kernel", "bias"]):
            want = np.asarray(want)
            scale = np.abs(want).max()
            np.testing.assert_allclose(
                got, want, rtol=0, atol=1e-5 * scale, err_msg=f"oneDNN {name}: {what}"
            )


def test_inference_graphs_keep_one_plain_conv_per_grouped_conv():
    """Graphs traced with training=False (freezing, export) hold no gradient plumbing."""
    layer = GroupConv2D(6, 1, groups=3)
    spec = tf.TensorSpec([1, 4, 4, 12])
    inference = tf.function(lambda v: layer(v, training=False)).get_concrete_function(spec)
    ops = [op.type for op in inference.graph.get_operations()]
    assert ops.count("Conv2D") == 1 and "IdentityN" not in ops
    assert "BiasAdd" not in ops and "AddV2" in ops  # the remapper-safe bias, see GroupConv2D
    training = tf.function(lambda v: layer(v, training=True)).get_concrete_function(spec)
    assert "IdentityN" in [op.type for op in training.graph.get_operations()]
