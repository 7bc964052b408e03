"""Training: the paper's recipe in one custom loop that runs under every tf.distribute strategy,
with atomic checkpoints, resumption, the best model by validation mIoU and TensorBoard logs."""

from tfseg.training.model_dir import ModelDir
from tfseg.training.train import TrainingDiverged, train
from tfseg.training.train_config import TrainConfig

__all__ = ["ModelDir", "TrainConfig", "TrainingDiverged", "train"]
