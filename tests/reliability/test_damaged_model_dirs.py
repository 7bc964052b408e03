"""Truncated, empty or random model and checkpoint files, tampered configs, Lambda models and
missing folders: one line naming the file, exit code 2, and nothing of the run is changed."""

import json
import os
import shutil

import keras
import numpy as np
import pytest

from tests.reliability.conftest import one_error_line, snapshot, train_args
from tfseg.errors import DataError
from tfseg.model_dir import ModelDir, load_keras_model

# Most tests damage a copy of the one trained run: one worker trains it for all of them.
pytestmark = pytest.mark.xdist_group("reliability_trained")


def truncate(path, keep=0.5):
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: int(len(data) * keep)])


def randomize(path):
    size = os.path.getsize(path)
    with open(path, "wb") as f:
        f.write(np.random.default_rng(0).integers(0, 256, size, np.uint8).tobytes())


def checkpoint_file(model_dir, suffix):
    folder = os.path.join(model_dir, "checkpoints")
    return os.path.join(folder, next(n for n in os.listdir(folder) if n.endswith(suffix)))


@pytest.mark.parametrize("damage", ["truncated", "empty", "random"])
def test_a_damaged_best_model_is_named(run_copy, damage):
    path = ModelDir(run_copy).best_model
    {"truncated": truncate, "empty": lambda p: truncate(p, 0), "random": randomize}[damage](path)
    with pytest.raises(DataError) as refused:
        ModelDir(run_copy).load_model("best")
    assert str(refused.value).startswith(f"{path}: cannot load the model (")
    assert "damaged or truncated" in str(refused.value)
    assert "File not found" not in str(refused.value)  # Keras' words, for a file that exists


@pytest.mark.parametrize(
    "suffix, damage",
    [(".index", truncate), (".index", randomize), (".data-00000-of-00001", truncate)],
)
def test_a_damaged_checkpoint_is_named(run_copy, suffix, damage):
    damage(checkpoint_file(run_copy, suffix))
    with pytest.raises(DataError, match=r"ckpt-2: cannot restore the checkpoint \("):
        ModelDir(run_copy).load_model("last")


def test_a_lambda_model_is_refused_as_one_line(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    path = str(tmp_path / "lambda.keras")
    model.save(path)
    with pytest.raises(DataError, match="refused, the model holds a Lambda layer"):
        load_keras_model(path)


def test_train_refuses_a_truncated_checkpoint_and_keeps_the_run(run_copy, tiny_cityscapes,
                                                                 run_tfseg):  # fmt: skip
    truncate(checkpoint_file(run_copy, ".data-00000-of-00001"))
    before = snapshot(run_copy)
    result = run_tfseg(*train_args(tiny_cityscapes, run_copy, "--epochs=3"))
    line = one_error_line(result, "train")
    assert result.returncode == 2 and "cannot restore the checkpoint" in line
    assert snapshot(run_copy) == before


def test_train_refuses_a_pointer_to_a_missing_checkpoint_and_keeps_the_run(
    run_copy, tiny_cityscapes, run_tfseg
):
    """The worst case of the issue: this used to start again from scratch, deleting ckpt-2,
    overwriting best/ and appending epochs 1, 2, ... to the history."""
    pointer = os.path.join(run_copy, "checkpoints", "checkpoint")
    with open(pointer) as f:
        text = f.read()
    with open(pointer, "w") as f:
        f.write(text.replace("ckpt-2", "ckpt-7"))
    before = snapshot(run_copy)
    result = run_tfseg(*train_args(tiny_cityscapes, run_copy, "--epochs=3"))
    line = one_error_line(result, "train")
    assert result.returncode == 2
    assert "names checkpoint ckpt-7, but" in line and "refusing to start this run again" in line
    assert snapshot(run_copy) == before


def test_predict_on_a_missing_model_dir_is_one_line(run_tfseg, tmp_path, tiny_cityscapes):
    missing = tmp_path / "nowhere"
    result = run_tfseg("predict", f"--model_dir={missing}", f"--input={tiny_cityscapes}")
    line = one_error_line(result, "predict")
    assert result.returncode == 2 and f"--model_dir={missing} does not exist" in line


def test_a_config_without_its_model_entry_is_named(run_copy, run_tfseg, tiny_cityscapes):
    config = os.path.join(run_copy, "config.json")
    stored = json.load(open(config))
    del stored["model"]
    json.dump(stored, open(config, "w"))
    result = run_tfseg("evaluate", f"--model_dir={run_copy}", "--noprogress")
    line = one_error_line(result, "evaluate")
    assert result.returncode == 2 and f"{config}: no 'model' entry" in line


def test_evaluate_names_a_truncated_best_model(run_copy, run_tfseg):
    path = ModelDir(run_copy).best_model
    truncate(path)
    result = run_tfseg("evaluate", f"--model_dir={run_copy}", "--noprogress")
    line = one_error_line(result, "evaluate")
    assert result.returncode == 2 and f"{path}: cannot load the model" in line
    assert not os.path.exists(os.path.join(run_copy, "metrics.json"))


def test_a_history_of_another_run_stops_training_before_it_overwrites_anything(
    run_copy, tiny_cityscapes, run_tfseg
):
    history = os.path.join(run_copy, "history.jsonl")
    shutil.copy(history, history + ".orig")
    with open(history, "a") as f:
        f.write(open(history + ".orig").read())  # epochs 1, 2, 1, 2: two runs in one file
    before = snapshot(run_copy)
    result = run_tfseg(*train_args(tiny_cityscapes, run_copy, "--epochs=3"))
    line = one_error_line(result, "train")
    assert result.returncode == 2 and "records epochs 1, 2, 1, 2, but the checkpoint" in line
    assert snapshot(run_copy) == before
