"""Every CPU runtime's timing loop on a tiny model, in this process: it opens, its timed calls
run (warm-up excluded), and its output agrees with the Keras model's. Runtimes that cannot run
here are listed with the reason. The quantized TFLite variants (one converter run each) are
slow-marked."""

import importlib.util

import keras
import numpy as np
import pytest

import tfseg
from tfseg.benchmark import runtimes as bench_runtimes
from tfseg.benchmark.protocol import RUNTIMES
from tfseg.benchmark.runtimes import open_runtime, runtime_problem
from tfseg.benchmark.timing import measure_latency, summarize_latency
from tfseg.runtimes.keras_model import KerasRuntime

pytestmark = pytest.mark.xdist_group("benchmark_runtimes")  # the module's one set of exports

SIZE = (64, 128)
NUM_CLASSES = 5
FAST = ["keras", "predict", "function", "xla", "frozen_graph", "saved_model", "tflite",
        "onnxruntime", "openvino"]  # fmt: skip
SLOW = ["tflite_fp16", "tflite_dynamic", "tflite_int8"]


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return tfseg.build_model("shufflenet", "skipnet", NUM_CLASSES, SIZE)


@pytest.fixture(scope="module")
def images():
    """Smooth random images (a random network gives more than one class on them)."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    low = rng.uniform(0, 255, (2, 4, 8, 3)).astype(np.float32)
    return np.clip(np.round(tf.image.resize(low, SIZE, method="bicubic").numpy()), 0, 255)


@pytest.fixture(scope="module")
def keras_logits(model, images):
    return KerasRuntime(model).logits(images)


@pytest.fixture(scope="module")
def artifacts(model, images, tmp_path_factory):
    """`runtime -> exported folder` (made on first use, once per module)."""
    from tfseg.export.exporter import export_model

    root = tmp_path_factory.mktemp("artifacts")
    identity = {"encoder": "shufflenet", "decoder": "skipnet", "decoder_options": {},
                "class_names": [str(i) for i in range(NUM_CLASSES)], "height": SIZE[0],
                "width": SIZE[1]}  # fmt: skip
    made = {}

    def artifact(name):
        if name not in made:
            info = RUNTIMES[name]
            calibration = images.astype(np.uint8)
            made[name] = str(root / name)
            export_model(
                model, identity, info.export_format, made[name], input_size=SIZE,
                options={**info.options, "calibration_images": len(calibration)},
                calibration_images=lambda n: (image[None] for image in calibration[:n]),
            )  # fmt: skip
        return made[name]

    return artifact


def available(name):
    problem = runtime_problem(name)
    if problem:
        pytest.skip(f"{name}: {problem}")


def check_loop(name, model, images, keras_logits, artifacts, minimum):
    available(name)
    artifact = artifacts(name) if RUNTIMES[name].export_format else None
    runtime, threads = open_runtime(
        name, size=SIZE, build_model=lambda size: model, artifact=artifact, threads=1
    )
    assert threads
    calls = []

    def step():
        calls.append(1)
        return runtime.logits(images)

    times = measure_latency(step, warmup=2, iterations=3)
    assert len(calls) == 5 and len(times) == 3
    stats = summarize_latency(times, batch=len(images))
    assert stats["iterations"] == 3 and stats["fps"] > 0
    logits = np.asarray(step(), np.float32)
    assert logits.shape == keras_logits.shape
    assert len(np.unique(keras_logits.argmax(-1))) > 1  # the agreement below means something
    agreement = float(np.mean(logits.argmax(-1) == keras_logits.argmax(-1)))
    assert agreement >= minimum, (name, agreement)
    ids = runtime.segment(images.astype(np.uint8)[:1])
    assert ids.shape == (1, *SIZE) and ids.dtype == np.uint8


@pytest.mark.parametrize("name", FAST)
def test_each_runtime_loop_runs_and_agrees_with_keras(name, model, images, keras_logits, artifacts):
    check_loop(name, model, images, keras_logits, artifacts, minimum=0.999)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_each_quantized_tflite_loop_runs(name, model, images, keras_logits, artifacts):
    # random weights: quantized agreement is not a quality figure, only a sanity bound
    check_loop(name, model, images, keras_logits, artifacts, minimum=0.3)


def test_tftrt_without_tensorrt_is_skipped_with_the_reason():
    if importlib.util.find_spec("tensorrt") is not None:
        pytest.skip("TensorRT is installed here")
    assert "TensorRT is not installed" in runtime_problem("tftrt")


def test_missing_libraries_are_reasons_not_crashes(monkeypatch):
    real = bench_runtimes._installed
    monkeypatch.setattr(bench_runtimes, "_installed", lambda m: m != "onnxruntime" and real(m))
    assert runtime_problem("onnxruntime") == (
        "onnxruntime not installed: needs the onnx extra (pip install -e '.[onnx]': tf2onnx, "
        "onnx, onnxruntime)"
    )
    monkeypatch.setattr(bench_runtimes, "_installed", lambda m: False)
    assert runtime_problem("openvino") == "openvino is not installed (pip install openvino)"
    monkeypatch.setattr(bench_runtimes, "_installed", lambda m: True)
    monkeypatch.setattr(bench_runtimes, "_tfseg_module", lambda package, module: False)
    assert "no tfseg/export/openvino.py" in runtime_problem("openvino")
    assert runtime_problem("function") is None
