"""Trajectory classes that differ only in their long-range structure.

Every class is the same correlated (persistent) random walk in the heading
angle: the same per-track speed scale, the same i.i.d. gamma step lengths and
the same i.i.d. half-normal turning magnitudes. Only the *sign* of each turn
follows a class-specific rule, chosen so that the signed turning angle stays
symmetric within each class. Histograms of step lengths and turning angles
are therefore identical across classes; what tells the classes apart is what
the signs add up to over tens to hundreds of steps: net displacement,
confinement, drift (or, for ``"circling"``, a constant chirality).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from ._anomalous import _check_length, _is_int, _is_real

__all__ = ["make_long_range_trajectories", "LONG_RANGE_CLASSES"]

#: Every class :func:`make_long_range_trajectories` can simulate.
LONG_RANGE_CLASSES = ("free", "trapped", "drifting", "circling")
_DEFAULT_CLASSES = ("free", "trapped", "drifting")

_MIN_LENGTH = 3  # two steps and one turning angle
_STEP_SHAPE = 4.0  # gamma shape of the step lengths (coefficient of variation 0.5)
_SPEED_LOG_SD = 0.3  # per-track speed scale: lognormal, median 1
_TRAP_RADIUS = 4.0  # in units of the track's mean step
_TRAP_BIAS = 0.5  # probability that a turn outside the trap radius heads back in
_DRIFT_BIAS = 0.4  # probability that a turn heads towards the drift direction


def _check_classes(classes):
    if isinstance(classes, str):
        classes = (classes,)
    try:
        classes = tuple(classes)
    except TypeError:
        raise ValueError(
            f"classes must be a sequence of class names from {LONG_RANGE_CLASSES}; "
            f"got {classes!r}."
        ) from None
    if not classes:
        raise ValueError(f"classes is empty; pass at least one of {LONG_RANGE_CLASSES}.")
    unknown = [c for c in classes if c not in LONG_RANGE_CLASSES]
    if unknown:
        raise ValueError(
            f"Unknown class name(s) {unknown}; choose among {LONG_RANGE_CLASSES}."
        )
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes lists a class more than once: {classes}; list each once.")
    return classes


def _check_n_samples(n_samples, classes):
    if _is_int(n_samples):
        if n_samples < 1:
            raise ValueError(
                f"n_samples must be an integer >= 1 (trajectories per class); got {n_samples!r}."
            )
        return (int(n_samples),) * len(classes)
    try:
        counts = tuple(n_samples)
    except TypeError:
        raise ValueError(
            "n_samples must be an int (trajectories per class) or one int per class; "
            f"got {n_samples!r}."
        ) from None
    if len(counts) != len(classes):
        raise ValueError(
            f"n_samples gives {len(counts)} counts for {len(classes)} classes {classes}; "
            "give one count per class."
        )
    if not all(_is_int(c) and c >= 0 for c in counts):
        raise ValueError(f"n_samples must hold integers >= 0; got {n_samples!r}.")
    if sum(counts) == 0:
        raise ValueError("n_samples asks for no trajectories; request at least one.")
    return tuple(int(c) for c in counts)


def _simulate(kind, lengths, sigma, noise, rng):
    """Tracks of one class, one per entry of ``lengths`` (points per track).

    Every class makes the same random draws in the same order; only the rule
    that picks the sign of each turn differs.
    """
    n = lengths.size
    n_steps = int(lengths.max()) - 1
    scale = np.exp(_SPEED_LOG_SD * rng.standard_normal(n))  # mean step of each track
    step = scale[:, None] * rng.gamma(_STEP_SHAPE, 1.0 / _STEP_SHAPE, size=(n, n_steps))
    turn = np.abs(sigma * rng.standard_normal((n, n_steps)))
    coin = np.where(rng.random_sample((n, n_steps)) < 0.5, -1.0, 1.0)
    u = rng.random_sample((n, n_steps))
    theta = rng.uniform(-np.pi, np.pi, size=n)
    target = rng.uniform(-np.pi, np.pi, size=n)  # drift direction
    chirality = np.resize([-1.0, 1.0], n)[rng.permutation(n)]  # as many left as right
    position = np.zeros((n, n_steps + 1, 2))
    trap_sq = (_TRAP_RADIUS * scale) ** 2

    for t in range(n_steps):
        sign = coin[:, t]
        if kind == "trapped":
            x, y = position[:, t, 0], position[:, t, 1]
            # > 0 when the centre (the start) lies to the left of the heading
            towards = np.where(np.sin(theta) * x - np.cos(theta) * y > 0, 1.0, -1.0)
            biased = (x * x + y * y > trap_sq) & (u[:, t] < _TRAP_BIAS)
            sign = np.where(biased, towards, sign)
        elif kind == "drifting":
            towards = np.where(np.sin(target - theta) > 0, 1.0, -1.0)
            sign = np.where(u[:, t] < _DRIFT_BIAS, towards, sign)
        elif kind == "circling":
            sign = chirality
        theta = theta + sign * turn[:, t]
        position[:, t + 1, 0] = position[:, t, 0] + step[:, t] * np.cos(theta)
        position[:, t + 1, 1] = position[:, t, 1] + step[:, t] * np.sin(theta)

    if noise > 0:
        position += noise * scale[:, None, None] * rng.standard_normal(position.shape)
    return [position[i, :m].copy() for i, m in enumerate(lengths)]


def make_long_range_trajectories(
    n_samples=200,
    *,
    length=(100, 500),
    n_dims: int = 2,
    persistence: float = 0.9,
    noise: float = 0.1,
    classes=_DEFAULT_CLASSES,
    random_state=None,
):
    r"""Generate 2-D trajectory classes that differ only in long-range structure.

    Each class is the same persistent random walk in the heading angle
    :math:`\theta`, observed with localisation noise. Per track, a speed
    scale :math:`v` is drawn from one lognormal distribution (median 1,
    log-sd 0.3) for every class; per step, the step length is
    :math:`v\,g_t` with :math:`g_t` i.i.d. gamma (shape 4, mean 1) and the
    heading turns by

    .. math:: \theta_t = \theta_{t-1} + s_t\,|\delta_t|, \qquad
              \delta_t \sim \mathcal{N}(0, \sigma^2)\ \text{i.i.d.},

    where :math:`\sigma = \sqrt{-2 \ln(\text{persistence})}`, so that the
    mean cosine of the turning angle is ``persistence`` (before noise). The
    step lengths and the turning magnitudes :math:`|\delta_t|` have the same
    distribution in every class; only the sign :math:`s_t = \pm 1` follows a
    class rule:

    ``"free"``
        :math:`s_t = \pm 1` at random: a persistent random walk (persistence
        length about :math:`1 / (1 - \text{persistence})` steps), diffusive
        beyond it. Net displacement grows as :math:`\sqrt{T}`.
    ``"trapped"``
        Held in a trap centred on the track's start. Farther than 4 mean
        steps (:math:`4v`) from the centre, each turn heads back towards it
        with probability 0.5 (sign of the cross product between the heading
        and the direction to the centre) and is random otherwise; inside,
        every sign is random. Each turn is only weakly biased, but the bias
        accumulates: the walk fills a disc around the centre, and its net
        displacement stays bounded (median about 8 mean steps after 100, 500
        or 2000 points, where a free walk's grows from about 35 to 155).
    ``"drifting"``
        A fixed drift direction per track (uniform, so the class is
        isotropic); each turn heads towards it with probability 0.4 and is
        random otherwise. The heading wanders around the drift direction
        without settling on it: locally a persistent walk like ``"free"``,
        but with a net drift of about two thirds of a mean step per step
        (net displacement grows as :math:`T`).
    ``"circling"`` (not in the default ``classes``)
        One chirality per track (left for half the tracks, right for the
        other half, so the signed turning angle over the class stays
        symmetric); every turn has that
        sign, so the cell circles (radius about
        :math:`v / (\sigma\sqrt{2/\pi})`) while the circle wanders slowly.
        Confined like ``"trapped"``, but ring-shaped. Its long-range
        signature comes from a short-range one: a run of turns of one sign
        is visible within a few steps, so it is not a class for testing
        whether a model uses long-range structure.

    In ``"free"``, ``"trapped"`` and ``"drifting"`` left and right turns are
    equally likely within every track (the trap centre and the drift
    direction lie as often on the left as on the right); in ``"circling"``,
    over the class. So the histograms of step lengths, of
    :math:`|\text{turning angle}|` and of the signed turning angle are the
    same for every class, and a classifier on per-track summaries of them
    (mean and spread of speed, mean turning angle and cosine) is at chance
    level. What separates the classes is how the signs are arranged in time,
    which shows in long-range measures: net displacement and straightness,
    the radius of gyration, the MSD at lags of tens of steps. The arrangement
    also leaves a trace at short range, in correlations between the signs of
    successive turns: weak for ``"trapped"`` and ``"drifting"`` (each turn
    is only partly biased), total for ``"circling"``. A sequence model may
    pick the weak trace up from enough steps.

    Every track starts at the origin, then Gaussian localisation noise of
    standard deviation ``noise * v`` is added to every coordinate. Lengths
    are in units of the typical step (median :math:`v` is 1).

    Parameters
    ----------
    n_samples : int or sequence of int, default=200
        Trajectories per class, or one count per entry of ``classes``
        (zeros allowed, at least one trajectory in all).
    length : int or (int, int), default=(100, 500)
        Points per trajectory, or (min, max): lengths drawn uniformly among
        the integers min..max inclusive. At least 3 (two steps, one turn).
        Long-range structure needs long tracks: with
        :class:`~sklearn_cells.TrajectoryFeatures` and gradient boosting,
        200 tracks per class of 100, 50 and 20 points are told apart 81 %,
        63 % and 51 % of the time (chance 33 %), against 93 % for the
        default lengths.
    n_dims : int, default=2
        Spatial dimensions; only 2 is supported (the turning rules are
        planar).
    persistence : float, default=0.9
        Mean cosine of the angle between successive steps (without noise),
        in (0, 1); the same for every class. Higher values give straighter
        runs, larger circles and longer tracks before the classes separate.
    noise : float, default=0.1
        Standard deviation of the localisation noise per coordinate, in
        units of the track's mean step. 0 gives noise-free tracks.
    classes : sequence of str, default=("free", "trapped", "drifting")
        Classes to simulate, among ``"free"``, ``"trapped"``, ``"drifting"``
        and ``"circling"``.
    random_state : int, RandomState instance or None, default=None
        Seeds every random choice; the same seed gives identical output.

    Returns
    -------
    X : list of ndarray of shape (length_i, 2)
        Positions (float64), time along the first axis, shuffled across
        classes.
    y : ndarray of str of shape (n_trajectories,)
        Class of each trajectory.

    See Also
    --------
    sklearn_cells.TrajectoryFeatures : per-track summaries; ``straightness``
        and ``msd_exponent`` separate these classes, speed and turning
        features do not.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_cells.datasets import make_long_range_trajectories
    >>> X, y = make_long_range_trajectories(20, length=300, random_state=0)
    >>> len(X), X[0].shape, np.unique(y).tolist()
    (60, (300, 2), ['drifting', 'free', 'trapped'])

    Step lengths (relative to the track's mean step) and turning magnitudes
    are alike in every class; straightness (net displacement / path length)
    is not:

    >>> def summary(x):
    ...     steps = np.diff(x, axis=0)
    ...     step = np.linalg.norm(steps, axis=1)
    ...     heading = np.arctan2(steps[:, 1], steps[:, 0])
    ...     turn = np.abs(np.angle(np.exp(1j * np.diff(heading))))
    ...     return step.std() / step.mean(), turn.mean(), np.linalg.norm(x[-1] - x[0]) / step.sum()
    >>> S = np.array([summary(x) for x in X])
    >>> for c in ("free", "trapped", "drifting"):
    ...     cv, turn, straightness = S[y == c].mean(axis=0)
    ...     print(f"{c:9s} step cv {cv:.2f}  |turn| {turn:.2f}  straightness {straightness:.2f}")
    free      step cv 0.50  |turn| 0.47  straightness 0.23
    trapped   step cv 0.50  |turn| 0.47  straightness 0.03
    drifting  step cv 0.51  |turn| 0.47  straightness 0.67
    """
    classes = _check_classes(classes)
    counts = _check_n_samples(n_samples, classes)
    len_lo, len_hi = _check_length(length, _MIN_LENGTH, "two steps make one turning angle")
    if not _is_int(n_dims) or n_dims != 2:
        raise ValueError(
            f"n_dims must be 2 (the turning rules are planar); got {n_dims!r}."
        )
    if not (_is_real(persistence) and 0 < persistence < 1):  # NaN fails too
        raise ValueError(
            "persistence is the mean cosine of the turning angle and must lie strictly "
            f"between 0 and 1; got {persistence!r}."
        )
    if not (_is_real(noise) and np.isfinite(noise) and noise >= 0):
        raise ValueError(
            f"noise is a standard deviation (in mean steps) and must be finite and >= 0; "
            f"got {noise!r}. Use noise=0 for noise-free tracks."
        )
    sigma = np.sqrt(-2.0 * np.log(persistence))

    rng = check_random_state(random_state)
    X, y = [], []
    for kind, n in zip(classes, counts):
        if n == 0:
            continue
        lengths = rng.randint(len_lo, len_hi + 1, size=n)
        X.extend(_simulate(kind, lengths, sigma, float(noise), rng))
        y.extend([kind] * n)
    order = rng.permutation(len(X))
    return [X[i] for i in order], np.asarray(y)[order]
