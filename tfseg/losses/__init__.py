"""Segmentation losses; all return one value per image (shape `[B]`)."""

from tfseg.losses.cross_entropy import (
    bootstrapped_cross_entropy,
    weighted_cross_entropy,
)
from tfseg.losses.segmentation_loss import LOSSES, SegmentationLoss

__all__ = ["LOSSES", "SegmentationLoss", "bootstrapped_cross_entropy", "weighted_cross_entropy"]
