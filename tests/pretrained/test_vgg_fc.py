"""keras.applications' VGG16 classifier (fc1, fc2) becomes tfseg's fc6 / fc7 convolutions.

Real VGG16 has 134M parameters, so these tests use a VGG-shaped model a few pixels wide: the
reshape is the same at any size.
"""

import keras
import numpy as np

from tfseg.pretrained import load_pretrained


def _keras_applications_like():
    """block1_conv1 -> 2x2 pool -> Flatten -> Dense fc1 -> Dense fc2 -> predictions."""
    image = keras.Input((4, 4, 3))
    x = keras.layers.Conv2D(3, 3, padding="same", activation="relu", name="block1_conv1")(image)
    x = keras.layers.MaxPooling2D(2, name="block1_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(5, activation="relu", name="fc1")(x)
    x = keras.layers.Dense(6, activation="relu", name="fc2")(x)
    return keras.Model(image, keras.layers.Dense(2, name="predictions")(x))


def _tfseg_like():
    """The same network fully convolutional, with tfseg's layer names (fc6 spans the pool map)."""
    image = keras.Input((4, 4, 3))
    x = keras.layers.Conv2D(3, 3, padding="same", activation="relu", name="block1_conv1")(image)
    x = keras.layers.MaxPooling2D(2, name="block1_pool")(x)
    x = keras.layers.Conv2D(5, 2, activation="relu", name="fc6")(x)
    x = keras.layers.Conv2D(6, 1, activation="relu", name="fc7")(x)
    return keras.Model(image, x)


def test_fc1_fc2_load_as_fc6_fc7_and_compute_the_same(tmp_path, write_legacy_h5):
    reference = _keras_applications_like()
    # The 2016 VGG16 file names weights Keras-1 style: block1_conv1_W_1:0, fc1_b_1:0, ...
    layers = {
        layer.name: [(v.name, np.asarray(v)) for v in layer.weights]
        for layer in reference.layers
        if layer.weights
    }
    write_legacy_h5(tmp_path / "vgg16.h5", layers, keras1_names=True)
    model = _tfseg_like()
    report = load_pretrained(model, "vgg16", tmp_path / "vgg16.h5")

    assert (report.loaded, report.skipped, report.unused) == (6, (), ("predictions",))
    fc1 = reference.get_layer("fc1").kernel.numpy()
    np.testing.assert_array_equal(model.get_layer("fc6").kernel, fc1.reshape(2, 2, 3, 5))
    np.testing.assert_array_equal(
        model.get_layer("fc7").kernel[0, 0], reference.get_layer("fc2").kernel
    )
    x = np.random.default_rng(0).normal(size=(3, 4, 4, 3)).astype("float32")
    features = keras.Model(reference.input, reference.get_layer("fc2").output)
    np.testing.assert_allclose(model(x)[:, 0, 0], features(x), rtol=1e-5, atol=1e-6)


def test_keras_flattens_rows_then_columns_then_channels():
    """The order the fc6 reshape assumes: Dense after Flatten == a conv with the kernel reshaped."""
    image = keras.Input((2, 3, 4))
    dense = keras.layers.Dense(5)
    flat = keras.Model(image, dense(keras.layers.Flatten()(image)))
    conv = keras.layers.Conv2D(5, (2, 3))
    convolutional = keras.Model(image, conv(image))
    conv.set_weights([dense.kernel.numpy().reshape(2, 3, 4, 5), dense.bias.numpy()])
    x = np.random.default_rng(1).normal(size=(2, 2, 3, 4)).astype("float32")
    np.testing.assert_allclose(convolutional(x)[:, 0, 0], flat(x), rtol=1e-5, atol=1e-6)
