"""Metrics scikit-learn lacks: per-class TPR/TNR/PPV/NPV/F1, fold-averaged
confusion matrices, segmentation scores and scorers, and tracking scores."""

from ._classification import (
    PerClassScorer,
    mean_confusion_matrix,
    mean_per_class_scores,
    per_class_scores,
)
from ._instances import (
    instance_scorers,
    make_instance_scorer,
    match_instances,
    seg_score,
)
from ._tracking import ctc_tracking_scores, division_scores, link_scores
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
    "PerClassScorer",
    "mean_confusion_matrix",
    "mean_per_class_scores",
    "per_class_scores",
    "instance_scorers",
    "make_instance_scorer",
    "match_instances",
    "seg_score",
    "ctc_tracking_scores",
    "division_scores",
    "link_scores",
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
