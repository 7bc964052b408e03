"""`SegmentationLoss`: each kind is its loss function, it survives Keras serialization, and bad
arguments are refused."""

import keras
import numpy as np
import pytest

from tfseg.errors import ConfigError
from tfseg.labels import IGNORE_VALUE
from tfseg.losses import (
    LOSSES,
    SegmentationLoss,
    bootstrapped_cross_entropy,
    weighted_cross_entropy,
)

NUM_CLASSES = 4
WEIGHTS = [1.0, 2.5, 0.5, 4.0]


@pytest.fixture
def batch():
    """Labels `[3, 8, 8]` with about 20% ignored pixels, and logits `[3, 8, 8, 4]`."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, NUM_CLASSES, size=(3, 8, 8)).astype(np.int32)
    labels[rng.random(labels.shape) < 0.2] = IGNORE_VALUE
    logits = rng.normal(size=(3, 8, 8, NUM_CLASSES)).astype(np.float32)
    return labels, logits


EXPECTED = {
    "weighted": lambda labels, logits: weighted_cross_entropy(labels, logits, WEIGHTS),
    "unweighted": lambda labels, logits: weighted_cross_entropy(labels, logits),
    "bootstrapped": lambda labels, logits: bootstrapped_cross_entropy(labels, logits, 0.25),
}


@pytest.mark.parametrize("kind", LOSSES)
def test_each_kind_is_its_loss_function_per_image_and_averaged(batch, kind):
    labels, logits = batch
    expected = np.asarray(EXPECTED[kind](labels, logits))
    assert expected.shape == (3,)
    per_image = SegmentationLoss(kind, class_weights=WEIGHTS, reduction=None)(labels, logits)
    np.testing.assert_array_equal(np.asarray(per_image), expected)
    # The default reduction is Keras' mean over the batch, for model.fit.
    mean = SegmentationLoss(kind, class_weights=WEIGHTS)(labels, logits)
    np.testing.assert_allclose(float(mean), expected.mean(), rtol=1e-6)


def test_ignored_pixels_and_the_ignore_value_are_honoured(batch):
    labels, logits = batch
    loss = SegmentationLoss("unweighted", reduction=None)
    changed = logits.copy()
    changed[labels == IGNORE_VALUE] += 100.0  # what the network says there does not count
    np.testing.assert_allclose(np.asarray(loss(labels, changed)), np.asarray(loss(labels, logits)))
    relabelled = np.where(labels == IGNORE_VALUE, 3, labels)
    custom = SegmentationLoss("unweighted", ignore_value=3, reduction=None)
    expected = weighted_cross_entropy(relabelled, logits, ignore_value=3)
    np.testing.assert_array_equal(np.asarray(custom(relabelled, logits)), np.asarray(expected))


@pytest.mark.parametrize("kind", LOSSES)
def test_serialization_round_trip_keeps_settings_and_values(batch, kind):
    labels, logits = batch
    loss = SegmentationLoss(kind, class_weights=WEIGHTS, top_fraction=0.5, reduction=None)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, SegmentationLoss)
    assert restored.get_config() == loss.get_config()
    assert (restored.kind, restored.class_weights, restored.top_fraction) == (kind, WEIGHTS, 0.5)
    assert restored.ignore_value == IGNORE_VALUE and restored.reduction is None
    np.testing.assert_array_equal(
        np.asarray(restored(labels, logits)), np.asarray(loss(labels, logits))
    )


def test_a_compiled_model_saves_and_loads_with_the_loss(tmp_path):
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(NUM_CLASSES, 1)])
    model.compile(optimizer="sgd", loss=SegmentationLoss("weighted", class_weights=WEIGHTS))
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.loss, SegmentationLoss)
    assert loaded.loss.get_config() == model.loss.get_config()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(kind="focal"), r"loss must be one of \['weighted', 'unweighted', 'bootstrapped'\]"),
        (dict(kind="weighted"), "the weighted loss needs class_weights"),
    ],
)
def test_bad_kind_and_missing_weights_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        SegmentationLoss(**kwargs)
    with pytest.raises(ValueError):  # also a ValueError, for API callers
        SegmentationLoss(**kwargs)
