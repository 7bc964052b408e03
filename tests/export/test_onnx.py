"""The ONNX export: a static, checked opset-13 model that onnxruntime runs like Keras, and the
TensorRT 8.2 allow-list check that guards the Jetson path.

One tiny pair (SkipNet-ShuffleNet, 64x128, 5 classes, BN statistics drawn like a trained
model's) is converted once for the module; the conversion of every encoder x decoder pair is
marked slow.
"""

import os
import sys

import keras
import numpy as np
import pytest

import tfseg
from tfseg.errors import ConfigError, DataError
from tfseg.export.onnx import FILE_NAME, export_onnx, non_static_tensors
from tfseg.export.request import ExportRequest
from tfseg.export.tensorrt_ops import MAX_OPSET, TFSEG_OPS, check_tensorrt_8_2
from tfseg.inference import Segmenter

onnx = pytest.importorskip("onnx")
pytest.importorskip("tf2onnx")
pytest.importorskip("onnxruntime")

from tfseg.runtimes.onnxruntime import OnnxRuntime  # noqa: E402

pytestmark = pytest.mark.xdist_group("export_onnx")  # the module's one conversion

H, W = 64, 128
NUM_CLASSES = 5
ENCODERS = ("shufflenet", "mobilenet", "resnet18", "vgg16")
DECODERS = ("skipnet", "unet", "dilation")


@pytest.fixture(scope="session")
def tiny_model(randomize_batch_norms):
    def build(encoder="shufflenet", decoder="skipnet", size=(H, W)):
        keras.utils.set_random_seed(0)
        model = tfseg.build_model(encoder, decoder, num_classes=NUM_CLASSES, input_shape=size)
        randomize_batch_norms(model)
        return model

    return build


def images(count, size=(H, W), seed=1):
    return np.random.default_rng(seed).integers(0, 256, (count, *size, 3)).astype(np.uint8)


def assert_parity(onnx_logits, keras_logits):
    scale = max(1.0, float(np.abs(keras_logits).max()))
    assert float(np.abs(onnx_logits - keras_logits).max()) <= 1e-4 * scale
    agreement = float((onnx_logits.argmax(-1) == keras_logits.argmax(-1)).mean())
    assert agreement >= 0.9999, agreement


class Exported:
    def __init__(self, model, out_dir):
        self.model = model
        self.out_dir = str(out_dir)
        self.result = export_onnx(ExportRequest(model, (H, W), self.out_dir))
        self.path = os.path.join(self.out_dir, FILE_NAME)
        self.proto = onnx.load(self.path)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, tiny_model):
    """SkipNet-ShuffleNet 64x128 exported once for the module."""
    return Exported(tiny_model(), tmp_path_factory.mktemp("onnx"))


# ---- the exported file --------------------------------------------------------------------------


def test_writes_only_model_onnx_atomically(exported):
    assert exported.result.files == [FILE_NAME]
    assert os.listdir(exported.out_dir) == [FILE_NAME]  # no temporary file left behind
    assert exported.result.resize is False


def test_model_passes_the_checker_at_opset_13(exported):
    onnx.checker.check_model(exported.proto)
    opsets = {o.domain: o.version for o in exported.proto.opset_import}
    assert opsets == {"": 13}  # tf2onnx's unused ai.onnx.ml import is dropped
    assert exported.result.details["opset"] == 13


def test_every_shape_is_static_after_shape_inference(exported):
    inferred = onnx.shape_inference.infer_shapes(exported.proto, check_type=True, strict_mode=True)
    assert non_static_tensors(inferred) == []
    assert len(inferred.graph.value_info) >= len(exported.proto.graph.node) - 1


