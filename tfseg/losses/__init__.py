"""Segmentation losses; all return one value per image (shape `[B]`)."""

from tfseg.losses.segmentation_loss import LOSSES, SegmentationLoss
from tfseg.losses.weighted_cross_entropy import (
    bootstrapped_cross_entropy,
    weighted_cross_entropy,
)

__all__ = ["LOSSES", "SegmentationLoss", "bootstrapped_cross_entropy", "weighted_cross_entropy"]
