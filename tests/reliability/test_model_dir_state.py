"""The pieces of checked resumption, in process: the model dir lock, history.jsonl, and how a
checkpoint, its history and best/ are made to agree (or refused) after a kill at any moment."""

import json
import os
import subprocess
import sys

import pytest

from tfseg.errors import DataError, Terminated
from tfseg.io.folder_lock import LOCK_FILE, FolderLock
from tfseg.model_dir import ModelDir
from tfseg.training.resumption import check_fresh_start, reconcile
from tfseg.training.run_history import RunHistory
from tfseg.training.run_progress import RunProgress


def write_history(model_dir, epochs, tail=""):
    with open(model_dir.history, "w") as f:
        f.writelines(json.dumps({"epoch": e, "loss": 1.0}) + "\n" for e in epochs)
        f.write(tail)


def write_best(folder, epoch):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.keras"), "w") as f:
        f.write(f"model of epoch {epoch}")
    with open(os.path.join(folder, "metrics.json"), "w") as f:
        json.dump({"epoch": epoch, "miou": 0.5}, f)


@pytest.fixture
def model_dir(tmp_path):
    path = ModelDir(tmp_path / "model")
    os.makedirs(path.path)
    return path


def test_a_second_lock_is_refused_naming_the_holder(tmp_path):
    with FolderLock(tmp_path / "m", "tfseg train"):
        with pytest.raises(DataError) as refused:
            FolderLock(tmp_path / "m", "tfseg train").acquire()
    assert f"in use by process {os.getpid()} (tfseg train" in str(refused.value)
    assert not (tmp_path / "m" / LOCK_FILE).exists()  # removed on release
    FolderLock(tmp_path / "m", "tfseg train").acquire().release()  # free again


def test_the_lock_of_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    os.makedirs(tmp_path / "m")
    (tmp_path / "m" / LOCK_FILE).write_text(dead.stdout)
    with FolderLock(tmp_path / "m", "tfseg train") as lock:
        assert lock.stale_pid == int(dead.stdout)
        assert (tmp_path / "m" / LOCK_FILE).read_text().strip() == str(os.getpid())


def test_history_is_rewritten_whole_and_an_unfinished_line_is_dropped(model_dir):
    write_history(model_dir, [1, 2], tail='{"epoch": 3, "lo')
    history = RunHistory(model_dir.history).load()
    assert history.epochs == [1, 2] and "unfinished last line" in history.repaired
    history.append({"epoch": 3, "loss": 0.5})
    lines = open(model_dir.history).read().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]
    assert not [n for n in os.listdir(model_dir.path) if n.startswith(".tmp-")]


def test_a_damaged_history_line_is_refused_with_its_number(model_dir):
    with open(model_dir.history, "w") as f:
        f.write('{"epoch": 1}\nnot json\n')
    with pytest.raises(DataError, match=r"history.jsonl, line 2: not a JSON epoch record"):
        RunHistory(model_dir.history).load()


def test_records_after_the_checkpoint_are_dropped_so_their_epoch_runs_again(model_dir):
    # Killed after the history of epoch 3 was written, before its checkpoint.
    write_history(model_dir, [1, 2, 3])
    write_best(os.path.dirname(model_dir.best_model), 2)
    history, notes = reconcile(model_dir, epoch=2, best_epoch=2)
    assert history.epochs == [1, 2] and RunHistory(model_dir.history).load().epochs == [1, 2]
    assert any("after epoch 2" in note for note in notes)


def test_a_pending_best_model_of_an_uncheckpointed_epoch_is_dropped(model_dir):
    # Killed between writing best-pending/ (epoch 3) and the checkpoint of epoch 3.
    write_history(model_dir, [1, 2, 3])
    write_best(os.path.dirname(model_dir.best_model), 1)
    write_best(model_dir.best_pending, 3)
    reconcile(model_dir, epoch=2, best_epoch=1)
    assert not os.path.exists(model_dir.best_pending) and model_dir.best_epoch() == 1


