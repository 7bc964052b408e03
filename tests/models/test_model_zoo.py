"""One shared, parametrized contract test for every encoder x decoder pair (smp style).

The `case` fixture builds each model once (module scope, so pytest runs all checks of a model
together) and frees it afterwards; `xdist_group` keeps the checks of one model on one worker.
"""

import gc
import math
import os
import subprocess
import sys
from typing import NamedTuple

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfseg
from tfseg.encoders import check_endpoints
from tfseg.export import ExportRequest
from tfseg.export.saved_model import export_saved_model
from tfseg.graph import fold_batch_norms, freeze_model, function_call_ops, run_frozen_graph
from tfseg.inference import Segmenter

NUM_CLASSES = 5
SIZES = [(64, 128), (72, 136)]  # divisible by 32, and odd sizes at every stride

# (encoder, decoder, decoder options, sizes): every pair at both sizes, plus the FCN-16s/32s
# variants of SkipNet. VGG16 (134M parameters, 20 s to freeze) gets each pair at one size.
PAIRS = [(e, d, (), SIZES) for e in tfseg.ENCODERS for d in tfseg.DECODERS if e != "vgg16"] + [
    ("vgg16", "skipnet", (), SIZES[1:]),
    ("vgg16", "unet", (), SIZES[:1]),
    ("vgg16", "dilation", (), SIZES[1:]),
    ("vgg16", "skipnet", (("variant", "16s"),), SIZES[:1]),
    ("vgg16", "skipnet", (("variant", "32s"),), SIZES[1:]),
    ("mobilenet", "skipnet", (("variant", "32s"),), SIZES[1:]),
]


class Case(NamedTuple):
    encoder: str
    decoder: str
    options: tuple
    size: tuple


def _case_id(case):
    suffix = "".join(f"-{v}" for _, v in case.options)
    return f"{case.decoder}{suffix}-{case.encoder}-{case.size[0]}x{case.size[1]}"


def _group(case):
    # All VGG16 cases on one worker: two at once would need ~20 GB.
    return "vgg16" if case.encoder == "vgg16" else _case_id(case)


CASES = [Case(e, d, o, size) for e, d, o, sizes in PAIRS for size in sizes]


def _marks(case):
    marks = [pytest.mark.xdist_group(_group(case))]
    if case.encoder == "shufflenet":  # grouped convolutions: oneDNN on and off differ
        marks.append(pytest.mark.platform)
    return marks


@pytest.fixture(
    scope="module",
    params=[pytest.param(c, marks=_marks(c)) for c in CASES],
    ids=[_case_id(c) for c in CASES],
)
def case(request):
    """(Case, model); the model is freed when pytest moves on to the next case."""
    spec = request.param
    keras.utils.set_random_seed(1)
    model = tfseg.build_model(
        spec.encoder, spec.decoder, NUM_CLASSES, spec.size, **dict(spec.options)
    )
    yield spec, model
    del model
    keras.backend.clear_session()
    gc.collect()


