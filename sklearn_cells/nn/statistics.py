"""Whole-track displacement statistics, computed in torch on padded batches.

The recurrent layers of :class:`~sklearn_cells.nn.lstm.LSTMSequenceClassifier`
see one step after another and average over time: they have no easy way to
accumulate net displacement over hundreds of steps, which is where confined,
circling and drifting cells differ, nor to measure how displacement grows with
the lag, which separates anomalous-diffusion models. This module measures
those directly from the network's own input (the steps, usually scaled
velocities), so that a head can combine them with the recurrent summary. Every
statistic is invariant to rotations and reflections of the input, and finite
on any input, including tracks of one step and tracks that never move.
"""

from __future__ import annotations

import torch

__all__ = ["track_statistics", "track_statistic_names"]

MSD_LAGS = (2, 4, 8, 16, 32, 64, 128, 256)
AUTOCORR_LAGS = (1, 2, 4, 8, 16)
SPEED_LAGS = (1, 4, 16)
KURTOSIS_LAGS = (1, 4, 16)
LOCAL_WINDOW = 8
TAIL_FRACTION = 0.1
_TINY = 1e-12


def track_statistic_names() -> list[str]:
    """Names of the columns of :func:`track_statistics`, in order."""
    return (
        ["log_mean_step", "log_step_dispersion", "straightness", "log_efficiency",
         "msd_exponent", "msd_fit_residual"]
        + [f"log_msd_ratio_lag{lag}" for lag in MSD_LAGS]
        + [f"velocity_autocorr_lag{lag}" for lag in AUTOCORR_LAGS]
        + [f"speed_autocorr_lag{lag}" for lag in SPEED_LAGS]
        + [f"log_kurtosis_lag{lag}" for lag in KURTOSIS_LAGS]
        + ["log_max_step_ratio", "turning_cos_mean", "outreach_ratio", "displacement_ratio",
           "log_gyration_ratio", "asphericity", "log_aging_ratio", "aging_exponent",
           "log_local_power_ratio", "tail_share"]
    )


def _safe_div(num: torch.Tensor, den: torch.Tensor, neutral: float) -> torch.Tensor:
    ok = den > _TINY
    return torch.where(ok, num / torch.where(ok, den, torch.ones_like(den)),
                       torch.full_like(num, neutral))


