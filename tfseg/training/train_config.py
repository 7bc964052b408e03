"""Everything a training run needs to know, with the paper's recipe as defaults.

Each field of `TrainConfig` also carries its `tfseg train` flag, as metadata that
`tfseg/cli/config_flags.py` turns into absl flags (and the flags back into a config), so a
setting is declared once:

* `help`: the flag's help text (one per flag for a `range_flags` field);
* `choices`: the valid values: an enum flag, and `TrainConfig` refuses any other value;
* `lower_bound`, `upper_bound`: the flag's bounds;
* `range_flags`: a `(low, high)` field set by two flags, e.g. `scale_range` by `--scale_min`
  and `--scale_max`;
* `model_flag`: the flag is one of `define_model_flags`' in `tfseg/cli/model_flags.py` (shared
  with `tfseg flops`, and documented there); `decoder_options` is `--variant` / `--unet_block`.

A field without a default is a required flag.
"""

import dataclasses

from tfseg.data.info import ANNOTATIONS
from tfseg.data.training_pipeline import AUGMENTATIONS
from tfseg.data.weights import METHODS
from tfseg.errors import ConfigError, check_int
from tfseg.losses import LOSSES
from tfseg.training.make_strategy import STRATEGIES

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
SCHEDULES = ("constant", "poly", "step")


def _flag(default=dataclasses.MISSING, help=None, **facts):
    """A field whose flag has this help text and these facts (see the module's docstring)."""
    return dataclasses.field(default=default, metadata={"help": help, **facts})


def _model_flag(**field):
    """A field set by a flag of `define_model_flags`."""
    return dataclasses.field(**field, metadata={"model_flag": True})


@dataclasses.dataclass
class TrainConfig:
    """A training run. Defaults are the RTSeg recipe (the paper's section 5.1; the original
    framework's settings and where tfseg departs from them are in docs/faithfulness.md).

    The fields `model_identity` returns define the model; a model dir refuses a run whose model
    fields differ from the ones it was created with. The others (epochs, learning rate, ...) may
    change between runs of the same model dir, e.g. to train for more epochs.
    """

    encoder: str = _model_flag()
    decoder: str = _model_flag()
    data_dir: str = _flag(help="Data set root (Cityscapes layout or custom).")
    model_dir: str = _flag(help="Folder for checkpoints, logs and the best model.")
    decoder_options: dict = _model_flag(default_factory=dict)
    height: int = _model_flag(default=512)
    width: int = _model_flag(default=1024)
    keep_void: bool = _flag(False, "Train void as an extra class, as the original did.")
    epochs: int = _flag(200, "Epochs to train (in total, across resumptions).", lower_bound=1)
    batch_size: int = _flag(4, "Global batch size.", lower_bound=1)
    learning_rate: float = _flag(1e-4, "Adam learning rate.", lower_bound=0.0)
    lr_schedule: str = _flag(
        "constant",
        "constant (RTSeg), poly decay, or step decay (the FCN study).",
        choices=SCHEDULES,
    )
    poly_power: float = _flag(0.9, "Power of the poly schedule.", lower_bound=0.0)
    lr_decay_epochs: int = _flag(0, "Step schedule: decay every N epochs.", lower_bound=0)
    lr_decay_factor: float = _flag(0.1, "Step schedule: factor per decay.", lower_bound=0.0)
    weight_decay: float = _flag(5e-4, "L2 factor: loss += wd * sum(W^2) / 2.", lower_bound=0.0)
    bn_momentum: float = _flag(
        None,
        "Override the BatchNorm moving-average momentum (default: the model's, 0.99; "
        "0.9 suits runs of a few hundred steps).",
        lower_bound=0.0,
        upper_bound=0.999,
    )
    loss: str = _flag(
        "weighted",
        "weighted: ENet class weights (paper); unweighted; bootstrapped: hardest 25%.",
        choices=LOSSES,
    )
    class_weighting: str = _flag(
        "enet", "enet: 1/ln(1.02+p); median: median-frequency balancing.", choices=METHODS
    )
    augment: str = _flag(
        "none",
        "none (as the original) or standard: random scale, crop, flip.",
        choices=AUGMENTATIONS,
    )
    scale_range: tuple[float, float] = _flag(
        (0.5, 2.0),
        (
            "Smallest random scale of standard augmentation.",
            "Largest random scale of standard augmentation.",
        ),
        range_flags=("scale_min", "scale_max"),
        lower_bound=0.1,
    )
    photometric: bool = _flag(False, "Random brightness/contrast/saturation/hue jitter.")
    train_split: str = _flag("train", "Training split (train_extra: the coarse set).")
    val_split: str = _flag("val", "Validation split.")
    annotation: str = _flag(
        None,
        "Cityscapes labels of the training split (default: coarse for train_extra).",
        choices=ANNOTATIONS,
    )
    pretrained: str = _flag(
        "none",
        "Encoder ImageNet weights: none, auto (the manifest's file under pretrained/) "
        "or a path to an .h5 / .npz file.",
    )
    init_from: str = _flag(
        None, "Start from another run's best model (e.g. coarse pre-training, Table 2)."
    )
    strategy: str = _flag(
        "default", "tf.distribute strategy; multi_worker reads TF_CONFIG.", choices=STRATEGIES
    )
    precision: str = _flag("float32", "Keras dtype policy.", choices=PRECISIONS)
    seed: int = _flag(0, "Seed of the weights, data order and augmentation.", lower_bound=0)
    eval_every: int = _flag(1, "Validate every N epochs (and after the last).", lower_bound=1)
    steps_per_epoch: int = _flag(0, "Cap on steps per epoch (0: the whole split).", lower_bound=0)

    def __post_init__(self):
        self.scale_range = tuple(self.scale_range)
        for field in dataclasses.fields(self):
            valid, value = field.metadata.get("choices"), getattr(self, field.name)
            # A field whose default is None (annotation: "the split's own") may stay unset.
            if value is None and field.default is None:
                continue
            if valid is not None and value not in valid:
                raise ConfigError(f"{field.name} must be one of {list(valid)}, got {value!r}")
        for name in ("epochs", "batch_size", "eval_every", "height", "width"):
            setattr(self, name, check_int(name, getattr(self, name), minimum=1))
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
