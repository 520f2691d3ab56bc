"""Positions to velocities and back.

Seed 000 fed its LSTMs velocities ``v_t = (r_{t+1} - r_t) / dt`` rather than
positions: they do not depend on where a cell started, are easier to scale,
and (given a start point) hold all the information of the trajectory.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context

from ..base import real_in
from ..utils._set_output import NonTabularOutputMixin
from ..utils._validation import validate_params_unless_fitted
from ._validation import check_trajectories, wrap_like

__all__ = ["VelocityTransformer"]


class VelocityTransformer(NonTabularOutputMixin, OneToOneFeatureMixin, TransformerMixin,
                          BaseEstimator):
    """Turn positions into velocities ``(r[t+1] - r[t]) / dt``.

    Each trajectory of ``T`` points becomes ``T - 1`` velocities with the same
    dimensions. Stateless: ``fit`` only records ``n_features_in_``.
    :meth:`inverse_transform` integrates velocities back to positions from a
    given origin.

    Parameters
    ----------
    dt : float, default=1.0
        Sampling interval (5 min after resampling in seed 000). Velocities are
        in position units per ``dt`` unit.

    Attributes
    ----------
    n_features_in_ : int
        Number of dimensions per time point seen in ``fit``.

    See Also
    --------
    TrajectoryResampler : bring trajectories to a common interval first.
    TrajectoryScaler : scale the velocities for an LSTM.

    Examples
    --------
    >>> import numpy as np
    >>> X = [np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 2.0]])]
    >>> vt = VelocityTransformer(dt=0.5)
    >>> V = vt.fit_transform(X)
    >>> V[0]
    array([[2., 0.],
           [0., 4.]])
    >>> vt.inverse_transform(V, origin=[0.0, 0.0])[0]
    array([[0., 0.],
           [1., 0.],
           [1., 2.]])
    """

    _parameter_constraints: dict = {"dt": [real_in(0, None)]}

    def __init__(self, dt: float = 1.0) -> None:
        self.dt = dt

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None) -> "VelocityTransformer":
        """Check ``dt`` and ``X``; record ``n_features_in_``.

        Parameters
        ----------
        X : list of (n_steps_i, n_dims) arrays or (n, n_steps, n_dims) array
            Positions; each trajectory needs at least 2 points.
        y : ignored

        Returns
        -------
        self : VelocityTransformer
        """
        self.n_features_in_ = check_trajectories(X)[0].shape[1]
        return self

    def transform(self, X):
        """Velocities of each trajectory.

        Parameters
        ----------
        X : list of (n_steps_i, n_dims) arrays or (n, n_steps, n_dims) array
            Positions; each trajectory needs at least 2 points.

        Returns
        -------
        V : same kind of container as ``X``
            Trajectory ``i`` has shape ``(n_steps_i - 1, n_dims)``.
        """
        validate_params_unless_fitted(self)
        trajectories = check_trajectories(X, n_dims=getattr(self, "n_features_in_", None))
        return wrap_like([np.diff(r, axis=0) / self.dt for r in trajectories], X)

    def inverse_transform(self, X, origin=None):
        """Positions from velocities, starting at ``origin``.

        Parameters
        ----------
        X : list of (n_steps_i, n_dims) arrays or (n, n_steps, n_dims) array
            Velocities, as returned by :meth:`transform`.
        origin : array-like of shape (n_dims,) or (n_trajectories, n_dims), optional
            First position of every trajectory (one shared or one per
            trajectory). ``None`` starts every trajectory at zero.

        Returns
        -------
        positions : same kind of container as ``X``
            Trajectory ``i`` has shape ``(n_steps_i + 1, n_dims)``.
        """
        validate_params_unless_fitted(self)
        velocities = check_trajectories(
            X, min_length=1, n_dims=getattr(self, "n_features_in_", None)
        )
        n_dims = velocities[0].shape[1]
        origins = self._check_origin(origin, len(velocities), n_dims)
        positions = []
        for v, r0 in zip(velocities, origins):
            steps = np.vstack([r0[None, :], v * self.dt])
            positions.append(np.cumsum(steps, axis=0))
        return wrap_like(positions, X)

    @staticmethod
    def _check_origin(origin, n_trajectories: int, n_dims: int) -> np.ndarray:
        if origin is None:
            return np.zeros((n_trajectories, n_dims))
        try:
            origin = np.asarray(origin, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"origin must be numeric, of shape ({n_dims},) or ({n_trajectories}, "
                f"{n_dims}); got {type(origin).__name__}."
            ) from exc
        if origin.shape == (n_dims,):
            origin = np.broadcast_to(origin, (n_trajectories, n_dims))
        elif origin.shape != (n_trajectories, n_dims):
            raise ValueError(
                f"origin has shape {origin.shape}; expected ({n_dims},) for one start "
                f"point shared by all trajectories or ({n_trajectories}, {n_dims}) "
                "for one per trajectory (for example X[i][0] of the original positions)."
            )
        if not np.isfinite(origin).all():
            raise ValueError("origin contains NaN or infinite values; pass finite start points.")
        return origin

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        return tags
