"""Training: the paper's recipe in one custom loop that runs under every tf.distribute strategy,
with atomic checkpoints, resumption, the best model by validation mIoU and TensorBoard logs."""

from tfseg.training.loop import TrainingDiverged, TrainStep, make_train_step, train
from tfseg.training.train_config import TrainConfig

__all__ = ["TrainConfig", "TrainStep", "TrainingDiverged", "make_train_step", "train"]
