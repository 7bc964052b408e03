"""Wrong, broken and pickle-based files fail with an error naming the file; pickles never load."""

import os
import pickle
import zipfile

import h5py
import keras
import numpy as np
import pytest

from tfseg.encoders import ENCODERS
from tfseg.errors import ConfigError, DataError
from tfseg.pretrained import load_pretrained
from tfseg.pretrained.weight_files import read_weight_file


class _Tripwire:
    """Unpickling this creates a file: proof that something was unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def shufflenet():
    image = keras.Input((64, 64, 3))
    return keras.Model(image, ENCODERS["shufflenet"].build(image)[32].tensor)


def test_unknown_encoder_is_a_config_error(shufflenet, mobilenet_h5):
    with pytest.raises(ConfigError, match="unknown encoder 'resnet50'; valid encoders: vgg16"):
        load_pretrained(shufflenet, "resnet50", mobilenet_h5)


def test_a_model_without_that_encoder_is_a_config_error(shufflenet, mobilenet_h5):
    with pytest.raises(ConfigError, match="has no layer of a vgg16 encoder"):
        load_pretrained(shufflenet, "vgg16", mobilenet_h5)


def test_a_wrong_file_is_refused_even_where_layer_names_coincide(shufflenet, mobilenet_h5):
    # MobileNet's conv1 / conv1_bn share ShuffleNet's names, with 32 channels instead of 24.
    before = shufflenet.get_layer("conv1").kernel.numpy()
    with pytest.raises(DataError, match=r"mobilenet_1_0_224_tf_no_top\.h5: no tensor fits"):
        load_pretrained(shufflenet, "shufflenet", mobilenet_h5)
    np.testing.assert_array_equal(shufflenet.get_layer("conv1").kernel, before)


def test_shape_mismatch_is_skipped_or_with_strict_an_error(shufflenet, tmp_path):
    path = tmp_path / "mixed.npz"
    np.savez(path, **{
        "conv1/kernel": np.ones((3, 3, 3, 32), "float32"),
        "stage2_unit2_dw/kernel": np.ones((3, 3, 60, 1), "float32"),
    })  # fmt: skip
    before = shufflenet.get_layer("stage2_unit2_dw").kernel.numpy()
    with pytest.raises(DataError, match=r"mixed\.npz: 1 tensor\(s\) do not fit .*conv1/kernel"):
        load_pretrained(shufflenet, "shufflenet", path, strict=True)
    # A strict failure assigns nothing.
    np.testing.assert_array_equal(shufflenet.get_layer("stage2_unit2_dw").kernel, before)

    report = load_pretrained(shufflenet, "shufflenet", path)
    assert report.loaded == 1
    assert dict(report.skipped)["conv1/kernel"] == (
        "shape mismatch: model (3, 3, 3, 24), file (3, 3, 3, 32)"
    )
    np.testing.assert_array_equal(shufflenet.get_layer("stage2_unit2_dw").kernel, 1.0)


@pytest.mark.parametrize("name", ["weights.pkl", "weights.pth", "disguised.h5", "disguised.npz"])
def test_pickles_are_refused_and_never_unpickled(shufflenet, tmp_path, name):
    marker = tmp_path / "unpickled"
    (tmp_path / name).write_bytes(pickle.dumps({"conv1/kernel": _Tripwire(marker)}, protocol=4))
    with pytest.raises(DataError, match=f"{name} is a Python pickle.*never unpickles"):
        load_pretrained(shufflenet, "shufflenet", tmp_path / name)
    assert not marker.exists()


def test_object_arrays_are_refused_and_never_unpickled(shufflenet, tmp_path):
    marker = tmp_path / "unpickled"
    objects = np.array([_Tripwire(marker)], dtype=object)
    np.save(tmp_path / "objects.npy", objects, allow_pickle=True)
    with pytest.raises(DataError, match=r"objects\.npy is a \.npy file of Python objects"):
        load_pretrained(shufflenet, "shufflenet", tmp_path / "objects.npy")
    np.savez(tmp_path / "objects.npz", **{"conv1/kernel": objects})
    with pytest.raises(DataError, match=r"objects\.npz: entry 'conv1/kernel' holds Python objects"):
        load_pretrained(shufflenet, "shufflenet", tmp_path / "objects.npz")
    assert not marker.exists()


def test_pytorch_zip_archives_are_refused(shufflenet, tmp_path):
    path = tmp_path / "resnet18.weights"  # PyTorch >= 1.6 saves a zip around data.pkl
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"a": 1}))
        archive.writestr("archive/data/0", b"\0" * 16)
    with pytest.raises(DataError, match="PyTorch .*archive; tfseg never unpickles"):
        load_pretrained(shufflenet, "shufflenet", path)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not weights at all", "unrecognized weights format"),
        (b"\x89HDF\r\n\x1a\n" + b"\0" * 40, "unreadable HDF5 file"),
        (b'\x10\0\0\0\0\0\0\0{"a": 1}', "looks like a safetensors file; convert it"),
    ],
)
def test_unreadable_files_name_the_file(shufflenet, tmp_path, content, message):
    path = tmp_path / "broken.h5"
    path.write_bytes(content)
    with pytest.raises(DataError, match=f"broken.h5.*{message}"):
        load_pretrained(shufflenet, "shufflenet", path)


def test_missing_file_and_non_keras_hdf5(shufflenet, tmp_path):
    with pytest.raises(DataError, match="nowhere.h5 does not exist"):
        load_pretrained(shufflenet, "shufflenet", tmp_path / "nowhere.h5")
    with h5py.File(tmp_path / "data.h5", "w") as f:
        f["images"] = np.zeros(3)
    with pytest.raises(DataError, match="not a Keras weights file"):
        load_pretrained(shufflenet, "shufflenet", tmp_path / "data.h5")


def test_reader_lists_layers_without_reading_values(mobilenet_h5):
    with read_weight_file(mobilenet_h5) as weights:
        assert weights.format == "keras-h5"
        assert [e.name for e in weights.layers["conv_dw_1"]] == ["conv_dw_1/depthwise_kernel:0"]
        assert weights.layers["conv1_bn"][3].read().shape == (32,)
    assert os.path.getsize(mobilenet_h5) > 0
