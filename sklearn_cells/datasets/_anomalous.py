"""Anomalous-diffusion trajectories of the AnDi challenge 2020.

The five theoretical models of the Anomalous Diffusion (AnDi) challenge
(Muñoz-Gil et al. 2021, "Objective comparison of methods to decode anomalous
diffusion", Nat. Commun. 12:6253) written from their definitions, following
the parameter choices of the challenge's reference generator
(``andi-datasets``, ``models_theory``), without depending on it:

ATTM, CTRW, FBM, LW and SBM, in 1, 2 or 3 dimensions, with the challenge's
post-processing (increments standardised per track and dimension over the
longest length, start at the origin, Gaussian localisation noise, optionally
the random step multiplier, then the track cut to its length).

Every simulator returns the ``length - 1`` increments of one track, shape
``(length - 1, n_dims)``; normalisation, integration and noise are shared.
``benchmarks/compare_anomalous_simulator.py`` compares each model with the
reference generator (classifier two-sample test).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["make_anomalous_diffusion", "ANOMALOUS_DIFFUSION_MODELS"]

ANOMALOUS_DIFFUSION_MODELS = ("attm", "ctrw", "fbm", "lw", "sbm")

# Admitted exponents: (low, high, low is open, high is open).
_ALPHA_RANGE = {
    "attm": (0.0, 1.0, True, False),
    "ctrw": (0.0, 1.0, True, False),
    "fbm": (0.0, 2.0, True, True),
    "lw": (1.0, 2.0, False, False),
    "sbm": (0.0, 2.0, True, False),
}

_MIN_LENGTH = 10


def _range_text(model):
    lo, hi, lo_open, hi_open = _ALPHA_RANGE[model]
    return f"{model} {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"


def _admits(model, value):
    lo, hi, lo_open, hi_open = _ALPHA_RANGE[model]
    return (value > lo if lo_open else value >= lo) and (value < hi if hi_open else value <= hi)


# --------------------------------------------------------------------------
# Models: each returns increments of shape (n, d), n = length - 1 >= 9.
# --------------------------------------------------------------------------


def _directions(n, d, rng):
    """``n`` unit vectors uniformly distributed on the sphere in ``d`` dims."""
    v = rng.standard_normal((n, d))
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norm > 0, norm, 1.0)


def _capped_exp(log_t, cap):
    """``exp(log_t)`` capped at ``cap``, exactly ``cap`` where capped.

    In log space so that huge values give ``cap`` instead of overflowing;
    ``exp(log(cap))`` itself can fall just below ``cap`` (e.g. 13.999...
    for 14), which truncated to an integer would end a capped segment one
    step early.
    """
    cap = np.asarray(cap, dtype=float)
    return np.where(log_t >= np.log(cap), cap, np.exp(np.minimum(log_t, np.log(cap))))


def _pareto_durations(n, exponent, cap, rng):
    """``n`` times ``(1 - u) ** (-1 / exponent) >= 1``, capped at ``cap``."""
    return _capped_exp(-np.log1p(-rng.random_sample(n)) / exponent, cap)


def _jumps(n, d, rng):
    """``n`` random jumps of unit variance per axis, as the reference draws them.

    In 1-D and 2-D independent standard normals per axis; in 3-D, as the
    reference's ``sample_sphere``, a standard normal length along a uniformly
    random direction (not a 3-D Gaussian).
    """
    if d == 3:
        return rng.standard_normal(n)[:, None] * _directions(n, d, rng)
    return rng.standard_normal((n, d))


def _fbm(n, d, alpha, rng):
    """Fractional Gaussian noise (H = alpha / 2) by circulant embedding.

    Davies-Harte: the fGn autocovariance is embedded in a circulant of size
    2n, whose eigenvalues (one FFT) are non-negative for every H in (0, 1);
    one FFT of complex white noise weighted by their square roots gives two
    independent exact samples (real and imaginary parts). Unit variance per
    step, so MSD(t) = t**alpha.
    """
    h2 = alpha  # 2H
    k = np.arange(n + 1, dtype=float)
    gamma = 0.5 * (np.abs(k + 1) ** h2 - 2 * k**h2 + np.abs(k - 1) ** h2)
    circ = np.concatenate([gamma, gamma[-2:0:-1]])
    m = circ.size
    eig = np.clip(np.fft.fft(circ).real, 0.0, None)
    n_pairs = (d + 1) // 2
    z = rng.standard_normal((2, n_pairs, m))
    w = np.fft.fft(np.sqrt(eig / m) * (z[0] + 1j * z[1]), axis=-1)
    return np.concatenate([w.real, w.imag])[:d, :n].T


def _sbm(n, d, alpha, rng):
    """Brownian increments with variance t**alpha - (t-1)**alpha at step t = 2..n+1.

    The reference (``cumsum(dx) - dx[0]``) drops the first step, t = 1, whose
    variance 1 stands out of the others for alpha far from 1.
    """
    t = np.arange(1, n + 2, dtype=float)
    var = np.clip(np.diff(t**alpha), 0.0, None)
    return np.sqrt(var)[:, None] * rng.standard_normal((n, d))


def _ctrw(n, d, alpha, rng):
    """Gaussian jumps after Pareto waiting times, sampled at integer times.

    Waiting times ``(1 - u) ** (-1 / alpha)`` (>= 1, tail ~ t**(-1 - alpha),
    infinite mean for alpha <= 1). The position at integer time t holds every
    jump made before t + 1 (the challenge's ``regularize``); steps without a
    jump are exactly zero.
    """
    waits = _pareto_durations(n + 1, alpha, n + 2, rng)  # each >= 1: enough to pass n + 1
    jump_times = np.cumsum(waits)
    # A jump at time s shows from integer time floor(s) on.
    count = np.searchsorted(jump_times, np.arange(1, n + 2), side="left")
    n_jumps = int(count[-1])
    jumps = np.zeros((n_jumps + 1, d))
    jumps[1:] = _jumps(n_jumps, d, rng)
    positions = np.cumsum(jumps, axis=0)
    return np.diff(positions[count], axis=0)


def _lw(n, d, alpha, rng):
    """Constant-speed flights of Pareto duration in random directions.

    Flight times ``(1 - u) ** (-1 / sigma)`` with sigma = 3 - alpha (tail
    ~ t**(-1 - sigma)); for alpha = 2 (ballistic) the challenge draws sigma
    uniformly in (0, 1). The speed is irrelevant after normalisation (1 here).
    As in the reference (``cumsum(d) - d[0]``), the first step of the walk is
    dropped: the first flight shows one step less.
    """
    sigma = 3.0 - alpha if alpha < 2.0 else 1.0 - rng.random_sample()
    durations = _pareto_durations(n + 1, sigma, n + 1, rng).astype(np.int64)  # >= 1 each
    n_flights = int(np.searchsorted(np.cumsum(durations), n + 1)) + 1
    durations = durations[:n_flights]
    steps = np.repeat(_directions(n_flights, d, rng), durations, axis=0)
    return steps[1 : n + 1]


def _attm(n, d, alpha, rng):
    """Brownian motion whose diffusion coefficient is redrawn at random times.

    Regime 1 of the challenge: sigma uniform in 3 * [0.01, 1.1] restricted to
    sigma <= gamma <= sigma + 1 with gamma = sigma / alpha; each segment has
    D = v ** (1 / sigma), v uniform in [0.01, 0.9], and lasts
    D ** (-gamma) = v ** (-1 / alpha) steps (capped at the track length).
    Only ratios of D matter after normalisation, so they are kept relative to
    the largest one in log space (no underflow for tiny sigma). Steps are
    :func:`_jumps` scaled by sqrt(D).
    """
    hi = 3.3 if alpha >= 1.0 else min(3.3, alpha / (1.0 - alpha))
    lo = min(0.03, 0.5 * hi)
    sigma = rng.uniform(lo, hi)
    log_v = np.log(1.0 - rng.uniform(0.1, 0.99, size=n))
    durations = _capped_exp(-log_v / alpha, n).astype(np.int64)  # >= 1
    n_seg = int(np.searchsorted(np.cumsum(durations), n)) + 1
    log_v, durations = log_v[:n_seg], durations[:n_seg]
    amplitude = np.exp((log_v - log_v.max()) / (2.0 * sigma))  # sqrt(D / D_max)
    scale = np.repeat(amplitude, durations)[:n]
    return scale[:, None] * _jumps(n, d, rng)


_SIMULATORS = {"attm": _attm, "ctrw": _ctrw, "fbm": _fbm, "lw": _lw, "sbm": _sbm}


def _normalise(increments):
    """Unit standard deviation of the increments, per dimension (challenge).

    A dimension whose increments are all equal (e.g. one Lévy flight over the
    whole track) has zero standard deviation: it is divided by the rms step
    instead; an all-zero dimension (a CTRW that never jumped) stays zero.
    """
    std = increments.std(axis=0)
    rms = np.sqrt(np.mean(increments**2, axis=0))
    scale = np.where(std > 1e-8 * rms, std, rms)
    return increments / np.where(scale > 0, scale, 1.0)


# --------------------------------------------------------------------------
# Parameter validation
# --------------------------------------------------------------------------


def _is_int(value):
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, bool)


def _check_models(models):
    if isinstance(models, str):
        models = (models,)
    try:
        models = tuple(models)
    except TypeError:
        raise ValueError(
            f"models must be a sequence of model names from {ANOMALOUS_DIFFUSION_MODELS}; "
            f"got {models!r}."
        ) from None
    if not models:
        raise ValueError(
            f"models is empty; pass at least one of {ANOMALOUS_DIFFUSION_MODELS}."
        )
    unknown = [m for m in models if not isinstance(m, str) or m.lower() not in _ALPHA_RANGE]
    if unknown:
        raise ValueError(
            f"Unknown model name(s) {unknown}; choose among {ANOMALOUS_DIFFUSION_MODELS}."
        )
    models = tuple(m.lower() for m in models)
    if len(set(models)) != len(models):
        raise ValueError(f"models lists a model more than once: {models}; list each once.")
    return models


def _check_length(length, minimum=_MIN_LENGTH, why="the challenge's shortest tracks"):
    """``(min, max)`` points from an int or a pair; at least ``minimum`` (``why``)."""
    if _is_int(length):
        lo = hi = int(length)
    else:
        try:
            lo, hi = length
        except (TypeError, ValueError):
            raise ValueError(
                f"length must be an int or a (min, max) tuple of ints; got {length!r}."
            ) from None
        if not (_is_int(lo) and _is_int(hi)):
            raise ValueError(f"length must hold integers; got {length!r}.")
        lo, hi = int(lo), int(hi)
        if lo > hi:
            raise ValueError(f"length=(min, max) needs min <= max; got {length!r}; swap them.")
    if lo < minimum:
        raise ValueError(f"length must be at least {minimum} points ({why}); got {length!r}.")
    return lo, hi


def _alpha_ranges(alpha, models):
    """Per model: (low, high) to draw from uniformly, clipped to admitted values."""
    ranges = {}
    if alpha is None:
        for m in models:
            lo, hi, _, _ = _ALPHA_RANGE[m]
            ranges[m] = (lo, hi)
        return ranges
    if _is_real(alpha):
        alpha = float(alpha)
        if not np.isfinite(alpha):
            raise ValueError(f"alpha must be finite; got {alpha!r}.")
        bad = [m for m in models if not _admits(m, alpha)]
        if bad:
            raise ValueError(
                f"alpha={alpha:g} is outside the exponent range of model(s) {bad} "
                f"({', '.join(_range_text(m) for m in bad)}); drop them from `models` "
                "or pass alpha=None or a (low, high) range."
            )
        return {m: (alpha, alpha) for m in models}
    try:
        a_lo, a_hi = alpha
    except (TypeError, ValueError):
        raise ValueError(
            f"alpha must be None, a float or a (low, high) tuple; got {alpha!r}."
        ) from None
    if not (_is_real(a_lo) and _is_real(a_hi)) or not np.isfinite([a_lo, a_hi]).all():
        raise ValueError(f"alpha=(low, high) must hold finite numbers; got {alpha!r}.")
    a_lo, a_hi = float(a_lo), float(a_hi)
    if a_lo > a_hi:
        raise ValueError(f"alpha=(low, high) needs low <= high; got {alpha!r}; swap them.")
    bad = []
    for m in models:
        lo, hi, lo_open, hi_open = _ALPHA_RANGE[m]
        new_lo, new_hi = max(lo, a_lo), min(hi, a_hi)
        lo_open = lo_open and new_lo == lo
        hi_open = hi_open and new_hi == hi
        if new_lo > new_hi or (new_lo == new_hi and (lo_open or hi_open)):
            bad.append(m)
        else:
            ranges[m] = (new_lo, new_hi)
    if bad:
        raise ValueError(
            f"alpha range ({a_lo:g}, {a_hi:g}) does not overlap the exponent range of "
            f"model(s) {bad} ({', '.join(_range_text(m) for m in bad)}); drop them from "
            "`models` or widen the range."
        )
    return ranges


def _check_noise(noise):
    values = [noise] if _is_real(noise) else None
    if values is None:
        try:
            values = list(noise)
        except TypeError:
            values = None
    if not values or not all(_is_real(v) for v in values):
        raise ValueError(
            f"noise must be a float or a non-empty tuple of floats (levels to choose from); "
            f"got {noise!r}."
        )
    values = np.asarray(values, dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError(
            f"noise levels are standard deviations and must be finite and >= 0; got {noise!r}. "
            "Use noise=0 for noise-free tracks."
        )
    return values


# --------------------------------------------------------------------------
# Public function
# --------------------------------------------------------------------------


def make_anomalous_diffusion(
    n_samples: int = 1000,
    *,
    n_dims: int = 2,
    models=ANOMALOUS_DIFFUSION_MODELS,
    length=(10, 1000),
    alpha=None,
    noise=(0.1, 0.5, 1.0),
    random_scale: bool = False,
    random_state=None,
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    r"""Generate trajectories of the five anomalous-diffusion models of AnDi 2020.

    Simulates the theoretical models of the first Anomalous Diffusion (AnDi)
    challenge [1]_, written from their definitions and following the
    parameter choices of the challenge's reference generator
    (``andi-datasets``), which is not needed. The mean squared displacement
    of each model grows as :math:`t^\alpha`: subdiffusive for
    :math:`\alpha < 1`, superdiffusive for :math:`\alpha > 1`.

    Models (time in steps, :math:`u` uniform in [0, 1)):

    ``"attm"`` -- annealed transient time motion, :math:`\alpha \in (0, 1]`.
        Brownian motion whose diffusion coefficient :math:`D` is redrawn at
        random times; a segment with coefficient :math:`D` lasts
        :math:`D^{-\gamma}` steps. Regime 1 of the challenge:
        :math:`D = v^{1/\sigma}`, :math:`v` uniform in [0.01, 0.9],
        :math:`\sigma` uniform in [0.03, 3.3] with
        :math:`\sigma \le \gamma = \sigma/\alpha \le \sigma + 1`.
    ``"ctrw"`` -- continuous-time random walk, :math:`\alpha \in (0, 1]`.
        Gaussian jumps separated by waiting times
        :math:`(1-u)^{-1/\alpha}` (power-law tail
        :math:`\psi(t) \sim t^{-1-\alpha}`, no mean), observed at integer
        times, so steps without a jump are exactly zero.
    ``"fbm"`` -- fractional Brownian motion, :math:`\alpha \in (0, 2)`.
        Gaussian process with Hurst exponent :math:`H = \alpha/2` and
        correlated increments (fractional Gaussian noise), sampled exactly
        by Davies-Harte circulant embedding (FFT). Each dimension is an
        independent FBM.
    ``"lw"`` -- Lévy walk, :math:`\alpha \in [1, 2]`.
        Flights at constant speed in uniformly random directions, with
        durations :math:`(1-u)^{-1/\sigma}`, :math:`\sigma = 3 - \alpha`
        (for :math:`\alpha = 2`, :math:`\sigma` uniform in (0, 1), as in the
        challenge).
    ``"sbm"`` -- scaled Brownian motion, :math:`\alpha \in (0, 2]`.
        Brownian motion with time-dependent diffusion coefficient
        :math:`D(t) \propto t^{\alpha-1}`: independent Gaussian steps with
        variance :math:`t^\alpha - (t-1)^\alpha` at step :math:`t = 2, 3,
        \dots` (the reference generator drops the first step).

    Except FBM, the models are isotropic: in 1-D and 2-D the CTRW and ATTM
    steps are Gaussian per axis, in 3-D (as in the reference) a Gaussian
    length along a uniformly random direction. The Lévy walk's first step
    is dropped, as in the reference. Post-processing as in the challenge:
    every track is simulated at the longest length (``length`` or its max);
    per track and dimension the increments are divided by their standard
    deviation (by their rms if they are all equal, e.g. a single Lévy
    flight; an all-zero CTRW track stays zero), the track starts at 0,
    Gaussian localisation noise of standard deviation ``noise`` is added to
    every coordinate, with ``random_scale`` the steps are multiplied by a
    random number, and the track is cut to its first ``length_i`` points.
    Short tracks are thus the start of long ones, normalised over the long
    track (for SBM with :math:`\alpha > 1` their steps are small beside the
    noise), as in the challenge's task data. Heavy tails (long Lévy flights,
    rare CTRW and ATTM jumps) are kept; the output is always finite.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of trajectories. Models are assigned round-robin and shuffled,
        so class counts differ by at most one.
    n_dims : {1, 2, 3}, default=2
        Spatial dimensions.
    models : sequence of str, default=("attm", "ctrw", "fbm", "lw", "sbm")
        Models to simulate (a single name is accepted too).
    length : int or (int, int), default=(10, 1000)
        Points per trajectory, or (min, max): lengths drawn uniformly among
        the integers min..max inclusive (the challenge's range), each track
        the first points of one simulated, normalised and noised at max
        points (as the challenge cuts its 1000-point tracks). At least 10.
    alpha : None, float or (float, float), default=None
        Anomalous exponent. None: drawn per track uniformly (continuously,
        not on the challenge's 0.05 grid) from each model's range above. A
        float: used for every track; every model in ``models`` must admit it.
        (low, high): drawn uniformly from its intersection with each model's
        range; every model must overlap it.
    noise : float or sequence of float, default=(0.1, 0.5, 1.0)
        Standard deviation of the localisation noise, in units of the
        normalised step. A sequence: one level drawn uniformly per track
        (the challenge's default). 0 gives noise-free tracks.
    random_scale : bool, default=False
        If True, after the noise the steps of each track are multiplied by
        one standard normal number (the same for every dimension; it can be
        negative or close to 0) and the track restarts at 0 exactly, as the
        challenge's reference generator does with its random "diffusion
        coefficient": the challenge's tracks have no common scale. The
        numbers are drawn either way, so with the same seed the tracks are
        the False ones, shifted to start at 0, times the number.
    random_state : int, RandomState instance or None, default=None
        Seeds every random choice; the same seed gives identical output.

    Returns
    -------
    X : list of ndarray of shape (length_i, n_dims)
        Positions (float64), time along the first axis.
    y : ndarray of str of shape (n_samples,)
        Model of each trajectory (``"attm"``, ``"ctrw"``, ...).
    alpha : ndarray of float of shape (n_samples,)
        Anomalous exponent of each trajectory.

    References
    ----------
    .. [1] G. Muñoz-Gil, G. Volpe, M. A. Garcia-March et al., "Objective
       comparison of methods to decode anomalous diffusion", Nature
       Communications 12, 6253 (2021). https://doi.org/10.1038/s41467-021-26320-w

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_cells.datasets import make_anomalous_diffusion
    >>> X, y, alpha = make_anomalous_diffusion(10, length=50, random_state=0)
    >>> len(X), X[0].shape, X[0].dtype
    (10, (50, 2), dtype('float64'))
    >>> np.unique(y, return_counts=True)[1].tolist()
    [2, 2, 2, 2, 2]
    >>> bool(np.all(alpha[y == "lw"] >= 1))
    True
    """
    if not _is_int(n_samples) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}.")
    if not _is_int(n_dims) or not 1 <= n_dims <= 3:
        raise ValueError(f"n_dims must be 1, 2 or 3; got {n_dims!r}.")
    models = _check_models(models)
    len_lo, len_hi = _check_length(length)
    ranges = _alpha_ranges(alpha, models)
    noise_levels = _check_noise(noise)
    if not isinstance(random_scale, (bool, np.bool_)):
        raise ValueError(f"random_scale must be True or False; got {random_scale!r}.")
    n_samples, n_dims = int(n_samples), int(n_dims)

    rng = check_random_state(random_state)
    label_idx = rng.permutation(np.resize(np.arange(len(models)), n_samples))
    y = np.asarray(models)[label_idx]
    lengths = rng.randint(len_lo, len_hi + 1, size=n_samples)
    lo = np.array([ranges[m][0] for m in models])[label_idx]
    hi = np.array([ranges[m][1] for m in models])[label_idx]
    alphas = lo + (hi - lo) * rng.random_sample(n_samples)
    # Keep draws on open bounds (e.g. FBM's 2, ATTM's 0) strictly inside.
    for m in models:
        a_min, a_max, lo_open, hi_open = _ALPHA_RANGE[m]
        sel = y == m
        if lo_open:
            alphas[sel] = np.maximum(alphas[sel], np.nextafter(a_min, np.inf))
        if hi_open:
            alphas[sel] = np.minimum(alphas[sel], np.nextafter(a_max, -np.inf))
    sigmas = noise_levels[rng.randint(noise_levels.size, size=n_samples)]
    multipliers = rng.standard_normal(n_samples)

    X = []
    for model, n_points, a, s, c in zip(y, lengths, alphas, sigmas, multipliers):
        # Simulated at the longest length, then cut (the challenge's tracks).
        steps = _normalise(_SIMULATORS[model](len_hi - 1, n_dims, float(a), rng))
        track = np.empty((len_hi, n_dims))
        track[0] = 0.0
        np.cumsum(steps, axis=0, out=track[1:])
        if s > 0:
            track += s * rng.standard_normal(track.shape)
        if random_scale:
            track = (track - track[0]) * c
        X.append(track if n_points == len_hi else track[:n_points].copy())
    return X, y, alphas
