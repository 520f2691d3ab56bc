"""Hand-made motility features: one row per trajectory, for classical models.

Seed 000 compares its LSTMs with nothing; the usual baseline in cell-migration
work is an SVM on summary statistics of each track (speed, turning, straightness,
mean-squared-displacement exponent, persistence). :class:`TrajectoryFeatures`
computes those, so that ``make_pipeline(TrajectoryFeatures(), StandardScaler(),
SVC())`` runs in the same ``cross_validate`` as the LSTM pipeline.
"""

from __future__ import annotations

import functools

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._validation import check_trajectories

__all__ = ["TrajectoryFeatures"]

_MAX_MSD_LAGS = 16  # log-spaced lags: cheap, and evenly weighted in the log-log fit
_COMMON_FEATURES = (
    "speed_mean",
    "speed_median",
    "speed_std",
    "speed_max",
    "speed_autocorr_lag1",
    "turning_cos_mean",
    "turning_angle_abs_mean",
    "straightness",
    "msd_exponent",
    "velocity_autocorr_lag1",
)


def _axis_names(n_dims: int) -> list[str]:
    return list("xyz"[:n_dims]) if n_dims <= 3 else [f"x{i}" for i in range(n_dims)]


@functools.lru_cache(maxsize=1024)
def _msd_lags(max_lag: int) -> np.ndarray:
    """Up to ``_MAX_MSD_LAGS`` distinct, log-spaced lags from 1 to ``max_lag``."""
    lags = np.geomspace(1, max_lag, num=min(max_lag, _MAX_MSD_LAGS))
    lags = np.unique(np.round(lags).astype(np.intp))
    lags.flags.writeable = False  # shared through the cache
    return lags


def _msd_exponent(r: np.ndarray, max_lag_fraction: float) -> float:
    """Slope of log MSD against log lag over lags ``1 .. max_lag_fraction * T``."""
    n_steps = r.shape[0]
    lags = _msd_lags(min(n_steps - 1, max(2, int(max_lag_fraction * n_steps))))
    msd = np.empty(lags.shape[0])
    for i, lag in enumerate(lags):
        d = r[lag:] - r[:-lag]
        msd[i] = np.einsum("ij,ij->", d, d) / d.shape[0]
    moving = msd > 0  # log(0) is undefined; a cell that never moves has no exponent
    if moving.sum() < 2:
        return 0.0
    # least-squares slope of log MSD on log lag
    x, y = np.log(lags[moving]), np.log(msd[moving])
    x = x - x.mean()
    return float(np.dot(x, y) / np.dot(x, x))


def _lag1_correlation(a: np.ndarray) -> float:
    """Pearson correlation of ``a[:-1]`` with ``a[1:]``; 0 when undefined."""
    if a.shape[0] < 3:
        return 0.0
    x, y = a[:-1] - a[:-1].mean(), a[1:] - a[1:].mean()
    # Rounding noise of a constant series must not look like a correlation.
    floor = (1e-10 * np.abs(a).mean()) ** 2 * x.shape[0]
    xx, yy = np.dot(x, x), np.dot(y, y)
    if xx <= floor or yy <= floor or xx == 0 or yy == 0:
        return 0.0
    return float(np.dot(x, y) / np.sqrt(xx * yy))


def _trajectory_features(r: np.ndarray, dt: float, max_lag_fraction: float) -> np.ndarray:
    steps = np.diff(r, axis=0)  # (T - 1, n_dims)
    sq_len = np.einsum("ij,ij->i", steps, steps)
    step_len = np.sqrt(sq_len)
    speed = step_len / dt

    # Turning between consecutive steps; pairs with a zero-length step have no angle.
    dots = np.einsum("ij,ij->i", steps[:-1], steps[1:])
    norms = step_len[:-1] * step_len[1:]
    turning = norms > 0
    if turning.any():
        cos = np.clip(dots[turning] / norms[turning], -1.0, 1.0)
        cos_mean, angle_mean = float(cos.mean()), float(np.arccos(cos).mean())
    else:  # the expectation for directions drawn at random
        cos_mean, angle_mean = 0.0, np.pi / 2

    path = step_len.sum()
    straightness = float(np.linalg.norm(r[-1] - r[0]) / path) if path > 0 else 0.0
    # Normalised velocity autocorrelation <v_t . v_t+1> / <|v_t|^2> (not mean
    # subtracted: a steady drift counts as persistence).
    power = sq_len.mean()
    vacf1 = float(dots.mean() / power) if power > 0 else 0.0

    features = [
        speed.mean(),
        np.median(speed),
        speed.std(),
        speed.max(),
        _lag1_correlation(speed),  # slow drift of speed, as in superstatistical walks
        cos_mean,
        angle_mean,
        straightness,
        _msd_exponent(r, max_lag_fraction),
        vacf1,
    ]
    features.extend(steps.std(axis=0) / dt)
    if r.shape[1] == 3:
        xy_rms = np.sqrt(np.mean(sq_len - steps[:, 2] ** 2))
        z_rms = np.sqrt(np.mean(steps[:, 2] ** 2))
        features.append(z_rms / xy_rms if xy_rms > 0 else 0.0)
    return np.asarray(features, dtype=float)


