"""The ResNet-18 and ShuffleNet converters: names, layouts, checks, command line."""

import h5py
import keras
import numpy as np
import pytest

import tfseg
from tfseg.encoders import ENCODERS
from tfseg.errors import DataError
from tfseg.pretrained import load_pretrained
from tfseg.pretrained.convert_resnet18 import convert_resnet18
from tfseg.pretrained.convert_resnet18 import main as resnet18_main
from tfseg.pretrained.convert_shufflenet import convert_shufflenet
from tfseg.pretrained.convert_shufflenet import main as shufflenet_main
from tfseg.pretrained.encoder_layers import encoder_layers
from tfseg.pretrained.keras_hub_resnet18 import keras_hub_resnet18
from tfseg.pretrained.weight_files import read_weight_file

IMAGENET_MEAN = np.array([123.675, 116.28, 103.53], "float32")
IMAGENET_STD = np.array([58.395, 57.12, 57.375], "float32")


@pytest.fixture(scope="module")
def keras_hub_model(randomize_batch_norms):
    """keras-hub's ResNet-18 graph with random weights: the stand-in for the real preset."""
    keras.utils.set_random_seed(4)
    model = keras_hub_resnet18()
    randomize_batch_norms(model)
    return model


@pytest.fixture(scope="module")
def resnet18_encoder():
    image = keras.Input((64, 96, 3))
    return keras.Model(image, ENCODERS["resnet18"].build(image)[32].tensor)


def _assert_computes_like(encoder, reference):
    x = np.random.default_rng(0).uniform(0, 255, (2, 64, 96, 3)).astype("float32")
    expected = reference((x - IMAGENET_MEAN) / IMAGENET_STD, training=False)
    np.testing.assert_allclose(encoder(x, training=False), expected, rtol=1e-4, atol=1e-4)


def test_keras_hub_preset_converts_and_computes_the_same(
    keras_hub_model, resnet18_encoder, tmp_path, strip_layer_names
):
    src = tmp_path / "resnet_18_imagenet" / "model.weights.h5"
    src.parent.mkdir()
    keras_hub_model.save_weights(src)
    with h5py.File(src, "a") as f:  # the preset predates Keras recording layer names
        strip_layer_names(f)
    record = convert_resnet18(src.parent, tmp_path / "resnet18.npz")  # the preset folder

    assert record["format"] == "keras-hub-weights-h5" and record["tensors"] == 100
    report = load_pretrained(resnet18_encoder, "resnet18", tmp_path / "resnet18.npz")
    assert (report.loaded, report.skipped) == (100, ())
    _assert_computes_like(resnet18_encoder, keras_hub_model)
    with read_weight_file(tmp_path / "resnet18.npz") as weights:
        assert weights.metadata["source"]["sha256"] == record["sha256"]
        names = {e.name for entries in weights.layers.values() for e in entries}
    expected = {v.path for layer in encoder_layers(resnet18_encoder, "resnet18").values()
                for v in layer.weights}  # fmt: skip
    assert names == expected


def test_timm_safetensors_convert_and_compute_the_same(
    keras_hub_model, resnet18_encoder, tmp_path, torch_name, write_safetensors
):
    # The torch-named tensors keras-hub ported its preset from, rebuilt from the same weights.
    tensors = {
        torch_name(layer.name, v.name): (
            np.transpose(v, (3, 2, 0, 1)) if v.ndim == 4 else np.asarray(v)
        )
        for layer in keras_hub_model.layers
        for v in layer.weights
    }
    tensors["fc.weight"] = np.zeros((1000, 512), "float32")
    tensors["layer1.0.bn1.num_batches_tracked"] = np.array(7, np.int64)
    write_safetensors(tmp_path / "model.safetensors", tensors)
    record = convert_resnet18(tmp_path / "model.safetensors", tmp_path / "r18.npz")

    assert record["format"] == "safetensors" and record["tensors"] == 100
    assert load_pretrained(resnet18_encoder, "resnet18", tmp_path / "r18.npz").loaded == 100
    _assert_computes_like(resnet18_encoder, keras_hub_model)