def test_a_pending_best_model_the_checkpoint_counts_is_moved_into_place(model_dir):
    # Killed after the checkpoint of epoch 3, before best-pending/ was moved into best/.
    write_history(model_dir, [1, 2, 3])
    write_best(os.path.dirname(model_dir.best_model), 1)
    write_best(model_dir.best_pending, 3)
    _, notes = reconcile(model_dir, epoch=3, best_epoch=3)
    assert model_dir.best_epoch() == 3 and not os.path.exists(model_dir.best_pending)
    assert open(model_dir.best_model).read() == "model of epoch 3"
    assert any("moved the best model of epoch 3" in note for note in notes)


@pytest.mark.parametrize(
    "epochs, message",
    [([1, 2, 1, 2], "records epochs 1, 2, 1, 2, but the checkpoint has finished epochs 1-2"),
     ([1], "records epochs 1, but the checkpoint has finished epochs 1-2"),
     ([], "records epochs none")],
)  # fmt: skip
def test_a_history_of_another_run_is_refused(model_dir, epochs, message):
    write_history(model_dir, epochs)
    before = open(model_dir.history).read()
    with pytest.raises(DataError, match=message):
        reconcile(model_dir, epoch=2, best_epoch=0)
    assert open(model_dir.history).read() == before


def test_a_best_model_of_another_epoch_is_refused(model_dir):
    write_history(model_dir, [1, 2])
    write_best(os.path.dirname(model_dir.best_model), 1)
    with pytest.raises(DataError, match="best model is of epoch 2, but best/ holds the model of"):
        reconcile(model_dir, epoch=2, best_epoch=2)


def test_a_fresh_start_over_another_runs_epochs_is_refused(model_dir):
    write_history(model_dir, [1, 2])
    with pytest.raises(DataError, match="records 2 epoch.* holds no checkpoint"):
        check_fresh_start(model_dir)


def test_a_pointer_naming_a_missing_checkpoint_is_refused(model_dir):
    os.makedirs(model_dir.checkpoints)
    with open(os.path.join(model_dir.checkpoints, "checkpoint"), "w") as f:
        f.write('model_checkpoint_path: "ckpt-3"\nall_model_checkpoint_paths: "ckpt-3"\n')
    with pytest.raises(DataError, match="names checkpoint ckpt-3, but .*ckpt-3.index does not"):
        model_dir.latest_checkpoint()


def test_checkpoint_files_without_a_pointer_are_refused(model_dir):
    os.makedirs(model_dir.checkpoints)
    for suffix in (".index", ".data-00000-of-00001"):
        open(os.path.join(model_dir.checkpoints, f"ckpt-2{suffix}"), "w").close()
    with pytest.raises(DataError, match="checkpoint files .ckpt-2.index. but no pointer"):
        model_dir.latest_checkpoint()


def test_a_dir_left_by_a_run_killed_before_its_first_checkpoint_starts_afresh(model_dir):
    with open(model_dir.config_path, "w") as f:
        json.dump({"model": {"encoder": "vgg16"}, "train": {}, "data": {}}, f)
    os.makedirs(model_dir.logs)
    assert not model_dir.has_training_state()
    model_dir.check_identity({"encoder": "shufflenet"})  # not refused: nothing to lose


@pytest.mark.parametrize(
    "progress, interruption, line",
    [({"committed": 6, "current": 6}, KeyboardInterrupt(),
      "interrupted (SIGINT) during epoch 7/200; epochs 1-6 are kept in {path}: rerun the same "
      "command to resume from epoch 7"),
     ({"committed": 1, "current": 1}, Terminated(),
      "interrupted (SIGTERM) during epoch 2/200; epoch 1 is kept in {path}: rerun the same "
      "command to resume from epoch 2"),
     ({"fresh": True, "current": 0}, KeyboardInterrupt(),
      "interrupted (SIGINT) during epoch 1/200, before the first checkpoint; removed {path}: "
      "rerun the same command to start again"),
     ({}, Terminated(), "interrupted (SIGTERM) before the first epoch; {path} is as it was: "
      "rerun the same command")],
)  # fmt: skip
def test_an_interruption_says_what_is_kept_and_how_to_go_on(
    model_dir, progress, interruption, line
):
    error = RunProgress(model_dir, 200, **progress).interrupted(interruption, created=True)
    assert str(error) == line.format(path=model_dir.path)
    assert error.exit_code == (143 if isinstance(interruption, Terminated) else 130)
