"""Ctrl-C, SIGTERM, SIGKILL at several moments and two runs on one model dir: one line, the
conventional exit code, and a model dir that the same command resumes."""

import glob
import json
import os
import shutil
import signal
import subprocess

import pytest

from tests.reliability.conftest import (
    history_epochs,
    one_error_line,
    snapshot,
    train_args,
    wait_for,
)
from tfseg.model_dir import ModelDir


def pointer(model_dir):
    return os.path.join(model_dir, "checkpoints", "checkpoint")


def committed_epoch(model_dir):
    with open(pointer(model_dir)) as f:
        return int(f.readline().split('"')[1].rsplit("-", 1)[1])


def start_and_wait_for_first_checkpoint(start_tfseg, args, model_dir):
    process = start_tfseg(*args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(pointer(model_dir)), process)
    return process


def assert_resumable(model_dir, run_tfseg, args, epochs):
    kept = committed_epoch(model_dir)
    assert history_epochs(model_dir) == list(range(1, kept + 1))
    assert not os.path.exists(os.path.join(model_dir, "best-pending"))
    assert not [n for n in os.listdir(os.path.join(model_dir, "checkpoints")) if "_temp" in n]
    result = run_tfseg(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"resuming {model_dir} after epoch {kept}/{epochs}" in result.stdout
    assert history_epochs(model_dir) == list(range(1, epochs + 1))


# Each signal's one line and exit code is checked in the quick suite by one of the two tests
# below; the other pairing is marked slow.
SIGINT = (signal.SIGINT, 130, "SIGINT")
SIGTERM = (signal.SIGTERM, 143, "SIGTERM")


@pytest.mark.parametrize(
    "sent, code, name", [SIGINT, pytest.param(*SIGTERM, marks=pytest.mark.slow)]
)
def test_an_interrupted_run_says_how_to_resume_and_resumes(
    sent, code, name, tiny_cityscapes, run_tfseg, start_tfseg, tmp_path
):
    model_dir = str(tmp_path / "model")
    args = train_args(tiny_cityscapes, model_dir, "--epochs=3", "--eval_every=3")
    process = start_and_wait_for_first_checkpoint(start_tfseg, args, model_dir)
    process.send_signal(sent)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr[-3000:]
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("tfseg train:")]
    assert len(lines) == 1, stderr[-3000:]
    kept = committed_epoch(model_dir)
    assert lines[0].startswith(f"tfseg train: interrupted ({name})")
    assert f"rerun the same command to resume from epoch {kept + 1}" in lines[0]
    assert_resumable(model_dir, run_tfseg, args, epochs=3)


@pytest.mark.parametrize(
    "sent, code, name", [SIGTERM, pytest.param(*SIGINT, marks=pytest.mark.slow)]
)
def test_an_interruption_before_the_first_checkpoint_removes_the_new_model_dir(
    sent, code, name, tiny_cityscapes, start_tfseg, tmp_path
):
    model_dir = str(tmp_path / "model")
    args = train_args(tiny_cityscapes, model_dir, "--epochs=3")
    process = start_tfseg(*args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # config.json is written once the model is built, just before the first epoch.
    wait_for(lambda: os.path.exists(os.path.join(model_dir, "config.json")), process)
    process.send_signal(sent)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr[-3000:]
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("tfseg train:")]
    assert len(lines) == 1, stderr[-3000:]
    assert lines[0].startswith(f"tfseg train: interrupted ({name})")
    assert "before the first checkpoint" in lines[0] and "rerun the same command" in lines[0]
    assert not os.path.exists(model_dir)