def _masked_mean(values: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean of ``values`` (batch, t) over ``mask``; also the count."""
    count = mask.sum(dim=1)
    return (values * mask).sum(dim=1) / count.clamp(min=1), count


def track_statistics(x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Displacement statistics of each sequence of steps, shape (batch, n_statistics).

    The sequence is integrated to positions ``r_0 = 0, r_k = x_0 + ... + x_{k-1}``
    (``n`` steps, ``n + 1`` points). With ``P = <|x_t|^2>`` and ``S = <|x_t|>``:

    - ``log_mean_step``: ``log S`` (the only statistic that depends on scale);
    - ``log_step_dispersion``: ``log(sqrt(P) / S)``;
    - ``straightness``: ``|r_n| / (n S)``; ``log_efficiency``: ``log(|r_n|^2 / (n^2 P))``
      (0 for a straight line, about ``-log n`` for a random walk);
    - ``msd_exponent`` and ``msd_fit_residual``: slope and rms residual of the
      least-squares fit of log MSD against log lag over lags 1, 2, 4, ... up
      to ``max(2, n / 4)`` and at most 256;
    - ``log_msd_ratio_lag{L}``: ``log(MSD(L) / (L MSD(1)))`` for ``L`` in
      :data:`MSD_LAGS` (0 for a random walk, ``log L`` for a straight line); a
      lag beyond the track repeats the longest lag it has;
    - ``velocity_autocorr_lag{L}``: ``<x_t . x_{t+L}> / P`` (0 beyond the track);
    - ``speed_autocorr_lag{L}``: Pearson correlation of the step lengths
      ``|x_t|`` and ``|x_{t+L}|`` for ``L`` in :data:`SPEED_LAGS` (0 when
      undefined): slowly changing speed, pauses, switching diffusivity;
    - ``log_kurtosis_lag{L}``: ``log(<|d|^4> / <|d|^2>^2)`` of the
      displacements ``d`` over ``L`` steps, ``L`` in :data:`KURTOSIS_LAGS`
      (``log(1 + 2 / n_dims)`` for Gaussian steps; a lag beyond the track
      repeats the previous one);
    - ``log_max_step_ratio``: ``log(max_t |x_t| / sqrt(P))`` (flights);
    - ``turning_cos_mean``: mean cosine between successive non-zero steps;
    - ``outreach_ratio``: ``max_k |r_k| / (n S)``; ``displacement_ratio``:
      ``|r_n| / max_k |r_k|``;
    - ``log_gyration_ratio``: ``log(R_g^2 / (n P))``, the squared radius of
      gyration against a free walk's; ``asphericity``: of the gyration tensor,
      ``sum_{i<j} (l_i - l_j)^2 / ((d - 1) (sum_i l_i)^2)`` (0 for round, 1 for a line);
    - diffusivity over time, which separates ageing (scaled Brownian motion),
      switching (transient trapping) and waiting (continuous-time random walks):
      ``log_aging_ratio``, ``log`` of the mean squared step of the second half
      over the first; ``aging_exponent``, the slope of ``log(|x_t|^2 + 1e-6 P)``
      against ``log(t + 1)``; ``log_local_power_ratio``,
      ``log(8 var(m_j) / var(|x_t|^2))`` over the means ``m_j`` of ``|x_t|^2``
      in whole windows of 8 steps (0 for independent steps; 0 with fewer than
      four windows; at least ``log 0.01``); ``tail_share``, the share of ``n P`` in the largest tenth of
      the squared steps.

    Undefined ratios (a track that never moves) take their value for a
    random walk (0, 1, 1/6 for the gyration ratio, or the Gaussian kurtosis).
    The thresholds for "never moves" are absolute (squared steps below
    1e-12): give steps of order 1, as :class:`~sklearn_cells.TrajectoryScaler`
    does.

    Parameters
    ----------
    x : tensor of shape (batch, max_steps, n_dims)
        Zero-padded steps (velocities).
    lengths : tensor of shape (batch,), optional
        Real lengths (at least 1); ``None`` means every sequence fills ``max_steps``.

    Examples
    --------
    >>> import torch
    >>> line = torch.ones(1, 50, 2)
    >>> stats = dict(zip(track_statistic_names(), track_statistics(line)[0].tolist()))
    >>> round(stats["straightness"], 6), round(stats["msd_exponent"], 6)
    (1.0, 2.0)
    """
    # float32 whatever autocast says: positions summed over 1000 steps and their
    # fourth powers overflow float16
    with torch.autocast(x.device.type, enabled=False):
        return _track_statistics(x.float(), lengths)


def _track_statistics(x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """:func:`track_statistics` on float32 steps."""
    batch, n_steps, n_dims = x.shape
    device = x.device
    if lengths is None:
        lengths = torch.full((batch,), n_steps, device=device)
    lengths = lengths.to(device)
    steps = torch.arange(n_steps, device=device)
    mask = (steps[None, :] < lengths[:, None]).to(x.dtype)
    x = x * mask[..., None]
    n = lengths.to(x.dtype)

    sq = (x * x).sum(dim=2)
    step_norm = sq.sqrt()
    power = (sq * mask).sum(dim=1) / n  # P
    mean_step = (step_norm * mask).sum(dim=1) / n  # S
    r = torch.cat([torch.zeros(batch, 1, n_dims, device=device), x.cumsum(dim=1)], dim=1)
    out = _step_statistics(step_norm, mask, power, mean_step)
    out.update(_msd_statistics(r, lengths))
    out.update(_autocorrelations(x, mask, step_norm, power, mean_step))
    out.update(_displacement_kurtosis(r, lengths))
    out.update(_shape_statistics(r, mask, lengths, power, mean_step * n))
    out.update(_diffusivity_over_time(sq, mask, lengths, power))
    return torch.stack([out[name] for name in track_statistic_names()], dim=1)


def _step_statistics(step_norm: torch.Tensor, mask: torch.Tensor, power: torch.Tensor,
                     mean_step: torch.Tensor) -> dict[str, torch.Tensor]:
    """Scale and spread of the step lengths."""
    return {
        "log_mean_step": torch.log(mean_step + 1e-6),
        "log_step_dispersion": torch.log(_safe_div(power.sqrt(), mean_step, 1.0).clamp(min=1.0)),
        "log_max_step_ratio": torch.log(
            _safe_div((step_norm * mask).amax(dim=1), power.sqrt(), 1.0).clamp(min=1e-6)),
    }


def _lag_squares(r: torch.Tensor, lag: int,
                 lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Squared displacements over ``lag`` steps of the positions ``r``, and their mask."""
    d = r[:, lag:] - r[:, :-lag]
    starts = torch.arange(r.shape[1] - lag, device=r.device)
    valid = (starts[None, :] + lag <= lengths[:, None]).to(r.dtype)
    return (d * d).sum(dim=2), valid


def _msd_statistics(r: torch.Tensor, lengths: torch.Tensor) -> dict[str, torch.Tensor]:
    """MSD ratios by lag, and the exponent of MSD against lag."""
    batch, n_points, _ = r.shape
    device = r.device
    # Mean squared displacement over lags 1, 2, 4, ... (pairs inside each track).
    all_lags = (1,) + MSD_LAGS
    msd, available = [], []
    for lag in all_lags:
        if lag >= n_points:
            msd.append(torch.zeros(batch, device=device))
            available.append(torch.zeros(batch, dtype=torch.bool, device=device))
            continue
        mean, count = _masked_mean(*_lag_squares(r, lag, lengths))
        msd.append(mean)
        available.append(count > 0)
    msd, available = torch.stack(msd, dim=1), torch.stack(available, dim=1)
    log_lags = torch.log(torch.tensor(all_lags, dtype=r.dtype, device=device))
    ratio = torch.log(_safe_div(msd, msd[:, :1] * torch.exp(log_lags), 1.0) + 1e-6)
    # a lag beyond the track repeats the longest lag it has
    last = torch.cummax(torch.where(available, torch.arange(len(all_lags), device=device), 0),
                        dim=1).values
    ratio = torch.gather(ratio, 1, last)
    out = {f"log_msd_ratio_lag{lag}": ratio[:, i + 1] for i, lag in enumerate(MSD_LAGS)}

    # Exponent: least squares on lags up to max(2, n / 4), on tracks that move.
    fit = available & (torch.tensor(all_lags, device=device)[None, :]
                       <= torch.clamp(lengths // 4, min=2)[:, None]) & (msd > _TINY)
    w = fit.to(r.dtype)
    count = w.sum(dim=1).clamp(min=1)
    log_msd = torch.log(msd.clamp(min=_TINY))
    lx = log_lags[None, :].expand_as(w)
    mx, my = (lx * w).sum(1) / count, (log_msd * w).sum(1) / count
    sxx = (((lx - mx[:, None]) ** 2) * w).sum(1)
    sxy = ((lx - mx[:, None]) * (log_msd - my[:, None]) * w).sum(1)
    slope = _safe_div(sxy, sxx, 1.0)
    slope = torch.where(w.sum(1) >= 2, slope, torch.ones_like(slope))
    residual = (log_msd - my[:, None] - slope[:, None] * (lx - mx[:, None])) * w
    out["msd_exponent"] = slope
    out["msd_fit_residual"] = ((residual**2).sum(1) / count).sqrt()
    return out


def _autocorrelations(x: torch.Tensor, mask: torch.Tensor, step_norm: torch.Tensor,
                      power: torch.Tensor, mean_step: torch.Tensor) -> dict[str, torch.Tensor]:
    """Velocity and speed autocorrelations by lag, and the mean turning cosine."""
    batch, n_steps, _ = x.shape
    device = x.device
    out = {}
    for lag in AUTOCORR_LAGS:
        if lag >= n_steps:
            out[f"velocity_autocorr_lag{lag}"] = torch.zeros(batch, device=device)
            continue
        dots = (x[:, :-lag] * x[:, lag:]).sum(dim=2)
        valid = mask[:, lag:]
        mean, _ = _masked_mean(dots, valid)
        out[f"velocity_autocorr_lag{lag}"] = _safe_div(mean, power, 0.0)

    if n_steps >= 2:
        norms = step_norm[:, :-1] * step_norm[:, 1:]
        turn = (x[:, :-1] * x[:, 1:]).sum(dim=2)
        valid = mask[:, 1:] * (norms > _TINY).to(x.dtype)
        cos = torch.where(norms > _TINY, turn / norms.clamp(min=_TINY), torch.zeros_like(turn))
        out["turning_cos_mean"] = _masked_mean(cos, valid)[0]
    else:
        out["turning_cos_mean"] = torch.zeros(batch, device=device)

    for lag in SPEED_LAGS:
        out[f"speed_autocorr_lag{lag}"] = torch.zeros(batch, device=device)
        if lag >= n_steps:
            continue
        valid = mask[:, lag:]
        a, b = step_norm[:, :-lag], step_norm[:, lag:]
        mean_a, count = _masked_mean(a, valid)
        mean_b, _ = _masked_mean(b, valid)
        a, b = (a - mean_a[:, None]) * valid, (b - mean_b[:, None]) * valid
        den = ((a * a).sum(1) * (b * b).sum(1)).sqrt()
        # rounding noise of constant speeds must not look like a correlation
        floor = (1e-4 * mean_step) ** 2 * count
        out[f"speed_autocorr_lag{lag}"] = torch.where(
            den > floor, (a * b).sum(1) / den.clamp(min=_TINY), torch.zeros_like(den))
    return out


def _displacement_kurtosis(r: torch.Tensor, lengths: torch.Tensor) -> dict[str, torch.Tensor]:
    """Log kurtosis of the displacements over each of :data:`KURTOSIS_LAGS` steps."""
    batch, n_points, n_dims = r.shape
    out = {}
    previous = torch.log(torch.tensor(1.0 + 2.0 / n_dims, device=r.device)).expand(batch)
    for lag in KURTOSIS_LAGS:
        name = f"log_kurtosis_lag{lag}"
        if lag >= n_points:
            out[name] = previous
            continue
        d2, valid = _lag_squares(r, lag, lengths)
        m2, count = _masked_mean(d2, valid)
        m4, _ = _masked_mean(d2 * d2, valid)
        k = torch.log(_safe_div(m4, m2 * m2, 1.0).clamp(min=1e-6))
        out[name] = previous = torch.where((count > 0) & (m2 > _TINY), k, previous)
    return out


def _shape_statistics(r: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor,
                      power: torch.Tensor, path: torch.Tensor) -> dict[str, torch.Tensor]:
    """Net displacement, reach and gyration of the path against its length."""
    batch, _, n_dims = r.shape
    device = r.device
    n = lengths.to(r.dtype)
    net = r[torch.arange(batch, device=device), lengths].norm(dim=1)
    point_mask = torch.cat([torch.ones(batch, 1, device=device), mask], dim=1)
    reach = (r.norm(dim=2) * point_mask).amax(dim=1)
    out = {
        "straightness": _safe_div(net, path, 0.0),
        "log_efficiency": torch.log(_safe_div(net**2, n * n * power, 1.0) + 1e-6),
        "outreach_ratio": _safe_div(reach, path, 0.0),
        "displacement_ratio": _safe_div(net, reach, 1.0),
    }

    # Gyration tensor of the n + 1 points.
    n_points = (n + 1)[:, None]
    centre = (r * point_mask[..., None]).sum(dim=1) / n_points
    centred = (r - centre[:, None, :]) * point_mask[..., None]
    gyration = centred.transpose(1, 2) @ centred / n_points[..., None]
    trace = gyration.diagonal(dim1=1, dim2=2).sum(dim=1)
    out["log_gyration_ratio"] = torch.log(_safe_div(trace, n * power, 1.0 / 6.0) + 1e-6)
    if n_dims > 1:
        # sum over eigenvalue pairs of (l_i - l_j)^2 = d tr(G^2) - tr(G)^2, without eigvalsh
        spread = (n_dims * (gyration * gyration).sum(dim=(1, 2)) - trace**2).clamp(min=0)
        out["asphericity"] = _safe_div(spread, (n_dims - 1) * trace**2, 0.0)
    else:
        out["asphericity"] = torch.ones(batch, device=device)
    return out


def _diffusivity_over_time(sq: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor,
                           power: torch.Tensor) -> dict[str, torch.Tensor]:
    """Ageing, local power and tail statistics of the squared steps ``sq``."""
    batch, n_steps = sq.shape
    device, dtype = sq.device, sq.dtype
    steps = torch.arange(n_steps, device=device)
    half = (lengths // 2)[:, None]
    first = mask * (steps[None, :] < half).to(dtype)
    second = mask - first
    first_mean, _ = _masked_mean(sq, first)
    second_mean, _ = _masked_mean(sq, second)
    ratio = torch.log(_safe_div(second_mean, first_mean, 1.0).clamp(min=1e-6))
    out = {"log_aging_ratio": torch.where(first_mean > _TINY, ratio, torch.zeros_like(ratio))}

    # least squares of log squared step on log time, over each track's own steps
    log_t = torch.log1p(steps.to(dtype))[None, :].expand(batch, n_steps)
    log_sq = torch.log(sq + 1e-6 * power[:, None] + _TINY)
    count = mask.sum(dim=1).clamp(min=1)
    mean_t = (log_t * mask).sum(1) / count
    mean_sq = (log_sq * mask).sum(1) / count
    centred_t = (log_t - mean_t[:, None]) * mask
    slope = _safe_div((centred_t * (log_sq - mean_sq[:, None])).sum(1),
                      (centred_t * centred_t).sum(1), 0.0)
    out["aging_exponent"] = torch.where((lengths >= 3) & (power > _TINY), slope,
                                        torch.zeros_like(slope))

    n_windows = lengths // LOCAL_WINDOW
    usable = n_steps // LOCAL_WINDOW * LOCAL_WINDOW
    out["log_local_power_ratio"] = torch.zeros(batch, device=device)
    if usable >= 4 * LOCAL_WINDOW:
        window_mask = (steps[None, :usable] < (n_windows * LOCAL_WINDOW)[:, None]).to(dtype)
        values = sq[:, :usable]
        mean, _ = _masked_mean(values, window_mask)
        variance = _masked_mean((values - mean[:, None]) ** 2, window_mask)[0]
        windows = values.reshape(batch, -1, LOCAL_WINDOW).mean(dim=2)
        valid = window_mask.reshape(batch, -1, LOCAL_WINDOW)[:, :, 0]
        between = _masked_mean((windows - mean[:, None]) ** 2, valid)[0]
        # four windows at least: the spread of two or three means is mostly chance
        ok = (n_windows >= 4) & (variance > 1e-8 * mean * mean + _TINY) & (between > _TINY)
        ratio = torch.log(_safe_div(LOCAL_WINDOW * between, variance, 1.0).clamp(min=0.01))
        out["log_local_power_ratio"] = torch.where(ok, ratio, torch.zeros_like(ratio))

    n_tail = torch.ceil(TAIL_FRACTION * lengths.to(dtype))
    ranked = torch.sort(sq * mask, dim=1, descending=True).values
    in_tail = (steps[None, :] < n_tail[:, None]).to(dtype)
    total = (sq * mask).sum(1)
    # a track that never moves: the share of equal steps
    out["tail_share"] = _safe_div((ranked * in_tail).sum(1), total, 0.0) + torch.where(
        total > _TINY, 0.0, 1.0) * n_tail / count
    return out
