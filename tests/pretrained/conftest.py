"""Small weight files made on the fly, in the layouts of the real sources (nothing downloads)."""

import keras
import pytest

from .weight_files import keras_layers_as_legacy, randomize_batch_norms, write_legacy_h5


@pytest.fixture(scope="session")
def mobilenet_reference():
    """keras.applications' MobileNet (no download: weights=None) with random BN statistics."""
    keras.utils.set_random_seed(3)
    model = keras.applications.MobileNet(weights=None, include_top=False, input_shape=(64, 64, 3))
    randomize_batch_norms(model)
    return model


@pytest.fixture(scope="session")
def mobilenet_h5(mobilenet_reference, tmp_path_factory):
    """The reference MobileNet's weights in keras.applications' legacy HDF5 layout."""
    path = tmp_path_factory.mktemp("mobilenet") / "mobilenet_1_0_224_tf_no_top.h5"
    write_legacy_h5(path, keras_layers_as_legacy(mobilenet_reference))
    return path
