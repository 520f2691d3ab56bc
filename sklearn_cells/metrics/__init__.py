"""Metrics scikit-learn lacks: segmentation scores and scorers."""

from ._segmentation import (
    dice_score,
    error_rate,
    false_white_rate,
    iou_score,
    label_instances,
    pixel_f1_score,
    segmentation_report,
    segmentation_scorers,
    white_pixel_accuracy,
)

__all__ = [
    "dice_score",
    "error_rate",
    "false_white_rate",
    "iou_score",
    "label_instances",
    "pixel_f1_score",
    "segmentation_report",
    "segmentation_scorers",
    "white_pixel_accuracy",
]
