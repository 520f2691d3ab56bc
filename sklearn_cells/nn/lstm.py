"""Recurrent sequence classifiers for trajectories: LSTM, GRU and CNN + LSTM (seed 000, 4.1).

Every architecture takes zero-padded batches with per-sequence lengths, and
padding never changes a result: recurrent layers run forward in time on the
padded batch (exact, because they are causal), the backward direction of a
bidirectional layer runs on each sequence reversed *within its own length*,
convolutions re-zero the padding after every layer, and the read-out uses
only real time steps. No packing is needed, which keeps the CPU fast
(PyTorch's packed backward on CPU costs O(T**2) per sequence).
"""

from __future__ import annotations

import torch
from torch import nn

from .statistics import track_statistic_names, track_statistics

__all__ = ["LSTMSequenceClassifier", "ARCHITECTURES"]

ARCHITECTURES = ("lstm", "gru", "cnn_lstm")


def _reverse_index(lengths: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Index that reverses each sequence's first ``length`` steps and keeps the padding."""
    steps = torch.arange(n_steps, device=lengths.device)[None, :]
    return torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)


def _gather_steps(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    return torch.gather(x, 1, index[..., None].expand(-1, -1, x.shape[2]))


class _DilatedConvBlock(nn.Module):
    """Parallel 1-D convolutions with several dilations, concatenated (AnDi 2020 style)."""

    def __init__(self, n_features: int, channels: int, dilations: tuple[int, ...],
                 kernel_size: int = 3) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(n_features, channels, kernel_size, dilation=d, padding=d * (kernel_size // 2))
            for d in dilations
        )
        self.mix = nn.Conv1d(channels * len(dilations), channels * len(dilations), 1)
        self.out_features = channels * len(dilations)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        m = None if mask is None else mask.transpose(1, 2)
        h = x.transpose(1, 2) if m is None else x.transpose(1, 2) * m  # (batch, features, steps)
        h = torch.relu(torch.cat([conv(h) for conv in self.convs], dim=1))
        if m is not None:  # zeros after each end, as if each sequence were alone
            h = h * m
        h = torch.relu(self.mix(h))
        if m is not None:
            h = h * m
        return h.transpose(1, 2)


class LSTMSequenceClassifier(nn.Module):
    """Recurrent network whose hidden states feed a linear layer of class scores.

    Parameters
    ----------
    n_features : int
        Values per time step (e.g. 2 velocity components and a log scale).
    n_classes : int
        Number of output classes.
    hidden_size : int, default=10
        Recurrent units per layer and direction (seed: 10).
    n_layers : int, default=2
        Stacked recurrent layers (seed: 2).
    dropout : float, default=0.0
        Dropout between recurrent layers (ignored for one layer).
    pooling : {"mean", "last"}, default="mean"
        Read the class from the top layer's output averaged over the real
        time steps ("mean"), or from the state after the last step ("last",
        as in the seed; for a backward direction, the state after step 0).
        Averaging lets a model trained on short windows accumulate evidence
        over longer trajectories.
    architecture : {"lstm", "gru", "cnn_lstm"}, default="lstm"
        ``"lstm"``: stacked LSTM (seed 000). ``"gru"``: stacked GRU.
        ``"cnn_lstm"``: parallel 1-D convolutions with dilations
        ``dilations`` in front of the LSTM, the design of the strongest
        entries of the AnDi 2020 challenge; use it with ``bidirectional=True``.
    bidirectional : bool, default=False
        Add a backward direction to every recurrent layer.
    conv_channels : int, default=16
        Channels per dilation for ``"cnn_lstm"``.
    dilations : tuple of int, default=(1, 2, 4, 8)
        Dilations of the parallel convolutions (kernel size 3).
    track_features : bool, default=False
        Add a branch that reads whole-track displacement statistics
        (:func:`~sklearn_cells.nn.track_statistics`: MSD over
        lags 1 to 256, straightness, gyration, velocity autocorrelation, ...),
        standardised with ``feature_center`` and ``feature_scale``, through
        one hidden layer into the head beside the recurrent summary. They are
        computed from ``x`` unless ``forward`` is given them (e.g. measured on
        whole tracks while the recurrent layers train on crops).
    feature_center, feature_scale : sequence of float, optional
        Per-statistic centre and scale (default 0 and 1), usually the
        training set's median and standard deviation; standardised values are clipped
        to [-5, 5].
    feature_hidden : int, default=32
        Units of the feature branch's hidden layer.
    input_clip : float or None, default=5.0
        The recurrent layers see the input clipped to ``[-input_clip,
        input_clip]``, so that a rare huge step cannot destabilise them; the
        track statistics are measured on the unclipped input, where the
        jumps of a Lévy walk or a trapped-then-released cell tell classes
        apart. None: no clipping.

    Examples
    --------
    >>> import torch
    >>> module = LSTMSequenceClassifier(n_features=3, n_classes=2, architecture="cnn_lstm",
    ...                                 bidirectional=True)
    >>> x = torch.zeros(4, 30, 3)
    >>> module(x, lengths=torch.tensor([30, 20, 10, 5])).shape
    torch.Size([4, 2])
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden_size: int = 10,
        n_layers: int = 2,
        dropout: float = 0.0,
        pooling: str = "mean",
        architecture: str = "lstm",
        bidirectional: bool = False,
        conv_channels: int = 16,
        dilations: tuple[int, ...] = (1, 2, 4, 8),
        track_features: bool = False,
        feature_center=None,
        feature_scale=None,
        feature_hidden: int = 32,
        input_clip: float | None = 5.0,
    ) -> None:
        super().__init__()
        self.input_clip = input_clip
        if pooling not in ("mean", "last"):
            raise ValueError(f"pooling must be 'mean' or 'last'; got {pooling!r}.")
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}; got {architecture!r}.")
        self.pooling = pooling
        self.bidirectional = bool(bidirectional)
        self.conv = None
        if architecture == "cnn_lstm":
            self.conv = _DilatedConvBlock(n_features, conv_channels, tuple(dilations))
            n_features = self.conv.out_features
        rnn = nn.GRU if architecture == "gru" else nn.LSTM
        n_directions = 2 if self.bidirectional else 1
        # One single-layer module per layer and direction: the backward direction
        # then runs on sequences reversed within their lengths (exact with padding).
        self.layers = nn.ModuleList()
        for layer in range(n_layers):
            size_in = n_features if layer == 0 else hidden_size * n_directions
            self.layers.append(nn.ModuleList(
                rnn(size_in, hidden_size, batch_first=True) for _ in range(n_directions)
            ))
        self.dropout = nn.Dropout(dropout if n_layers > 1 else 0.0)
        n_summary = hidden_size * n_directions
        self.features = None
        if track_features:
            n_stats = len(track_statistic_names())
            center = torch.zeros(n_stats) if feature_center is None else torch.as_tensor(
                feature_center, dtype=torch.float32)
            scale = torch.ones(n_stats) if feature_scale is None else torch.as_tensor(
                feature_scale, dtype=torch.float32)
            if center.shape != (n_stats,) or scale.shape != (n_stats,) or not (scale > 0).all():
                raise ValueError(
                    f"feature_center and feature_scale must hold {n_stats} values, the scales "
                    "positive; got shapes "
                    f"{tuple(center.shape)} and {tuple(scale.shape)}.")
            self.register_buffer("feature_center", center)
            self.register_buffer("feature_scale", scale)
            self.features = nn.Sequential(nn.Linear(n_stats, feature_hidden), nn.ReLU())
            n_summary += feature_hidden
        self.head = nn.Linear(n_summary, n_classes)
        if track_features:
            # The branch starts silent: at initialisation the network is the recurrent
            # one, and the statistics gain weight only as far as they lower the loss.
            with torch.no_grad():
                self.head.weight[:, -feature_hidden:] = 0.0

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                features: torch.Tensor | None = None) -> torch.Tensor:
        """Class scores (logits) of shape (batch, n_classes).

        Parameters
        ----------
        x : tensor of shape (batch, max_steps, n_features)
            Zero-padded sequences.
        lengths : tensor of shape (batch,), optional
            Real lengths (at least 1); ``None`` means every sequence fills
            ``max_steps``.
        features : tensor of shape (batch, n_statistics), optional
            Track statistics for the feature branch; computed from ``x`` when
            not given. Ignored without ``track_features``.
        """
        batch, n_steps = x.shape[:2]
        if lengths is None:
            lengths = torch.full((batch,), n_steps, device=x.device)
        lengths = lengths.to(x.device)
        clipped = x if self.input_clip is None else x.clamp(-self.input_clip, self.input_clip)
        summary = self._summary(clipped, lengths)
        if self.features is None:
            return self.head(summary)
        if features is None:
            features = track_statistics(x, lengths)
        z = ((features.to(device=x.device, dtype=x.dtype) - self.feature_center) / self.feature_scale).clamp(-5, 5)
        return self.head(torch.cat([summary, self.features(z)], dim=1))

    def _summary(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The recurrent layers' output, pooled over time, shape (batch, n_summary)."""
        batch, n_steps = x.shape[:2]
        ragged = bool((lengths != n_steps).any())
        mask = None
        if ragged:
            steps = torch.arange(n_steps, device=x.device)
            mask = (steps[None, :] < lengths[:, None]).to(x.dtype)[..., None]
        if self.conv is not None:
            x = self.conv(x, mask)
        reverse = _reverse_index(lengths, n_steps) if self.bidirectional else None
        h = x
        for i, directions in enumerate(self.layers):
            if i:
                h = self.dropout(h)
            outputs = [directions[0](h)[0]]
            if reverse is not None:
                backward = directions[1](_gather_steps(h, reverse))[0]
                outputs.append(_gather_steps(backward, reverse))
            h = torch.cat(outputs, dim=2) if len(outputs) > 1 else outputs[0]
        if self.pooling == "last":
            forward_last = h[torch.arange(batch, device=h.device), lengths - 1]
            if not self.bidirectional:
                return forward_last
            hidden = forward_last.shape[1] // 2
            return torch.cat([forward_last[:, :hidden], h[:, 0, hidden:]], dim=1)
        if mask is not None:
            h = h * mask
        return h.sum(dim=1) / lengths.to(h.dtype)[:, None]
