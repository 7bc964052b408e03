"""`tfseg train / evaluate / predict` end to end on a tiny synthetic set, resumption after a
killed run, divergence, and every bad input (one clear line, non-zero exit, nothing written)."""

import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest
import tensorflow as tf

# One worker runs the whole module, so its module-scoped runs happen once.
pytestmark = pytest.mark.xdist_group("train_cli")
MODEL = ["--encoder=shufflenet", "--decoder=skipnet", "--height=64", "--width=128"]


def train_args(data_dir, model_dir, *extra):
    return ["train", *MODEL, f"--data_dir={data_dir}", f"--model_dir={model_dir}",
            "--batch_size=4", "--learning_rate=1e-3", "--bn_momentum=0.9", *extra]  # fmt: skip


@pytest.fixture(scope="module")
def data_dir(synthetic_set):
    return synthetic_set(num_train=16, num_val=3, height=64, width=128, seed=0)


@pytest.fixture(scope="module")
def trained(data_dir, run_tfseg, tmp_path_factory):
    """A model trained for 2 epochs, shared by the evaluate / predict / resume tests."""
    model_dir = str(tmp_path_factory.mktemp("run") / "model")
    result = run_tfseg(*train_args(data_dir, model_dir, "--epochs=2"))
    assert result.returncode == 0, result.stderr
    return model_dir, result


def test_train_writes_checkpoints_best_model_history_and_tensorboard(trained):
    model_dir, result = trained
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["epochs_run"] == 2 and summary["resumed_from_epoch"] == 0
    assert 0.0 <= summary["best_miou"] <= 1.0 and summary["best_epoch"] in (1, 2)
    assert f"best model: {model_dir}/best/model.keras" in result.stdout
    assert tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints")).endswith("ckpt-2")
    assert os.path.exists(os.path.join(model_dir, "best", "model.keras"))
    best = json.load(open(os.path.join(model_dir, "best", "metrics.json")))
    assert best["epoch"] == summary["best_epoch"] and len(best["iou"]) == 19
    history = [json.loads(line) for line in open(os.path.join(model_dir, "history.jsonl"))]
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(h["loss"] > 0 and 0 <= h["val_miou"] <= 1 for h in history)
    config = json.load(open(os.path.join(model_dir, "config.json")))
    assert config["model"]["encoder"] == "shufflenet" and len(config["data"]["colors"]) == 19

    tags = set()
    for folder in ("train", "val"):
        for name in os.listdir(os.path.join(model_dir, "logs", folder)):
            path = os.path.join(model_dir, "logs", folder, name)
            for event in tf.compat.v1.train.summary_iterator(path):
                tags.update(value.tag for value in event.summary.value)
    assert {"loss", "learning_rate", "miou", "iou/road", "input", "prediction"} <= tags


def test_evaluate_writes_metrics_equal_to_the_official_script(trained, run_tfseg, tmp_path):
    model_dir, _ = trained
    predictions = tmp_path / "predictions"
    result = run_tfseg("evaluate", f"--model_dir={model_dir}", f"--predictions_dir={predictions}",
                   "--official", "--noprogress")  # fmt: skip
    assert result.returncode == 0, result.stderr
    metrics = json.load(open(os.path.join(model_dir, "metrics.json")))
    assert {"miou", "iou", "category_iou", "iiou", "pixel_accuracy"} <= set(metrics)
    assert len(metrics["iou"]) == 19 and len(metrics["category_iou"]) == 7
    for key, official in metrics["official"].items():
        if metrics[key] is None:
            assert official is None
        else:
            assert metrics[key] == pytest.approx(official, abs=1e-4)
    written = [f for _, _, files in os.walk(predictions) for f in files]
    assert len(written) == 3 and all(f.endswith("_pred_labelIds.png") for f in written)


def test_predict_writes_coloured_predictions_and_overlays(trained, data_dir, run_tfseg, tmp_path):
    model_dir, _ = trained
    result = run_tfseg("predict", f"--model_dir={model_dir}", f"--output_dir={tmp_path / 'out'}",
                   f"--input={os.path.join(data_dir, 'leftImg8bit', 'val')}")  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = sorted(f for _, _, files in os.walk(tmp_path / "out") for f in files)
    assert len(written) == 6
    assert sum(f.endswith("_color.png") for f in written) == 3
    assert sum(f.endswith("_overlay.png") for f in written) == 3


