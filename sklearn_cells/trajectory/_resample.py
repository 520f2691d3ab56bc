"""Bringing trajectories to a common sampling interval.

Seed 000 recorded collagen tracks every 2.5 min and plastic/fibronectin tracks
every minute, and kept every 2nd resp. 5th point to reach a common 5 min.
:func:`resample_trajectories` does that for any mix of intervals (one per
trajectory), falling back to linear interpolation in time when the ratio is
not a whole number. :class:`TrajectoryResampler` is the pipeline step for one
known interval shared by all trajectories.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions

from ..base import real_in
from ..utils._set_output import NonTabularOutputMixin
from ..utils._validation import validate_params_unless_fitted
from ._validation import check_trajectories, wrap_like

__all__ = ["resample_trajectories", "TrajectoryResampler"]

_METHODS = ("auto", "subsample", "linear")
# Ratios such as 0.3 / 0.1 = 2.9999999999999996 count as whole numbers.
_RTOL = 1e-8


def _check_method(method) -> None:
    if method not in _METHODS:
        raise ValueError(
            f"method={method!r} is not supported; use one of {list(_METHODS)} "
            "('subsample' keeps every k-th point, 'linear' interpolates in time, "
            "'auto' subsamples when the interval ratio is a whole number)."
        )


def _check_interval(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a positive number (a time interval); got "
            f"{type(value).__name__} {value!r}."
        )
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(
            f"{name} must be positive and finite (a time interval); got {value!r}."
        )
    return value


def _check_dts(dt, n_trajectories: int) -> np.ndarray:
    if isinstance(dt, numbers.Real) and not isinstance(dt, bool):
        return np.full(n_trajectories, _check_interval(dt, "dt"))
    if isinstance(dt, (str, bytes)):
        _check_interval(dt, "dt")  # raises the TypeError
    try:
        intervals = np.asarray(dt, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "dt must be a positive number or one positive number per "
            f"trajectory; got {type(dt).__name__}."
        ) from exc
    if intervals.ndim == 0:
        return np.full(n_trajectories, _check_interval(float(intervals), "dt"))
    if intervals.ndim != 1 or intervals.shape[0] != n_trajectories:
        raise ValueError(
            f"dt has shape {intervals.shape}, but X has {n_trajectories} "
            "trajectories; pass one number for all or one interval per trajectory."
        )
    bad = np.flatnonzero(~np.isfinite(intervals) | (intervals <= 0))
    if bad.size:
        raise ValueError(
            f"dt must be positive and finite; trajectory {bad[0]} has "
            f"{float(intervals[bad[0]])!r}."
        )
    return intervals


def _resample_one(r: np.ndarray, ratio: float, method: str, index: int,
                  source: float, target: float) -> np.ndarray:
    """Resample one trajectory by ``ratio = target / source`` (>= 1)."""
    n_steps = r.shape[0]
    k = int(round(ratio))
    whole = abs(ratio - k) <= _RTOL * max(1.0, ratio)
    if method == "subsample" and not whole:
        raise ValueError(
            f"method='subsample' needs target_dt to be a whole multiple of the "
            f"source interval, but trajectory {index} has {target!r} / {source!r} = "
            f"{ratio:.6g}. Use method='linear' (or 'auto') to interpolate in time."
        )
    if whole and method != "linear":
        out = r[::k].copy()  # a copy: never hand back a view of the caller's data
    else:
        # Sample times 0, target, 2 * target, ... within the recorded duration,
        # expressed as fractional indices into the source samples.
        n_new = int(np.floor((n_steps - 1) / ratio + _RTOL)) + 1
        pos = np.arange(n_new) * ratio
        i0 = np.minimum(np.floor(pos).astype(np.intp), n_steps - 2)
        frac = np.clip(pos - i0, 0.0, 1.0)[:, None]
        out = r[i0] * (1.0 - frac) + r[i0 + 1] * frac
    if out.shape[0] < 2:
        raise ValueError(
            f"trajectory {index} has {n_steps} points at interval {source:g} (duration "
            f"{(n_steps - 1) * source:g}); resampled to interval {target:g} only "
            f"{out.shape[0]} point is left, but at least 2 are needed. Use a smaller "
            "target_dt or drop trajectories shorter than "
            f"{target / source + 1:g} points first."
        )
    return out


def resample_trajectories(X, dt, target_dt, *, method: str = "auto"):
    """Resample trajectories to a common, coarser sampling interval.

    When ``target_dt / dt`` is a whole number ``k`` every
    ``k``-th point is kept (starting with the first), as in seed 000 (every 2nd
    collagen point, every 5th plastic and fibronectin point for 5 min). Otherwise
    positions are interpolated linearly at times ``0, target_dt,
    2 * target_dt, ...`` within each recorded duration.

    Parameters
    ----------
    X : list of array-like of shape (n_steps_i, n_dims), 1-D object array of \
            those, or array-like of shape (n_trajectories, n_steps, n_dims)
        The trajectories, time first.
    dt : float or array-like of shape (n_trajectories,)
        Sampling interval of the input, one for all or one per trajectory.
    target_dt : float
        Sampling interval of the output; at least every ``dt``
        (upsampling would invent data).
    method : {"auto", "subsample", "linear"}, default="auto"
        ``"subsample"`` keeps every k-th point and requires a whole-number
        ratio; ``"linear"`` always interpolates; ``"auto"`` subsamples at
        whole-number ratios and interpolates otherwise.

    Returns
    -------
    X_resampled : same kind of container as ``X``
        New arrays. A 3-D array stays 3-D when all outputs have the same
        length; with per-trajectory intervals the lengths usually differ and
        a 1-D object array is returned instead.

    Raises
    ------
    ValueError
        For non-positive intervals, a target interval finer than a source
        interval, a non-whole ratio with ``method="subsample"``, or a
        trajectory with fewer than 2 points after resampling.

    See Also
    --------
    TrajectoryResampler : the same as a pipeline step for a single interval.

    Examples
    --------
    >>> import numpy as np
    >>> collagen = np.arange(10.0).reshape(5, 2)      # every 2.5 min
    >>> plastic = np.arange(22.0).reshape(11, 2)      # every minute
    >>> out = resample_trajectories([collagen, plastic], [2.5, 1.0], 5.0)
    >>> [t.shape for t in out]
    [(3, 2), (3, 2)]
    >>> out[1][:, 0]
    array([ 0., 10., 20.])
    """
    _check_method(method)
    target = _check_interval(target_dt, "target_dt")
    trajectories = check_trajectories(X)
    sources = _check_dts(dt, len(trajectories))
    return wrap_like(_resample_all(trajectories, sources, target, method), X)


def _resample_all(trajectories: list[np.ndarray], sources: np.ndarray, target: float,
                  method: str) -> list[np.ndarray]:
    resampled = []
    for i, (r, source) in enumerate(zip(trajectories, sources)):
        ratio = target / source
        if ratio < 1.0 - _RTOL:
            raise ValueError(
                f"target_dt={target:g} is finer than the source interval "
                f"{source:g} of trajectory {i}; resampling only coarsens (upsampling "
                "would invent data). Use a target_dt at least as large as "
                "every source interval."
            )
        resampled.append(_resample_one(r, max(ratio, 1.0), method, i, source, target))
    return resampled


class TrajectoryResampler(NonTabularOutputMixin, TransformerMixin, BaseEstimator):
    """Resample trajectories to a coarser sampling interval, as a pipeline step.

    Stateless: ``fit`` only records ``n_features_in_``. Give either ``step``
    (keep every ``step``-th point) or both ``dt`` and
    ``target_dt``. When trajectories were recorded at different
    intervals (as in seed 000), call :func:`resample_trajectories` with one
    interval per trajectory before the pipeline instead: a pipeline step only
    sees the trajectories of a CV split, not their recording intervals.

    Parameters
    ----------
    step : int or float, optional
        Resampling factor: keep every ``step``-th point. A non-integer
        ``step`` interpolates linearly (``method="auto"`` or ``"linear"``).
    dt : float, optional
        Sampling interval of the input trajectories.
    target_dt : float, optional
        Sampling interval wanted, at least ``dt``.
    method : {"auto", "subsample", "linear"}, default="auto"
        See :func:`resample_trajectories`.

    Attributes
    ----------
    n_features_in_ : int
        Number of dimensions per time point seen in ``fit``.

    See Also
    --------
    resample_trajectories : the function, with per-trajectory intervals.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(24.0).reshape(2, 6, 2)           # 2 trajectories, 6 points, 2-D
    >>> TrajectoryResampler(step=2).fit_transform(X).shape
    (2, 3, 2)
    >>> TrajectoryResampler(dt=1.0, target_dt=2.5).fit_transform(X)[0]
    array([[ 0.,  1.],
           [ 5.,  6.],
           [10., 11.]])
    """

    _parameter_constraints: dict = {
        "step": [real_in(1, None, closed="left"), None],
        "dt": [real_in(0, None), None],
        "target_dt": [real_in(0, None), None],
        "method": [StrOptions(set(_METHODS))],
    }

    def __init__(
        self,
        step: float | None = None,
        dt: float | None = None,
        target_dt: float | None = None,
        method: str = "auto",
    ) -> None:
        self.step = step
        self.dt = dt
        self.target_dt = target_dt
        self.method = method

    def _intervals(self) -> tuple[float, float]:
        """``(source, target)`` from ``step`` alone or from ``dt`` and ``target_dt`` together."""
        has_source = self.dt is not None
        has_target = self.target_dt is not None
        if self.step is not None:
            if has_source or has_target:
                raise ValueError(
                    "TrajectoryResampler got step and dt/target_dt; "
                    "give either step alone or both intervals, not both."
                )
            return 1.0, float(self.step)
        if not (has_source and has_target):
            missing = "both intervals" if not (has_source or has_target) else (
                "target_dt" if has_source else "dt"
            )
            raise ValueError(
                f"TrajectoryResampler needs either step or both dt and "
                f"target_dt; {missing} missing. For example step=2, or "
                "dt=2.5, target_dt=5.0."
            )
        return float(self.dt), float(self.target_dt)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None) -> "TrajectoryResampler":
        """Check the parameters and ``X``; record ``n_features_in_``.

        Parameters
        ----------
        X : list of (n_steps_i, n_dims) arrays or (n, n_steps, n_dims) array
            The trajectories.
        y : ignored

        Returns
        -------
        self : TrajectoryResampler
        """
        self._intervals()
        trajectories = check_trajectories(X)
        self.n_features_in_ = trajectories[0].shape[1]
        return self

    def transform(self, X):
        """Resample each trajectory.

        Parameters
        ----------
        X : list of (n_steps_i, n_dims) arrays or (n, n_steps, n_dims) array
            The trajectories.

        Returns
        -------
        X_resampled : same kind of container as ``X``
        """
        validate_params_unless_fitted(self)
        source, target = self._intervals()
        trajectories = check_trajectories(X, n_dims=getattr(self, "n_features_in_", None))
        sources = np.full(len(trajectories), source)
        return wrap_like(_resample_all(trajectories, sources, target, self.method), X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        return tags
