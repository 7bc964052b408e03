"""Checked resumption: a model dir's checkpoint, history and best model must agree before a run
continues, and what a killed or failed run left half-done is finished or undone.

The end of an epoch writes, in this order (tfseg/training/loop.py):

1. a new best model into best-pending/ (if the epoch improved the validation mIoU),
2. history.jsonl with the epoch's record (the whole file, replaced in one step),
3. the checkpoint (`tf.train.CheckpointManager`: files first, then the pointer file, which makes
   the epoch count: the commit),
4. best-pending/ moved into best/.

A run killed between any two steps leaves a state `reconcile` recognizes: history records and a
pending best model of an epoch after the checkpoint are dropped (that epoch runs again), a
pending best model the checkpoint already counts is moved into place. Anything else that
disagrees (a pointer naming a missing checkpoint, a history with gaps or repeats, a best model
of another epoch) is refused with one line: continuing would overwrite the run.
"""

import glob
import os
import shutil

from tfseg.errors import DataError
from tfseg.training.run_history import RunHistory

_RESTART = "restore the files, or train into a new --model_dir"


def remove_partial_checkpoints(model_dir):
    """Removes `ckpt-N_temp/` folders: what `CheckpointManager` leaves when a save fails."""
    for partial in glob.glob(os.path.join(model_dir.checkpoints, "*_temp")):
        shutil.rmtree(partial, ignore_errors=True)


def check_fresh_start(model_dir):
    """Before a run that starts at epoch 0: no other run's epochs may be overwritten.

    Raises:
        DataError: a history or best model without a checkpoint.
    """
    history = RunHistory(model_dir.history).load()
    if history.records:
        raise DataError(
            f"{model_dir.history} records {len(history.records)} epoch(s) but "
            f"{model_dir.checkpoints} holds no checkpoint: starting again would overwrite that "
            f"run; {_RESTART} (or remove history.jsonl and best/ to start again there)"
        )
    if os.path.exists(model_dir.best_model):
        raise DataError(
            f"{model_dir.best_model} exists but {model_dir.checkpoints} holds no checkpoint: "
            f"starting again would overwrite it; {_RESTART} (or remove best/ to start again)"
        )


def reconcile(model_dir, epoch, best_epoch, *, repair=True):
    """Makes history.jsonl, best-pending/ and best/ agree with the checkpoint of `epoch`.

    Args:
        model_dir: a `ModelDir`.
        epoch: the epochs the restored checkpoint has finished.
        best_epoch: the epoch of the best model according to the checkpoint (0: none yet).
        repair: make the repairs; False only checks that they are possible (and writes
            nothing), for a quick refusal before the model is built.

    Returns:
        `(history, notes)`: the `RunHistory` (records of epochs 1..epoch) and one line per
        repair made, for the run to print.

    Raises:
        DataError: the history has gaps or repeats, or best/ holds another epoch's model.
    """
    notes = []
    if repair:
        remove_partial_checkpoints(model_dir)
    history = RunHistory(model_dir.history).load()
    if history.repaired:
        notes.append(history.repaired)
    dropped = history.keep_until(epoch)
    if dropped:
        notes.append(
            f"dropped {dropped} record(s) of {model_dir.history} after epoch {epoch}: the run "
            "stopped before their checkpoint was written, so they run again"
        )
    expected = list(range(1, epoch + 1))
    if history.epochs != expected:
        raise DataError(
            f"{model_dir.history} records epochs {_describe(history.epochs)}, but the "
            f"checkpoint has finished epochs {_describe(expected)}: they are not of one run; "
            f"{_RESTART} (or remove history.jsonl to keep training without the old records)"
        )
    if notes and repair:
        history.save()

    pending = model_dir.pending_best_epoch()
    promoted = pending is not None and pending == best_epoch
    if promoted:
        notes.append(f"moved the best model of epoch {pending} into {model_dir.best_model}")
        if repair:
            model_dir.promote_best()
    elif os.path.exists(model_dir.best_pending):
        if pending is not None:
            notes.append(f"dropped the best model of epoch {pending}, which has no checkpoint")
        if repair:
            model_dir.discard_pending_best()

    on_disk = pending if promoted and not repair else model_dir.best_epoch()
    if best_epoch > 0 and on_disk != best_epoch:
        found = "no best model" if on_disk is None else f"the model of epoch {on_disk}"
        raise DataError(
            f"{model_dir.best_model}: the checkpoint's best model is of epoch {best_epoch}, but "
            f"best/ holds {found}; {_RESTART}"
        )
    if best_epoch == 0 and on_disk is not None:
        raise DataError(
            f"{model_dir.best_model} is of epoch {on_disk}, but the checkpoint has no best model "
            f"yet: best/ is not of this run; {_RESTART}"
        )
    return history, notes


def _describe(epochs):
    if not epochs:
        return "none"
    if epochs == list(range(epochs[0], epochs[-1] + 1)):
        return f"{epochs[0]}-{epochs[-1]}" if len(epochs) > 1 else str(epochs[0])
    listed = ", ".join(map(str, epochs[:12]))
    return listed + (", ..." if len(epochs) > 12 else "")


def undo_first_run(model_dir, created):
    """Removes what a run that stopped before its first checkpoint wrote, so that a retry (with
    other settings, too) starts from an empty folder.

    Args:
        model_dir: the `ModelDir`; it held no training state when the run started.
        created: the run created the folder itself (then the folder goes, too).
    """
    if created:
        shutil.rmtree(model_dir.path, ignore_errors=True)
        return
    for path in (model_dir.config_path, model_dir.history):
        if os.path.exists(path):
            os.unlink(path)
    for folder in (
        model_dir.checkpoints,
        model_dir.logs,
        os.path.dirname(model_dir.best_model),
        model_dir.best_pending,
    ):
        shutil.rmtree(folder, ignore_errors=True)


def undo_unfinished_epoch(model_dir, epoch, best_epoch):
    """After a failure past the first checkpoint: the checkpoint of `epoch` and its best model
    stay; what the failed epoch had begun writing goes. Best effort: the next run's `reconcile`
    repeats it, and the failure that brought us here is what the user must hear about."""
    try:
        reconcile(model_dir, epoch, best_epoch)
    except (DataError, OSError):
        pass
