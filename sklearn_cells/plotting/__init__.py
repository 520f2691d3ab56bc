"""Plots and Display objects (matplotlib is imported when a plot is drawn)."""

from ._classification import plot_confusion_matrix, plot_particles, plot_per_class_scores
from ._importance import importance_peaks, plot_frame_importance
from ._segmentation import SegmentationDisplay, plot_training_curves
from ._trajectory import (
    plot_persistence_speed_density,
    plot_statistic_densities,
    plot_trajectories,
)

__all__ = [
    "SegmentationDisplay",
    "importance_peaks",
    "plot_confusion_matrix",
    "plot_particles",
    "plot_per_class_scores",
    "plot_persistence_speed_density",
    "plot_statistic_densities",
    "plot_frame_importance",
    "plot_training_curves",
    "plot_trajectories",
]
