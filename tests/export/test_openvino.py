"""The OpenVINO export and runtime: IR files with the ONNX export's contract, run by OpenVINO's
CPU plugin like Keras, opened by `load_runtime`, and every bad input as a clear error.

One tiny pair (SkipNet-ShuffleNet, 64x128, 5 classes, BN statistics drawn like a trained
model's) is exported once for the module.
"""

import json
import os
import sys

import keras
import numpy as np
import pytest

import tfseg
from tfseg.errors import ConfigError, DataError
from tfseg.export.request import ExportRequest
from tfseg.inference import Segmenter

ov = pytest.importorskip("openvino")
pytest.importorskip("onnx")
pytest.importorskip("tf2onnx")

from tfseg.export.openvino import FILE_NAME, WEIGHTS_NAME, export_openvino  # noqa: E402
from tfseg.runtimes.openvino import OpenVinoRuntime  # noqa: E402

pytestmark = pytest.mark.xdist_group("export_openvino")  # the module's one conversion

H, W = 64, 128
NUM_CLASSES = 5


@pytest.fixture(scope="session")
def tiny_model(randomize_batch_norms):
    def build(num_classes=NUM_CLASSES, size=(H, W)):
        keras.utils.set_random_seed(0)
        model = tfseg.build_model(
            "shufflenet", "skipnet", num_classes=num_classes, input_shape=size
        )
        randomize_batch_norms(model)
        return model

    return build


def images(count, size=(H, W), seed=1):
    return np.random.default_rng(seed).integers(0, 256, (count, *size, 3)).astype(np.uint8)


class Exported:
    def __init__(self, model, out_dir):
        self.model = model
        self.out_dir = str(out_dir)
        request = ExportRequest(model, (H, W), self.out_dir, class_names=("a", "b", "c", "d", "e"))
        self.result = export_openvino(request)
        self.path = os.path.join(self.out_dir, FILE_NAME)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, tiny_model):
    """SkipNet-ShuffleNet 64x128 exported once for the module."""
    return Exported(tiny_model(), tmp_path_factory.mktemp("openvino"))


@pytest.fixture(scope="module")
def runtime(exported):
    return OpenVinoRuntime(exported.path, threads=2)


# ---- the exported files -------------------------------------------------------------------------


def test_writes_only_model_xml_and_bin(exported):
    assert exported.result.files == [FILE_NAME, WEIGHTS_NAME]
    # No temporary ONNX folder or temporary IR left behind.
    assert sorted(os.listdir(exported.out_dir)) == [WEIGHTS_NAME, FILE_NAME]
    assert exported.result.resize is False


def test_ir_takes_image_float32_nhwc_and_returns_logits(exported):
    model = ov.Core().read_model(exported.path)
    (image,), (logits,) = model.inputs, model.outputs
    assert "image" in image.get_names() and "logits" in logits.get_names()
    assert image.get_element_type() == ov.Type.f32 and logits.get_element_type() == ov.Type.f32
    assert list(image.get_shape()) == [1, H, W, 3]
    assert list(logits.get_shape()) == [1, H, W, NUM_CLASSES]
    assert exported.result.input == {"name": "image", "shape": [1, H, W, 3], "dtype": "float32"}
    assert exported.result.outputs == [
        {"name": "logits", "shape": [1, H, W, NUM_CLASSES], "dtype": "float32"}
    ]


def test_weights_stay_float32_and_the_model_is_named(exported):
    model = ov.Core().read_model(exported.path)
    constants = [op for op in model.get_ordered_ops() if op.get_type_name() == "Constant"]
    types = {op.get_output_element_type(0) for op in constants}
    assert ov.Type.f16 not in types and ov.Type.f32 in types  # no compress_to_fp16
    assert exported.result.details["weights"] == "float32"
    # The ONNX metadata travels into the IR's rt_info.
    assert model.get_rt_info(["framework", "model"]).astype(str) == "skipnet_shufflenet"
    names = json.loads(model.get_rt_info(["framework", "class_names"]).astype(str))
    assert names == ["a", "b", "c", "d", "e"]


