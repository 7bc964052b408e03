"""`tfseg train`: train (or resume) a model with the paper's recipe.

  tfseg train --encoder=shufflenet --decoder=skipnet --data_dir=DIR --model_dir=runs/x
  tfseg train --flagfile=experiments/skipnet_shufflenet.flags --data_dir=DIR --model_dir=runs/x

Defaults are RTSeg's recipe: 512x1024, batch 4, Adam 1e-4, L2 5e-4, ENet-weighted cross-entropy
with the ignore label, no augmentation, 200 epochs. Restarting the same command resumes after the
last finished epoch. The best model by validation mIoU is kept in <model_dir>/best/.
"""

import json

from absl import flags

from tfseg.cli.model_flags import decoder_options_from_flags, define_model_flags
from tfseg.errors import ConfigError
from tfseg.losses import LOSSES
from tfseg.training import TrainConfig, train
from tfseg.training.make_strategy import split_cpu
from tfseg.training.train_config import PRECISIONS, SCHEDULES, STRATEGIES

FLAGS = flags.FLAGS
define_model_flags(num_classes=False)
flags.DEFINE_string("data_dir", None, "Data set root (Cityscapes layout or custom).", required=True)
flags.DEFINE_string(
    "model_dir", None, "Folder for checkpoints, logs and the best model.", required=True
)
flags.DEFINE_integer(
    "epochs", 200, "Epochs to train (in total, across resumptions).", lower_bound=1
)
flags.DEFINE_integer("batch_size", 4, "Global batch size.", lower_bound=1)
flags.DEFINE_float("learning_rate", 1e-4, "Adam learning rate.", lower_bound=0.0)
flags.DEFINE_enum(
    "lr_schedule",
    "constant",
    list(SCHEDULES),
    "constant (RTSeg), poly decay, or step decay (the FCN study).",
)
flags.DEFINE_float("poly_power", 0.9, "Power of the poly schedule.", lower_bound=0.0)
flags.DEFINE_integer("lr_decay_epochs", 0, "Step schedule: decay every N epochs.", lower_bound=0)
flags.DEFINE_float("lr_decay_factor", 0.1, "Step schedule: factor per decay.", lower_bound=0.0)
flags.DEFINE_float("weight_decay", 5e-4, "L2 factor: loss += wd * sum(W^2) / 2.", lower_bound=0.0)
flags.DEFINE_float(
    "bn_momentum",
    None,
    "Override the BatchNorm moving-average momentum (default: the model's, 0.99; "
    "0.9 suits runs of a few hundred steps).",
    lower_bound=0.0,
    upper_bound=0.999,
)
flags.DEFINE_enum(
    "loss",
    "weighted",
    list(LOSSES),
    "weighted: ENet class weights (paper); unweighted; bootstrapped: hardest 25%.",
)
flags.DEFINE_enum(
    "class_weighting",
    "enet",
    ["enet", "median"],
    "enet: 1/ln(1.02+p); median: median-frequency balancing.",
)
flags.DEFINE_enum(
    "augment",
    "none",
    ["none", "standard"],
    "none (as the original) or standard: random scale, crop, flip.",
)
flags.DEFINE_float(
    "scale_min", 0.5, "Smallest random scale of standard augmentation.", lower_bound=0.1
)
flags.DEFINE_float(
    "scale_max", 2.0, "Largest random scale of standard augmentation.", lower_bound=0.1
)
flags.DEFINE_bool("photometric", False, "Random brightness/contrast/saturation/hue jitter.")
flags.DEFINE_bool("keep_void", False, "Train void as an extra class, as the original did.")
flags.DEFINE_string("train_split", "train", "Training split (train_extra: the coarse set).")
flags.DEFINE_string("val_split", "val", "Validation split.")
flags.DEFINE_enum(
    "annotation",
    None,
    ["fine", "coarse"],
    "Cityscapes labels of the training split (default: coarse for train_extra).",
)
flags.DEFINE_string(
    "pretrained",
    "none",
    "Encoder ImageNet weights: none, auto (the manifest's file under pretrained/) "
    "or a path to an .h5 / .npz file.",
)
flags.DEFINE_string(
    "init_from", None, "Start from another run's best model (e.g. coarse pre-training, Table 2)."
)
flags.DEFINE_enum(
    "strategy", "default", list(STRATEGIES), "tf.distribute strategy; multi_worker reads TF_CONFIG."
)
flags.DEFINE_integer(
    "cpu_replicas",
    0,
    "Split the CPU into this many logical devices (mirrored without GPUs).",
    lower_bound=0,
)
flags.DEFINE_enum("precision", "float32", list(PRECISIONS), "Keras dtype policy.")
flags.DEFINE_integer("seed", 0, "Seed of the weights, data order and augmentation.", lower_bound=0)
flags.DEFINE_integer(
    "eval_every", 1, "Validate every N epochs (and after the last).", lower_bound=1
)
flags.DEFINE_integer(
    "steps_per_epoch", 0, "Cap on steps per epoch (0: the whole split).", lower_bound=0
)


def config_from_flags():
    if FLAGS.scale_min > FLAGS.scale_max:
        raise ConfigError(
            f"--scale_min={FLAGS.scale_min} is larger than --scale_max={FLAGS.scale_max}"
        )
    return TrainConfig(
        encoder=FLAGS.encoder,
        decoder=FLAGS.decoder,
        decoder_options=decoder_options_from_flags(),
        data_dir=FLAGS.data_dir,
        model_dir=FLAGS.model_dir,
        height=FLAGS.height,
        width=FLAGS.width,
        keep_void=FLAGS.keep_void,
        epochs=FLAGS.epochs,
        batch_size=FLAGS.batch_size,
        learning_rate=FLAGS.learning_rate,
        lr_schedule=FLAGS.lr_schedule,
        poly_power=FLAGS.poly_power,
        lr_decay_epochs=FLAGS.lr_decay_epochs,
        lr_decay_factor=FLAGS.lr_decay_factor,
        weight_decay=FLAGS.weight_decay,
        bn_momentum=FLAGS.bn_momentum,
        loss=FLAGS.loss,
        class_weighting=FLAGS.class_weighting,
        augment=FLAGS.augment,
        scale_range=(FLAGS.scale_min, FLAGS.scale_max),
        photometric=FLAGS.photometric,
        train_split=FLAGS.train_split,
        val_split=FLAGS.val_split,
        annotation=FLAGS.annotation,
        pretrained=FLAGS.pretrained,
        init_from=FLAGS.init_from,
        strategy=FLAGS.strategy,
        precision=FLAGS.precision,
        seed=FLAGS.seed,
        eval_every=FLAGS.eval_every,
        steps_per_epoch=FLAGS.steps_per_epoch,
    )


def main(argv):
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[1:])}")
    if FLAGS.cpu_replicas:
        split_cpu(FLAGS.cpu_replicas)  # before TensorFlow creates its devices
    config = config_from_flags()
    result = train(config)
    print(
        f"best model: {config.model_dir}/best/model.keras "
        f"(val mIoU {100 * result['best_miou']:.2f}% at epoch {result['best_epoch']}); "
        f"history: {config.model_dir}/history.jsonl; "
        f"TensorBoard: tensorboard --logdir={config.model_dir}/logs"
    )
    print(json.dumps(result))
    return 0
