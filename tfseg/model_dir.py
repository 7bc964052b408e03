"""The layout of a model dir, its identity check and model loading."""

import json
import os

import keras
import tensorflow as tf

from tfseg.errors import ConfigError, DataError
from tfseg.evaluation import write_metrics_json
from tfseg.io import atomic_write
from tfseg.model_builder import build_model

# The models a model dir holds (`load_model(which)`, `--checkpoint`).
CHECKPOINTS = ("best", "last")

CONFIG = "config.json"


class ModelDir:
    """A training run's folder.

    ```
    config.json          the model's identity and the last run's settings
    checkpoints/         the last checkpoint (model, optimizer, epoch, best mIoU)
    best/model.keras     the model with the best validation mIoU so far
    best/metrics.json    its validation metrics
    metrics.json         written by `tfseg evaluate`
    history.jsonl        one line per finished epoch
    logs/                TensorBoard (train/ and val/)
    export/<format>/     artifacts written by `tfseg export`
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
        self.metrics = os.path.join(self.path, "metrics.json")
        self.history = os.path.join(self.path, "history.jsonl")
        self.logs = os.path.join(self.path, "logs")
        self.exports = os.path.join(self.path, "export")

    def export_dir(self, format_name):
        """Where `tfseg export --format=<format_name>` writes by default."""
        return os.path.join(self.exports, format_name)

    def read_config(self):
        """The stored config dict, or None for a new model dir."""
        if not os.path.exists(self.config_path):
            return None
        try:
            with open(self.config_path) as f:
                return json.load(f)
        except (OSError, ValueError) as error:
            raise DataError(f"{self.config_path}: unreadable model dir config ({error})") from None

    def check_identity(self, identity):
        """Refuses a model dir that holds another model (or is not a model dir at all)."""
        stored = self.read_config()
        if stored is None:
            if os.path.isdir(self.path) and os.listdir(self.path):
                raise ConfigError(
                    f"--model_dir={self.path} is not empty and has no {CONFIG}: it is not a tfseg "
                    "model dir; choose a new or empty folder"
                )
            return
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
        stored = self.read_config()
        if stored is None:
            raise DataError(f"{self.path}: no {CONFIG}; is this a tfseg model dir?")
        return stored["model"]

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
        """The best model (`best/model.keras`) or the one of the last checkpoint."""
        if which == "best":
            if not os.path.exists(self.best_model):
                raise DataError(
                    f"{self.best_model} does not exist: no epoch has been validated yet "
                    "(train first, or use --checkpoint=last)"
                )
            return keras.saving.load_model(self.best_model)
        if which not in CHECKPOINTS:
            raise ConfigError(f"checkpoint must be 'best' or 'last', got {which!r}")
        latest = tf.train.latest_checkpoint(self.checkpoints)
        if latest is None:
            raise DataError(f"{self.checkpoints}: no checkpoint yet")
        model = self.build_model()
        tf.train.Checkpoint(model=model).restore(latest).expect_partial()
        return model

    def save_best(self, model, metrics):
        """Writes the best model and its metrics, each replacing the old file in one step."""
        os.makedirs(os.path.dirname(self.best_model), exist_ok=True)
        temporary = self.best_model[: -len(".keras")] + ".tmp.keras"
        model.save(temporary)
        os.replace(temporary, self.best_model)
        write_metrics_json(metrics, self.best_metrics)

    def append_history(self, record):
        with open(self.history, "a") as f:
            f.write(json.dumps(record) + "\n")