def test_input_image_float32_nhwc_and_output_logits(exported):
    graph = exported.proto.graph
    (image,) = graph.input
    (logits,) = graph.output
    dims = [[d.dim_value for d in v.type.tensor_type.shape.dim] for v in (image, logits)]
    assert image.name == "image" and logits.name == "logits"
    assert image.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert logits.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert dims == [[1, H, W, 3], [1, H, W, NUM_CLASSES]]
    assert exported.result.input == {"name": "image", "shape": [1, H, W, 3], "dtype": "float32"}
    assert exported.result.outputs == [
        {"name": "logits", "shape": [1, H, W, NUM_CLASSES], "dtype": "float32"}
    ]
    # Converted from the folded model: the only Mul left is the input normalization's; unfolded,
    # 18 BatchNorm scales that tf2onnx cannot merge into their convolutions stay as Mul nodes.
    assert exported.result.details["op_types"].get("Mul") == 1


def test_weights_are_initializers_not_constant_nodes(exported):
    graph = exported.proto.graph
    initializers = {t.name for t in graph.initializer}
    convs = [n for n in graph.node if n.op_type in ("Conv", "ConvTranspose")]
    assert convs and all(n.input[1] in initializers for n in convs)


# ---- onnxruntime against Keras ------------------------------------------------------------------


@pytest.mark.platform
def test_onnxruntime_logits_equal_keras(exported):
    runtime = OnnxRuntime(exported.path, threads=2)
    batch = images(3).astype(np.float32)
    assert (runtime.input_size, runtime.num_classes, runtime.batch_size) == ((H, W), 5, 1)
    onnx_logits = runtime.logits(batch)  # batch 3 through a batch-1 model: one at a time
    assert onnx_logits.shape == (3, H, W, NUM_CLASSES) and onnx_logits.dtype == np.float32
    assert_parity(onnx_logits, exported.model(batch, training=False).numpy())


@pytest.mark.platform
def test_segment_at_another_size_equals_segmenter(exported):
    runtime = OnnxRuntime(exported.path)
    batch = images(2, size=(96, 160), seed=2)
    expected = Segmenter(exported.model)(batch).numpy()
    ids = runtime.segment(batch)
    assert ids.shape == (2, 96, 160) and ids.dtype == np.uint8
    assert float((ids == expected).mean()) >= 0.999


def test_load_runtime_opens_the_file_as_an_onnx_runtime(exported):
    from tfseg.runtimes import load_runtime

    runtime = load_runtime(exported.path, threads=1)
    assert isinstance(runtime, OnnxRuntime) and runtime.threads == 1
    assert (runtime.format, runtime.input_size, runtime.num_classes) == ("onnx", (H, W), 5)


def test_runtime_rejects_images_of_the_wrong_size(exported):
    runtime = OnnxRuntime(exported.path, threads=1)
    with pytest.raises(ConfigError, match=r"takes float32 images \[B, 64, 128, 3\]"):
        runtime.logits(np.zeros((1, 32, 32, 3), np.float32))
    assert "onnx runtime" in runtime.describe()


# ---- the TensorRT 8.2 allow-list ----------------------------------------------------------------


def test_tensorrt_check_passes_for_the_export(exported):
    report = exported.result.details["tensorrt_8_2"]
    assert report == {"ok": True, "unsupported_ops": [], "errors": [], "warnings": []}
    assert set(exported.result.details["op_types"]) <= TFSEG_OPS


def test_tensorrt_check_rejects_a_newer_opset(exported):
    model = onnx.ModelProto()
    model.CopyFrom(exported.proto)
    model.opset_import[0].version = MAX_OPSET + 4
    report = check_tensorrt_8_2(model)
    assert not report["ok"] and "opset 17" in report["errors"][0]


def _value(name, elem_type, shape):
    return onnx.helper.make_tensor_value_info(name, elem_type, shape)


def _weights(name, shape):
    return onnx.numpy_helper.from_array(np.ones(shape, np.float32), name)


