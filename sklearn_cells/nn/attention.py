"""A convolutional transformer that predicts the next frame(s) of a video.

The network of seed study 001, in plain PyTorch modules:

- :class:`FrameEncoder`, a small CNN that turns each frame into a feature
  map (what is where) and a vector (a summary used to decide where to look);
- :class:`FrameAttention`, causal multi-head attention over the frames of a
  video: each frame looks at itself and the ``attention_span - 1`` frames before
  it, queries and keys come from the frame vectors and the values are the
  feature maps, so what is attended keeps its spatial layout. The attention
  weights of each forward pass are returned, to be read as frame importance;
- :class:`FrameDecoder`, an up-sampling CNN that turns the current feature map
  and the attended context into the next frame(s);
- :class:`NextFramePredictor`, the three together: at every time step ``t``
  it predicts frames ``t + 1, ..., t + n_predict`` from frames ``<= t``.

Both CNNs use group normalisation, not batch normalisation: the seed found
that batch statistics mixed the batch and time dimensions and broke when
teacher-forced training met frame-by-frame generation, while group
normalisation works on each frame alone.

Two options make attention carry more than recency (see
:class:`NextFramePredictor`): ``motion=True`` encodes each frame together
with its change since the previous frame, so that frame summaries describe
how the cell moves, and ``values="summaries"`` lets attention average those
summaries (a position-free estimate of the current motion) instead of
feature maps.

Attention uses a learned bias per head and per lag (how many frames back a
key lies) instead of absolute positions, so a model trained on short clips
applies unchanged to long videos. Nothing here depends on numpy or sklearn;
the modules can be trained with a hand-written loop.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "FrameEncoder",
    "FrameAttention",
    "FrameDecoder",
    "NextFramePredictor",
    "NextFrameCriterion",
    "next_frame_loss",
    "attention_kl_to_uniform",
    "banded_causal_mask",
]


def _group_norm(channels: int, n_groups: int) -> nn.GroupNorm:
    # The largest group count <= n_groups that divides the channels.
    groups = max(g for g in range(1, min(n_groups, channels) + 1) if channels % g == 0)
    return nn.GroupNorm(groups, channels)


def _conv_block(in_channels, out_channels, n_groups, stride=1):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1),
        _group_norm(out_channels, n_groups),
        nn.SiLU(),
    )


class FrameEncoder(nn.Module):
    """Strided convolutions with group normalisation.

    Parameters
    ----------
    in_channels : int
        Channels of the frames.
    embed_dim : int
        Length of the summary vector returned per frame.
    channels : sequence of int, default=(16, 32)
        Channels of the convolutional blocks; each halves height and width.
    n_groups : int, default=4
        Groups of the group normalisations.

    Examples
    --------
    >>> import torch
    >>> features, vectors = FrameEncoder(1, 16)(torch.zeros(5, 1, 32, 32))
    >>> features.shape, vectors.shape
    (torch.Size([5, 32, 8, 8]), torch.Size([5, 16]))
    """

    def __init__(self, in_channels: int, embed_dim: int, channels=(16, 32), n_groups: int = 4):
        super().__init__()
        blocks, prev = [], in_channels
        for ch in channels:
            blocks.append(_conv_block(prev, ch, n_groups, stride=2))
            prev = ch
        self.features = nn.Sequential(*blocks)
        self.out_channels = prev
        # Pooling to a coarse grid keeps where things are in the summary.
        self.pool = nn.AdaptiveAvgPool2d(4)
        self.summary = nn.Linear(prev * 16, embed_dim)

    def forward(self, frames: torch.Tensor):
        """(N, C, H, W) frames -> ((N, C', H', W') feature maps, (N, embed_dim) vectors)."""
        maps = self.features(frames)
        return maps, self.summary(self.pool(maps).flatten(1))


def banded_causal_mask(n_steps: int, attention_span: int, device=None) -> torch.Tensor:
    """Boolean ``(n_steps, n_steps)`` mask, True where query ``t`` may see key ``s``.

    Key ``s`` is visible from query ``t`` when ``t - attention_span < s <= t``.

    Examples
    --------
    >>> banded_causal_mask(4, 2).int()
    tensor([[1, 0, 0, 0],
            [1, 1, 0, 0],
            [0, 1, 1, 0],
            [0, 0, 1, 1]], dtype=torch.int32)
    """
    t = torch.arange(n_steps, device=device)
    lag = t[:, None] - t[None, :]
    return (lag >= 0) & (lag < attention_span)


class FrameAttention(nn.Module):
    """Causal multi-head attention across frames, values kept as feature maps.

    Queries and keys are projections of the frame vectors; the value of a
    frame is its feature map, split into ``n_heads`` channel groups, one per
    head. A learned bias per head and lag encodes how far back a key lies.

    Parameters
    ----------
    embed_dim : int
        Length of the frame vectors.
    map_channels : int
        Channels of the feature maps; divisible by ``n_heads``.
    n_heads : int, default=2
    attention_span : int, default=8
        Frames each step attends to: itself and the ``attention_span - 1`` before.
    tied : bool, default=False
        Use one projection for queries and keys, so that a frame attends to
        frames whose summaries resemble its own (a similarity prior).
    lag_bias : bool, default=True
        Learn a bias per head and lag. Without it attention depends on the
        frames' content only (the decoder still knows the current frame).

    Examples
    --------
    >>> import torch
    >>> attention = FrameAttention(16, 8, n_heads=2, attention_span=4)
    >>> context, weights = attention(torch.zeros(3, 10, 16), torch.zeros(3, 10, 8, 5, 5))
    >>> context.shape, weights.shape  # weights: (batch, heads, query, key)
    (torch.Size([3, 10, 8, 5, 5]), torch.Size([3, 2, 10, 10]))
    """

    def __init__(
        self,
        embed_dim: int,
        map_channels: int,
        n_heads: int = 2,
        attention_span: int = 8,
        tied: bool = False,
        lag_bias: bool = True,
    ):
        super().__init__()
        if map_channels % n_heads:
            raise ValueError(
                f"the feature maps' {map_channels} channels must be divisible by "
                f"n_heads={n_heads}; change n_heads or the encoder channels."
            )
        self.n_heads, self.attention_span, self.tied = n_heads, attention_span, tied
        self.head_dim = max(1, embed_dim // n_heads)
        self.norm = nn.LayerNorm(embed_dim)
        self.query = nn.Linear(embed_dim, n_heads * self.head_dim)
        self.key = self.query if tied else nn.Linear(embed_dim, n_heads * self.head_dim)
        self.lag_bias = nn.Parameter(torch.zeros(n_heads, attention_span)) if lag_bias else None

    def forward(self, vectors: torch.Tensor, maps: torch.Tensor):
        """Vectors (B, T, D), values (B, T, ...) -> (context (B, T, ...), weights (B, heads, T, T)).

        The values are usually feature maps (B, T, C, H, W); any trailing
        shape whose size is divisible by ``n_heads`` works.
        """
        batch, steps = vectors.shape[:2]
        x = self.norm(vectors)
        q = self.query(x).view(batch, steps, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.key(x).view(batch, steps, self.n_heads, self.head_dim).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        if self.lag_bias is not None:
            t = torch.arange(steps, device=vectors.device)
            lag = (t[:, None] - t[None, :]).clamp(0, self.attention_span - 1)
            scores = scores + self.lag_bias[:, lag]
        visible = banded_causal_mask(steps, self.attention_span, device=vectors.device)
        weights = scores.masked_fill(~visible, float("-inf")).softmax(dim=-1)
        shape = maps.shape[2:]
        values = maps.reshape(batch, steps, self.n_heads, -1).transpose(1, 2)
        context = (weights @ values).transpose(1, 2).reshape(batch, steps, *shape)
        return context, weights


class FrameDecoder(nn.Module):
    """Up-sampling convolutions with group normalisation.

    Parameters
    ----------
    in_channels : int
        Channels of the input feature map.
    out_channels : int
        Channels produced (frame channels times frames predicted).
    frame_size : tuple of int
        ``(H, W)`` of the output; the last map is resized to it when the
        frame size is not the input size times a power of two.
    channels : sequence of int, default=(32, 16)
        Channels of the blocks; each doubles height and width.
    n_groups : int, default=4

    Examples
    --------
    >>> import torch
    >>> FrameDecoder(64, 1, (32, 32))(torch.zeros(5, 64, 8, 8)).shape
    torch.Size([5, 1, 32, 32])
    """

    def __init__(
        self, in_channels: int, out_channels: int, frame_size, channels=(32, 16), n_groups: int = 4
    ):
        super().__init__()
        self.frame_size = tuple(int(s) for s in frame_size)
        blocks, prev = [_conv_block(in_channels, channels[0], n_groups)], channels[0]
        for ch in channels:
            blocks += [nn.Upsample(scale_factor=2, mode="nearest"), _conv_block(prev, ch, n_groups)]
            prev = ch
        self.features = nn.Sequential(*blocks)
        self.out = nn.Conv2d(prev, out_channels, 3, padding=1)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        """(N, C, h, w) maps -> (N, out_channels, H, W) frames."""
        x = self.features(maps)
        if tuple(x.shape[-2:]) != self.frame_size:
            x = F.interpolate(x, size=self.frame_size, mode="bilinear", align_corners=False)
        return self.out(x)


class NextFramePredictor(nn.Module):
    """Encoder, attention over frames and decoder predicting the next frame(s).

    At each step ``t`` the network predicts frames ``t + 1 ... t + n_predict``
    from the feature map of frame ``t`` and the attended feature maps of
    frames ``t - attention_span + 1 ... t`` (teacher forcing: all steps at once).
    The decoder's output is added to a learned 5x5 filter of frame ``t``;
    both start so that the untrained network copies the last frame.

    Parameters
    ----------
    in_channels : int
    frame_size : tuple of int
        ``(H, W)``.
    attention_span : int, default=8
    n_predict : int, default=1
    embed_dim : int, default=32
        Length of the frame summaries that queries and keys come from.
    n_heads : int, default=2
    channels : sequence of int, default=(16, 32)
        Encoder channels; the decoder mirrors them.
    n_groups : int, default=4
    tied_attention : bool, default=False
        Shared query/key projection (see :class:`FrameAttention`).
    lag_bias : bool, default=True
        Learned bias per lag in the attention (see :class:`FrameAttention`).
    motion : bool, default=False
        Encode each frame stacked with its difference from the previous frame
        (zero for the first), so that queries and keys describe motion as well
        as appearance. Still causal: frame ``t`` uses frames ``t`` and ``t - 1``.
    values : {"maps", "summaries"}, default="maps"
        What attention averages: the feature maps of earlier frames (what is
        where), or a projection of their summary vectors, broadcast over the
        current feature map. Summaries carry no position, so the context is
        an estimate of how the cell moves and looks, pooled over the frames
        the network chooses; with ``motion=True`` and ``n_predict > 1`` the
        network must choose frames with the current motion, and its
        attention shifts when the motion changes.

    Examples
    --------
    >>> import torch
    >>> model = NextFramePredictor(1, (32, 32), attention_span=4, n_predict=2)
    >>> prediction, attention = model(torch.zeros(3, 10, 1, 32, 32))
    >>> prediction.shape, attention.shape
    (torch.Size([3, 10, 2, 1, 32, 32]), torch.Size([3, 2, 10, 10]))
    """

    def __init__(
        self,
        in_channels: int,
        frame_size,
        attention_span: int = 8,
        n_predict: int = 1,
        embed_dim: int = 32,
        n_heads: int = 2,
        channels=(16, 32),
        n_groups: int = 4,
        tied_attention: bool = False,
        lag_bias: bool = True,
        motion: bool = False,
        values: str = "maps",
    ):
        super().__init__()
        if values not in ("maps", "summaries"):
            raise ValueError(f"values must be 'maps' or 'summaries'; got {values!r}.")
        self.n_predict, self.motion, self.values = n_predict, motion, values
        encoder_in = 2 * in_channels if motion else in_channels
        self.encoder = FrameEncoder(encoder_in, embed_dim, channels, n_groups)
        self.attention = FrameAttention(
            embed_dim, self.encoder.out_channels if values == "maps" else embed_dim,
            n_heads, attention_span, tied_attention, lag_bias,
        )
        if values == "summaries":
            self.value = nn.Linear(embed_dim, embed_dim)
        context_channels = self.encoder.out_channels if values == "maps" else embed_dim
        self.decoder = FrameDecoder(
            self.encoder.out_channels + context_channels,
            in_channels * n_predict,
            frame_size,
            tuple(reversed(channels)),
            n_groups,
        )
        # A learned 5x5 filter of the current frame, starting as "copy the
        # last frame", plus the decoder's correction, starting at zero: the
        # untrained network is the copy-last-frame baseline and training only
        # has to learn what changes (small shifts, denoising, events).
        self.skip = nn.Conv2d(in_channels, in_channels * n_predict, 5, padding=2)
        with torch.no_grad():
            self.skip.weight.zero_()
            self.skip.bias.zero_()
            for j in range(n_predict):
                for c in range(in_channels):
                    self.skip.weight[j * in_channels + c, c, 2, 2] = 1.0
            self.decoder.out.weight.zero_()
            self.decoder.out.bias.zero_()

    def forward(self, frames: torch.Tensor):
        """Frames (B, T, C, H, W) -> (predictions (B, T, n_predict, C, H, W), attention).

        Attention has shape (B, heads, T, T).
        """
        batch, steps, channels, height, width = frames.shape
        inputs = frames
        if self.motion:
            # Each frame with its change since the previous one (zero for the
            # first), so that a frame's summary can describe how it moves.
            change = torch.cat([torch.zeros_like(frames[:, :1]), frames.diff(dim=1)], dim=1)
            inputs = torch.cat([frames, change], dim=2)
        maps, vectors = self.encoder(inputs.flatten(0, 1))
        maps = maps.view(batch, steps, *maps.shape[1:])
        vectors = vectors.view(batch, steps, -1)
        if self.values == "maps":
            context, attention = self.attention(vectors, maps)
        else:
            context, attention = self.attention(vectors, self.value(vectors))
            context = context[..., None, None].expand(-1, -1, -1, *maps.shape[-2:])
        decoded = self.decoder(torch.cat([maps, context], dim=2).flatten(0, 1))
        decoded = decoded + self.skip(frames.reshape(batch * steps, channels, height, width))
        prediction = decoded.view(batch, steps, self.n_predict, channels, height, width)
        return prediction, attention


def attention_kl_to_uniform(attention: torch.Tensor, attention_span: int) -> torch.Tensor:
    """Mean KL divergence of each attention row from the uniform distribution.

    ``KL(a || U) = sum_s a_s log a_s + log n`` over the ``n`` keys a query can
    see (fewer than ``attention_span`` at the start of a clip). Zero when attention
    is spread evenly; large when it spikes. This is the seed's secondary loss.

    Parameters
    ----------
    attention : tensor of shape (..., T, T)
    attention_span : int

    Examples
    --------
    >>> import torch
    >>> float(attention_kl_to_uniform(torch.tensor([[1.0, 0.0], [0.5, 0.5]]), 2))
    0.0
    """
    steps = attention.shape[-1]
    visible = banded_causal_mask(steps, attention_span, device=attention.device)
    n_keys = visible.sum(-1).to(attention.dtype)
    plogp = torch.where(visible, attention * torch.log(attention.clamp_min(1e-12)), 0.0)
    return (plogp.sum(-1) + torch.log(n_keys)).mean()


def next_frame_loss(
    prediction: torch.Tensor, frames: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    """Squared error of next-frame predictions against the frames that followed.

    Parameters
    ----------
    prediction : tensor of shape (B, T, n_predict, C, H, W)
        ``prediction[:, t, j]`` predicts ``frames[:, t + j + 1]``.
    frames : tensor of shape (B, T, C, H, W)
    reduction : {"mean", "none"}
        ``"none"`` returns the mean squared error per predicted frame, shape
        (B, T, n_predict), NaN where the target lies beyond the clip.

    Examples
    --------
    >>> import torch
    >>> frames = torch.arange(4.0).view(1, 4, 1, 1, 1)
    >>> float(next_frame_loss(frames[:, :, None], frames))  # "copy the last frame"
    1.0
    """
    batch, steps, n_predict = prediction.shape[:3]
    errors = prediction.new_full((batch, steps, n_predict), float("nan"))
    for j in range(n_predict):
        n_valid = steps - j - 1
        if n_valid <= 0:
            continue
        diff = prediction[:, :n_valid, j] - frames[:, j + 1 :]
        errors[:, :n_valid, j] = diff.pow(2).flatten(2).mean(-1)
    if reduction == "none":
        return errors
    return errors[~torch.isnan(errors)].mean()


class NextFrameCriterion(nn.Module):
    """Loss for skorch: next-frame error plus an optional attention penalty.

    Takes the ``(prediction, attention)`` output of :class:`NextFramePredictor`
    and the frames themselves as the target.

    Parameters
    ----------
    attention_span : int
    attention_penalty : float, default=0.0
        Weight of :func:`attention_kl_to_uniform`.
    """

    def __init__(self, attention_span: int, attention_penalty: float = 0.0):
        super().__init__()
        self.attention_span = attention_span
        self.attention_penalty = attention_penalty

    def forward(self, output, frames):
        prediction, attention = output
        loss = next_frame_loss(prediction, frames)
        if self.attention_penalty:
            loss = loss + self.attention_penalty * attention_kl_to_uniform(
                attention, self.attention_span
            )
        return loss
