"""A U-Net for 2-D segmentation and the losses it is trained with (seed 004, "StemNet").

Plain :mod:`torch.nn` modules, usable in a hand-written training loop:

>>> import torch
>>> net = UNet(in_channels=5, n_classes=2, depth=2, base_channels=4, kernel_size=3)
>>> logits = net(torch.zeros(1, 5, 32, 32))
>>> tuple(logits.shape)
(1, 2, 32, 32)
>>> criterion = SegmentationLoss("ce", class_weight=[1.0, 2.0])
>>> loss = criterion(logits, torch.zeros(1, 32, 32, dtype=torch.long))

The network follows the seed's fully convolutional design: ``depth`` max-pooling steps
(2x2, stride 2), each level a stack of ``kernel_size`` convolutions with ReLU, transposed
convolutions (2x2, stride 2) on the way up, concatenated with the matching skip connection,
and a final 1x1 convolution that gives one logit per class and pixel. The input height and
width must be multiples of ``2 ** depth``; :class:`sklearn_cells.image.UNetSegmenter` pads
frames for you. :func:`unet_receptive_field` gives how far an output pixel sees.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["UNet", "SegmentationLoss", "IGNORE_INDEX", "unet_receptive_field"]

#: Target value of pixels that do not count in the loss (padding added around a frame).
IGNORE_INDEX = -1

_LOSSES = ("ce", "dice", "ce+dice")


def unet_receptive_field(depth: int = 5, kernel_size: int = 5, n_convs: int = 1) -> int:
    """Receptive-field radius of :class:`UNet`, in input pixels.

    The output at pixel ``p`` depends only on input pixels within ``radius`` of ``p`` along
    each axis (a square of side ``2 * radius + 1``), whatever the weights; an input pixel
    further away cannot change it. Defaults are those of :class:`UNet`.

    Derivation, with ``r = kernel_size // 2``: a convolution at level ``l``, where one
    feature stands for ``2**l`` pixels, reaches ``r * 2**l`` pixels further. There are
    ``n_convs`` convolutions at each level on the way down (levels ``0 .. depth``) and on
    the way up (levels ``depth - 1 .. 0``), so the convolutions reach
    ``n_convs * r * (2**(depth + 1) - 1 + 2**depth - 1)``. Pooling and the 2x2 transposed
    convolutions make all pixels of an aligned ``2**(l + 1)`` block share one level
    ``l + 1`` feature, which sees up to ``2**l`` pixels further on one side for a pixel at
    the block's edge; summed over the levels, ``2**depth - 1``. In total::

        radius = n_convs * r * (3 * 2**depth - 2) + 2**depth - 1

    The bound is tight: for some pixel positions modulo ``2**depth`` it is reached. The
    effective field of a trained network is much smaller, but only this bound makes tiled
    inference equal whole-frame inference (:class:`sklearn_cells.image.UNetSegmenter` uses
    it for its default ``tile_overlap``).

    Parameters
    ----------
    depth : int, default=5
        Number of 2x2 poolings.
    kernel_size : int, default=5
        Odd convolution size.
    n_convs : int, default=1
        Convolutions per level and direction.

    Returns
    -------
    radius : int

    Examples
    --------
    >>> unet_receptive_field(depth=5, kernel_size=5, n_convs=1)  # the seed's network
    219
    >>> unet_receptive_field(depth=2, kernel_size=3, n_convs=1)
    13
    """
    if depth < 0:
        raise ValueError(f"depth={depth} must be >= 0.")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size={kernel_size} must be a positive odd integer.")
    if n_convs < 1:
        raise ValueError(f"n_convs={n_convs} must be >= 1.")
    return n_convs * (kernel_size // 2) * (3 * 2**depth - 2) + 2**depth - 1


def _norm_layer(norm: str | None, channels: int) -> nn.Module:
    if norm is None:
        return nn.Identity()
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "group":
        # Up to 8 groups that divide the channel count: works for tiny test nets too.
        groups = next(g for g in (8, 4, 2, 1) if channels % g == 0)
        return nn.GroupNorm(groups, channels)
    raise ValueError(f"norm={norm!r} is not supported; use None, 'batch' or 'group'.")


class _ConvBlock(nn.Sequential):
    """``n_convs`` x (conv -> norm -> ReLU -> dropout), 'same' padding."""

    def __init__(self, c_in, c_out, kernel_size, n_convs, norm, dropout):
        layers = []
        for i in range(n_convs):
            layers += [
                nn.Conv2d(c_in if i == 0 else c_out, c_out, kernel_size,
                          padding=kernel_size // 2, bias=norm is None),
                _norm_layer(norm, c_out),
                nn.ReLU(inplace=True),
            ]
            if dropout > 0:
                # Element-wise dropout on feature maps, as the seed's tf.nn.dropout.
                layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


class UNet(nn.Module):
    """U-Net with transposed-convolution upsampling and concatenated skips.

    Parameters
    ----------
    in_channels : int
        Channels of the input: 1 for a grey frame, ``2 * k + 1`` for a frame with ``k``
        neighbours on each side (the seed's Network5 has 5).
    n_classes : int, default=2
        Output logits per pixel (background and cell for binary segmentation).
    depth : int, default=5
        Number of 2x2 max-pooling steps; the seed goes from 1024 down to 32 pixels (5).
        Input height and width must be multiples of ``2 ** depth``.
    base_channels : int, default=16
        Feature maps at the first level; doubled at every level down (seed: 16).
    kernel_size : int, default=5
        Odd convolution size (seed: 5x5).
    n_convs : int, default=1
        Convolutions per level and direction (seed: 1; the original U-Net uses 2).
    dropout : float, default=0.25
        Element-wise dropout after every convolution except the output (seed: 0.25).
    norm : {None, "batch", "group"}, default=None
        Normalisation after each convolution. The seed used none (batch size 1).

    Examples
    --------
    >>> import torch
    >>> UNet(1, depth=3, base_channels=4)(torch.zeros(2, 1, 64, 48)).shape
    torch.Size([2, 2, 64, 48])
    """

    def __init__(
        self,
        in_channels: int,
        n_classes: int = 2,
        *,
        depth: int = 5,
        base_channels: int = 16,
        kernel_size: int = 5,
        n_convs: int = 1,
        dropout: float = 0.25,
        norm: str | None = None,
    ):
        super().__init__()
        if depth < 0:
            raise ValueError(f"depth={depth} must be >= 0.")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size={kernel_size} must be a positive odd integer.")
        _norm_layer(norm, 1)  # validate early
        self.depth, self.kernel_size, self.n_convs = depth, kernel_size, n_convs
        widths = [base_channels * 2**level for level in range(depth + 1)]
        self.down = nn.ModuleList()
        c_in = in_channels
        for w in widths:
            self.down.append(_ConvBlock(c_in, w, kernel_size, n_convs, norm, dropout))
            c_in = w
        self.upsample = nn.ModuleList()
        self.up = nn.ModuleList()
        for level in range(depth - 1, -1, -1):
            w_low, w = widths[level + 1], widths[level]
            self.upsample.append(nn.ConvTranspose2d(w_low, w, kernel_size=2, stride=2))
            self.up.append(_ConvBlock(2 * w, w, kernel_size, n_convs, norm, dropout))
        self.head = nn.Conv2d(widths[0], n_classes, kernel_size=1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """He initialisation, as in the seed (std ``sqrt(2 / fan)``), zero biases."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    @property
    def size_multiple(self) -> int:
        """Height and width of inputs must be multiples of this (``2 ** depth``)."""
        return 2**self.depth

    @property
    def receptive_field(self) -> int:
        """Receptive-field radius in input pixels, see :func:`unet_receptive_field`."""
        return unet_receptive_field(self.depth, self.kernel_size, self.n_convs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.size_multiple
        if x.shape[-1] % m or x.shape[-2] % m:
            raise ValueError(
                f"input of size {tuple(x.shape[-2:])} is not a multiple of 2**depth={m}; "
                "pad it first (UNetSegmenter does this for you)."
            )
        skips = []
        for level, block in enumerate(self.down):
            x = block(x)
            if level < self.depth:
                skips.append(x)
                x = F.max_pool2d(x, 2)
        for upsample, block in zip(self.upsample, self.up):
            x = upsample(x)
            x = block(torch.cat([skips.pop(), F.relu(x)], dim=1))
        return self.head(x)


def _soft_dice_loss(logits, target, valid, eps=1e-5):
    """1 - mean soft Dice of the foreground classes (all classes but 0)."""
    probs = logits.float().softmax(dim=1)
    n_classes = probs.shape[1]
    onehot = F.one_hot(target.clamp(min=0), n_classes).permute(0, 3, 1, 2).to(probs.dtype)
    mask = valid.unsqueeze(1).to(probs.dtype)
    probs, onehot = probs * mask, onehot * mask
    dims = (0, 2, 3)
    inter = (probs * onehot).sum(dims)
    denom = probs.sum(dims) + onehot.sum(dims)
    dice = (2 * inter + eps) / (denom + eps)
    return 1 - dice[1:].mean() if n_classes > 1 else 1 - dice.mean()


class SegmentationLoss(nn.Module):
    """Pixel-wise segmentation losses; targets equal to ``IGNORE_INDEX`` (-1) are skipped.

    Parameters
    ----------
    loss : {"ce", "dice", "ce+dice"}, default="ce"
        ``"ce"``: cross-entropy, weighted by ``class_weight`` when given; ``"dice"``: one
        minus the soft Dice of the foreground classes; ``"ce+dice"``: their sum.
    class_weight : sequence of float, optional
        Weight of each class in the cross-entropy. As in the seed, the weighted per-pixel
        losses are averaged over pixels (not divided by the summed weights).

    Examples
    --------
    >>> import torch
    >>> crit = SegmentationLoss("ce+dice", class_weight=[1.0, 2.0])
    >>> logits = torch.zeros(1, 2, 8, 8, requires_grad=True)
    >>> crit(logits, torch.ones(1, 8, 8, dtype=torch.long)).backward()
    """

    def __init__(self, loss: str = "ce", class_weight: Sequence[float] | None = None):
        super().__init__()
        if loss not in _LOSSES:
            raise ValueError(f"loss={loss!r} is not supported; use one of {_LOSSES}.")
        self.loss = loss
        weight = (None if class_weight is None
                  else torch.as_tensor(class_weight, dtype=torch.float32))
        self.register_buffer("class_weight", weight)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        target = target.long()
        valid = target != IGNORE_INDEX
        total = logits.new_zeros((), dtype=torch.float32)
        if self.loss != "dice":
            # Per-pixel CE in float32 (safe under autocast), ignored pixels give 0.
            ce = F.cross_entropy(logits.float(), target, reduction="none",
                                 ignore_index=IGNORE_INDEX)
            if self.class_weight is not None:
                ce = ce * self.class_weight[target.clamp(min=0)]
            total = total + ce.sum() / valid.sum().clamp(min=1)
        if self.loss in ("dice", "ce+dice"):
            total = total + _soft_dice_loss(logits, target, valid)
        return total