def hand_made_model(
    input_type=onnx.TensorProto.FLOAT, pads=(1, 1, 1, 1), extra_op=None, opset=13, **deconv
):
    """image [1, 8, 8, 3] -> (Cast) -> Transpose -> ConvTranspose 3x3/2 -> (extra_op) -> out."""
    nodes, source = [], "image"
    if input_type != onnx.TensorProto.FLOAT:
        nodes.append(onnx.helper.make_node("Cast", ["image"], ["x"], to=onnx.TensorProto.FLOAT))
        source = "x"
    nodes.append(onnx.helper.make_node("Transpose", [source], ["nchw"], perm=[0, 3, 1, 2]))
    nodes.append(
        onnx.helper.make_node(
            "ConvTranspose", ["nchw", "w", "b"], ["up"], name="up", kernel_shape=[3, 3],
            strides=[2, 2], pads=list(pads), **deconv,
        )  # fmt: skip
    )
    output = "up"
    if extra_op:
        nodes.append(onnx.helper.make_node(extra_op, ["up"], ["extra"], name="extra"))
        output = "extra"
    graph = onnx.helper.make_graph(
        nodes,
        "hand_made",
        [_value("image", input_type, [1, 8, 8, 3])],
        [_value(output, onnx.TensorProto.FLOAT, None)],
        initializer=[_weights("w", [3, 2, 3, 3]), _weights("b", [2])],
    )
    opsets = [onnx.helper.make_opsetid("", opset)]
    return onnx.helper.make_model(graph, opset_imports=opsets, ir_version=7)  # opset 13's IR


def test_tensorrt_check_accepts_a_clean_hand_made_model():
    report = check_tensorrt_8_2(hand_made_model())
    assert report["ok"] and report["warnings"] == [] and report["errors"] == []


def test_tensorrt_check_warns_about_a_newer_ir_version():
    model = hand_made_model()
    model.ir_version = 10
    report = check_tensorrt_8_2(model)
    assert report["ok"] and "IR version 10" in report["warnings"][0]


def test_tensorrt_check_flags_uint8_input_unsupported_op_and_asymmetric_pads():
    bad = hand_made_model(input_type=onnx.TensorProto.UINT8, pads=(0, 0, 1, 1), extra_op="Hardmax")
    report = check_tensorrt_8_2(bad)
    assert report["ok"] is False
    assert report["unsupported_ops"] == ["Hardmax"]
    assert len(report["errors"]) == 1 and "'image' is UINT8" in report["errors"][0]
    (warning,) = report["warnings"]
    assert "asymmetric pads [0, 0, 1, 1]" in warning and "verify on the device" in warning


def test_asymmetric_pads_alone_warn_but_pass():
    report = check_tensorrt_8_2(hand_made_model(pads=(0, 0, 1, 1)))
    assert report["ok"] is True and len(report["warnings"]) == 1


def test_asymmetric_3d_deconvolution_pads_are_refused():
    # Only the pads attribute is read: six of them make it a 3-D deconvolution's.
    report = check_tensorrt_8_2(hand_made_model(pads=(0, 0, 0, 1, 1, 1)))
    assert report["ok"] is False and "asymmetric 3-D pads" in report["errors"][0]


@pytest.mark.parametrize(
    "deconv, message",
    [
        ({"output_padding": [1, 1]}, "output_padding is set"),
        ({"output_shape": [16, 16]}, "output_shape is set"),
    ],
)
def test_tensorrt_check_rejects_deconvolution_output_padding_and_shape(deconv, message):
    report = check_tensorrt_8_2(hand_made_model(**deconv))
    assert not report["ok"] and message in " ".join(report["errors"])


def test_tensorrt_check_wants_constant_slice_axes_and_supported_resize_modes():
    nodes = [
        onnx.helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["s"], name="crop"),
        onnx.helper.make_node(
            "Resize", ["s", "", "scales"], ["y"], name="up", mode="cubic",
            coordinate_transformation_mode="tf_crop_and_resize",
        ),  # fmt: skip
    ]
    ints = onnx.numpy_helper.from_array
    graph = onnx.helper.make_graph(
        nodes,
        "slice_resize",
        [
            _value("x", onnx.TensorProto.FLOAT, [1, 3, 8, 8]),
            _value("axes", onnx.TensorProto.INT64, [1]),
        ],
        [_value("y", onnx.TensorProto.FLOAT, None)],
        initializer=[
            ints(np.array([0], np.int64), "starts"),
            ints(np.array([4], np.int64), "ends"),
            ints(np.array([1, 1, 2, 2], np.float32), "scales"),
        ],
    )
    report = check_tensorrt_8_2(onnx.helper.make_model(graph, ir_version=7))
    errors = " ".join(report["errors"])
    assert not report["ok"] and report["unsupported_ops"] == []
    assert "its axes input is computed" in errors
    assert "mode='cubic'" in errors and "'tf_crop_and_resize'" in errors


