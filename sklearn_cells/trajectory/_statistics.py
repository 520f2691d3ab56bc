"""Statistics of trajectory sets, and a comparison of two sets.

These are how generated trajectories are judged against real ones: the
distributions of step speed, turning angle and persistence (velocity
autocorrelation), local speed/persistence pairs in short windows (an
approximation of the superstatistical persistence and activity of Metzner et
al. 2015 that seed 000 used in its Fig. 10), the mean squared displacement
(MSD) curve and exponent, and the extent of each trajectory per axis.
:func:`compare_trajectory_statistics` reduces two sets to one tidy table of
distances (Wasserstein and Kolmogorov-Smirnov) per statistic, optionally with
the AUC of a classifier two-sample test (:func:`classifier_two_sample_test`),
and :func:`displacement_drift_test` tests whether a set drifts in a preferred
direction.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import stats as _stats

from ..utils._optional import import_optional
from ._two_sample import classifier_two_sample_test
from ._validation import check_trajectories

__all__ = [
    "trajectory_statistics",
    "compare_trajectory_statistics",
    "displacement_drift_test",
]

# The statistics whose values are samples of a distribution (compared row by row).
_DISTRIBUTIONS = (
    "speed",
    "turning_angle",
    "persistence",
    "mean_speed",
    "local_speed",
    "local_persistence",
    "msd_exponent",
)
_AXES = "xyzuvw"


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def _autocorrelation(v: np.ndarray) -> float:
    """Lag-1 velocity autocorrelation <v_t . v_t+1> / <|v_t|^2> (1: straight, 0: random)."""
    if len(v) < 2:
        return np.nan
    power = np.einsum("ij,ij->", v, v) / len(v)
    if power == 0:
        return np.nan
    return float(np.einsum("ij,ij->", v[:-1], v[1:]) / (len(v) - 1) / power)


def _msd(r: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Time-averaged MSD of one trajectory at ``lags`` (NaN where too long)."""
    out = np.full(len(lags), np.nan)
    for i, lag in enumerate(lags):
        if lag < len(r):
            d = r[lag:] - r[:-lag]
            out[i] = np.einsum("ij,ij->", d, d) / len(d)
    return out


