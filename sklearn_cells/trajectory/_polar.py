"""Rotation-invariant per-step descriptors of velocity trajectories."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context

from ..utils._set_output import NonTabularOutputMixin
from ._validation import check_trajectories, wrap_like

__all__ = ["PolarVelocityTransformer"]


class PolarVelocityTransformer(NonTabularOutputMixin, TransformerMixin, BaseEstimator):
    """Rewrite velocities as planar speed and turning angle (and z velocity).

    An input representation for seed 000's trajectory classifier, added here
    (the study fed Cartesian velocities).

    Each step ``(vx, vy[, vz])`` becomes ``(speed, cos(turn), sin(turn)[, vz])``
    where ``speed = |(vx, vy)|`` and ``turn`` is the signed angle between this
    step's and the previous step's direction in the x-y plane (0 for the first
    step). Cell migration in a dish has no preferred direction, so these
    descriptors carry the same information as the velocities up to a rotation,
    and a recurrent network need not learn norms and angles from Cartesian
    components itself: it learns speed-persistence patterns much faster.

    Stateless: ``fit`` only records ``n_features_in_``.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([[1.0, 0.0], [0.0, 2.0]])  # a left turn, speeding up
    >>> PolarVelocityTransformer().fit_transform([v])[0].round(3)
    array([[1., 1., 0.],
           [2., 0., 1.]])
    """

    _parameter_constraints: dict = {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number of dimensions (2 or 3)."""
        self.n_features_in_ = self._check(X, n_dims=None)[0].shape[1]
        return self

    def transform(self, X):
        """Descriptors per step; returns the same kind of container as ``X``."""
        trajectories = self._check(X, n_dims=getattr(self, "n_features_in_", None))
        return wrap_like([self._describe(v) for v in trajectories], X)

    @staticmethod
    def _check(X, n_dims):
        trajectories = check_trajectories(X, min_length=1, n_dims=n_dims)
        if trajectories[0].shape[1] not in (2, 3):
            raise ValueError(
                f"PolarVelocityTransformer needs 2-D or 3-D velocities; got "
                f"{trajectories[0].shape[1]} dimensions. Convert positions with "
                "VelocityTransformer first and keep only x, y[, z]."
            )
        return trajectories

    @staticmethod
    def _describe(v: np.ndarray) -> np.ndarray:
        speed = np.hypot(v[:, 0], v[:, 1])
        cross = v[:-1, 0] * v[1:, 1] - v[:-1, 1] * v[1:, 0]
        dot = v[:-1, 0] * v[1:, 0] + v[:-1, 1] * v[1:, 1]
        turn = np.concatenate([[0.0], np.arctan2(cross, dot)])
        columns = [speed, np.cos(turn), np.sin(turn)]
        if v.shape[1] == 3:
            columns.append(v[:, 2])
        return np.column_stack(columns)

    def get_feature_names_out(self, input_features=None):
        names = ["speed", "cos_turn", "sin_turn"]
        if getattr(self, "n_features_in_", 2) == 3:
            names.append("vz")
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        return tags
