"""`tfseg export` end to end on a trained model dir: the SavedModel and frozen-graph artifacts,
their export.json with parity, `evaluate --artifact` giving the Keras model's confusion matrix,
`predict --artifact`, and every bad input (one line, exit 2, nothing half-written)."""

import json
import os

import numpy as np
import pytest

pytestmark = pytest.mark.xdist_group("export_cli")

MODEL = ["--encoder=mobilenet", "--decoder=skipnet", "--height=64", "--width=128"]


@pytest.fixture(scope="module")
def model_dir(run_tfseg, tiny_cityscapes, tmp_path_factory):
    """A SkipNet-MobileNet trained for one epoch on the tiny synthetic set."""
    path = str(tmp_path_factory.mktemp("export") / "model")
    result = run_tfseg(
        "train", *MODEL, f"--data_dir={tiny_cityscapes}", f"--model_dir={path}", "--epochs=1",
        "--batch_size=2", "--learning_rate=1e-3",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return path


@pytest.fixture(scope="module")
def exported(model_dir, run_tfseg):
    """The model dir after `--format=saved_model` and `--format=frozen_graph`."""
    for fmt in ("saved_model", "frozen_graph"):
        result = run_tfseg(
            "export", f"--model_dir={model_dir}", f"--format={fmt}", "--parity_images=2"
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert f"{fmt}: " in result.stdout and "argmax agreement" in result.stdout
    return model_dir


def manifest(model_dir, fmt):
    with open(os.path.join(model_dir, "export", fmt, "export.json")) as f:
        return json.load(f)


def test_export_json_says_what_the_artifact_is_and_how_close_it_is(exported):
    for fmt in ("saved_model", "frozen_graph"):
        data = manifest(exported, fmt)
        assert data["format"] == fmt and data["model"]["name"] == "skipnet_mobilenet"
        assert data["input_size"] == [64, 128] and len(data["classes"]) == 19
        assert data["artifact"] in data["files"]
        folder = os.path.join(exported, "export", fmt)
        for name, entry in data["files"].items():
            assert os.path.getsize(os.path.join(folder, name)) == entry["bytes"]
            assert len(entry["sha256"]) == 64
        parity = data["parity"]
        assert parity["images"] == 2 and parity["argmax_agreement"] > 0.999
        assert abs(parity["miou_delta"]) < 1e-3
        assert data["versions"]["tensorflow"].startswith("2.17")
    saved = manifest(exported, "saved_model")
    assert saved["input"]["dtype"] == "uint8" and saved["input"]["resize"] is True
    frozen = manifest(exported, "frozen_graph")
    assert frozen["input"]["name"] == "image:0" and frozen["outputs"][0]["name"] == "logits:0"
    assert {"model.pb", "model_q8.pb", "transforms.json"} <= set(frozen["files"])
    # No temporary folder is left next to the artifacts.
    assert {n for n in os.listdir(os.path.join(exported, "export")) if n.startswith(".")} == set()


def test_frozen_graph_records_every_transform_step(exported):
    steps = json.load(open(os.path.join(exported, "export", "frozen_graph", "transforms.json")))
    names = [s["step"] for s in steps]
    assert names[0] == "frozen" and names[-1] == "quantize_weights"
    assert any(n.startswith("fold_constants") for n in names)
    assert all(s["max_rel_diff"] < 1e-5 for s in steps[:-1])  # float steps change nothing
    assert steps[-1]["argmax_agreement"] > 0.9  # 8-bit weights, an undertrained model


@pytest.mark.parametrize("artifact", ["saved_model", "frozen_graph/model.pb"])
def test_evaluate_artifact_gives_the_keras_confusion_matrix(exported, run_tfseg, artifact):
    keras_run = run_tfseg("evaluate", f"--model_dir={exported}", "--noprogress")
    assert keras_run.returncode == 0, keras_run.stderr[-3000:]
    reference = json.load(open(os.path.join(exported, "metrics.json")))
    path = os.path.join(exported, "export", artifact)
    result = run_tfseg("evaluate", f"--artifact={path}", "--noprogress")
    assert result.returncode == 0, result.stderr[-3000:]
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    metrics = json.load(open(os.path.join(folder, "metrics.json")))
    got, want = np.array(metrics["confusion_matrix"]), np.array(reference["confusion_matrix"])
    # Float artifacts: the same predictions up to a few boundary pixels of float rounding.
    assert np.abs(got - want).sum() <= 2e-4 * want.sum()


def test_predict_artifact_writes_the_same_files(exported, run_tfseg, tiny_cityscapes, tmp_path):
    images = os.path.join(tiny_cityscapes, "leftImg8bit", "val")
    out = tmp_path / "predicted"
    artifact = os.path.join(exported, "export", "saved_model")
    result = run_tfseg(
        "predict", f"--artifact={artifact}", f"--input={images}", f"--output_dir={out}"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    written = sorted(p.name for p in out.rglob("*.png"))
    assert len(written) == 4 and all(n.endswith(("_color.png", "_overlay.png")) for n in written)


def test_evaluate_on_a_named_runtime_uses_the_export_and_keeps_metrics_json(exported, run_tfseg):
    keras_run = run_tfseg("evaluate", f"--model_dir={exported}", "--noprogress")
    assert keras_run.returncode == 0, keras_run.stderr[-3000:]
    reference = json.load(open(os.path.join(exported, "metrics.json")))
    result = run_tfseg(
        "evaluate", f"--model_dir={exported}", "--runtime=frozen_graph", "--noprogress"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "exporting" not in result.stdout  # export/frozen_graph is current: reused
    metrics = json.load(open(os.path.join(exported, "metrics-frozen_graph.json")))
    assert metrics["runtime"] == "frozen_graph" and metrics["checkpoint"] == "best"
    got, want = np.array(metrics["confusion_matrix"]), np.array(reference["confusion_matrix"])
    assert np.abs(got - want).sum() <= 2e-4 * want.sum()
    assert json.load(open(os.path.join(exported, "metrics.json"))) == reference


def test_runtime_with_an_artifact_is_refused(exported, run_tfseg, tmp_path):
    artifact = os.path.join(exported, "export", "saved_model")
    result = run_tfseg("predict", f"--artifact={artifact}", "--runtime=auto", f"--input={tmp_path}")
    assert result.returncode == 2 and "--runtime is for --model_dir" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format=pdf"], "flag --format=pdf: value should be one of"),
        (["--format=tflite", "--quantization=int4"], "flag --quantization=int4"),
        (["--format=saved_model"], "exists; pass --overwrite to replace it"),
        (["--format=saved_model", "--checkpoint=last", "--out={tmp}/a", "--height=16"],
         "flag --height=16: 16 is not integer >= 32"),
        (["--format=tftrt", "--out={tmp}/trt", "--parity_images=0"], "TF-TRT cannot run here"),
    ],
    ids=["format", "quantization", "existing", "height", "tensorrt"],
)  # fmt: skip
def test_bad_export_input_is_one_line_and_writes_nothing(
    exported, run_tfseg, tmp_path, args, message
):
    before = sorted(os.listdir(os.path.join(exported, "export")))
    args = [a.format(tmp=tmp_path) for a in args]
    result = run_tfseg("export", f"--model_dir={exported}", *args)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert message in result.stderr, result.stderr[-2000:]
    assert sorted(os.listdir(os.path.join(exported, "export"))) == before
    assert not list(tmp_path.iterdir())


def test_a_model_dir_that_is_not_one_is_refused(run_tfseg, tmp_path):
    result = run_tfseg("export", f"--model_dir={tmp_path}", "--format=saved_model")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no config.json; is this a tfseg model dir?" in result.stderr


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("model.pb", b"not a graph", "not a readable GraphDef"),
        ("model.tflite", b"not a flatbuffer", "model.tflite"),
        ("model.txt", b"hello", "unknown kind of artifact"),
    ],
)
def test_a_corrupt_or_foreign_artifact_is_one_line(run_tfseg, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = run_tfseg("evaluate", f"--artifact={path}", f"--data_dir={tmp_path}")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr, result.stderr[-2000:]


def test_the_jetson_bundle_holds_what_its_readme_names(exported, run_tfseg):
    import importlib.util

    import onnx

    result = run_tfseg("export", f"--model_dir={exported}", "--format=jetson", "--parity_images=1")
    assert result.returncode == 0, result.stderr[-3000:]
    bundle = os.path.join(exported, "export", "jetson")
    names = {"model.onnx", "frozen_graph.pb", "segment_trt.py", "requirements.txt", "README.md"}
    assert names <= set(os.listdir(bundle))
    readme = open(os.path.join(bundle, "README.md")).read()
    assert all(name in readme for name in names - {"README.md"})
    # The runner's own (TensorRT-free) validation accepts the bundle: files, sizes, checksums,
    # reference inputs and outputs.
    spec = importlib.util.spec_from_file_location(
        "segment_trt", os.path.join(bundle, "segment_trt.py")
    )
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    loaded = runner.load_bundle(bundle)
    assert loaded.input_shape == (1, 64, 128, 3) and loaded.output_shape == (1, 64, 128, 19)
    assert len(loaded.references) == 3
    # export.json's contract is the ONNX model's.
    graph = onnx.load(os.path.join(bundle, "model.onnx")).graph
    data = manifest(exported, "jetson")
    (model_input,), (model_output,) = graph.input, graph.output
    dims = [d.dim_value for d in model_input.type.tensor_type.shape.dim]
    assert model_input.name == data["input"]["name"] and dims == data["input"]["shape"]
    assert model_input.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    dims = [d.dim_value for d in model_output.type.tensor_type.shape.dim]
    assert model_output.name == data["outputs"][0]["name"] and dims == data["outputs"][0]["shape"]
    assert data["onnx"]["opset"] == 13 and data["details"]["tensorrt_8_2"]["ok"]