def test_details_say_how_it_was_converted_and_checked(exported):
    details = exported.result.details
    assert details["opset"] == 13 and "ONNX frontend" in details["converter"]
    assert details["openvino_version"] == ov.get_version()
    assert details["ops"]["GroupConvolution"] > 0 and details["layout"] == "NHWC"
    assert details["check"]["max_rel_diff"] < 1e-4
    assert details["check"]["argmax_agreement"] >= 0.9999
    assert details["onnx"]["converter"].startswith("tf2onnx")


# ---- OpenVINO against Keras ---------------------------------------------------------------------


def assert_parity(got, want):
    scale = max(1.0, float(np.abs(want).max()))
    assert float(np.abs(got - want).max()) <= 1e-4 * scale
    agreement = float((got.argmax(-1) == want.argmax(-1)).mean())
    assert agreement >= 0.9999, agreement


@pytest.mark.platform
def test_openvino_logits_equal_keras(exported, runtime):
    batch = images(3).astype(np.float32)
    assert (runtime.input_size, runtime.num_classes, runtime.batch_size) == ((H, W), 5, 1)
    logits = runtime.logits(batch)  # batch 3 through a batch-1 model: one at a time
    assert logits.shape == (3, H, W, NUM_CLASSES) and logits.dtype == np.float32
    assert_parity(logits, exported.model(batch, training=False).numpy())


def test_logits_are_fresh_arrays_not_views_of_the_next_call(runtime):
    first = runtime.logits(images(1, seed=3).astype(np.float32))
    kept = first.copy()
    runtime.logits(images(1, seed=4).astype(np.float32))
    np.testing.assert_array_equal(first, kept)


@pytest.mark.platform
def test_segment_at_another_size_equals_segmenter(exported, runtime):
    batch = images(2, size=(96, 160), seed=2)
    expected = Segmenter(exported.model)(batch).numpy()
    ids = runtime.segment(batch)
    assert ids.shape == (2, 96, 160) and ids.dtype == np.uint8
    assert float((ids == expected).mean()) >= 0.999


def test_runtime_settings_are_the_latency_ones(exported, runtime):
    compiled = runtime.compiled
    assert compiled.get_property("INFERENCE_NUM_THREADS") == 2
    assert compiled.get_property("NUM_STREAMS") == 1
    assert str(compiled.get_property("PERFORMANCE_HINT")).endswith("LATENCY")
    assert compiled.get_property("INFERENCE_PRECISION_HINT") == ov.Type.f32
    default = OpenVinoRuntime(exported.path)
    assert default.threads == os.cpu_count()


def test_load_runtime_opens_the_xml_as_an_openvino_runtime(exported):
    from tfseg.runtimes import load_runtime

    runtime = load_runtime(exported.path, threads=1)
    assert isinstance(runtime, OpenVinoRuntime) and runtime.threads == 1
    assert (runtime.format, runtime.input_size, runtime.num_classes) == ("openvino", (H, W), 5)
    assert "openvino runtime" in runtime.describe()


def test_runtime_rejects_images_of_the_wrong_size(runtime):
    with pytest.raises(ConfigError, match=r"takes float32 images \[B, 64, 128, 3\]"):
        runtime.logits(np.zeros((1, 32, 32, 3), np.float32))


def test_openvino_is_an_export_format():
    from tfseg.export import EXPORTERS, available_formats

    assert "openvino" in EXPORTERS and "openvino" in available_formats()


# ---- `tfseg.export.export` end to end -----------------------------------------------------------


def test_export_writes_export_json_with_parity(tiny_cityscapes, tmp_path, tiny_model):
    """A hand-made model dir (19 classes, untrained) through the whole export pipeline."""
    from tfseg.export import export
    from tfseg.model_dir import ModelDir

    model_dir = ModelDir(tmp_path / "model")
    names = [f"class_{i}" for i in range(19)]
    identity = {
        "encoder": "shufflenet", "decoder": "skipnet", "decoder_options": {}, "height": H,
        "width": W, "keep_void": False, "class_names": names,
    }  # fmt: skip
    os.makedirs(os.path.dirname(model_dir.best_model))
    with open(model_dir.config_path, "w") as f:
        json.dump({"model": identity, "train": {"data_dir": tiny_cityscapes}, "data": {}}, f)
    tiny_model(num_classes=19).save(model_dir.best_model)

    (data,) = export(model_dir.path, "openvino", parity_images=1, progress=None)
    folder = model_dir.export_dir("openvino")
    assert data["format"] == "openvino" and data["artifact"] == FILE_NAME
    assert set(data["files"]) == {FILE_NAME, WEIGHTS_NAME}
    with open(os.path.join(folder, "export.json")) as f:
        assert json.load(f)["parity"] == data["parity"]
    assert data["parity"]["images"] == 1 and data["parity"]["argmax_agreement"] >= 0.9999
    assert data["parity"]["max_rel_logit_diff"] <= 1e-4
    assert sorted(os.listdir(folder)) == ["export.json", WEIGHTS_NAME, FILE_NAME]

    from tfseg.runtimes import load_runtime

    assert isinstance(load_runtime(folder), OpenVinoRuntime)  # the folder, through export.json