def fixed_batch(size, batch=2, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 255, (batch, *size, 3)).astype("float32")
    # A label map with structure (left/right halves + a band), not noise.
    labels = np.zeros((batch, *size), "int32")
    labels[:, :, size[1] // 2 :] = 1
    labels[:, size[0] // 3 : size[0] // 2] = 2
    labels[1:] = (labels[1:] + 3) % NUM_CLASSES
    return images, labels


def randomize_batch_norm_statistics(model, seed=0):
    """Non-trivial BN moving statistics, so inference-mode BN actually transforms."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.moving_mean.shape[0]
            layer.moving_mean.assign(rng.normal(0, 0.1, c).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, c).astype("float32"))
            layer.gamma.assign(rng.uniform(0.5, 1.5, c).astype("float32"))
            layer.beta.assign(rng.normal(0, 0.1, c).astype("float32"))


def test_output_is_float32_logits_at_input_size(case):
    (encoder, decoder, _, size), model = case
    images, _ = fixed_batch(size)
    logits = model(images, training=False)
    assert model.name == f"{decoder}_{encoder}"
    assert tuple(logits.shape) == (2, *size, NUM_CLASSES)
    assert logits.dtype == tf.float32
    assert np.isfinite(logits.numpy()).all()
    # uint8 images (what a camera gives) are accepted and mean the same thing.
    same = model(images.round().astype("uint8"), training=False)
    reference = model(images.round(), training=False)
    np.testing.assert_allclose(same.numpy(), reference.numpy(), rtol=1e-5, atol=1e-5)


def _reset_dropout(model, states):
    """Re-seeds every dropout layer, so two forward passes draw the same masks."""
    for layer, state in zip(_dropouts(model), states):
        layer.seed_generator.state.assign(state)


def _dropouts(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]


def test_one_training_step_lowers_the_loss(case):
    (_, _, _, size), model = case
    images, labels = fixed_batch(size)
    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    states = [np.array(layer.seed_generator.state.numpy()) for layer in _dropouts(model)]

    def loss():
        _reset_dropout(model, states)
        logits = model(images, training=True)
        return cross_entropy(labels, logits) + tf.add_n(model.losses)

    # Small enough that one Adam step cannot overshoot on VGG16, which has no BatchNorm.
    optimizer = keras.optimizers.Adam(1e-5)
    with tf.GradientTape() as tape:
        before = loss()
    gradients = tape.gradient(before, model.trainable_variables)
    missing = [v.path for v, g in zip(model.trainable_variables, gradients) if g is None]
    assert not missing, f"weights that get no gradient: {missing[:5]}"
    assert all(np.isfinite(g.numpy()).all() for g in gradients)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    after = loss()
    assert float(after) < float(before)
    # The weight decay is wd * sum(W**2) / 2 on every kernel, nothing else.
    kernels = [w for w in model.trainable_weights if w.path.endswith("kernel")]
    expected = 5e-4 / 2 * sum(float(tf.reduce_sum(tf.square(w))) for w in kernels)
    assert float(tf.add_n(model.losses)) == pytest.approx(expected, rel=1e-4)


def test_keras_file_round_trip_gives_identical_outputs(case, tmp_path):
    (_, _, _, size), model = case
    images, _ = fixed_batch(size)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        restored(images, training=False).numpy(), model(images, training=False).numpy()
    )


def test_frozen_folded_graph_has_no_calls_and_same_outputs(case):
    (_, _, _, size), model = case
    randomize_batch_norm_statistics(model)
    images, _ = fixed_batch(size, batch=1)
    expected = model(images, training=False).numpy()

    folded = fold_batch_norms(model)
    assert not any(isinstance(x, keras.layers.BatchNormalization) for x in folded.layers)
    frozen = freeze_model(folded)
    assert function_call_ops(frozen.graph_def) == []
    assert "FusedBatchNormV3" not in {n.op for n in frozen.graph_def.node}

    del folded
    # Grappler on, as consumers run a graph; VGG16's 134M-parameter graph runs as frozen, since
    # Grappler's copies of its constants would double the test's memory (to ~11 GB) and time.
    got = run_frozen_graph(frozen, images, grappler=case[0].encoder != "vgg16")
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-5 * scale)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("output_stride", [32, 16, 8])
@pytest.mark.parametrize("encoder", list(tfseg.ENCODERS))
def test_endpoints_are_keyed_by_stride_with_channel_metadata(encoder, output_stride, size):
    image = keras.Input((*size, 3))
    spec = tfseg.ENCODERS[encoder]
    endpoints = check_endpoints(
        spec.build(image, output_stride=output_stride), image, output_stride, encoder
    )
    assert sorted(endpoints) == [s for s in (1, 2, 4, 8, 16, 32) if s <= output_stride]
    assert endpoints[1].tensor is image
    expected = spec.channels  # the channels each encoder's spec documents
    for stride, endpoint in endpoints.items():
        assert endpoint.stride == stride
        assert endpoint.channels == endpoint.tensor.shape[-1]
        assert tuple(endpoint.tensor.shape[1:3]) == tuple(math.ceil(s / stride) for s in size)
        if 1 < stride < output_stride:
            assert endpoint.channels == expected[stride]
    # The deepest endpoint carries the deepest features, whatever the output stride.
    assert endpoints[output_stride].channels == expected[32]


@pytest.mark.parametrize("encoder, decoder", [("shufflenet", "unet"), ("vgg16", "skipnet")])
def test_models_accept_sizes_known_only_at_run_time(encoder, decoder):
    model = tfseg.build_model(encoder, decoder, NUM_CLASSES, (None, None))
    for size in [(64, 128), (72, 136), (100, 60)]:
        assert model(np.zeros((1, *size, 3), "float32")).shape == (1, *size, NUM_CLASSES)


# Loads the SavedModel in a process that never imports tfseg (no custom objects), as TF Serving
# or a user's program would, and segments uint8 images of two sizes.
PLAIN_TENSORFLOW = """
import sys
import numpy as np
import tensorflow as tf
assert "tfseg" not in sys.modules
serving = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
for i, name in enumerate(("images_a", "images_b")):
    images = np.load(sys.argv[2] + "/" + name + ".npy")
    ids = serving(images=tf.constant(images))["class_ids"].numpy()
    np.save(sys.argv[2] + "/" + name + "_ids.npy", ids)
"""


# One case per encoder x decoder pair: each takes ~15 s (save, a fresh TensorFlow, load).
ROUND_TRIP_CASES = set(
    {(c.encoder, c.decoder): c for c in reversed(CASES) if not c.options}.values()
)


def test_saved_model_serves_uint8_images_of_any_size_in_plain_tensorflow(case, tmp_path):
    (_, _, _, size), model = case
    if case[0] not in ROUND_TRIP_CASES:
        pytest.skip("the SavedModel round trip runs once per encoder x decoder pair")
    randomize_batch_norm_statistics(model)
    request = ExportRequest(model=model, input_size=size, out_dir=str(tmp_path / "saved_model"))
    export_saved_model(request)
    del request
    rng = np.random.default_rng(1)
    images = {
        "images_a": rng.integers(0, 256, (2, 50, 70, 3), dtype=np.uint8),
        "images_b": rng.integers(0, 256, (1, size[0] + 7, size[1] - 5, 3), dtype=np.uint8),
    }
    for name, array in images.items():
        np.save(tmp_path / f"{name}.npy", array)
    result = subprocess.run(
        [sys.executable, "-c", PLAIN_TENSORFLOW, str(tmp_path / "saved_model"), str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    segmenter = Segmenter(model)
    for name, array in images.items():
        got = np.load(tmp_path / f"{name}_ids.npy")
        want = segmenter(array).numpy()
        assert got.shape == array.shape[:3] and got.dtype == np.uint8
        assert np.mean(got == want) > 0.999