def trajectory_statistics(
    X, *, dt: float = 1.0, window: int = 10, max_lag: int | None = None
) -> dict[str, np.ndarray]:
    """Distributions of motion statistics over a set of trajectories.

    Parameters
    ----------
    X : list of array-like of shape (n_steps_i, n_dims) or array of shape \
            (n_trajectories, n_steps, n_dims)
        Positions.
    dt : float, default=1.0
        Time between points; speeds are per this unit and MSD lags are in it.
    window : int, default=10
        Steps per window for the local statistics, and points of the moving
        average behind ``smoothed_extent``.
    max_lag : int, optional
        Largest MSD lag in steps; default a quarter of the shortest trajectory
        (at most 100).

    Returns
    -------
    statistics : dict of str to ndarray
        ``speed``
            Step speeds ``|r[t+1] - r[t]| / dt`` of all steps, pooled.
        ``turning_angle``
            Angles (radians, 0 to pi) between consecutive non-zero steps, pooled.
        ``persistence``
            Per trajectory, lag-1 velocity autocorrelation
            ``<v_t . v_t+1> / <|v_t|^2>``: near 1 for straight runs, 0 for a
            random walk, negative for back-and-forth jitter.
        ``mean_speed``
            Per trajectory, mean step speed.
        ``local_speed``, ``local_persistence``
            The same two in non-overlapping windows of ``window`` steps, pooled
            (their joint density approximates seed 000 Fig. 10).
        ``msd_lags``, ``msd``
            Lags (in time units) and the MSD averaged over trajectories.
        ``msd_exponent``
            Per trajectory, the slope of log MSD against log lag (1: diffusive,
            2: ballistic).
        ``extent``
            Per trajectory and axis, ``max - min`` of the coordinates,
            shape (n_trajectories, n_dims).
        ``smoothed_extent``
            As ``extent`` after a moving average over ``window`` points, so
            tracking noise (such as the z jitter of cells on a flat surface)
            counts far less than real motion.
        ``displacement``
            Per trajectory, ``r[-1] - r[0]``, shape (n_trajectories, n_dims).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = [np.cumsum(rng.normal(size=(100, 2)), axis=0) for _ in range(5)]
    >>> s = trajectory_statistics(X)
    >>> s["mean_speed"].shape, s["extent"].shape
    ((5,), (5, 2))
    """
    trajectories = check_trajectories(X, min_length=2)
    if isinstance(dt, bool) or not isinstance(dt, numbers.Real) or not dt > 0:
        raise ValueError(f"dt must be a positive number (time between points); got {dt!r}.")
    window = _check_positive_int(window, "window")
    shortest = min(len(r) for r in trajectories)
    if max_lag is None:
        max_lag = int(np.clip(shortest // 4, 1, 100))
    max_lag = _check_positive_int(max_lag, "max_lag")
    lags = np.unique(np.round(np.logspace(0, np.log10(max_lag), 20)).astype(int))

    speed, angles, local_speed, local_pers = [], [], [], []
    persistence, mean_speed, msd_rows, exponents = [], [], [], []
    extent, smoothed_extent, displacement = [], [], []
    for r in trajectories:
        v = np.diff(r, axis=0) / dt
        s = np.linalg.norm(v, axis=1)
        speed.append(s)
        mean_speed.append(s.mean())
        persistence.append(_autocorrelation(v))
        moving = s[:-1] > 0
        moving &= s[1:] > 0
        cos = np.einsum("ij,ij->i", v[:-1], v[1:])[moving] / (s[:-1] * s[1:])[moving]
        angles.append(np.arccos(np.clip(cos, -1.0, 1.0)))
        for start in range(0, len(v) - window + 1, window):
            w = v[start : start + window]
            local_speed.append(s[start : start + window].mean())
            local_pers.append(_autocorrelation(w))
        msd = _msd(r, lags)
        msd_rows.append(msd)
        ok = np.isfinite(msd) & (msd > 0)
        exponents.append(
            np.polyfit(np.log(lags[ok]), np.log(msd[ok]), 1)[0] if ok.sum() >= 2 else np.nan
        )
        extent.append(np.ptp(r, axis=0))
        k = min(window, len(r))
        smooth = np.cumsum(np.vstack([np.zeros((1, r.shape[1])), r]), axis=0)
        smooth = (smooth[k:] - smooth[:-k]) / k
        smoothed_extent.append(np.ptp(smooth, axis=0))
        displacement.append(r[-1] - r[0])

    with np.errstate(invalid="ignore"):
        msd_mean = np.nanmean(np.vstack(msd_rows), axis=0)
    drop_nan = lambda a: a[np.isfinite(a)]  # noqa: E731
    return {
        "speed": np.concatenate(speed),
        "turning_angle": np.concatenate(angles),
        "persistence": drop_nan(np.asarray(persistence)),
        "mean_speed": np.asarray(mean_speed),
        "local_speed": np.asarray(local_speed),
        "local_persistence": np.asarray(local_pers),
        "msd_lags": lags * float(dt),
        "msd": msd_mean,
        "msd_exponent": drop_nan(np.asarray(exponents)),
        "extent": np.vstack(extent),
        "smoothed_extent": np.vstack(smoothed_extent),
        "displacement": np.vstack(displacement),
    }


def _as_statistics(X, name: str, **kwargs) -> dict[str, np.ndarray]:
    if isinstance(X, dict):
        missing = [k for k in _DISTRIBUTIONS + ("extent",) if k not in X]
        if missing:
            raise ValueError(
                f"{name} is a dict but lacks {missing}; pass trajectories or the "
                "output of trajectory_statistics."
            )
        return X
    return trajectory_statistics(X, **kwargs)


def compare_trajectory_statistics(
    X_reference,
    X_other,
    *,
    dt: float = 1.0,
    window: int = 10,
    max_lag: int | None = None,
    as_frame: bool = False,
    classifier_test: bool | dict = False,
):
    """Compare the statistics of two trajectory sets in one tidy table.

    Parameters
    ----------
    X_reference, X_other : trajectories or dict
        Two sets of positions (for example real and generated), or the
        outputs of :func:`trajectory_statistics` for them.
    dt, window, max_lag
        Passed to :func:`trajectory_statistics`.
    as_frame : bool, default=False
        Return a pandas DataFrame (pandas must be installed) instead of a dict
        of columns.
    classifier_test : bool or dict, default=False
        Also run :func:`classifier_two_sample_test` with ``X_reference`` as
        the real set: True with its defaults, a dict with those keyword
        arguments (e.g. ``{"n_permutations": 0, "random_state": 0}``). It
        trains ``cv * (1 + n_permutations)`` classifiers (about a minute for
        two sets of 300 tracks with the defaults), hence off by default. It
        needs trajectories, not precomputed statistics.

    Returns
    -------
    table : dict of str to ndarray, or pandas.DataFrame
        One row per statistic (``speed``, ``turning_angle``, ``persistence``,
        ``mean_speed``, ``local_speed``, ``local_persistence``,
        ``msd_exponent``, then ``extent_x``, ``extent_y``, ... and
        ``smoothed_extent_x``, ...) with columns ``statistic``,
        ``wasserstein`` (earth mover's distance, in the statistic's units),
        ``ks_statistic`` and ``ks_pvalue`` (two-sample Kolmogorov-Smirnov),
        ``mean_reference``, ``mean_other``, ``std_reference``, ``std_other``
        and ``std_ratio`` (other / reference: below 1 means the other set
        varies less, the seed's generator's failing). With
        ``classifier_test``, a last row ``classifier_auc`` (NaN in the
        columns above) and four columns filled in that row only: ``auc``
        (0.5: indistinguishable), ``auc_low`` and ``auc_high`` (its bootstrap
        interval) and ``auc_pvalue`` (permutation test).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> slow = [np.cumsum(rng.normal(size=(50, 2)), axis=0) for _ in range(20)]
    >>> fast = [np.cumsum(rng.normal(scale=3, size=(50, 2)), axis=0) for _ in range(20)]
    >>> table = compare_trajectory_statistics(slow, fast)
    >>> row = list(table["statistic"]).index("mean_speed")
    >>> bool(table["ks_pvalue"][row] < 0.01)
    True
    >>> table = compare_trajectory_statistics(
    ...     slow, fast, classifier_test={"n_permutations": 0, "random_state": 0})
    >>> print(table["statistic"][-1], table["auc"][-1])
    classifier_auc 1.0
    """
    if not isinstance(classifier_test, (bool, dict)):
        raise TypeError(
            "classifier_test must be a bool or a dict of keyword arguments for "
            f"classifier_two_sample_test; got {type(classifier_test).__name__}."
        )
    if classifier_test is not False and (isinstance(X_reference, dict) or isinstance(X_other, dict)):
        raise ValueError(
            "classifier_test needs the trajectories themselves, not the output of "
            "trajectory_statistics; pass both sets as trajectories."
        )
    kwargs = dict(dt=dt, window=window, max_lag=max_lag)
    ref = _as_statistics(X_reference, "X_reference", **kwargs)
    other = _as_statistics(X_other, "X_other", **kwargs)
    n_dims = ref["extent"].shape[1]
    if other["extent"].shape[1] != n_dims:
        raise ValueError(
            f"X_reference has {n_dims} dimension(s) but X_other has "
            f"{other['extent'].shape[1]}; compare sets with the same coordinates."
        )
    rows = [(name, ref[name], other[name]) for name in _DISTRIBUTIONS]
    for key in ("extent", "smoothed_extent"):
        if key in ref and key in other:
            rows += [
                (f"{key}_{_AXES[d] if n_dims <= len(_AXES) else d}", ref[key][:, d], other[key][:, d])
                for d in range(n_dims)
            ]
    columns: dict[str, list] = {
        c: []
        for c in (
            "statistic", "wasserstein", "ks_statistic", "ks_pvalue", "mean_reference",
            "mean_other", "std_reference", "std_other", "std_ratio",
        )
    }
    for name, a, b in rows:
        a, b = np.asarray(a, float), np.asarray(b, float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        columns["statistic"].append(name)
        if a.size == 0 or b.size == 0:
            for c in list(columns)[1:]:
                columns[c].append(np.nan)
            continue
        ks = _stats.ks_2samp(a, b)
        columns["wasserstein"].append(_stats.wasserstein_distance(a, b))
        columns["ks_statistic"].append(float(ks.statistic))
        columns["ks_pvalue"].append(float(ks.pvalue))
        columns["mean_reference"].append(a.mean())
        columns["mean_other"].append(b.mean())
        columns["std_reference"].append(a.std())
        columns["std_other"].append(b.std())
        columns["std_ratio"].append(b.std() / a.std() if a.std() > 0 else np.nan)
    if classifier_test is not False:
        test = classifier_two_sample_test(
            X_reference, X_other, **(classifier_test if isinstance(classifier_test, dict) else {})
        )
        columns["statistic"].append("classifier_auc")
        for c in list(columns)[1:]:
            columns[c].append(np.nan)
        for c, value in zip(("auc", "auc_low", "auc_high", "auc_pvalue"), (test.auc, *test.interval, test.pvalue)):
            columns[c] = [np.nan] * (len(columns["statistic"]) - 1) + [value]
    table = {k: np.asarray(v, dtype=object if k == "statistic" else float) for k, v in columns.items()}
    if as_frame:
        return import_optional("pandas", "as_frame=True", "io").DataFrame(table)
    return table


def displacement_drift_test(X, *, dims=None) -> tuple[float, float]:
    """Test whether trajectories drift in a preferred direction.

    Hotelling's T-squared test of the hypothesis that the mean net
    displacement ``r[-1] - r[0]`` over the trajectories is zero. A small
    p-value means a common preferred direction (as in some of seed 000's
    generated sets).

    Parameters
    ----------
    X : trajectories
        Positions.
    dims : sequence of int, optional
        Axes to test (default all), e.g. ``(0, 1)`` for the x-y plane.

    Returns
    -------
    statistic : float
        Hotelling's T-squared.
    pvalue : float

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = [np.cumsum(rng.normal(size=(50, 2)), axis=0) for _ in range(40)]
    >>> bool(displacement_drift_test(X)[1] > 0.01)
    True
    >>> drifting = [x + np.arange(50)[:, None] * [0.5, 0.0] for x in X]
    >>> bool(displacement_drift_test(drifting)[1] < 0.01)
    True
    """
    trajectories = check_trajectories(X, min_length=2)
    d = np.vstack([r[-1] - r[0] for r in trajectories])
    if dims is not None:
        d = d[:, list(dims)]
    n, p = d.shape
    if n <= p:
        raise ValueError(
            f"the drift test needs more trajectories than dimensions; got {n} "
            f"trajectories in {p} dimension(s)."
        )
    mean = d.mean(axis=0)
    cov = np.atleast_2d(np.cov(d, rowvar=False))
    t2 = float(n * mean @ np.linalg.pinv(cov) @ mean)
    f = t2 * (n - p) / (p * (n - 1))
    return t2, float(_stats.f.sf(f, p, n - p))
