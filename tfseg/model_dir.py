"""The layout of a model dir, its identity check, its checkpoint files and model loading.

Everything that reads a model dir's files checks them here, so a missing, truncated or tampered
file is one `DataError` naming it, whichever command meets it (docs/reliability.md).
"""

import glob
import json
import os
import shutil

import keras
import tensorflow as tf

from tfseg.errors import ConfigError, DataError
from tfseg.evaluation import write_metrics_json
from tfseg.io import atomic_write
from tfseg.io.folder_lock import LOCK_FILE
from tfseg.io.os_errors import naming_path
from tfseg.model_builder import build_model

# The models a model dir holds (`load_model(which)`, `--checkpoint`).
CHECKPOINTS = ("best", "last")

CONFIG = "config.json"
# The file in checkpoints/ that names the latest checkpoint (tf.train.CheckpointManager's).
CHECKPOINT_POINTER = "checkpoint"
# What `load_model` and `restore` add to a message about a damaged file.
_DAMAGED = "it is damaged or truncated; restore it from a backup, or train into a new --model_dir"


class ModelDir:
    """A training run's folder.

    ```
    config.json          the model's identity and the last run's settings
    checkpoints/         the last checkpoint (model, optimizer, epoch, best mIoU)
    best/model.keras     the model with the best validation mIoU so far
    best/metrics.json    its validation metrics
    best-pending/        a new best model, moved into best/ once its epoch's checkpoint exists
    metrics.json         written by `tfseg evaluate`
    history.jsonl        one line per finished epoch
    logs/                TensorBoard (train/ and val/)
    export/<format>/     artifacts written by `tfseg export`
    .tfseg.lock          held by the `tfseg train` writing the dir (tfseg/io/folder_lock.py)
    ```

    Training, evaluation, prediction and export all find their files here, and none of them
    needs the training loop to do so.
    """

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.config_path = os.path.join(self.path, CONFIG)
        self.checkpoints = os.path.join(self.path, "checkpoints")
        self.best_model = os.path.join(self.path, "best", "model.keras")
        self.best_metrics = os.path.join(self.path, "best", "metrics.json")
        self.best_pending = os.path.join(self.path, "best-pending")
        self.metrics = os.path.join(self.path, "metrics.json")
        self.history = os.path.join(self.path, "history.jsonl")
        self.logs = os.path.join(self.path, "logs")
        self.exports = os.path.join(self.path, "export")

    def export_dir(self, format_name):
        """Where `tfseg export --format=<format_name>` writes by default."""
        return os.path.join(self.exports, format_name)

    def read_config(self):
        """The stored config dict, or None for a new model dir.

        Raises:
            DataError: `--model_dir` is a file, or config.json is unreadable, not JSON or lacks
                its `model`, `train` or `data` entry (a damaged or hand-edited file).
        """
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise DataError(f"--model_dir={self.path} is a file, not a folder")
        if not os.path.exists(self.config_path):
            return None
        try:
            with open(self.config_path) as f:
                stored = json.load(f)
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or error
            raise DataError(f"{self.config_path}: unreadable model dir config ({reason})") from None
        for key in ("model", "train", "data"):
            if not isinstance(stored, dict) or not isinstance(stored.get(key), dict):
                raise DataError(
                    f"{self.config_path}: no {key!r} entry, so this is not a tfseg model dir "
                    "config (or it was edited); restore it, or train into a new --model_dir"
                )
        return stored

    def require(self):
        """Checks that this folder exists and is a model dir, for commands that read one.

        Raises:
            DataError: the folder is missing, or holds no config.json.
        """
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise DataError(f"--model_dir={self.path} is a file, not a folder")
        if not os.path.isdir(self.path):
            raise DataError(f"--model_dir={self.path} does not exist; train a model there first")
        if self.read_config() is None:
            raise DataError(f"{self.path}: no {CONFIG}; is this a tfseg model dir?")

    def has_training_state(self):
        """Whether any epoch left a trace: a checkpoint, a history or a best model.

        A dir with only config.json (and logs) is what a run stopped before its first
        checkpoint leaves; the next run starts it afresh, with any settings.
        """
        # ckpt-N_temp/ is a save that failed: not a finished epoch.
        leftovers = [
            path
            for path in glob.glob(os.path.join(self.checkpoints, "*"))
            if not path.endswith("_temp")
        ]
        return bool(
            leftovers
            or os.path.exists(self.history)
            or os.path.exists(os.path.dirname(self.best_model))
            or os.path.exists(self.best_pending)
        )

    def check_identity(self, identity):
        """Refuses a model dir that holds another model (or is not a model dir at all)."""
        stored = self.read_config()
        if stored is None:
            if os.path.isdir(self.path) and set(os.listdir(self.path)) - {LOCK_FILE}:
                raise ConfigError(
                    f"--model_dir={self.path} is not empty and has no {CONFIG}: it is not a tfseg "
                    "model dir; choose a new or empty folder"
                )
            return
        if not self.has_training_state():
            return  # a first run that stopped before its first checkpoint: start afresh
        differences = [
            f"{key}: {stored['model'].get(key)!r} there, {value!r} now"
            for key, value in identity.items()
            if stored["model"].get(key) != value
        ]
        if differences:
            raise ConfigError(
                f"--model_dir={self.path} holds a different model ({'; '.join(differences)}); "
                "use another --model_dir, or the same settings to resume"
            )

    def write_config(self, identity, settings, info):
        os.makedirs(self.path, exist_ok=True)
        # The palette travels with the model, so `tfseg predict` works without the data set.
        data = {"format": info.format, "colors": [list(c) for c in info.colors]}
        payload = {"model": identity, "train": settings, "data": data}
        atomic_write(self.config_path, json.dumps(payload, indent=2, default=list) + "\n")

    def model_identity(self):
        self.require()
        identity = self.read_config()["model"]
        missing = [
            key
            for key in ("encoder", "decoder", "class_names", "height", "width", "decoder_options")
            if key not in identity
        ]
        if missing:
            raise DataError(
                f"{self.config_path}: the 'model' entry lacks {', '.join(missing)}; restore the "
                "file, or train into a new --model_dir"
            )
        return identity

    def build_model(self):
        """A freshly initialized model with the architecture recorded in config.json."""
        identity = self.model_identity()
        return build_model(
            identity["encoder"],
            identity["decoder"],
            num_classes=len(identity["class_names"]),
            input_shape=(identity["height"], identity["width"]),
            **identity["decoder_options"],
        )

    def load_model(self, which="best"):
        """The best model (`best/model.keras`) or the one of the last checkpoint.

        Raises:
            DataError: the model dir, the model file or the checkpoint is missing, damaged,
                truncated or refused (e.g. a `Lambda` layer, which would run arbitrary code);
                the message names the file.
        """
        if which not in CHECKPOINTS:
            raise ConfigError(f"checkpoint must be 'best' or 'last', got {which!r}")
        self.require()
        if which == "best":
            if not os.path.exists(self.best_model):
                raise DataError(
                    f"{self.best_model} does not exist: no epoch has been validated yet "
                    "(train first, or use --checkpoint=last)"
                )
            return load_keras_model(self.best_model)
        latest = self.latest_checkpoint()
        if latest is None:
            raise DataError(f"{self.checkpoints}: no checkpoint yet")
        model = self.build_model()
        self.restore(tf.train.Checkpoint(model=model), latest, partial=True)
        return model

    def latest_checkpoint(self):
        """The prefix of the checkpoint the pointer file names, after checking its files.

        Unlike `tf.train.latest_checkpoint`, which returns None (and the caller starts from
        scratch) when the pointer names files that are gone, this refuses such a dir.

        Returns:
            The checkpoint prefix (e.g. `.../checkpoints/ckpt-3`), or None when there is no
            pointer file and no checkpoint file.

        Raises:
            DataError: a pointer that is unreadable or names a missing checkpoint, or checkpoint
                files without a pointer.
        """
        from google.protobuf import text_format
        from tensorflow.python.checkpoint.checkpoint_management import CheckpointState

        pointer = os.path.join(self.checkpoints, CHECKPOINT_POINTER)
        if not os.path.exists(pointer):
            found = sorted(glob.glob(os.path.join(self.checkpoints, "ckpt-*.index")))
            if found:
                raise DataError(
                    f"{self.checkpoints}: checkpoint files ({os.path.basename(found[-1])}) but "
                    f"no pointer file {CHECKPOINT_POINTER!r}; restore it from a backup, or train "
                    "into a new --model_dir"
                )
            return None
        try:
            with open(pointer) as f:
                state = text_format.Parse(f.read(), CheckpointState())
        except (OSError, text_format.ParseError, UnicodeDecodeError) as error:
            raise DataError(f"{pointer}: unreadable checkpoint pointer ({error})") from None
        name = state.model_checkpoint_path
        if not name:
            raise DataError(f"{pointer}: the checkpoint pointer names no checkpoint; {_DAMAGED}")
        prefix = name if os.path.isabs(name) else os.path.join(self.checkpoints, name)
        missing = [
            path
            for path in (f"{prefix}.index", f"{prefix}.data-00000-of-00001")
            if not os.path.exists(path)
        ]
        if missing:
            raise DataError(
                f"{pointer} names checkpoint {os.path.basename(prefix)}, but {missing[0]} does "
                "not exist: refusing to start this run again from scratch, which would replace "
                "its checkpoint, best model and history; restore the files, or train into a "
                "new --model_dir"
            )
        return prefix

    def read_counters(self, prefix):
        """`(epoch, best_epoch)` stored in a training checkpoint, read without building a model.

        Raises:
            DataError: the checkpoint cannot be read or lacks the counters.
        """
        try:
            reader = tf.train.load_checkpoint(prefix)
            return tuple(
                int(reader.get_tensor(f"{name}/.ATTRIBUTES/VARIABLE_VALUE"))
                for name in ("epoch", "best_epoch")
            )
        except (tf.errors.OpError, ValueError, IndexError) as error:
            reason = " ".join(str(getattr(error, "message", error)).split())[:200]
            raise DataError(
                f"{prefix}: cannot read the checkpoint ({reason}); {_DAMAGED}"
            ) from None

    def restore(self, checkpoint, prefix, *, partial=False):
        """`checkpoint.restore(prefix)`, with a damaged or mismatched checkpoint as a DataError.

        Args:
            checkpoint: a `tf.train.Checkpoint`.
            prefix: from `latest_checkpoint()`.
            partial: only some of the saved objects are wanted (e.g. the model, not Adam).
        """
        try:
            status = checkpoint.restore(prefix)
            if partial:
                status.expect_partial()
            else:
                status.assert_existing_objects_matched()
        except (tf.errors.OpError, ValueError, IndexError, AssertionError) as error:
            reason = " ".join(str(getattr(error, "message", error)).split())[:200]
            raise DataError(
                f"{prefix}: cannot restore the checkpoint ({reason}); {_DAMAGED}"
            ) from None

    def stage_best(self, model, metrics):
        """Writes a new best model and its metrics into best-pending/, not yet into best/.

        `promote_best` moves them into best/ once the epoch's checkpoint is written: a run killed
        in between still has the best model its last checkpoint knows of.
        """
        shutil.rmtree(self.best_pending, ignore_errors=True)
        os.makedirs(self.best_pending)
        model_path = os.path.join(self.best_pending, "model.keras")
        temporary = os.path.join(self.best_pending, "model.tmp.keras")
        try:
            with naming_path(model_path):  # Keras' errors on a full disk name no file
                model.save(temporary)
                os.replace(temporary, model_path)
            write_metrics_json(metrics, os.path.join(self.best_pending, "metrics.json"))
        except BaseException:
            shutil.rmtree(self.best_pending, ignore_errors=True)
            raise

    def pending_best_epoch(self):
        """The epoch of the model in best-pending/, or None."""
        return _epoch_of(os.path.join(self.best_pending, "metrics.json"))

    def best_epoch(self):
        """The epoch best/metrics.json names, or None without a best model."""
        if not os.path.exists(self.best_model):
            return None
        return _epoch_of(self.best_metrics)

    def promote_best(self):
        """Moves best-pending/ into best/, file by file (each move is atomic; the model first,
        the metrics that name its epoch last, so a half-done move is finished by calling again)."""
        if not os.path.isdir(self.best_pending):
            return
        os.makedirs(os.path.dirname(self.best_model), exist_ok=True)
        for name in ("model.keras", "metrics.json"):
            source = os.path.join(self.best_pending, name)
            if os.path.exists(source):
                os.replace(source, os.path.join(os.path.dirname(self.best_model), name))
        shutil.rmtree(self.best_pending, ignore_errors=True)

    def discard_pending_best(self):
        shutil.rmtree(self.best_pending, ignore_errors=True)


def load_keras_model(path):
    """`keras.saving.load_model(path)` in safe mode, with every failure as one DataError.

    Raises:
        DataError: naming `path`: missing, unreadable, not a Keras file, damaged or truncated,
            or refused by safe mode (a `Lambda` layer holds code that loading would run).
    """
    if not os.path.isfile(path):
        raise DataError(f"{path} does not exist or is not a file")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises ValueError, OSError, zipfile and h5py errors
        message = " ".join(str(error).split())
        if "Lambda" in message or "safe_mode" in message:
            raise DataError(
                f"{path}: refused, the model holds a Lambda layer (code that loading would run); "
                "only load models you trust, with keras.saving.load_model(safe_mode=False)"
            ) from None
        if "File not found" in message:
            # Keras says so of any file its zip reader cannot open, although the file exists.
            message = "not a readable .keras zip archive"
        raise DataError(f"{path}: cannot load the model ({message[:160]}); {_DAMAGED}") from None


def _epoch_of(metrics_path):
    try:
        with open(metrics_path) as f:
            epoch = json.load(f).get("epoch")
    except (OSError, ValueError, AttributeError):
        return None
    return epoch if isinstance(epoch, int) else None
