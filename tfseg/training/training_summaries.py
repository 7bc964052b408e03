"""TensorBoard summaries of a training run: scalars per step, metrics and images per validation."""

import os

import numpy as np
import tensorflow as tf

from tfseg.data import load_eval_dataset
from tfseg.prediction import colorize

IMAGES = 3


class TrainingSummaries:
    """Writes `logs/train` (loss, weight decay, learning rate per step) and `logs/val` (mIoU,
    pixel accuracy, category mIoU, iIoU, per-class IoU, and input / ground truth / prediction
    images coloured with the data set's palette, e.g. the official Cityscapes colours).

    The images are the first ones of `val_split`, the `Split` (from `tfseg.data.open_split`)
    that the run validates on.
    """

    def __init__(self, logdir, val_split):
        self.val_split = val_split
        self.info = val_split.info
        self.train_writer = tf.summary.create_file_writer(os.path.join(logdir, "train"))
        self.val_writer = tf.summary.create_file_writer(os.path.join(logdir, "val"))

    def step(self, step, loss, regularization, learning_rate):
        with self.train_writer.as_default(step=step):
            tf.summary.scalar("loss", loss)
            tf.summary.scalar("weight_decay", regularization)
            tf.summary.scalar("learning_rate", learning_rate)

    def validation(self, epoch, metrics, model, config):
        with self.val_writer.as_default(step=epoch):
            for key in ("miou", "pixel_accuracy", "category_miou", "iiou"):
                if key in metrics and np.isfinite(metrics[key]):
                    tf.summary.scalar(key, metrics[key])
            for name, value in metrics["iou"].items():
                if np.isfinite(value):
                    tf.summary.scalar(f"iou/{name}", value)
            inputs, truths, predictions = self._samples(model, config)
            tf.summary.image("input", inputs, max_outputs=IMAGES)
            tf.summary.image("ground_truth", truths, max_outputs=IMAGES)
            tf.summary.image("prediction", predictions, max_outputs=IMAGES)
        self.val_writer.flush()

    def _samples(self, model, config):
        """The first validation images at the network's resolution, with their colourings."""
        dataset = load_eval_dataset(
            self.val_split.head(IMAGES), height=config.height, width=config.width
        )
        inputs, truths, predictions = [], [], []
        for example in dataset:
            image = example["image"]
            logits = model(image, training=False)
            label = tf.image.resize(
                example["label"][..., None], (config.height, config.width), method="nearest"
            )[..., 0]
            inputs.append(np.uint8(np.clip(image[0].numpy(), 0, 255)))
            truths.append(colorize(label[0].numpy(), self.info.colors))
            predictions.append(colorize(np.argmax(logits[0], axis=-1), self.info.colors))
        return np.stack(inputs), np.stack(truths), np.stack(predictions)
