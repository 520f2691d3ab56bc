"""The gradient-boosted read-out of :class:`LSTMTrajectoryClassifier`.

Trees on whole-track measures read thresholds of a few statistics better than a
small network trained for a few epochs. The booster sees the network branch's
own statistics and the hand features of :class:`TrajectoryFeatures` of the
positions the steps integrate to, both measured on spans no longer than the
training tracks.
"""

from __future__ import annotations

import numpy as np

from ._features import TrajectoryFeatures
from ._sequence_data import window_starts


def integrated_features(sequences, window: int | None = None) -> np.ndarray:
    """:class:`TrajectoryFeatures` of the positions ``0, x_0, x_0 + x_1, ...`` that
    each sequence of steps integrates to; a sequence longer than ``window`` steps
    gets the mean over the windows of :func:`window_starts`."""
    pieces, owner = [], []
    for i, steps in enumerate(sequences):
        steps = np.asarray(steps, dtype=np.float64)
        starts = [0] if window is None else window_starts(len(steps), window)
        for start in starts:
            piece = steps if window is None else steps[start : start + window]
            pieces.append(np.vstack([np.zeros((1, steps.shape[1])), np.cumsum(piece, axis=0)]))
            owner.append(i)
    features = TrajectoryFeatures().fit_transform(pieces)
    owner = np.asarray(owner)
    total = np.zeros((len(sequences), features.shape[1]))
    np.add.at(total, owner, features)
    return total / np.bincount(owner, minlength=len(sequences))[:, None]


def booster_probabilities(booster, features: np.ndarray, n_classes: int) -> np.ndarray:
    """The booster's probabilities with a column for every class, also those it
    never saw in training (probability 0)."""
    out = np.zeros((len(features), n_classes))
    out[:, booster.classes_] = booster.predict_proba(features)
    return out