def test_converting_twice_gives_identical_bytes(keras_hub_model, tmp_path):
    keras_hub_model.save_weights(tmp_path / "kh.weights.h5")
    convert_resnet18(tmp_path / "kh.weights.h5", tmp_path / "a.npz")
    convert_resnet18(tmp_path / "kh.weights.h5", tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_resnet18_converter_refuses_other_files(
    keras_hub_model, mobilenet_h5, tmp_path, write_safetensors
):
    with pytest.raises(DataError, match="no layers/conv2d/vars, so not keras-hub's ResNet-18"):
        convert_resnet18(mobilenet_h5, tmp_path / "x.npz")
    write_safetensors(
        tmp_path / "other.safetensors", {"conv1.weight": np.zeros((8, 3, 3, 3), "f4")}
    )
    with pytest.raises(DataError, match="not an ImageNet ResNet-18 weights file: missing"):
        convert_resnet18(tmp_path / "other.safetensors", tmp_path / "x.npz")
    (tmp_path / "cut.safetensors").write_bytes(b"\xff" * 20)
    with pytest.raises(DataError, match="cut.safetensors: not a safetensors file"):
        convert_resnet18(tmp_path / "cut.safetensors", tmp_path / "x.npz")
    keras_hub_model.save_weights(tmp_path / "renamed.weights.h5")
    with h5py.File(tmp_path / "renamed.weights.h5", "a") as f:
        f["layers/conv2d_1/vars"].attrs["name"] = "stack9_block9_1_conv"
    with pytest.raises(DataError, match="holds layer 'stack9_block9_1_conv' where keras-hub's"):
        convert_resnet18(tmp_path / "renamed.weights.h5", tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


def test_shufflenet_loads_all_but_its_three_stride_2_units(tmp_path, fake_chainer_shufflenet):
    chainer = fake_chainer_shufflenet(tmp_path / "shufflenet_g3_w1.npz")
    record = convert_shufflenet(tmp_path / "shufflenet_g3_w1.npz", tmp_path / "shufflenet.npz")
    assert (record["format"], record["tensors"]) == ("chainer-npz", 245)
    model = tfseg.build_model("shufflenet", "unet", num_classes=5, input_shape=(64, 128))
    with pytest.raises(
        DataError, match="do not fit the shufflenet encoder: stage2_unit1_bottleneck"
    ):
        load_pretrained(model, "shufflenet", tmp_path / "shufflenet.npz", strict=True)

    report = load_pretrained(model, "shufflenet", tmp_path / "shufflenet.npz")
    assert (report.loaded, len(report.skipped)) == (200, 45)
    assert str(report).endswith("... and 33 more (LoadReport.skipped)")
    assert {t.split("_")[0] + "_" + t.split("_")[1] for t, _ in report.skipped} == {
        "stage2_unit1", "stage3_unit1", "stage4_unit1"
    }  # fmt: skip
    assert dict(report.skipped)["stage3_unit1_dw/kernel"] == (
        "shape mismatch: model (3, 3, 60, 1), file (3, 3, 120, 1)"
    )
    np.testing.assert_array_equal(  # grouped 1x1: [out, in/g, 1, 1] -> [1, 1, in/g, out]
        model.get_layer("stage3_unit2_expand").kernel,
        np.transpose(chainer["features/stage2/unit2/expand_conv3/W"], (2, 3, 1, 0)),
    )
    np.testing.assert_array_equal(  # depthwise: [c, 1, 3, 3] -> [3, 3, c, 1]
        model.get_layer("stage4_unit4_dw").kernel,
        np.transpose(chainer["features/stage3/unit4/dw_conv2/W"], (2, 3, 0, 1)),
    )
    np.testing.assert_array_equal(
        model.get_layer("conv1_bn").moving_variance, chainer["features/init_block/bn/avg_var"]
    )
    with read_weight_file(tmp_path / "shufflenet.npz") as weights:
        names = {e.name for entries in weights.layers.values() for e in entries}
    assert names == {
        v.path for layer in encoder_layers(model, "shufflenet").values() for v in layer.weights
    }


def test_shufflenet_converter_refuses_other_files(tmp_path):
    np.savez(tmp_path / "other.npz", **{"features/init_block/conv/W": np.zeros((8, 3, 3, 3))})
    with pytest.raises(DataError, match="not imgclsmob's ShuffleNet v1 g=3 1.0x weights: missing"):
        convert_shufflenet(tmp_path / "other.npz", tmp_path / "x.npz")
    objects = np.array([{"W": 1}], dtype=object)
    np.savez(tmp_path / "objects.npz", **{"features/init_block/conv/W": objects})
    with pytest.raises(DataError, match="holds Python objects"):
        convert_shufflenet(tmp_path / "objects.npz", tmp_path / "x.npz")


def test_command_lines(tmp_path, capsys, fake_chainer_shufflenet):
    fake_chainer_shufflenet(tmp_path / "s.npz")
    assert shufflenet_main([str(tmp_path / "s.npz"), str(tmp_path / "out.npz")]) == 0
    out = capsys.readouterr().out
    assert "245 tensors" in out and "matches no checksum published in pretrained/manifest" in out
    assert resnet18_main([str(tmp_path / "none.safetensors"), str(tmp_path / "r.npz")]) == 2
    assert "convert_resnet18: error: ResNet-18 source" in capsys.readouterr().err
