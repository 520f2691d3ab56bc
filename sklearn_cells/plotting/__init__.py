"""Plots and Display objects (matplotlib is imported when a plot is drawn)."""

from ._importance import importance_peaks, plot_frame_importance
from ._segmentation import SegmentationDisplay, plot_training_curves

__all__ = [
    "SegmentationDisplay",
    "importance_peaks",
    "plot_frame_importance",
    "plot_training_curves",
]
