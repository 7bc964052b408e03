"""Read-only folders and file systems, a full disk, and files where folders belong: one line
naming the path, exit code 2 (the user's path) or 3 (the machine), and no file lost or left
half-written. tmpfs mounts are skipped where mounting is not permitted, chmod where it does not
bite (root)."""

import os
import shutil

import pytest

from tests.reliability.conftest import (
    history_epochs,
    is_root_proof_chmod,
    one_error_line,
    snapshot,
    train_args,
)
from tfseg.model_dir import ModelDir


def test_a_model_dir_that_is_a_file_is_named(tiny_cityscapes, run_tfseg, tmp_path):
    path = tmp_path / "model"
    path.write_text("not a folder")
    result = run_tfseg(*train_args(tiny_cityscapes, path, "--epochs=1"))
    line = one_error_line(result, "train")
    assert result.returncode == 2 and f"--model_dir={path} is a file" in line
    assert path.read_text() == "not a folder"


def test_a_model_dir_under_a_file_is_named(tiny_cityscapes, run_tfseg, tmp_path):
    (tmp_path / "file").write_text("x")
    result = run_tfseg(*train_args(tiny_cityscapes, tmp_path / "file" / "model", "--epochs=1"))
    line = one_error_line(result, "train")
    assert result.returncode == 2 and "not a folder" in line


def test_a_read_only_model_dir_is_named(tiny_cityscapes, run_tfseg, tmp_path):
    if not is_root_proof_chmod(str(tmp_path)):
        pytest.skip("chmod does not stop writes here (running as root)")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run_tfseg(*train_args(tiny_cityscapes, folder / "model", "--epochs=1"))
    finally:
        folder.chmod(0o755)
    line = one_error_line(result, "train")
    assert result.returncode == 2 and "permission denied" in line
    assert not os.path.exists(folder / "model")


def test_a_read_only_file_system_is_an_environment_error(tiny_cityscapes, run_tfseg, tmpfs):
    mount = tmpfs(size="1m", read_only=True)
    result = run_tfseg(*train_args(tiny_cityscapes, os.path.join(mount, "model"), "--epochs=1"))
    line = one_error_line(result, "train")
    assert result.returncode == 3 and "read-only file system" in line and mount in line


def test_synth_onto_a_read_only_file_system_writes_nothing(run_tfseg, tmpfs):
    mount = tmpfs(size="1m", read_only=True)
    out = os.path.join(mount, "data")
    result = run_tfseg("data", "synth", f"--out={out}", "--num_train=2", "--num_val=1",
                       "--height=64", "--width=128")  # fmt: skip
    line = one_error_line(result, "data")
    assert result.returncode == 3 and "read-only file system" in line
    assert not os.path.exists(out)


def test_a_full_disk_while_synthesizing_leaves_no_data_set(run_tfseg, tmpfs):
    mount = tmpfs(size="200k")
    out = os.path.join(mount, "data")
    result = run_tfseg("data", "synth", f"--out={out}", "--num_train=8", "--num_val=4",
                       "--height=256", "--width=512", "--workers=1")  # fmt: skip
    line = one_error_line(result, "data")
    assert result.returncode == 3 and "no space left on the device" in line
    assert not os.path.exists(out) and os.listdir(mount) == []
    check = run_tfseg("data", "check", f"--data_dir={out}")
    assert check.returncode != 0


