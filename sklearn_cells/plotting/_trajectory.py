"""Figures for trajectory sets: tracks side by side and statistic densities.

Real and generated trajectories in the layout of seed 000 Figs. 4 and 9 (x-y
plane above, z over time below), the densities of their motion statistics,
and the joint density of local persistence and speed that approximates the
seed's superstatistical parameter density (Fig. 10).
"""

from __future__ import annotations

import numpy as np

from ..trajectory._statistics import trajectory_statistics
from ..trajectory._validation import check_trajectories

__all__ = [
    "plot_trajectories",
    "plot_statistic_densities",
    "plot_persistence_speed_density",
]

_LABELS = {
    "speed": "step speed",
    "turning_angle": "turning angle (rad)",
    "persistence": "persistence (lag-1 velocity autocorrelation)",
    "mean_speed": "mean speed per trajectory",
    "local_speed": "local speed",
    "local_persistence": "local persistence",
    "msd_exponent": "MSD exponent",
}


def _check_sets(sets, name: str = "sets") -> dict:
    if not isinstance(sets, dict) or not sets:
        raise ValueError(
            f"{name} must be a non-empty dict mapping a name to trajectories, e.g. "
            "{'real': X_real, 'generated': X_gen}."
        )
    return sets


def plot_trajectories(
    sets: dict,
    *,
    dt: float = 1.0,
    max_trajectories: int = 30,
    axes=None,
    random_state=0,
    time_unit: str = "",
    length_unit: str = "",
):
    """Draw sets of trajectories side by side: x-y plane above, z over time below.

    Every trajectory is shifted to start at the origin, as in seed 000 Figs. 4
    and 9; 2-D trajectories get the x-y panel only.

    Parameters
    ----------
    sets : dict of str to trajectories
        For example ``{"real": X_test, "generated": X_gen}``; one column each.
    dt : float, default=1.0
        Time between points (x axis of the z panels).
    max_trajectories : int, default=30
        At most this many trajectories per set, chosen at random.
    axes : array of matplotlib Axes of shape (n_rows, n_sets), optional
    random_state : int, RandomState or None, default=0
        Chooses the trajectories shown.
    time_unit, length_unit : str, default=""
        Added to the axis labels, e.g. "min" and "um".

    Returns
    -------
    axes : ndarray of matplotlib Axes of shape (n_rows, n_sets)

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> rng = np.random.RandomState(0)
    >>> X = [np.cumsum(rng.normal(size=(50, 3)), axis=0) for _ in range(5)]
    >>> plot_trajectories({"a": X, "b": X}).shape
    (2, 2)
    """
    import matplotlib.pyplot as plt
    from sklearn.utils import check_random_state

    sets = _check_sets(sets)
    checked = {name: check_trajectories(X, name=str(name)) for name, X in sets.items()}
    n_dims = next(iter(checked.values()))[0].shape[1]
    n_rows = 2 if n_dims >= 3 else 1
    if axes is None:
        _, axes = plt.subplots(
            n_rows, len(sets), figsize=(3.6 * len(sets), 3.4 * n_rows), squeeze=False,
            sharex="row", sharey="row",
        )
    axes = np.asarray(axes).reshape(n_rows, len(sets))
    rng = check_random_state(random_state)
    xy_unit = f" ({length_unit})" if length_unit else ""
    t_unit = f" ({time_unit})" if time_unit else ""
    for col, (name, trajectories) in enumerate(checked.items()):
        chosen = rng.permutation(len(trajectories))[:max_trajectories]
        colors = plt.cm.viridis(np.linspace(0, 1, max(len(chosen), 1)))
        for color, i in zip(colors, chosen):
            r = trajectories[i] - trajectories[i][0]
            axes[0, col].plot(r[:, 0], r[:, 1], lw=0.7, color=color)
            if n_rows == 2:
                axes[1, col].plot(np.arange(len(r)) * dt, r[:, 2], lw=0.7, color=color)
        axes[0, col].set_title(str(name))
        axes[0, col].set_xlabel("x" + xy_unit)
        axes[0, col].set_aspect("equal", adjustable="box")
        if n_rows == 2:
            axes[1, col].set_xlabel("time" + t_unit)
    axes[0, 0].set_ylabel("y" + xy_unit)
    if n_rows == 2:
        axes[1, 0].set_ylabel("z" + xy_unit)
    return axes


