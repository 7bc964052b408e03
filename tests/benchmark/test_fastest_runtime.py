"""`--runtime=auto`: the measured fastest runtime of a model dir on this device (measured once
when there are no rows), else the preference order; the artifact exported once into the model dir
and reused; a named runtime opened the same way."""

import json
import os

import keras
import numpy as np
import pytest

import tfseg
from tfseg.benchmark.environment import device_name
from tfseg.benchmark.record import read_rows
from tfseg.benchmark.runtimes import runtime_problem
from tfseg.errors import ConfigError
from tfseg.model_dir import ModelDir
from tfseg.runtimes import fastest
from tfseg.runtimes.fastest import CPU_PREFERENCE, choose_runtime, open_model_runtime

from .conftest import hand_made_row

H, W = 64, 128


@pytest.fixture
def model_dir(tmp_path, tiny_cityscapes, randomize_batch_norms):
    """A hand-made model dir (5 classes, untrained) trained at 64x128 on the tiny set."""
    model_dir = ModelDir(tmp_path / "model")
    identity = {
        "encoder": "shufflenet", "decoder": "skipnet", "decoder_options": {}, "height": H,
        "width": W, "keep_void": False, "class_names": [f"c{i}" for i in range(5)],
    }  # fmt: skip
    os.makedirs(os.path.dirname(model_dir.best_model))
    with open(model_dir.config_path, "w") as f:
        colors = [[i * 40, 0, 0] for i in range(5)]
        json.dump(
            {"model": identity, "train": {"data_dir": tiny_cityscapes}, "data": {"colors": colors}},
            f,
        )
    keras.utils.set_random_seed(0)
    model = tfseg.build_model("shufflenet", "skipnet", num_classes=5, input_shape=(H, W))
    randomize_batch_norms(model)
    model.save(model_dir.best_model)
    return model_dir


def write_rows(model_dir, rows):
    folder = os.path.join(model_dir.path, "benchmarks")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "rows.jsonl"), "w") as f:
        f.write("".join(json.dumps(row) + "\n" for row in rows))


def test_without_rows_the_preference_order_decides(model_dir):
    expected = next(name for name in CPU_PREFERENCE if runtime_problem(name) is None)
    assert choose_runtime(model_dir, gpu=False)[0] == expected
    assert choose_runtime(model_dir, gpu=True)[0] == "function"  # no TensorRT here


def test_the_fastest_measured_row_of_this_device_at_the_nearest_size_wins(model_dir):
    here = device_name()
    write_rows(
        model_dir,
        [
            # at the model's size frozen_graph wins; openvino is faster only at another size
            hand_made_row(runtime="frozen_graph", device=here, height=H, width=W, fps=50.0),
            hand_made_row(runtime="openvino", device=here, height=H, width=W, fps=40.0),
            hand_made_row(runtime="openvino", device=here, height=512, width=1024, fps=90.0),
            # another machine, and a runtime auto never picks (quantized)
            hand_made_row(runtime="function", device="other-gpu", height=H, width=W, fps=900.0),
            hand_made_row(runtime="tflite_int8", device=here, height=H, width=W, fps=800.0),
        ],
    )
    name, reason = choose_runtime(model_dir, gpu=False)
    assert name == "frozen_graph" and "measured fastest here" in reason and "64x128" in reason
    assert choose_runtime(model_dir, gpu=False, size=(500, 1000))[0] == "openvino"
    # a damaged results file only loses its advice
    with open(os.path.join(model_dir.path, "benchmarks", "rows.jsonl"), "w") as f:
        f.write("not json\n")
    assert choose_runtime(model_dir, gpu=False)[1].startswith("no benchmark rows")


def test_the_artifact_is_exported_once_and_agrees_with_keras(model_dir):
    here = device_name()
    write_rows(model_dir, [hand_made_row(runtime="frozen_graph", device=here, height=H, width=W)])
    lines = []
    runtime, name = open_model_runtime(model_dir, progress=lines.append)
    folder = os.path.join(model_dir.export_dir("auto"), "frozen_graph-best")
    assert name == "frozen_graph" and runtime.format == "frozen_graph"
    assert any("exporting frozen_graph" in line for line in lines)
    manifest = os.path.join(folder, "export.json")
    written = os.path.getmtime(manifest)
    images = np.random.default_rng(0).integers(0, 256, (2, H, W, 3)).astype(np.uint8)
    keras_ids = tfseg.runtimes.load_runtime(model_dir.best_model).segment(images)
    assert (runtime.segment(images) == keras_ids).mean() > 0.999

    lines.clear()
    open_model_runtime(model_dir, progress=lines.append)  # reused, not exported again
    assert not any("exporting" in line for line in lines)
    assert os.path.getmtime(manifest) == written


