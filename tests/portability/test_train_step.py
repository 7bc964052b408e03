"""One ShuffleNet training step from the CLI, with oneDNN forced off and forced on."""

import json
import os
import subprocess
import sys

import pytest

from .conftest import SETTINGS, onednn_env

pytestmark = [pytest.mark.platform, pytest.mark.xdist_group("platform_train_step")]


def train_one_step(data_dir, model_dir, setting):
    command = [sys.executable, "-m", "tfseg.cli.main", "train", "--encoder=shufflenet",
               "--decoder=skipnet", f"--data_dir={data_dir}", f"--model_dir={model_dir}",
               "--epochs=1", "--steps_per_epoch=1", "--batch_size=4", "--height=64",
               "--width=128"]  # fmt: skip
    result = subprocess.run(
        command, env=onednn_env(setting), capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"TF_ENABLE_ONEDNN_OPTS={setting}:\n{result.stderr[-3000:]}"
    with open(os.path.join(model_dir, "history.jsonl")) as f:
        return [json.loads(line) for line in f]


def test_a_shufflenet_training_step_gives_the_same_loss_with_onednn_off_and_on(tiny_data, tmp_path):
    histories = {s: train_one_step(tiny_data, str(tmp_path / s), s) for s in SETTINGS}
    off, on = histories["0"], histories["1"]
    assert len(off) == len(on) == 1
    # Same seed, same batch: the step's loss is the same forward pass under both kernels.
    assert off[0]["loss"] == pytest.approx(on[0]["loss"], rel=1e-4)