def plot_statistic_densities(
    sets: dict,
    *,
    statistics=("speed", "turning_angle", "persistence", "mean_speed"),
    dt: float = 1.0,
    window: int = 10,
    bins: int = 40,
    axes=None,
):
    """Overlay the densities of motion statistics of several trajectory sets.

    Parameters
    ----------
    sets : dict of str to trajectories or to :func:`trajectory_statistics` output
        For example ``{"real": X_test, "generated": X_gen}``.
    statistics : sequence of str
        Keys of :func:`~sklearn_cells.trajectory.trajectory_statistics` with
        one value per step, window or trajectory.
    dt, window : passed to :func:`trajectory_statistics`.
    bins : int, default=40
    axes : sequence of matplotlib Axes, optional
        One per statistic.

    Returns
    -------
    axes : ndarray of matplotlib Axes

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> rng = np.random.RandomState(0)
    >>> X = [np.cumsum(rng.normal(size=(50, 2)), axis=0) for _ in range(5)]
    >>> plot_statistic_densities({"a": X}).shape
    (4,)
    """
    import matplotlib.pyplot as plt

    sets = _check_sets(sets)
    stats = {
        name: X if isinstance(X, dict) else trajectory_statistics(X, dt=dt, window=window)
        for name, X in sets.items()
    }
    unknown = [s for s in statistics if s not in _LABELS]
    if unknown:
        raise ValueError(f"unknown statistics {unknown}; choose from {sorted(_LABELS)}.")
    if axes is None:
        _, axes = plt.subplots(1, len(statistics), figsize=(3.4 * len(statistics), 3.0), squeeze=False)
    axes = np.asarray(axes).ravel()
    for ax, key in zip(axes, statistics):
        values = [np.asarray(s[key], float) for s in stats.values()]
        pooled = np.concatenate([v[np.isfinite(v)] for v in values])
        lo, hi = np.percentile(pooled, [0.5, 99.5]) if pooled.size else (0.0, 1.0)
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
        for name, v in zip(stats, values):
            ax.hist(v[np.isfinite(v)], bins=edges, density=True, histtype="step", lw=1.5, label=str(name))
        ax.set_xlabel(_LABELS[key])
    axes[0].set_ylabel("density")
    axes[0].legend(frameon=False)
    return axes


def plot_persistence_speed_density(
    sets: dict,
    *,
    dt: float = 1.0,
    window: int = 10,
    bins: int = 30,
    axes=None,
):
    """Joint density of local persistence and local speed, one panel per set.

    The windows' (persistence, speed) pairs approximate the superstatistical
    parameters of seed 000 Fig. 10: real and generated sets should cover the
    same region with a similar spread.

    Parameters
    ----------
    sets : dict of str to trajectories or to :func:`trajectory_statistics` output
    dt, window : passed to :func:`trajectory_statistics`.
    bins : int, default=30
    axes : sequence of matplotlib Axes, optional

    Returns
    -------
    axes : ndarray of matplotlib Axes

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> rng = np.random.RandomState(0)
    >>> X = [np.cumsum(rng.normal(size=(50, 2)), axis=0) for _ in range(5)]
    >>> plot_persistence_speed_density({"a": X, "b": X}).shape
    (2,)
    """
    import matplotlib.pyplot as plt

    sets = _check_sets(sets)
    stats = {
        name: X if isinstance(X, dict) else trajectory_statistics(X, dt=dt, window=window)
        for name, X in sets.items()
    }
    if axes is None:
        _, axes = plt.subplots(
            1, len(stats), figsize=(3.4 * len(stats), 3.2), squeeze=False, sharex=True, sharey=True
        )
    axes = np.asarray(axes).ravel()
    speeds = np.concatenate([s["local_speed"] for s in stats.values()])
    top = np.percentile(speeds, 99) if speeds.size else 1.0
    for ax, (name, s) in zip(axes, stats.items()):
        ok = np.isfinite(s["local_persistence"]) & np.isfinite(s["local_speed"])
        ax.hist2d(
            s["local_persistence"][ok], s["local_speed"][ok], bins=bins,
            range=[[-1, 1], [0, top if top > 0 else 1.0]], density=True, cmap="Greys",
        )
        ax.set_title(str(name))
        ax.set_xlabel("local persistence")
    axes[0].set_ylabel("local speed")
    return axes