# ---- bad input ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_model():
    """A model the bad-input tests never get to convert."""
    return tfseg.build_model("mobilenet", "skipnet", num_classes=2, input_shape=(32, 32))


@pytest.mark.parametrize("module", ["tf2onnx", "onnx"])
def test_missing_onnx_tooling_is_a_config_error(module, small_model, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ConfigError, match=r"needs the onnx extra: pip install -e '\.\[onnx\]'"):
        export_onnx(ExportRequest(small_model, (32, 32), str(tmp_path)))
    assert os.listdir(tmp_path) == []


def test_missing_onnxruntime_is_a_config_error(monkeypatch, exported):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[onnx\]'"):
        OnnxRuntime(exported.path)


@pytest.mark.parametrize("opset", ["13", 9, 13.0])
def test_bad_opset_is_a_config_error(opset, small_model, tmp_path):
    request = ExportRequest(small_model, (32, 32), str(tmp_path), options={"opset": opset})
    with pytest.raises(ConfigError, match="opset must be an integer >= 10"):
        export_onnx(request)


@pytest.mark.parametrize("content", [b"not an onnx model", "truncated"])
def test_corrupt_file_is_a_data_error_naming_it(content, exported, tmp_path):
    path = tmp_path / "broken.onnx"
    if content == "truncated":
        with open(exported.path, "rb") as f:
            content = f.read()[:5000]
    path.write_bytes(content)
    with pytest.raises(DataError, match=f"{path}: not a readable ONNX model"):
        OnnxRuntime(path)


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such ONNX file"):
        OnnxRuntime(tmp_path / "absent.onnx")


def test_foreign_model_is_a_data_error(tmp_path):
    path = tmp_path / "foreign.onnx"
    onnx.save(hand_made_model(input_type=onnx.TensorProto.UINT8), str(path))
    with pytest.raises(DataError, match=r"expected float32 images \[B, H, W, 3\]"):
        OnnxRuntime(path)


# ---- every encoder x decoder pair ---------------------------------------------------------------

# VGG16 (FCN, 134M parameters, 537 MB of weights) is left out: its in-process conversion needed
# more than 12 GB of memory (11 GB already at the end of tf2onnx's Grappler pass).
PAIRS = [
    # its own xdist group each, so that `-n 2 --dist loadgroup` spreads the pairs over workers
    pytest.param(e, d, id=f"{d}_{e}", marks=pytest.mark.xdist_group(f"export_onnx_{d}_{e}"))
    for e in ENCODERS
    if e != "vgg16"
    for d in DECODERS
]
# Not a multiple of 32, so the decoders' MatchSize crops (Slice) are in the graph as well.
SLOW_SIZE = (72, 136)


@pytest.mark.slow
@pytest.mark.parametrize("encoder, decoder", PAIRS)
def test_every_pair_exports_a_static_tensorrt_ready_model(encoder, decoder, tmp_path, tiny_model):
    model = tiny_model(encoder, decoder, size=SLOW_SIZE)
    result = export_onnx(ExportRequest(model, SLOW_SIZE, str(tmp_path)))
    path = os.path.join(tmp_path, FILE_NAME)
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    assert non_static_tensors(onnx.shape_inference.infer_shapes(proto, strict_mode=True)) == []
    report = result.details["tensorrt_8_2"]
    assert report["ok"], report
    assert set(result.details["op_types"]) <= TFSEG_OPS
    if (encoder, decoder) == ("resnet18", "unet"):  # the LinkNet blocks' 3x3/2 deconvolutions
        assert len(report["warnings"]) == 4
        assert all("asymmetric pads [0, 0, 1, 1]" in w for w in report["warnings"])
    else:
        assert report["warnings"] == []
    batch = images(1, size=SLOW_SIZE).astype(np.float32)
    assert_parity(OnnxRuntime(path).logits(batch), model(batch, training=False).numpy())