class TrajectoryFeatures(TransformerMixin, BaseEstimator):
    """Summary motility features of each trajectory, as a 2-D feature matrix.

    The hand-made-feature baseline against which seed 000's networks are
    judged here (as seed 003 judged its CNNs against an SVM on hand features).

    Stateless: ``fit`` only records ``n_features_in_`` (the number of
    dimensions per time point). Every feature is a rate, ratio or shape
    statistic; none is the number of points or the duration, so classifiers
    cannot tell classes apart by how long they were recorded. Scale the
    output (``StandardScaler``) before an SVC.

    Features, per trajectory with steps ``s_t = r[t+1] - r[t]``:

    - ``speed_mean``, ``speed_median``, ``speed_std``, ``speed_max``: of
      ``|s_t| / dt`` (the maximum grows slowly with length, as any maximum);
    - ``speed_autocorr_lag1``: correlation of successive speeds (speed drift);
    - ``turning_cos_mean``, ``turning_angle_abs_mean``: cosine and absolute
      angle (radians) between successive steps, skipping zero-length steps;
    - ``straightness``: net displacement / path length (1 for a straight line);
    - ``msd_exponent``: slope of log MSD vs. log lag over lags up to
      ``max_lag_fraction * T`` (at least 2): about 1 for a random walk, 2 for
      ballistic motion;
    - ``velocity_autocorr_lag1``: ``<s_t . s_t+1> / <|s_t|^2>`` (persistence);
    - ``velocity_std_x``, ``velocity_std_y`` (, ``velocity_std_z``): standard
      deviation of each velocity component;
    - ``z_xy_speed_ratio`` (3-D only): rms z step / rms xy step, which
      separates real z motion from tracking noise.

    Parameters
    ----------
    dt : float, default=1.0
        Sampling interval; speeds and velocity spreads are per ``dt`` unit.
    max_lag_fraction : float, default=0.25
        Longest MSD lag as a fraction of the trajectory length.

    Attributes
    ----------
    n_features_in_ : int
        Number of dimensions per time point seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> line = np.column_stack([np.arange(20.0), np.zeros(20)])
    >>> tf = TrajectoryFeatures(dt=2.0)
    >>> F = tf.fit_transform([line])
    >>> F.shape
    (1, 12)
    >>> features = dict(zip(tf.get_feature_names_out(), F[0]))
    >>> print(features["speed_mean"], features["straightness"], round(features["msd_exponent"], 6))
    0.5 1.0 2.0
    """

    def __init__(self, dt: float = 1.0, max_lag_fraction: float = 0.25) -> None:
        self.dt = dt
        self.max_lag_fraction = max_lag_fraction

    def _check_params(self) -> tuple[float, float]:
        try:
            dt, fraction = float(self.dt), float(self.max_lag_fraction)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"dt and max_lag_fraction must be numbers; got dt={self.dt!r}, "
                f"max_lag_fraction={self.max_lag_fraction!r}."
            ) from exc
        if not np.isfinite(dt) or dt <= 0:
            raise ValueError(f"dt must be a positive, finite sampling interval; got {self.dt!r}.")
        if not 0 < fraction <= 1:
            raise ValueError(
                f"max_lag_fraction must be in (0, 1]; got {self.max_lag_fraction!r}. "
                "0.25 fits the MSD over the first quarter of each trajectory."
            )
        return dt, fraction

    def fit(self, X, y=None) -> "TrajectoryFeatures":
        """Check the parameters and ``X``; record ``n_features_in_``.

        Parameters
        ----------
        X : list of (n_steps_i, n_dims) arrays or (n, n_steps, n_dims) array
            Positions; each trajectory needs at least 3 points.
        y : ignored

        Returns
        -------
        self : TrajectoryFeatures
        """
        self._check_params()
        self.n_features_in_ = check_trajectories(X, min_length=3)[0].shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        """Compute the features of each trajectory.

        Parameters
        ----------
        X : list of (n_steps_i, n_dims) arrays or (n, n_steps, n_dims) array
            Positions; each trajectory needs at least 3 points (two steps, one
            turning angle).

        Returns
        -------
        features : ndarray of shape (n_trajectories, n_output_features)
            Columns named by :meth:`get_feature_names_out`.
        """
        dt, fraction = self._check_params()
        trajectories = check_trajectories(
            X, min_length=3, n_dims=getattr(self, "n_features_in_", None)
        )
        return np.vstack([_trajectory_features(r, dt, fraction) for r in trajectories])

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns.

        Parameters
        ----------
        input_features : ignored
            Present for API compatibility; names follow the axes x, y, z.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_features_in_")
        axes = _axis_names(self.n_features_in_)
        names = list(_COMMON_FEATURES) + [f"velocity_std_{a}" for a in axes]
        if self.n_features_in_ == 3:
            names.append("z_xy_speed_ratio")
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        return tags