def test_a_second_run_is_refused_and_a_killed_runs_lock_is_taken_over(
    tiny_cityscapes, run_tfseg, start_tfseg, tmp_path
):
    model_dir = str(tmp_path / "model")
    # Long enough to outlive the second run's start-up, which it is killed after.
    args = train_args(tiny_cityscapes, model_dir, "--epochs=40", "--eval_every=40")
    first = start_and_wait_for_first_checkpoint(start_tfseg, args, model_dir)
    try:
        second = run_tfseg(*args)
        assert first.poll() is None, "the first run ended before the second one was refused"
        line = one_error_line(second, "train")
        assert second.returncode == 2
        assert f"is in use by process {first.pid} (tfseg train" in line
        first.send_signal(signal.SIGKILL)  # mid-run, without a chance to clean up
    finally:
        first.kill()
        first.communicate()
    # The dead run's lock file is still there, with its PID.
    assert open(os.path.join(model_dir, ".tfseg.lock")).read().strip() == str(first.pid)
    kept = committed_epoch(model_dir)
    # The same run, one more epoch (--epochs is a setting, not part of the model's identity).
    result = run_tfseg(*train_args(tiny_cityscapes, model_dir, f"--epochs={kept + 1}"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"took over the lock of process {first.pid}, which is not running" in result.stdout
    assert f"resuming {model_dir} after epoch {kept}/{kept + 1}" in result.stdout
    assert history_epochs(model_dir) == list(range(1, kept + 2))


@pytest.mark.xdist_group("reliability_trained")
def test_a_kill_during_the_checkpoint_write_is_repaired_on_resume(
    run_copy, tiny_cityscapes, run_tfseg
):
    """The files a run killed inside epoch 3's commit leaves: the history of epoch 3, a pending
    best model of epoch 3 and TensorFlow's half-written checkpoint folder, but no pointer to it."""
    model_dir = ModelDir(run_copy)
    with open(model_dir.history, "a") as f:
        f.write(json.dumps({"epoch": 3, "loss": 1.0}) + "\n")
    shutil.copytree(os.path.dirname(model_dir.best_model), model_dir.best_pending)
    with open(os.path.join(model_dir.best_pending, "metrics.json"), "w") as f:
        json.dump({"epoch": 3, "miou": 0.9}, f)
    os.makedirs(os.path.join(model_dir.checkpoints, "ckpt-3_temp"))
    best_before = snapshot(os.path.dirname(model_dir.best_model))

    result = run_tfseg(*train_args(tiny_cityscapes, run_copy, "--epochs=3"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "dropped 1 record(s)" in result.stdout and "resuming" in result.stdout
    assert history_epochs(run_copy) == [1, 2, 3]
    assert not os.path.exists(model_dir.best_pending)
    assert not os.path.exists(os.path.join(model_dir.checkpoints, "ckpt-3_temp"))
    best_epoch = json.load(open(model_dir.best_metrics))["epoch"]
    assert best_epoch in (1, 2, 3)
    if best_epoch != 3:
        assert snapshot(os.path.dirname(model_dir.best_model)) == best_before


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.4, 1.2, 2.5])
def test_sigkill_at_several_moments_always_resumes(
    delay, tiny_cityscapes, run_tfseg, start_tfseg, tmp_path
):
    import time

    model_dir = str(tmp_path / "model")
    args = train_args(tiny_cityscapes, model_dir, "--epochs=3")
    process = start_and_wait_for_first_checkpoint(start_tfseg, args, model_dir)
    time.sleep(delay)
    process.kill()
    process.communicate()
    if committed_epoch(model_dir) == 3:
        pytest.skip("the run finished before the kill")
    # The kill may land between any two writes of an epoch: the rerun repairs and resumes.
    result = run_tfseg(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert history_epochs(model_dir) == [1, 2, 3]
    assert not os.path.exists(os.path.join(model_dir, "best-pending"))


def test_a_first_run_that_fails_before_its_checkpoint_leaves_nothing(
    tiny_cityscapes, run_tfseg, tmp_path
):
    model_dir = tmp_path / "model"
    model_dir.mkdir()  # made by the user: it stays, empty
    result = run_tfseg(*train_args(tiny_cityscapes, model_dir, "--learning_rate=1e30"))
    line = one_error_line(result, "train")
    assert result.returncode == 2 and "the loss became" in line
    assert "no checkpoint had been written yet, so the run's files are removed" in line
    assert os.listdir(model_dir) == []  # a retry, with any settings, starts clean


def test_an_interrupted_synth_leaves_no_data_set(start_tfseg, tmp_path):
    out = tmp_path / "data"
    process = start_tfseg("data", "synth", f"--out={out}", "--num_train=200", "--num_val=0",
                          "--height=256", "--width=512", "--workers=1",
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    # Scenes are being written into the staging folder.
    wait_for(lambda: len(glob.glob(f"{out}/.partial-*/leftImg8bit/train/*/*.png")) >= 2, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and stderr == "tfseg data: interrupted (SIGINT)\n", stderr
    assert not out.exists()