def test_end_to_end_rows_decide_over_model_rows(model_dir):
    here = device_name()
    write_rows(
        model_dir,
        [
            hand_made_row(runtime="openvino", device=here, height=H, width=W, fps=90.0),
            hand_made_row(runtime="function", device=here, height=H, width=W, fps=20.0,
                          timed="end_to_end"),
            hand_made_row(runtime="frozen_graph", device=here, height=H, width=W, fps=30.0,
                          timed="end_to_end"),
        ],
    )  # fmt: skip
    assert choose_runtime(model_dir, gpu=False)[0] == "frozen_graph"


def test_without_rows_auto_measures_once_and_keeps_the_rows(model_dir, monkeypatch):
    # Two candidates keep it short; the real list is CPU_PREFERENCE.
    monkeypatch.setattr(fastest, "CPU_PREFERENCE", ("frozen_graph", "function"))
    lines = []
    _, name = open_model_runtime(model_dir, progress=lines.append)
    assert any(line.startswith("--runtime=auto: no benchmark rows") for line in lines)
    assert any("measured fastest here" in line for line in lines), lines
    assert name in ("frozen_graph", "function")
    rows = read_rows(os.path.join(model_dir.path, "benchmarks", f"{device_name()}.jsonl"))
    assert sorted(row["runtime"] for row in rows) == ["frozen_graph", "function"]
    assert all((row["height"], row["width"], row["batch_size"]) == (H, W, 1) for row in rows)
    assert all("measured by --runtime=auto" in row["notes"] for row in rows)
    lines.clear()
    open_model_runtime(model_dir, progress=lines.append)  # the rows decide now
    assert not any("no benchmark rows" in line for line in lines)


def test_a_named_runtime_is_opened_and_an_unknown_one_refused(model_dir):
    runtime, name = open_model_runtime(model_dir, "function", progress=None)
    assert name == "function" and runtime.format == "keras"
    with pytest.raises(ConfigError, match="--runtime=tflite_int8: unknown"):
        open_model_runtime(model_dir, "tflite_int8", progress=None)


def test_predict_runtime_auto_follows_the_rows(model_dir, run_tfseg, tiny_cityscapes, tmp_path):
    here = device_name()
    write_rows(
        model_dir,
        [
            hand_made_row(runtime="frozen_graph", device=here, height=H, width=W, fps=50.0),
            hand_made_row(runtime="function", device=here, height=H, width=W, fps=20.0),
        ],
    )
    out = tmp_path / "predicted"
    result = run_tfseg(
        "predict", f"--model_dir={model_dir.path}", "--runtime=auto", f"--output_dir={out}",
        f"--input={os.path.join(tiny_cityscapes, 'leftImg8bit', 'val')}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "--runtime=auto: frozen_graph (measured fastest here: 19.0 ms at 64x128" in result.stdout
    assert len(list(out.rglob("*_color.png"))) == 2


def test_a_model_dir_whose_data_set_is_gone_says_why_it_has_no_miou(model_dir, tmp_path):
    from tfseg.benchmark import run_benchmark

    config = model_dir.read_config()
    config["train"]["data_dir"] = "data/moved-away"  # relative, as training wrote it
    with open(model_dir.config_path, "w") as f:
        json.dump(config, f)
    made = run_benchmark(
        model_dir=model_dir.path, runtimes=["function"], sizes=[(H, W)], warmup=1,
        iterations=2, parity_images=2, results=str(tmp_path / "rows.jsonl"), progress=None,
    )  # fmt: skip
    (row,) = made["rows"]
    assert "no mIoU: its data set data/moved-away is not there (pass --data_dir)" in row["notes"]
    assert "miou=" not in row["notes"] and "other_cpu=" in row["notes"]
