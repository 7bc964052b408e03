"""How far a training run got, and what that means when it stops early: what to remove, what
to keep, and the one line that tells the user how to go on."""

import dataclasses

from tfseg.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, Interrupted, Terminated
from tfseg.training.resumption import undo_first_run, undo_unfinished_epoch


@dataclasses.dataclass
class RunProgress:
    """The training loop's record of its own progress.

    Attributes:
        model_dir: the run's `ModelDir`.
        epochs: the epochs the run was asked for (`--epochs`).
        fresh: the dir is known to hold no other run's epochs; only then may a failure before
            the first checkpoint remove what this run wrote.
        committed: epochs finished and checkpointed (from the start, not only by this run).
        committed_best: the best epoch the last checkpoint knows (0: none).
        current: the epoch being run, 0-based (None before the first).
    """

    model_dir: object
    epochs: int
    fresh: bool = False
    committed: int = 0
    committed_best: int = 0
    current: int = None

    def undo(self, created):
        """After a failure: a first run without a checkpoint removes what it wrote (the folder
        too if `created`); a later one keeps its last checkpoint and best model and drops the
        unfinished epoch's files."""
        if self.fresh and self.committed == 0:
            undo_first_run(self.model_dir, created)
        elif self.committed:
            undo_unfinished_epoch(self.model_dir, self.committed, self.committed_best)

    def kept(self):
        """What a diverged run keeps, for `TrainingDiverged`'s message."""
        if self.committed:
            return (
                f"the last good checkpoint (epoch {self.committed}) is kept in "
                f"{self.model_dir.checkpoints}"
            )
        return "no checkpoint had been written yet, so the run's files are removed"

    def interrupted(self, interruption, created):
        """The one-line `Interrupted` error for a SIGINT (`KeyboardInterrupt`) or SIGTERM
        (`Terminated`), saying what was kept and how to go on.

        Example:
            "interrupted (SIGINT) during epoch 7/200; epochs 1-6 are kept in /runs/x: rerun the
            same command to resume from epoch 7"
        """
        terminated = isinstance(interruption, Terminated)
        name, code = ("SIGTERM", EXIT_TERMINATED) if terminated else ("SIGINT", EXIT_INTERRUPTED)
        during = "before the first epoch"
        if self.current is not None:
            during = f"during epoch {self.current + 1}/{self.epochs}"
        path = self.model_dir.path
        if self.fresh and self.committed == 0:
            removed = path if created else f"what it wrote in {path}"
            message = (
                f"{during}, before the first checkpoint; removed {removed}: rerun the same "
                "command to start again"
            )
        elif self.committed == 0:
            message = f"{during}; {path} is as it was: rerun the same command"
        else:
            kept = "epoch 1 is" if self.committed == 1 else f"epochs 1-{self.committed} are"
            message = (
                f"{during}; {kept} kept in {path}: rerun the same command to resume from epoch "
                f"{self.committed + 1}"
            )
        return Interrupted(f"interrupted ({name}) {message}", code)
