"""LSTM + Gaussian mixture density network (seed 000, section 5; Graves 2013, Bishop 1994).

The network reads a sequence of velocities one step at a time and, at every
step, outputs the parameters of a Gaussian mixture for the next velocity:
mixture weights, means and standard deviations (one per component, as in the
seed, or one per component and dimension). Plain ``torch.nn`` modules and
functions only, usable in a hand-written training loop::

    model = LSTMMixtureDensityNetwork(n_dims=3, n_components=10)
    params, _ = model(v[:, :-1])              # v: (batch, steps, 3)
    loss = mixture_nll_loss(params, v[:, 1:])
    loss.backward()

and :meth:`LSTMMixtureDensityNetwork.sample` generates many sequences at once,
advancing all of them together one batched step at a time.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence

__all__ = [
    "MixtureParameters",
    "RecurrentState",
    "MixtureDensityHead",
    "LSTMMixtureDensityNetwork",
    "MixtureNLLLoss",
    "mixture_log_prob",
    "mixture_nll_loss",
    "mixture_mean",
    "sample_mixture",
]

_COVARIANCES = ("isotropic", "diagonal")
_LOG_2PI = math.log(2.0 * math.pi)


class MixtureParameters(NamedTuple):
    """Parameters of a batch of Gaussian mixtures over ``n_dims`` dimensions.

    Attributes
    ----------
    log_weights : tensor of shape (..., n_components)
        Log mixture weights (log-softmax output, so they sum to one).
    means : tensor of shape (..., n_components, n_dims)
    scales : tensor of shape (..., n_components, 1) or (..., n_components, n_dims)
        Standard deviations; the last axis has size 1 for isotropic components
        (one sigma shared by all dimensions, as in the seed).
    """

    log_weights: torch.Tensor
    means: torch.Tensor
    scales: torch.Tensor


class MixtureDensityHead(nn.Module):
    """Linear layer mapping features to Gaussian mixture parameters.

    Weights go through a log-softmax and the standard deviations through a
    softplus plus a floor ``sigma_min``, so a component can never collapse
    onto one point and make the likelihood infinite.

    Parameters
    ----------
    in_features : int
        Size of the input features (e.g. the LSTM's hidden size).
    n_dims : int
        Dimensions of the modelled variable (3 for x, y, z velocities).
    n_components : int, default=10
        Mixture components (seed: 10).
    covariance : {"diagonal", "isotropic"}, default="diagonal"
        "isotropic": one sigma per component shared by all dimensions (the
        seed's choice); "diagonal": one sigma per component and dimension,
        which lets a dimension be much quieter than the others (z of cells on
        a flat surface).
    sigma_min : float, default=1e-3
        Floor added to every standard deviation.
    autoregressive : bool, default=False
        Add to each component's mean a learned gain (per component and
        dimension, a function of the features) times the last value:
        ``mean_k = a_k(h) * x_t + b_k(h)``, with ``a_k = tanh(...)`` in
        (-1, 1) so that a generated walk cannot run away. A persistent random
        walk's next velocity is its persistence times the current one; with
        the gain the network states that directly, at any speed, where a
        mean that is a linear function of bounded LSTM features saturates for
        fast steps. Pass the last value as ``forward(features, last)``.

    Examples
    --------
    >>> import torch
    >>> head = MixtureDensityHead(8, n_dims=3, n_components=4)
    >>> params = head(torch.zeros(2, 5, 8))
    >>> params.means.shape, params.scales.shape
    (torch.Size([2, 5, 4, 3]), torch.Size([2, 5, 4, 3]))
    >>> ar_head = MixtureDensityHead(8, n_dims=3, n_components=4, autoregressive=True)
    >>> ar_head(torch.zeros(2, 5, 8), torch.ones(2, 5, 3)).means.shape
    torch.Size([2, 5, 4, 3])
    """

    def __init__(
        self,
        in_features: int,
        n_dims: int,
        n_components: int = 10,
        covariance: str = "diagonal",
        sigma_min: float = 1e-3,
        autoregressive: bool = False,
    ) -> None:
        super().__init__()
        if covariance not in _COVARIANCES:
            raise ValueError(
                f"covariance={covariance!r} is not supported; use 'isotropic' or 'diagonal'."
            )
        if not sigma_min > 0:
            raise ValueError(f"sigma_min must be positive; got {sigma_min!r}.")
        self.n_dims = n_dims
        self.n_components = n_components
        self.covariance = covariance
        self.sigma_min = float(sigma_min)
        n_scales = n_dims if covariance == "diagonal" else 1
        self._n_scales = n_scales
        # Three layers rather than one split output: contiguous results make
        # the element-wise ops several times faster in the sampling loop.
        self.weights = nn.Linear(in_features, n_components)
        self.means = nn.Linear(in_features, n_components * n_dims)
        self.scales = nn.Linear(in_features, n_components * n_scales)
        self.autoregressive = bool(autoregressive)
        self.gains = nn.Linear(in_features, n_components * n_dims) if autoregressive else None

    def forward(
        self, features: torch.Tensor, last: torch.Tensor | None = None
    ) -> MixtureParameters:
        """Mixture parameters for features of shape (..., in_features).

        ``last`` (shape (..., n_dims), the value the features were computed
        after) is required with ``autoregressive=True`` and ignored otherwise.
        """
        k, lead = self.n_components, features.shape[:-1]
        means = self.means(features).reshape(*lead, k, self.n_dims)
        if self.gains is not None:
            if last is None:
                raise ValueError("an autoregressive head needs the last value: head(features, last).")
            # tanh keeps every gain in (-1, 1): a generated walk cannot run away.
            gains = torch.tanh(self.gains(features)).reshape(*lead, k, self.n_dims)
            means = means + gains * last.unsqueeze(-2)
        return MixtureParameters(
            log_weights=F.log_softmax(self.weights(features), dim=-1),
            means=means,
            scales=(F.softplus(self.scales(features)) + self.sigma_min).reshape(
                *lead, k, self._n_scales
            ),
        )


def mixture_log_prob(params: MixtureParameters, target: torch.Tensor) -> torch.Tensor:
    """Log density of ``target`` under the mixture, shape ``target.shape[:-1]``.

    Computed with log-sum-exp over the components, so values far in the tails
    give large negative numbers rather than ``-inf``/NaN.

    Parameters
    ----------
    params : MixtureParameters
        With leading shape ``(...)`` matching ``target.shape[:-1]``.
    target : tensor of shape (..., n_dims)

    Examples
    --------
    >>> import torch
    >>> params = MixtureParameters(torch.zeros(1, 1), torch.zeros(1, 1, 2), torch.ones(1, 1, 1))
    >>> round(float(mixture_log_prob(params, torch.zeros(1, 2))), 4)  # -log(2 pi)
    -1.8379
    """
    z = (target.unsqueeze(-2) - params.means) / params.scales
    n_dims = target.shape[-1]
    # The scales broadcast over dims, so an isotropic sigma counts n_dims times.
    log_norm = torch.log(params.scales).expand(*z.shape).sum(-1) + 0.5 * n_dims * _LOG_2PI
    component = -0.5 * z.pow(2).sum(-1) - log_norm
    return torch.logsumexp(params.log_weights + component, dim=-1)


def mixture_nll_loss(
    params: MixtureParameters, target: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean negative log-likelihood per step (the seed's loss), ignoring masked steps.

    Parameters
    ----------
    params : MixtureParameters
        Leading shape (batch, steps).
    target : tensor of shape (batch, steps, n_dims)
    mask : bool or float tensor of shape (batch, steps), optional
        True (1) for real steps, False (0) for padding.
    """
    log_prob = mixture_log_prob(params, target)
    if mask is None:
        return -log_prob.mean()
    mask = mask.to(log_prob.dtype)
    # where() rather than multiplication: padding may hold anything, even inf.
    log_prob = torch.where(mask > 0, log_prob, torch.zeros_like(log_prob))
    return -(log_prob * mask).sum() / mask.sum().clamp_min(1.0)


class MixtureNLLLoss(nn.Module):
    """Module form of :func:`mixture_nll_loss` (a criterion for skorch or a loop)."""

    def forward(
        self, params: MixtureParameters, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        return mixture_nll_loss(params, target, mask)


def mixture_mean(params: MixtureParameters) -> torch.Tensor:
    """Expected value of the mixture, shape (..., n_dims)."""
    return (params.log_weights.exp().unsqueeze(-1) * params.means).sum(-2)


def sample_mixture(
    params: MixtureParameters, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Draw one value from each mixture of the batch, shape (..., n_dims).

    Parameters
    ----------
    params : MixtureParameters
    generator : torch.Generator, optional
        On the parameters' device; seeds the draw.
    """
    log_w = params.log_weights
    lead = log_w.shape[:-1]
    k = log_w.shape[-1]
    # Inverse-CDF draw of the component: cheaper than torch.multinomial for
    # many small categorical distributions.
    cdf = log_w.exp().cumsum(-1)
    u = torch.rand((*lead, 1), generator=generator, device=cdf.device, dtype=cdf.dtype)
    component = (cdf < u * cdf[..., -1:]).sum(-1).clamp_max(k - 1).reshape(*lead, 1, 1)
    n_dims = params.means.shape[-1]
    mean = params.means.gather(-2, component.expand(*lead, 1, n_dims)).squeeze(-2)
    scale = params.scales.gather(-2, component.expand(*lead, 1, params.scales.shape[-1]))
    noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
    return mean + scale.squeeze(-2) * noise


class RecurrentState(NamedTuple):
    """State carried between calls of :class:`LSTMMixtureDensityNetwork`.

    Attributes
    ----------
    h, c : tensor of shape (n_layers, batch, hidden_size)
        LSTM hidden and cell states.
    averages : tensor of shape (batch, n_averages, n_dims + 1) or None
        Exponential moving averages of the inputs and their norm (None
        without ``ema_decays``).
    running_sum : tensor of shape (batch, n_dims + 1) or None
        Sum of the inputs and their norm over all steps read (None without
        ``running_mean`` or ``position_offset``).
    n_seen : tensor of shape (batch, 1) or None
        Number of steps read (None without ``running_mean`` or
        ``position_offset``).
    position_sum : tensor of shape (batch, n_dims) or None
        Sum over all steps read of the position after the step, relative to
        the start (None without ``position_offset``).
    lag_sums : tensor of shape (batch, 2) or None
        Sums over all steps read of ``x_t . x_(t-1)`` and ``|x_(t-1)|^2``
        (None without ``running_persistence``).
    last_input : tensor of shape (batch, n_dims) or None
        The last step read (None without ``running_persistence``).
    """

    h: torch.Tensor
    c: torch.Tensor
    averages: torch.Tensor | None
    running_sum: torch.Tensor | None = None
    n_seen: torch.Tensor | None = None
    position_sum: torch.Tensor | None = None
    lag_sums: torch.Tensor | None = None
    last_input: torch.Tensor | None = None


def _moving_averages(
    inputs: torch.Tensor, decays: tuple[float, ...], initial: torch.Tensor | None
) -> torch.Tensor:
    """Exponential moving averages ``m_t = d m_(t-1) + (1 - d) x_t`` of every step.

    Returns shape (batch, steps, n_decays, n_dims). Computed exactly in chunks
    with a lower-triangular matrix product (fast, no Python loop over steps).
    """
    batch, steps, n_dims = inputs.shape
    d = torch.tensor(decays, dtype=inputs.dtype, device=inputs.device)
    prev = (
        torch.zeros(batch, len(decays), n_dims, dtype=inputs.dtype, device=inputs.device)
        if initial is None
        else initial
    )
    chunk = 256
    lag = torch.arange(min(chunk, steps), device=inputs.device)
    # kernel[j, t, s] = (1 - d_j) d_j^(t - s) for s <= t
    diff = (lag[:, None] - lag[None, :]).to(inputs.dtype)
    kernel = torch.where(diff >= 0, d[:, None, None] ** diff.clamp_min(0), torch.zeros(()))
    kernel = kernel * (1 - d)[:, None, None]
    carry = d[:, None] ** (lag + 1).to(inputs.dtype)[None, :]  # (n_decays, chunk)
    out = []
    for start in range(0, steps, chunk):
        x = inputs[:, start : start + chunk]
        n = x.shape[1]
        m = torch.einsum("jts,bsd->btjd", kernel[:, :n, :n], x)
        m = m + carry[None, :, :n].permute(0, 2, 1)[..., None] * prev[:, None]
        out.append(m)
        prev = m[:, -1]
    return torch.cat(out, dim=1)


def _running_sums(
    inputs: torch.Tensor, initial: tuple[torch.Tensor, torch.Tensor] | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sums of the inputs over all steps so far and their counts, shapes
    (batch, steps, n_features) and (batch, steps, 1)."""
    batch, steps, _ = inputs.shape
    sums = inputs.cumsum(1)
    counts = torch.arange(1, steps + 1, dtype=inputs.dtype, device=inputs.device)
    counts = counts[None, :, None].expand(batch, steps, 1)
    if initial is not None:
        sums = sums + initial[0][:, None]
        counts = counts + initial[1][:, None]
    return sums, counts


def _position_offset(
    positions: torch.Tensor, position_sums: torch.Tensor, counts: torch.Tensor
) -> torch.Tensor:
    """Position relative to the mean position so far, squashed by ``asinh``
    (linear for small offsets, logarithmic for the large ones of a cell
    that travels)."""
    return torch.asinh(positions - position_sums / counts)


def _lag_products(step: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
    """``(x_t . x_(t-1), |x_(t-1)|^2)`` along the last axis."""
    return torch.stack([(step * previous).sum(-1), (previous * previous).sum(-1)], dim=-1)


def _lag_coefficient(lag_sums: torch.Tensor) -> torch.Tensor:
    """Least-squares lag-1 coefficient ``sum x_t . x_(t-1) / sum |x_(t-1)|^2``
    of the steps so far, in [-1, 1] (0 before two steps are read)."""
    ratio = lag_sums[..., :1] / (lag_sums[..., 1:] + 1e-2)
    return ratio.clamp(-1.0, 1.0)


def _with_norm(x: torch.Tensor) -> torch.Tensor:
    """``x`` with its Euclidean norm appended along the last axis."""
    return torch.cat([x, torch.linalg.vector_norm(x, dim=-1, keepdim=True)], dim=-1)


class LSTMMixtureDensityNetwork(nn.Module):
    """LSTM layers with a Gaussian mixture density head, optionally class-conditional.

    The seed's generator (one LSTM layer of 10 units, 10 isotropic components)
    is ``LSTMMixtureDensityNetwork(3, hidden_size=10, covariance="isotropic")``.
    Optional extras, each appended to the input at every step:

    - ``n_classes > 0``: a learned class embedding, so one network models all
      classes and generates from a chosen one.
    - ``n_profiles > 1``: a per-sequence latent profile (a discrete random
      effect: each sequence follows one of ``n_profiles`` learned movement
      profiles, drawn once per sequence from learned per-class weights).
      :meth:`log_likelihood` sums the profiles out exactly. A sequence model
      that must re-infer a cell's own speed and persistence from its own
      generated steps drifts towards the class average; a profile fixed for
      the whole sequence keeps generated cells as different from each other
      as real ones.
    - ``ema_decays``: exponential moving averages of the inputs and of their
      norm. For velocities, the average over the last ``1 / (1 - d)`` steps is
      the recent net displacement and speed. Both are unchanged by rotations
      and reflections, as the input itself.
    - ``running_mean``: the mean of the inputs and of their norm over all
      steps so far. The mean speed since the start is what tells a cell's
      own speed level from the class's; with it at hand, the network keeps
      a generated cell at the level it started with, where moving averages
      that forget let generated cells drift back to the class average.
    - ``position_offset``: the position (the sum of the inputs so far)
      relative to the mean position so far, through ``asinh``. A dimension
      that only jitters around a fixed value (z of cells on a flat surface,
      whose velocities are differences of tracking noise) has an offset of
      the size of the noise, and its next velocity is about minus the
      offset: with it at hand the network keeps that dimension bounded,
      where an LSTM alone lets it wander like a random walk. ``asinh``, per
      dimension, keeps the growing offsets of a travelling cell in range.
    - ``running_persistence``: the least-squares lag-1 coefficient of all
      steps so far, ``sum x_t . x_(t-1) / sum |x_(t-1)|^2``: the sequence's
      own persistence. An LSTM can hardly divide two running sums itself;
      with the ratio at hand, a generated cell keeps the persistence it
      started with, where without it generated cells all drift to the class
      average (on ``make_trajectories()``, with an autoregressive head, the
      spread of per-track persistence of generated collagen cells was
      0.60-0.83 of the real one without it, 0.83-0.96 with it).

    The head can also be ``autoregressive``: each component's mean gets a
    state-dependent gain in (-1, 1) times the current input (see
    :class:`MixtureDensityHead`), the form of a persistent random walk.

    Parameters
    ----------
    n_dims : int
        Values per time step (3 velocity components).
    hidden_size : int, default=32
        LSTM units per layer.
    n_layers : int, default=1
        Stacked LSTM layers.
    n_components : int, default=10
        Mixture components per step.
    covariance : {"diagonal", "isotropic"}, default="diagonal"
        See :class:`MixtureDensityHead`.
    n_classes : int, default=0
        Number of classes to condition on; 0 for an unconditional model.
    n_profiles : int, default=1
        Latent per-sequence profiles; 1 for none.
    embed_dim : int, optional
        Size of the class and profile embeddings; default 8 (at most the
        number of classes or profiles).
    ema_decays : tuple of float, default=()
        Decays in (0, 1) of moving averages of the inputs (and of their norm)
        fed alongside them.
    running_mean : bool, default=False
        Feed the mean of all inputs so far (and of their norm) alongside them.
    position_offset : bool, default=False
        Feed the offset of the position from the mean position so far.
    sigma_min : float, default=1e-3
        Floor on every standard deviation.
    dropout : float, default=0.0
        Dropout between LSTM layers.
    autoregressive : bool, default=False
        Means of the form ``a_k(h) * x_t + b_k(h)``: a learned, state-dependent
        gain in (-1, 1) on the current input (see :class:`MixtureDensityHead`).
    running_persistence : bool, default=False
        Feed the least-squares lag-1 coefficient of the steps so far.

    Examples
    --------
    >>> import torch
    >>> model = LSTMMixtureDensityNetwork(3, hidden_size=8, n_components=4, n_classes=2)
    >>> v = torch.randn(5, 20, 3)
    >>> labels = torch.tensor([0, 1, 0, 1, 1])
    >>> params, state = model(v[:, :-1], labels)
    >>> loss = mixture_nll_loss(params, v[:, 1:])
    >>> model.sample(50, labels=labels).shape
    torch.Size([5, 50, 3])

    With profiles, train on the exact sequence likelihood:

    >>> model = LSTMMixtureDensityNetwork(3, hidden_size=8, n_profiles=3)
    >>> log_lik = model.log_likelihood(v[:, :-1], v[:, 1:])
    >>> loss = -log_lik.sum() / v[:, 1:].shape[:2].numel()
    >>> log_lik.shape
    torch.Size([5])
    """

    def __init__(
        self,
        n_dims: int,
        hidden_size: int = 32,
        n_layers: int = 1,
        n_components: int = 10,
        covariance: str = "diagonal",
        n_classes: int = 0,
        n_profiles: int = 1,
        embed_dim: int | None = None,
        ema_decays: tuple[float, ...] = (),
        running_mean: bool = False,
        position_offset: bool = False,
        sigma_min: float = 1e-3,
        dropout: float = 0.0,
        autoregressive: bool = False,
        running_persistence: bool = False,
    ) -> None:
        super().__init__()
        self.n_dims = n_dims
        self.n_classes = n_classes
        self.n_profiles = n_profiles
        self.ema_decays = tuple(float(d) for d in ema_decays)
        if any(not 0 < d < 1 for d in self.ema_decays):
            raise ValueError(f"ema_decays must lie in (0, 1); got {ema_decays!r}.")
        if n_profiles < 1:
            raise ValueError(f"n_profiles must be at least 1; got {n_profiles!r}.")
        size = 8 if embed_dim is None else embed_dim
        self.running_mean = bool(running_mean)
        self.position_offset = bool(position_offset)
        n_inputs = n_dims + (n_dims + 1) * (len(self.ema_decays) + self.running_mean)
        n_inputs += n_dims * self.position_offset
        self.running_persistence = bool(running_persistence)
        n_inputs += self.running_persistence
        self.embedding = None
        if n_classes > 0:
            self.embedding = nn.Embedding(n_classes, min(size, n_classes))
            n_inputs += self.embedding.embedding_dim
        self.profile_embedding = None
        if n_profiles > 1:
            self.profile_embedding = nn.Embedding(n_profiles, min(size, n_profiles))
            n_inputs += self.profile_embedding.embedding_dim
            # Profile weights per class (one row when unconditional).
            self.profile_logits = nn.Parameter(torch.zeros(max(n_classes, 1), n_profiles))
        self.lstm = nn.LSTM(
            n_inputs,
            hidden_size,
            num_layers=n_layers,
            batch_first=True,
            dropout=dropout if n_layers > 1 else 0.0,
        )
        self.head = MixtureDensityHead(
            hidden_size, n_dims, n_components, covariance, sigma_min, autoregressive
        )

    # -- conditioning --------------------------------------------------------------

    def _check_conditioning(self, labels, profiles):
        if self.embedding is None and labels is not None:
            raise ValueError("labels were given to a model built with n_classes=0.")
        if self.embedding is not None and labels is None:
            raise ValueError(
                f"this model is class-conditional (n_classes={self.n_classes}); pass labels."
            )
        if self.profile_embedding is None and profiles is not None:
            raise ValueError("profiles were given to a model built with n_profiles=1.")
        if self.profile_embedding is not None and profiles is None:
            raise ValueError(
                f"this model has n_profiles={self.n_profiles}; pass profiles, or use "
                "log_likelihood / sample, which sum or draw them."
            )

    def _static(self, labels, profiles):
        """Per-sequence inputs fixed over time: class and profile embeddings."""
        parts = []
        if self.embedding is not None:
            parts.append(self.embedding(labels.long()))
        if self.profile_embedding is not None:
            parts.append(self.profile_embedding(profiles.long()))
        return torch.cat(parts, dim=-1) if parts else None

    def _features(self, inputs, labels, profiles, state):
        """LSTM input (inputs, averages of the past, embeddings), and the
        averages' state after every step as a function of the step index."""
        self._check_conditioning(labels, profiles)
        parts = [inputs]
        ema = sums = counts = position_sums = lag_sums = last = None
        if self.ema_decays:
            initial = None if state is None else state.averages
            ema = _moving_averages(_with_norm(inputs), self.ema_decays, initial)
            parts.append(ema.flatten(2))
        if self.running_mean or self.position_offset:
            initial = None if state is None else (state.running_sum, state.n_seen)
            sums, counts = _running_sums(_with_norm(inputs), initial)
        if self.running_mean:
            parts.append(sums / counts)
        if self.position_offset:
            positions = sums[..., : self.n_dims]
            position_sums = positions.cumsum(1)
            if state is not None:
                position_sums = position_sums + state.position_sum[:, None]
            parts.append(_position_offset(positions, position_sums, counts))
        if self.running_persistence:
            before = inputs.new_zeros(inputs[:, :1].shape) if state is None else state.last_input[:, None]
            previous = torch.cat([before, inputs[:, :-1]], dim=1)
            lag_sums = _lag_products(inputs, previous).cumsum(1)
            if state is not None:
                lag_sums = lag_sums + state.lag_sums[:, None]
            parts.append(_lag_coefficient(lag_sums))
            last = inputs
        static = self._static(labels, profiles)
        if static is not None:
            parts.append(static.unsqueeze(1).expand(-1, inputs.shape[1], -1))

        def history_at(index):
            rows = torch.arange(inputs.shape[0], device=inputs.device)
            return tuple(
                None if t is None else t[rows, index]
                for t in (ema, sums, counts, position_sums, lag_sums, last)
            )

        return torch.cat(parts, dim=-1) if len(parts) > 1 else inputs, history_at

    def profile_log_prior(self, labels: torch.Tensor | None, batch: int) -> torch.Tensor:
        """Log weights of the profiles for each sequence, shape (batch, n_profiles)."""
        if self.profile_embedding is None:
            return torch.zeros(batch, 1, device=self.head.weights.weight.device)
        logits = self.profile_logits[labels.long()] if labels is not None else self.profile_logits[
            torch.zeros(batch, dtype=torch.long, device=self.profile_logits.device)
        ]
        return torch.log_softmax(logits, dim=-1)

    # -- densities -------------------------------------------------------------------

    def forward(
        self,
        inputs: torch.Tensor,
        labels: torch.Tensor | None = None,
        state: RecurrentState | None = None,
        profiles: torch.Tensor | None = None,
    ) -> tuple[MixtureParameters, RecurrentState]:
        """Mixture parameters for the step after each input step.

        Parameters
        ----------
        inputs : tensor of shape (batch, steps, n_dims)
            Zero-padded at the end for shorter sequences (the recurrence is
            causal, so padding never changes an earlier output; mask it in
            the loss).
        labels : tensor of shape (batch,), optional
            Class indices; required iff ``n_classes > 0``.
        state : RecurrentState, optional
            State to continue from (default zeros).
        profiles : tensor of shape (batch,), optional
            Profile indices; required iff ``n_profiles > 1``.

        Returns
        -------
        params : MixtureParameters
            With leading shape (batch, steps): the distribution of step t + 1.
        state : RecurrentState
            The state after the last step.
        """
        x, history_at = self._features(inputs, labels, profiles, state)
        out, (h, c) = self.lstm(x, None if state is None else (state.h, state.c))
        return self.head(out, inputs), RecurrentState(h, c, *history_at(inputs.shape[1] - 1))

    def _per_profile(self, inputs, targets, mask, labels):
        """Summed log-probabilities of each sequence under each profile, (batch, n_profiles),
        and the per-step log-probabilities (n_profiles, batch, steps)."""
        batch, k = inputs.shape[0], self.n_profiles
        if k == 1:
            params, _ = self(inputs, labels)
            step = mixture_log_prob(params, targets).unsqueeze(0)
        else:
            # Every sequence under every profile, in one batch.
            rep = lambda t: None if t is None else t.repeat(k, *([1] * (t.dim() - 1)))  # noqa: E731
            profiles = torch.arange(k, device=inputs.device).repeat_interleave(batch)
            params, _ = self(rep(inputs), rep(labels), profiles=profiles)
            step = mixture_log_prob(params, rep(targets)).reshape(k, batch, -1)
        if mask is not None:
            step = torch.where(mask.bool().unsqueeze(0), step, torch.zeros_like(step))
        return step.sum(-1).T, step

    def log_likelihood(
        self,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Log-likelihood of each sequence of ``targets`` given ``inputs``, profiles summed out.

        Parameters
        ----------
        inputs, targets : tensor of shape (batch, steps, n_dims)
            Usually ``v[:, :-1]`` and ``v[:, 1:]``.
        mask : tensor of shape (batch, steps), optional
            True for real steps, False for padding.
        labels : tensor of shape (batch,), optional

        Returns
        -------
        log_likelihood : tensor of shape (batch,)
        """
        per_profile, _ = self._per_profile(inputs, targets, mask, labels)
        log_prior = self.profile_log_prior(labels, inputs.shape[0])
        return torch.logsumexp(log_prior + per_profile, dim=-1)

    def predictive_mean(
        self, inputs: torch.Tensor, labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Expected next step after each input step, shape (batch, steps, n_dims).

        With profiles, the means under each profile are weighted by the
        profile's posterior given the steps seen so far.
        """
        if self.n_profiles == 1:
            params, _ = self(inputs, labels)
            return mixture_mean(params)
        batch, k = inputs.shape[0], self.n_profiles
        rep = lambda t: None if t is None else t.repeat(k, *([1] * (t.dim() - 1)))  # noqa: E731
        profiles = torch.arange(k, device=inputs.device).repeat_interleave(batch)
        params, _ = self(rep(inputs), rep(labels), profiles=profiles)
        means = mixture_mean(params).reshape(k, batch, inputs.shape[1], -1)
        # log p(inputs[1 .. t] | profile): the first input is never predicted.
        step = mixture_log_prob(
            MixtureParameters(*(p[:, :-1] for p in params)), rep(inputs)[:, 1:]
        ).reshape(k, batch, -1)
        seen = torch.cat([torch.zeros_like(step[..., :1]), step.cumsum(-1)], dim=-1)
        log_post = self.profile_log_prior(labels, batch).T.unsqueeze(-1) + seen
        weights = torch.softmax(log_post, dim=0).unsqueeze(-1)
        return (weights * means).sum(0)

    # -- generation ------------------------------------------------------------------

    def encode(
        self,
        inputs: torch.Tensor,
        *,
        lengths: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        profiles: torch.Tensor | None = None,
    ) -> RecurrentState:
        """State after reading each sequence to its own end.

        Parameters
        ----------
        inputs : tensor of shape (batch, steps, n_dims)
            Zero-padded at the end.
        lengths : tensor of shape (batch,), optional
            Real lengths (packed, so padding never enters the state).
        labels, profiles : tensor of shape (batch,), optional
        """
        x, history_at = self._features(inputs, labels, profiles, None)
        if lengths is not None:
            x = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h, c) = self.lstm(x)
        last = (inputs.shape[1] - 1) if lengths is None else (lengths.to(inputs.device) - 1)
        return RecurrentState(h, c, *history_at(last))

    def _draw_profiles(self, seed, seed_lengths, labels, generator):
        """One profile per sequence: from its posterior given the seed (its prior
        when the seed has a single step)."""
        batch = seed.shape[0]
        log_w = self.profile_log_prior(labels, batch)
        if seed.shape[1] > 1:
            mask = None
            if seed_lengths is not None:
                mask = torch.arange(seed.shape[1] - 1, device=seed.device)[None, :] < (
                    seed_lengths.to(seed.device) - 1
                )[:, None]
            per_profile, _ = self._per_profile(seed[:, :-1], seed[:, 1:], mask, labels)
            log_w = log_w + per_profile
        probs = torch.softmax(log_w, dim=-1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(1)

    @torch.no_grad()
    def sample(
        self,
        n_steps: int,
        *,
        seed: torch.Tensor | None = None,
        seed_lengths: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        profiles: torch.Tensor | None = None,
        n_samples: int | None = None,
        generator: torch.Generator | None = None,
        max_norm: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Generate sequences, all advancing together one batched step at a time.

        Parameters
        ----------
        n_steps : int
            New steps to generate per sequence.
        seed : tensor of shape (batch, k, n_dims), optional
            Steps fed first to set the LSTM's memory (the seed used the first
            20 steps of a real trajectory); default one zero step. Not part of
            the output.
        seed_lengths : tensor of shape (batch,), optional
            Real lengths of zero-padded seeds of different lengths.
        labels : tensor of shape (batch,), optional
            Class of each sequence (class-conditional models).
        profiles : tensor of shape (batch,), optional
            Profile of each sequence; by default drawn from the profile
            weights (given the seed, when it has more than one step).
        n_samples : int, optional
            Batch size when neither ``seed`` nor ``labels`` gives it.
        generator : torch.Generator, optional
            Random generator on the model's device.
        max_norm : tensor of shape (batch,), optional
            Longest step of each sequence: a longer draw is shortened to it,
            keeping its direction.

        Returns
        -------
        steps : tensor of shape (batch, n_steps, n_dims)
        """
        param = next(self.parameters())
        if seed is None:
            if labels is not None:
                batch = labels.shape[0]
            elif n_samples is not None:
                batch = n_samples
            else:
                raise ValueError("pass seed, labels or n_samples to set the number of sequences.")
            seed = torch.zeros(batch, 1, self.n_dims, device=param.device, dtype=param.dtype)
        batch = seed.shape[0]
        if self.profile_embedding is not None and profiles is None:
            profiles = self._draw_profiles(seed, seed_lengths, labels, generator)
        h, c, ema, sums, counts, position_sums, lag_sums, _ = self.encode(
            seed, lengths=seed_lengths, labels=labels, profiles=profiles
        )
        # Class and profile embeddings are fixed per sequence: look them up once.
        static = self._static(labels, profiles)
        decays = torch.tensor(self.ema_decays, device=seed.device, dtype=seed.dtype)[:, None]
        out = torch.empty(batch, n_steps, self.n_dims, device=seed.device, dtype=seed.dtype)
        # The last step read: what an autoregressive head scales.
        step = seed[:, -1] if seed_lengths is None else seed[
            torch.arange(batch, device=seed.device), seed_lengths.to(seed.device) - 1
        ]
        for t in range(n_steps):
            previous = step
            step = sample_mixture(self.head(h[-1], step), generator)
            if max_norm is not None:
                step = step * (max_norm[:, None] / step.norm(dim=-1, keepdim=True)).clamp(max=1)
            out[:, t] = step
            if t + 1 < n_steps:
                parts = [step]
                if ema is not None:
                    ema = decays * ema + (1 - decays) * _with_norm(step)[:, None]
                    parts.append(ema.flatten(1))
                if sums is not None:
                    sums, counts = sums + _with_norm(step), counts + 1
                if self.running_mean:
                    parts.append(sums / counts)
                if position_sums is not None:
                    position_sums = position_sums + sums[:, : self.n_dims]
                    parts.append(_position_offset(sums[:, : self.n_dims], position_sums, counts))
                if lag_sums is not None:
                    lag_sums = lag_sums + _lag_products(step, previous)
                    parts.append(_lag_coefficient(lag_sums))
                if static is not None:
                    parts.append(static)
                x = torch.cat(parts, dim=-1) if len(parts) > 1 else step
                _, (h, c) = self.lstm(x.unsqueeze(1), (h, c))
        return out
