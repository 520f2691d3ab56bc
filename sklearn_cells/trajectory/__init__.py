"""Trajectories: validation, transformers, windows, classification, generation
and statistics.

A trajectory is a float array ``(n_steps, n_dims)``, time first; a collection
is a list (or 1-D object array) of them, or a 3-D array
``(n_trajectories, n_steps, n_dims)``. This is the transpose of sktime's
channel-first ``(n, n_dims, n_steps)`` layout: each row is one time point, as
in a track table.
"""

from ._classifier import LSTMTrajectoryClassifier
from ._features import TrajectoryFeatures
from ._generator import MDNTrajectoryGenerator
from ._polar import PolarVelocityTransformer
from ._resample import TrajectoryResampler, resample_trajectories
from ._scaler import TrajectoryScaler
from ._statistics import (
    compare_trajectory_statistics,
    displacement_drift_test,
    trajectory_statistics,
)
from ._two_sample import TwoSampleTestResult, classifier_two_sample_test
from ._validation import check_trajectories, check_trajectory_labels
from ._velocity import VelocityTransformer
from ._windows import TrajectoryWindowSampler, accuracy_vs_length, cut_windows

__all__ = [
    "LSTMTrajectoryClassifier",
    "MDNTrajectoryGenerator",
    "PolarVelocityTransformer",
    "TrajectoryFeatures",
    "TrajectoryResampler",
    "TrajectoryScaler",
    "TrajectoryWindowSampler",
    "TwoSampleTestResult",
    "VelocityTransformer",
    "accuracy_vs_length",
    "check_trajectories",
    "check_trajectory_labels",
    "classifier_two_sample_test",
    "compare_trajectory_statistics",
    "cut_windows",
    "displacement_drift_test",
    "resample_trajectories",
    "trajectory_statistics",
]
