"""`tfseg train`: train (or resume) a model with the paper's recipe.

  tfseg train --encoder=shufflenet --decoder=skipnet --data_dir=DIR --model_dir=runs/x
  tfseg train --flagfile=experiments/skipnet_shufflenet.flags --data_dir=DIR --model_dir=runs/x

Defaults are RTSeg's recipe: 512x1024, batch 4, Adam 1e-4, L2 5e-4, ENet-weighted cross-entropy
with the ignore label, no augmentation, 200 epochs. Restarting the same command resumes after the
last finished epoch. The best model by validation mIoU is kept in <model_dir>/best/.
"""

import json

from absl import flags

from tfseg.cli import config_flags
from tfseg.cli.model_flags import define_model_flags
from tfseg.errors import ConfigError
from tfseg.training import TrainConfig, train
from tfseg.training.make_strategy import split_cpu

FLAGS = flags.FLAGS
define_model_flags(num_classes=False)
# TrainConfig's flags, generated from its fields' metadata (tfseg/training/train_config.py).
config_flags.define_config_flags(TrainConfig)
# Not a TrainConfig field: it shapes this process's devices, not the run.
flags.DEFINE_integer(
    "cpu_replicas",
    0,
    "Split the CPU into this many logical devices (mirrored without GPUs).",
    lower_bound=0,
)


def config_from_flags():
    """The `TrainConfig` the parsed flags describe."""
    return config_flags.config_from_flags(TrainConfig)


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
