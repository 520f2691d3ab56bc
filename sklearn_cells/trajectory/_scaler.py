"""Per-dimension scaling of trajectories, fitted on all training time points.

Seed 000 scaled velocities to [-1, 1] to match the tanh range of LSTM cells.
Scaling statistics come from every time point of every training trajectory,
per dimension, so a trajectory is transformed the same way whatever its
length or the other trajectories in the batch.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._validation import check_trajectories, wrap_like

__all__ = ["TrajectoryScaler"]

_METHODS = ("minmax", "robust", "standard")


class TrajectoryScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator,
                       auto_wrap_output_keys=None):
    """Scale each dimension of trajectories with statistics from training data.

    ``transform`` computes ``(X - center_) / scale_``, plus the midpoint of
    ``feature_range`` for ``method="minmax"``:

    - ``"minmax"`` (seed 000): the training range of each dimension maps onto
      ``feature_range``, by default [-1, 1] as suits tanh units;
    - ``"robust"``: median and inter-quantile range, for heavy-tailed data
      where a few extreme steps would squeeze everything else towards 0;
    - ``"standard"``: mean and standard deviation.

    Parameters
    ----------
    method : {"minmax", "robust", "standard"}, default="minmax"
        Statistics used for centring and scaling.
    feature_range : tuple (min, max), default=(-1, 1)
        Output range of the training data for ``method="minmax"``.
    quantile_range : tuple (q_min, q_max), default=(25.0, 75.0)
        Percentiles for the scale of ``method="robust"``.
    isotropic : bool, default=False
        Use one scale for all dimensions (the largest per-dimension scale), so
        that directions, angles and the ratio of z to xy motion are preserved
        and a dimension holding only tracking noise (z of 2-D substrates in
        seed 000) is not blown up to the full range. Centres stay per
        dimension.

    Attributes
    ----------
    center_ : ndarray of shape (n_dims,)
        Per-dimension value subtracted: range midpoint, median or mean.
    scale_ : ndarray of shape (n_dims,)
        Per-dimension divisor (equal entries when ``isotropic=True``).
        Dimensions that are constant in the training data get 1 instead of 0.
    n_features_in_ : int
        Number of dimensions per time point.
    n_samples_seen_ : int
        Number of time points the statistics were computed from.

    See Also
    --------
    VelocityTransformer : usually applied before the scaler.

    Examples
    --------
    >>> import numpy as np
    >>> X = [np.array([[0.0, 10.0], [2.0, 10.0]]), np.array([[4.0, 10.0]])]
    >>> scaler = TrajectoryScaler().fit(X)
    >>> [t.tolist() for t in scaler.transform(X)]
    [[[-1.0, 0.0], [0.0, 0.0]], [[1.0, 0.0]]]
    >>> scaler.center_, scaler.scale_
    (array([ 2., 10.]), array([2., 1.]))
    """

    def __init__(
        self,
        method: str = "minmax",
        feature_range: tuple[float, float] = (-1, 1),
        quantile_range: tuple[float, float] = (25.0, 75.0),
        isotropic: bool = False,
    ) -> None:
        self.method = method
        self.feature_range = feature_range
        self.quantile_range = quantile_range
        self.isotropic = isotropic

    def _check_params(self) -> None:
        if self.method not in _METHODS:
            raise ValueError(
                f"method={self.method!r} is not supported; use 'minmax' (to "
                "feature_range), 'robust' (median/IQR) or 'standard' (mean/std)."
            )
        for name, (lo_ok, hi_ok) in {
            "feature_range": (-np.inf, np.inf),
            "quantile_range": (0.0, 100.0),
        }.items():
            value = getattr(self, name)
            try:
                lo, hi = (float(v) for v in value)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"{name} must be a pair (min, max) of numbers; got {value!r}."
                ) from exc
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi
                    and lo_ok <= lo and hi <= hi_ok):
                bounds = " within [0, 100]" if name == "quantile_range" else ""
                raise ValueError(
                    f"{name}={value!r} is invalid: it must be (min, max) with finite "
                    f"min < max{bounds}."
                )
        if not isinstance(self.isotropic, (bool, np.bool_)):
            raise TypeError(f"isotropic must be True or False; got {self.isotropic!r}.")

    def fit(self, X, y=None) -> "TrajectoryScaler":
        """Compute centre and scale per dimension from all time points of ``X``.

        Parameters
        ----------
        X : list of (n_steps_i, n_dims) arrays or (n, n_steps, n_dims) array
            Training trajectories (positions or velocities).
        y : ignored

        Returns
        -------
        self : TrajectoryScaler
        """
        self._check_params()
        points = np.concatenate(check_trajectories(X, min_length=1), axis=0)
        if self.method == "minmax":
            lo, hi = points.min(axis=0), points.max(axis=0)
            center = (lo + hi) / 2
            f_lo, f_hi = (float(v) for v in self.feature_range)
            scale = (hi - lo) / (f_hi - f_lo)
        elif self.method == "robust":
            q_lo, median, q_hi = np.percentile(
                points, [self.quantile_range[0], 50.0, self.quantile_range[1]], axis=0
            )
            center, scale = median, q_hi - q_lo
        else:
            center, scale = points.mean(axis=0), points.std(axis=0)
        if self.isotropic:
            scale = np.full_like(scale, scale.max())
        # A constant dimension (or a degenerate quantile range) would divide by 0;
        # like sklearn's scalers, leave it unscaled and only centre it.
        tiny = 10 * np.finfo(scale.dtype).eps * np.maximum(np.abs(center), 1.0)
        scale = np.where(scale <= tiny, 1.0, scale)

        self.center_ = center
        self.scale_ = scale
        self.n_features_in_ = points.shape[1]
        self.n_samples_seen_ = points.shape[0]
        return self

    def _offset(self) -> float:
        if self.method == "minmax":
            return (float(self.feature_range[0]) + float(self.feature_range[1])) / 2
        return 0.0

    def transform(self, X):
        """Scale trajectories with the fitted statistics.

        Parameters
        ----------
        X : list of (n_steps_i, n_dims) arrays or (n, n_steps, n_dims) array
            Trajectories with the dimensions seen in ``fit``.

        Returns
        -------
        X_scaled : same kind of container as ``X``
        """
        check_is_fitted(self, ["center_", "scale_"])
        trajectories = check_trajectories(X, min_length=1, n_dims=self.n_features_in_)
        offset = self._offset()
        return wrap_like([(r - self.center_) / self.scale_ + offset for r in trajectories], X)

    def inverse_transform(self, X):
        """Undo :meth:`transform`.

        Parameters
        ----------
        X : list of (n_steps_i, n_dims) arrays or (n, n_steps, n_dims) array
            Scaled trajectories.

        Returns
        -------
        X_original : same kind of container as ``X``
        """
        check_is_fitted(self, ["center_", "scale_"])
        trajectories = check_trajectories(X, min_length=1, n_dims=self.n_features_in_)
        offset = self._offset()
        return wrap_like([(r - offset) * self.scale_ + self.center_ for r in trajectories], X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags
