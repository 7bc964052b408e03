"""Everything a training run needs to know, with the paper's recipe as defaults."""

import dataclasses

from tfseg.errors import ConfigError
from tfseg.losses import LOSSES

STRATEGIES = ("default", "mirrored", "multi_worker")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
SCHEDULES = ("constant", "poly", "step")
CHECKPOINTS = ("best", "last")


@dataclasses.dataclass
class TrainConfig:
    """A training run. Defaults are the RTSeg recipe (paper §5.1, original-tfsegmentation §4).

    The fields in `MODEL_FIELDS` define the model; a model dir refuses a run whose model fields
    differ from the ones it was created with. The others (epochs, learning rate, ...) may change
    between runs of the same model dir, e.g. to train for more epochs.
    """

    encoder: str
    decoder: str
    data_dir: str
    model_dir: str
    decoder_options: dict = dataclasses.field(default_factory=dict)
    height: int = 512
    width: int = 1024
    keep_void: bool = False
    epochs: int = 200
    batch_size: int = 4
    learning_rate: float = 1e-4
    lr_schedule: str = "constant"
    poly_power: float = 0.9
    lr_decay_epochs: int = 0
    lr_decay_factor: float = 0.1
    weight_decay: float = 5e-4
    bn_momentum: float = None
    loss: str = "weighted"
    class_weighting: str = "enet"
    augment: str = "none"
    scale_range: tuple = (0.5, 2.0)
    photometric: bool = False
    train_split: str = "train"
    val_split: str = "val"
    annotation: str = None
    pretrained: str = "none"
    init_from: str = None
    strategy: str = "default"
    precision: str = "float32"
    seed: int = 0
    eval_every: int = 1
    steps_per_epoch: int = 0

    def __post_init__(self):
        self.scale_range = tuple(self.scale_range)
        choices = {
            "loss": LOSSES,
            "strategy": STRATEGIES,
            "precision": PRECISIONS,
            "lr_schedule": SCHEDULES,
            "class_weighting": ("enet", "median"),
            "augment": ("none", "standard"),
        }
        for name, valid in choices.items():
            if getattr(self, name) not in valid:
                raise ConfigError(
                    f"{name} must be one of {list(valid)}, got {getattr(self, name)!r}"
                )
        positive = ("epochs", "batch_size", "eval_every", "height", "width")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if not self.learning_rate > 0:
            raise ConfigError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if self.weight_decay < 0:
            raise ConfigError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if self.lr_schedule == "step" and self.lr_decay_epochs < 1:
            raise ConfigError("the step schedule needs lr_decay_epochs >= 1")
        if self.bn_momentum is not None and not 0.0 <= self.bn_momentum < 1.0:
            raise ConfigError(f"bn_momentum must be in [0, 1), got {self.bn_momentum!r}")
        if self.steps_per_epoch < 0:
            raise ConfigError(f"steps_per_epoch must be >= 0, got {self.steps_per_epoch!r}")

    def model_identity(self, class_names):
        """What makes two runs the same model (and their checkpoints interchangeable)."""
        return {
            "encoder": self.encoder,
            "decoder": self.decoder,
            "decoder_options": dict(sorted(self.decoder_options.items())),
            "height": self.height,
            "width": self.width,
            "keep_void": self.keep_void,
            "class_names": list(class_names),
        }

    def to_dict(self):
        return dataclasses.asdict(self)
