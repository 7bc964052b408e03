"""load_pretrained puts every tensor of a weights file into the right encoder layer."""

import h5py
import keras
import numpy as np
import pytest

import tfseg
from tfseg.encoders import ENCODERS
from tfseg.pretrained import load_pretrained
from tfseg.pretrained.encoder_layers import encoder_layers


def _encoder_model(encoder, shape=(64, 64)):
    image = keras.Input((*shape, 3))
    return keras.Model(image, ENCODERS[encoder].build(image)[32].tensor)


def test_mobilenet_keras_h5_loads_every_tensor_into_its_layer(mobilenet_reference, mobilenet_h5):
    model = tfseg.build_model("mobilenet", "skipnet", num_classes=5, input_shape=(64, 128))
    report = load_pretrained(model, "mobilenet", mobilenet_h5)

    # 27 convolutions + 27 BatchNorms x 4 (gamma, beta, moving mean and variance).
    assert (report.loaded, report.skipped, report.unused) == (135, (), ())
    assert report.format == "keras-h5" and report.encoder == "mobilenet"
    assert str(report).endswith("(keras-h5); skipped none")
    for name, layer in encoder_layers(model, "mobilenet").items():
        expected = mobilenet_reference.get_layer(name).get_weights()
        assert len(layer.get_weights()) == len(expected)
        for got, want in zip(layer.get_weights(), expected):
            np.testing.assert_array_equal(got, want)


def test_loaded_mobilenet_computes_what_keras_applications_computes(
    mobilenet_reference, mobilenet_h5
):
    encoder = _encoder_model("mobilenet")
    load_pretrained(encoder, "mobilenet", mobilenet_h5)
    x = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    ours = encoder(x, training=False)  # normalizes inside: x / 127.5 - 1
    theirs = mobilenet_reference(x / 127.5 - 1, training=False)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_dilation_mobilenet_reports_its_atrous_convolutions_missing(mobilenet_h5):
    model = tfseg.build_model("mobilenet", "dilation", num_classes=5, input_shape=(64, 64))
    report = load_pretrained(model, "mobilenet", mobilenet_h5)

    assert report.loaded == 115
    assert {tensor.split("/")[0] for tensor, _ in report.skipped} == {
        "conv_dil_6", "conv_dil_6_bn", "conv_dil_12", "conv_dil_12_bn"
    }  # fmt: skip
    assert {reason for _, reason in report.skipped} == {"missing in file"}
    assert set(report.unused) == {
        f"conv_{kind}_{block}{bn}"
        for kind in ("dw", "pw")
        for block in (6, 12)
        for bn in ("", "_bn")
    }


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_keras3_files_that_record_layer_names_load(mobilenet_reference, tmp_path, suffix):
    path = tmp_path / f"mobilenet{suffix}"
    if suffix == ".keras":
        mobilenet_reference.save(path)
    else:
        mobilenet_reference.save_weights(path)
    model = _encoder_model("mobilenet")
    report = load_pretrained(model, "mobilenet", path)

    assert (report.format, report.loaded, report.skipped) == ("keras3-weights-h5", 135, ())
    np.testing.assert_array_equal(
        model.get_layer("conv_pw_13_bn").moving_variance,
        mobilenet_reference.get_layer("conv_pw_13_bn").moving_variance,
    )


def test_keras3_file_without_layer_names_is_refused_with_a_hint(
    mobilenet_reference, tmp_path, strip_layer_names
):
    path = tmp_path / "old.weights.h5"
    mobilenet_reference.save_weights(path)
    with h5py.File(path, "a") as f:  # as older Keras 3 versions wrote them: keys by class only
        strip_layer_names(f)
    with pytest.raises(tfseg.errors.DataError, match="key layers by class"):
        load_pretrained(_encoder_model("mobilenet"), "mobilenet", path)


def test_npz_with_tfseg_names_loads_what_it_has(tmp_path):
    model = _encoder_model("shufflenet")
    kernel = np.random.default_rng(0).normal(size=(3, 3, 3, 24)).astype("float32")
    stats = {w: np.full(24, i + 1.0, "float32") for i, w in enumerate(["gamma", "beta"])}
    stats |= {"moving_mean": np.full(24, 0.5, "f4"), "moving_variance": np.full(24, 2.0, "f4")}
    np.savez(
        tmp_path / "stem.npz",
        **{"conv1/kernel": kernel},
        **{f"conv1_bn/{w}": v for w, v in stats.items()},
    )
    report = load_pretrained(model, "shufflenet", tmp_path / "stem.npz")

    assert report.loaded == 5
    assert all(reason == "missing in file" for _, reason in report.skipped)
    np.testing.assert_array_equal(model.get_layer("conv1").kernel, kernel)
    np.testing.assert_array_equal(model.get_layer("conv1_bn").moving_variance, np.full(24, 2.0))


def test_a_batch_norm_is_not_loaded_without_its_convolution(tmp_path):
    model = _encoder_model("shufflenet")
    bn = {f"conv1_bn/{w}": np.ones(24, "float32") for w in ("gamma", "beta")}
    bn |= {f"conv1_bn/{w}": np.ones(24, "f4") for w in ("moving_mean", "moving_variance")}
    np.savez(tmp_path / "w.npz", **{"conv1/kernel": np.zeros((3, 3, 3, 99), "f4")}, **bn, **{
        "stage2_unit2_dw/kernel": np.ones((3, 3, 60, 1), "float32")
    })  # fmt: skip
    report = load_pretrained(model, "shufflenet", tmp_path / "w.npz")

    reasons = dict(report.skipped)
    assert reasons["conv1/kernel"].startswith("shape mismatch: model (3, 3, 3, 24), file")
    assert reasons["conv1_bn/moving_mean"] == "its convolution conv1 is not loaded"
    assert report.loaded == 1  # stage2_unit2_dw
