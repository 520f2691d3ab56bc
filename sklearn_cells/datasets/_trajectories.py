"""Synthetic cell-migration trajectories modelled on seed 000 (Table 1).

Cells move as superstatistical persistent random walks (Metzner et al. 2015,
Nat. Commun. 6:7516): the velocity follows an AR(1) process

    u_t = q_t u_{t-1} + sqrt(1 - q_t**2) * c_t * dt * n_t,   n_t ~ N(0, I / d),

whose persistence ``q_t`` and speed ``c_t`` themselves drift over time as
Ornstein-Uhlenbeck processes (in logit and log space). Each cell draws its own
mean persistence and speed from a class-specific distribution.

The three environments differ as in the seed: "collagen" cells move in 3-D
(slower, with real z motion), "plastic" and "fibronectin" cells crawl on a 2-D
surface, so their z is tracking noise only (about 2 um rms). Plastic and
fibronectin share the same distributions of speed and persistence, with the
same amplitudes and time scales of fluctuation; they differ only in how the
two are coupled over time. On plastic, fast phases are persistent (the
"universal coupling between speed and persistence", Maiuri et al. 2015, Cell
161:374); on fibronectin, fast phases are erratic. Per-trajectory summaries
(mean speed, turning, ...) barely tell them apart; the sequence does.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["make_trajectories", "TRAJECTORY_CLASSES"]

TRAJECTORY_CLASSES = ("collagen", "plastic", "fibronectin")

# Seed 000, Table 1: trajectories, time points and sampling interval (min).
_TABLE_1 = {
    "collagen": (65, 577, 2.5),
    "plastic": (177, 998, 1.0),
    "fibronectin": (69, 998, 1.0),
}

# speed: median um/min and log-spread between cells; persistence: median of q
# over 5 min and logit-spread between cells; tau: correlation time (min) and
# log/logit amplitude of the within-cell fluctuations; coupling: correlation
# of the speed and persistence fluctuations.
_CLASS_PARAMS = {
    "collagen": dict(
        speed=0.35, speed_spread=0.35, persistence=0.6, persistence_spread=0.5,
        tau=120.0, speed_fluct=0.3, persistence_fluct=0.4, coupling=0.0, z_motion=0.6,
    ),
    "plastic": dict(
        speed=0.8, speed_spread=0.35, persistence=0.5, persistence_spread=0.5,
        tau=30.0, speed_fluct=0.8, persistence_fluct=1.5, coupling=0.9, z_motion=0.0,
    ),
    "fibronectin": dict(
        speed=0.8, speed_spread=0.35, persistence=0.5, persistence_spread=0.5,
        tau=30.0, speed_fluct=0.8, persistence_fluct=1.5, coupling=-0.9, z_motion=0.0,
    ),
}

_Z_NOISE_2D = 2.0  # um rms, tracking noise of z on a flat surface
_XY_NOISE = 0.1  # um rms, tracking noise in x and y (and z in 3-D)


def _per_class(value, name, default):
    if value is None:
        return default
    if isinstance(value, numbers.Number):
        return (value,) * 3
    value = tuple(value)
    if len(value) != 3:
        raise ValueError(
            f"{name} must be a number or 3 values (collagen, plastic, fibronectin); "
            f"got {len(value)} values."
        )
    return value


def _ou(n_cells, n_steps, dt, tau, rng):
    """Unit-variance Ornstein-Uhlenbeck paths, shape (n_cells, n_steps)."""
    a = np.exp(-dt / tau)
    noise = rng.standard_normal((n_cells, n_steps)) * np.sqrt(1 - a**2)
    out = np.empty((n_cells, n_steps))
    out[:, 0] = rng.standard_normal(n_cells)
    for t in range(1, n_steps):
        out[:, t] = a * out[:, t - 1] + noise[:, t]
    return out


def _simulate(label, n_cells, n_steps, dt, rng):
    p = _CLASS_PARAMS[label]
    logit = lambda q: np.log(q / (1 - q))  # noqa: E731
    speed_mean = np.log(p["speed"]) + p["speed_spread"] * rng.standard_normal(n_cells)
    pers_mean = logit(p["persistence"]) + p["persistence_spread"] * rng.standard_normal(n_cells)
    speed_ou = _ou(n_cells, n_steps, dt, p["tau"], rng)
    rho = p["coupling"]
    pers_ou = rho * speed_ou + np.sqrt(1 - rho**2) * _ou(n_cells, n_steps, dt, p["tau"], rng)
    speed = np.exp(speed_mean[:, None] + p["speed_fluct"] * speed_ou)
    q5 = 1 / (1 + np.exp(-(pers_mean[:, None] + p["persistence_fluct"] * pers_ou)))
    q = q5 ** (dt / 5.0)  # persistence per sampling step

    n_move = 3 if p["z_motion"] > 0 else 2
    axis_scale = np.array([1.0, 1.0, p["z_motion"]])[:n_move]
    scale = np.sqrt(1 - q**2) * speed * dt / np.sqrt(n_move)
    noise = rng.standard_normal((n_cells, n_steps, n_move))
    u = np.empty((n_cells, n_steps, n_move))
    u[:, 0] = speed[:, :1] * dt / np.sqrt(n_move) * noise[:, 0]
    for t in range(1, n_steps):
        u[:, t] = q[:, t, None] * u[:, t - 1] + scale[:, t, None] * noise[:, t]
    positions = np.zeros((n_cells, n_steps, 3))
    positions[..., :n_move] = np.cumsum(u * axis_scale, axis=1)
    positions[..., :2] += rng.uniform(0, 500, size=(n_cells, 1, 2))  # start in a 500 um field
    positions[..., :n_move] += _XY_NOISE * rng.standard_normal((n_cells, n_steps, n_move))
    if n_move == 2:
        positions[..., 2] = rng.uniform(0, 20, size=(n_cells, 1))
        positions[..., 2] += _Z_NOISE_2D * rng.standard_normal((n_cells, n_steps))
    return positions


def make_trajectories(
    n_samples=(65, 177, 69),
    *,
    n_steps=None,
    dt=None,
    return_intervals: bool = False,
    random_state=None,
):
    """Generate 3-D cell trajectories in three environments (seed 000).

    Read more in the module docstring of ``sklearn_cells.datasets._trajectories``.

    Parameters
    ----------
    n_samples : int or tuple of 3 ints, default=(65, 177, 69)
        Trajectories of collagen, plastic and fibronectin (seed Table 1). An
        int gives that many of each.
    n_steps : int or tuple of 3 ints, optional
        Time points per trajectory; default (577, 998, 998) as in Table 1.
    dt : float or tuple of 3 floats, optional
        Minutes between time points; default (2.5, 1.0, 1.0) as in Table 1.
        Use :func:`~sklearn_cells.trajectory.resample_trajectories` to bring
        them to a common interval (the seed used 5 min).
    return_intervals : bool, default=False
        Also return each trajectory's sampling interval.
    random_state : int, RandomState or None, default=None

    Returns
    -------
    X : list of ndarray of shape (n_steps_i, 3)
        Positions (x, y, z) in um.
    y : ndarray of str of shape (n_trajectories,)
        "collagen", "plastic" or "fibronectin".
    intervals : ndarray of shape (n_trajectories,)
        Sampling interval of each trajectory in minutes (only if
        ``return_intervals``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_cells.datasets import make_trajectories
    >>> X, y = make_trajectories(n_samples=2, n_steps=50, random_state=0)
    >>> len(X), X[0].shape, np.unique(y).tolist()
    (6, (50, 3), ['collagen', 'fibronectin', 'plastic'])
    """
    counts = _per_class(n_samples, "n_samples", None)
    steps = _per_class(n_steps, "n_steps", tuple(v[1] for v in _TABLE_1.values()))
    intervals = _per_class(dt, "dt", tuple(v[2] for v in _TABLE_1.values()))
    for name, values in (("n_samples", counts), ("n_steps", steps)):
        if any(not isinstance(v, (int, np.integer)) or v < (0 if name == "n_samples" else 2) for v in values):
            raise ValueError(f"{name} must hold non-negative integers (n_steps >= 2); got {values}.")
    if sum(counts) == 0:
        raise ValueError("n_samples asks for no trajectories; request at least one.")
    if any(not v > 0 for v in intervals):
        raise ValueError(f"dt must be positive; got {intervals}.")

    rng = check_random_state(random_state)
    X, y, track_dt = [], [], []
    for label, n, t, interval in zip(TRAJECTORY_CLASSES, counts, steps, intervals):
        if n == 0:
            continue
        X.extend(_simulate(label, n, t, interval, rng))
        y.extend([label] * n)
        track_dt.extend([interval] * n)
    y = np.asarray(y)
    if return_intervals:
        return X, y, np.asarray(track_dt, dtype=float)
    return X, y