@pytest.mark.xdist_group("reliability_trained")
def test_a_full_disk_at_the_end_of_an_epoch_keeps_the_last_checkpoint(
    trained_run, tiny_cityscapes, run_tfseg, tmpfs
):
    """The run's dir on a tmpfs with room for what it holds and little more: the next epoch's
    best model or checkpoint does not fit. Exit 3, one line; ckpt-2, best/ and the history stay
    as they were and load; nothing half-written remains."""
    used = sum(os.path.getsize(os.path.join(r, n)) for r, _, ns in os.walk(trained_run) for n in ns)
    mount = tmpfs(size=f"{used // 1024 + 1024}k")
    model_dir = os.path.join(mount, "model")
    shutil.copytree(trained_run, model_dir)
    before = snapshot(model_dir)
    result = run_tfseg(*train_args(tiny_cityscapes, model_dir, "--epochs=3"))
    line = one_error_line(result, "train")
    assert result.returncode == 3, result.stderr[-3000:]
    assert "no space left on the device" in line and "rerun the same command" in line
    assert line.split(": ")[2].startswith(model_dir)  # names the file it was writing
    after = snapshot(model_dir)
    # config.json records the last run's settings (--epochs=3 now); logs/ grows.
    kept = {p: d for p, d in before.items() if not p.startswith("logs") and p != "config.json"}
    assert {p: d for p, d in after.items() if p in kept} == kept  # nothing lost or changed
    extra = [p for p in after if p not in before and not p.startswith("logs")]
    assert extra == [], extra  # no temporary or partial file left
    assert history_epochs(model_dir) == [1, 2]
    ModelDir(model_dir).load_model("best")
    ModelDir(model_dir).load_model("last")


@pytest.mark.xdist_group("reliability_trained")
def test_predict_into_a_file_is_named(trained_run, tiny_cityscapes, run_tfseg, tmp_path):
    out = tmp_path / "out"
    out.write_text("x")
    image_dir = os.path.join(tiny_cityscapes, "leftImg8bit", "val")
    result = run_tfseg("predict", f"--model_dir={trained_run}", f"--input={image_dir}",
                       f"--output_dir={out}")  # fmt: skip
    line = one_error_line(result, "predict")
    assert result.returncode == 2 and str(out) in line
    assert out.read_text() == "x"


@pytest.mark.xdist_group("reliability_trained")
def test_predict_says_when_it_replaces_earlier_outputs(
    trained_run, tiny_cityscapes, run_tfseg, tmp_path
):
    image_dir = os.path.join(tiny_cityscapes, "leftImg8bit", "val")
    args = ["predict", f"--model_dir={trained_run}", f"--input={image_dir}",
            f"--output_dir={tmp_path / 'out'}"]  # fmt: skip
    first = run_tfseg(*args)
    assert first.returncode == 0 and "replacing" not in first.stdout, first.stderr[-3000:]
    again = run_tfseg(*args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"replacing 4 earlier output file(s) in {tmp_path / 'out'}" in again.stdout


@pytest.mark.xdist_group("reliability_trained")
def test_a_full_disk_while_predicting_leaves_only_whole_files(
    trained_run, tiny_cityscapes, run_tfseg, tmpfs
):
    mount = tmpfs(size="12k")
    image_dir = os.path.join(tiny_cityscapes, "leftImg8bit", "val")
    result = run_tfseg("predict", f"--model_dir={trained_run}", f"--input={image_dir}",
                       f"--output_dir={mount}/out")  # fmt: skip
    line = one_error_line(result, "predict")
    assert result.returncode == 3 and "no space left on the device" in line
    assert line.split(": ")[2].startswith(f"{mount}/out/")
    for root, _, names in os.walk(mount):
        for name in names:
            assert not name.startswith(".tmp-"), name
            with open(os.path.join(root, name), "rb") as f:
                assert f.read().endswith(b"IEND\xaeB`\x82"), name  # a complete PNG


def test_a_full_disk_before_the_first_checkpoint_leaves_nothing(tiny_cityscapes, run_tfseg, tmpfs):
    mount = tmpfs(size="2m")  # less than one best model
    model_dir = os.path.join(mount, "model")
    result = run_tfseg(*train_args(tiny_cityscapes, model_dir, "--epochs=1"))
    line = one_error_line(result, "train")
    assert result.returncode == 3, result.stderr[-3000:]
    assert f"{model_dir}/best-pending/model.keras: no space left on the device" in line
    assert os.listdir(mount) == []  # no model.tmp.keras, no ckpt-1_temp, no config-only dir