def test_a_killed_run_resumes_after_the_last_finished_epoch(
    data_dir, run_tfseg, start_tfseg, tmp_path
):
    model_dir = str(tmp_path / "model")
    args = train_args(data_dir, model_dir, "--epochs=3", "--batch_size=2", "--steps_per_epoch=4")
    process = start_tfseg(*args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    state = os.path.join(model_dir, "checkpoints", "checkpoint")
    try:
        deadline = time.time() + 240
        while not os.path.exists(state) and process.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        assert process.poll() is None, "the run ended before it could be killed"
        process.send_signal(signal.SIGKILL)  # mid-epoch 2, without any chance to clean up
    finally:
        process.kill()
        process.wait()
    finished = int(tf.train.latest_checkpoint(os.path.dirname(state)).rsplit("-", 1)[1])
    assert finished < 3

    result = run_tfseg(*args)
    assert result.returncode == 0, result.stderr
    assert f"resuming {model_dir} after epoch {finished}/3" in result.stdout
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["resumed_from_epoch"] == finished and summary["epochs_run"] == 3 - finished
    epochs = [json.loads(line)["epoch"] for line in open(os.path.join(model_dir, "history.jsonl"))]
    assert epochs[-(3 - finished) :] == list(range(finished + 1, 4))  # nothing redone
    assert len(epochs) == len(set(epochs))
    # Atomic writes leave no temporary files behind, even after the kill.
    assert set(os.listdir(os.path.join(model_dir, "best"))) == {"model.keras", "metrics.json"}


def test_a_diverging_loss_stops_and_keeps_the_last_good_checkpoint(trained, run_tfseg, tmp_path):
    source, _ = trained
    model_dir = str(tmp_path / "model")
    # Continue a copy of the trained run with an absurd learning rate: the weights overflow.
    subprocess.run(["cp", "-r", source, model_dir], check=True)
    data_dir = json.load(open(os.path.join(model_dir, "config.json")))["train"]["data_dir"]
    before = open(os.path.join(model_dir, "checkpoints", "checkpoint")).read()
    result = run_tfseg(*train_args(data_dir, model_dir, "--epochs=3", "--learning_rate=1e30"))
    assert result.returncode == 2
    assert "the loss became nan" in result.stderr or "the loss became inf" in result.stderr
    assert "last good checkpoint (epoch 2)" in result.stderr
    assert "Traceback" not in result.stderr
    assert open(os.path.join(model_dir, "checkpoints", "checkpoint")).read() == before


@pytest.fixture
def empty_split_dir(data_dir, tmp_path):
    root = tmp_path / "data"
    for split in ("leftImg8bit", "gtFine"):
        (root / split / "train").mkdir(parents=True)
    return str(root)


BAD = [
    (["--encoder=resnet50"], "flag --encoder=resnet50: value should be one of"),
    (["--epochs=0"], "flag --epochs=0: 0 is not"),
    (["--batch_size=-2"], "flag --batch_size=-2"),
    (["--learning_rate=-1"], "flag --learning_rate=-1"),
    (["--pretrained=/nonexistent/weights.h5"], "/nonexistent/weights.h5"),
    (["--strategy=multi_worker"], "TF_CONFIG"),
    (["--scale_min=2", "--scale_max=1"], "--scale_min=2.0 is larger than --scale_max=1.0"),
    (["--batch_size=64"], "fewer than one batch of 64"),
]


@pytest.mark.parametrize("extra, message", BAD, ids=[m.split(":")[0][:30] for _, m in BAD])
def test_bad_flags_fail_clearly_and_write_nothing(data_dir, run_tfseg, tmp_path, extra, message):
    model_dir = tmp_path / "model"
    result = run_tfseg(*train_args(data_dir, str(model_dir), "--epochs=1"), *extra)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not model_dir.exists() or not any(model_dir.iterdir())


def test_a_pretrained_file_of_another_network_is_refused(data_dir, run_tfseg, tmp_path):
    weights = tmp_path / "other.npz"
    np.savez(weights, **{"dense_1/kernel": np.zeros((3, 3), "float32")})
    model_dir = tmp_path / "model"
    result = run_tfseg(
        *train_args(data_dir, str(model_dir), "--epochs=1", f"--pretrained={weights}")
    )
    assert result.returncode == 2
    assert str(weights) in result.stderr and "Traceback" not in result.stderr
    assert not model_dir.exists()


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_with_finite_losses(data_dir, run_tfseg, tmp_path, precision):
    model_dir = str(tmp_path / "model")
    extra = ["--epochs=1", "--steps_per_epoch=2", f"--precision={precision}"]
    result = run_tfseg(*train_args(data_dir, model_dir, *extra))
    assert result.returncode == 0, result.stderr
    history = [json.loads(line) for line in open(os.path.join(model_dir, "history.jsonl"))]
    assert np.isfinite(history[0]["loss"])


def test_missing_data_dir_and_empty_split_are_named(empty_split_dir, run_tfseg, tmp_path):
    missing = run_tfseg(*train_args(str(tmp_path / "nowhere"), str(tmp_path / "m1"), "--epochs=1"))
    assert missing.returncode == 2 and "nowhere" in missing.stderr
    empty = run_tfseg(*train_args(empty_split_dir, str(tmp_path / "m2"), "--epochs=1"))
    assert empty.returncode == 2 and "train" in empty.stderr
    for result in (missing, empty):
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "m1").exists() and not (tmp_path / "m2").exists()


def test_a_model_dir_holding_another_model_is_refused(trained, data_dir, run_tfseg):
    model_dir, _ = trained
    config = open(os.path.join(model_dir, "config.json")).read()
    other = [a.replace("shufflenet", "mobilenet") for a in train_args(data_dir, model_dir)]
    result = run_tfseg(*other, "--epochs=3")
    assert result.returncode == 2
    assert "holds a different model (encoder: 'shufflenet' there, 'mobilenet' now)" in result.stderr
    assert open(os.path.join(model_dir, "config.json")).read() == config