# ---- bad input ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_model():
    """A model the bad-input tests never get to convert."""
    return tfseg.build_model("mobilenet", "skipnet", num_classes=2, input_shape=(32, 32))


@pytest.mark.parametrize("module", ["openvino", "tf2onnx", "onnx"])
def test_missing_export_tooling_is_a_config_error(module, small_model, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[onnx,openvino\]'"):
        export_openvino(ExportRequest(small_model, (32, 32), str(tmp_path)))
    assert os.listdir(tmp_path) == []


def test_missing_openvino_runtime_is_a_config_error(monkeypatch, exported):
    monkeypatch.setitem(sys.modules, "openvino", None)
    with pytest.raises(
        ConfigError, match=r"needs the openvino extra: pip install -e '\.\[openvino\]'"
    ):
        OpenVinoRuntime(exported.path)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"threads": 0}, "threads must be a positive integer"),
        ({"threads": "2"}, "threads must be a positive integer"),
        ({"precision": "fp32"}, "precision='fp32': expected one of f32, bf16, f16"),
    ],
)
def test_bad_settings_are_config_errors(kwargs, message, exported):
    with pytest.raises(ConfigError, match=message):
        OpenVinoRuntime(exported.path, **kwargs)


def _copy_ir(exported, folder, xml=None, weights=None):
    """A copy of the exported IR in `folder`, its graph or weights replaced if given."""
    with open(exported.path, "rb") as f:
        xml = f.read() if xml is None else xml
    with open(os.path.join(exported.out_dir, WEIGHTS_NAME), "rb") as f:
        weights = f.read() if weights is None else weights
    (folder / WEIGHTS_NAME).write_bytes(weights)
    (folder / FILE_NAME).write_bytes(xml)
    return folder / FILE_NAME


@pytest.mark.parametrize(
    "case", ["garbage", "truncated_xml", "truncated_bin", "foreign_xml", "no_bin"]
)
def test_corrupt_or_foreign_file_is_a_data_error_naming_it(case, exported, tmp_path):
    with open(exported.path, "rb") as f:
        xml = f.read()
    if case == "garbage":
        path = _copy_ir(exported, tmp_path, xml=b"not an openvino model")
    elif case == "truncated_xml":
        path = _copy_ir(exported, tmp_path, xml=xml[: len(xml) // 2])
    elif case == "truncated_bin":
        path = _copy_ir(exported, tmp_path, weights=b"\0" * 1000)
    elif case == "foreign_xml":
        path = _copy_ir(exported, tmp_path, xml=b'<?xml version="1.0"?><svg width="1"></svg>')
    else:
        path = _copy_ir(exported, tmp_path)
        os.unlink(tmp_path / WEIGHTS_NAME)
    with pytest.raises(DataError, match=f"{path}: not a readable OpenVINO model"):
        OpenVinoRuntime(path)


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such OpenVINO model file"):
        OpenVinoRuntime(tmp_path / "absent.xml")


def test_foreign_model_is_a_data_error(tmp_path):
    """A valid IR with another contract: uint8 NCHW in, a sum out."""
    image = ov.opset13.parameter([1, 3, 8, 8], ov.Type.u8, name="image")
    total = ov.opset13.reduce_sum(ov.opset13.convert(image, ov.Type.f32), [1, 2, 3])
    path = str(tmp_path / "foreign.xml")
    ov.save_model(ov.Model([total], [image], "foreign"), path)
    with pytest.raises(DataError, match=r"expected float32 images \[B, H, W, 3\]"):
        OpenVinoRuntime(path)
