"""Per-batch random affine augmentation in plain torch, on the training device.

Seed 003 (section 5.5) augments every training image at random: rotation in
[-180, 180] degrees, shift up to 10 % of the size, shear up to 0.2, zoom in
[0.8, 1.0] and horizontal and vertical flips (each with probability 1/2).
:class:`RandomAffine2d` does all of it with one sampling grid (what
``F.affine_grid`` computes) and one ``F.grid_sample`` per batch: one 2x3
matrix per image composes the five transforms (a flip is a sign change), so
a batch ``(batch, C, H, W)`` is resampled once, on whatever device it lives
on, with no optional dependency. It replaces kornia's sequential
``RandomAffine`` + two random flips: 4.4x less CPU time on a 32x1x28x28
batch, 3.7x on 8x1x128x128 (``benchmarks/results/augment_cpu.md``).
LipNetClassifier builds it from its augmentation switches.
"""

from __future__ import annotations

import math
import numbers

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["RandomAffine2d"]

_PADDING_MODES = ("zeros", "border", "reflection")


def _affine_theta(
    angle: torch.Tensor,
    shift_x: torch.Tensor,
    shift_y: torch.Tensor,
    shear: torch.Tensor,
    zoom: torch.Tensor,
    flip_x: torch.Tensor,
    flip_y: torch.Tensor,
    height: int,
    width: int,
) -> torch.Tensor:
    """``F.affine_grid`` matrices ``(batch, 2, 3)`` for ``align_corners=False``.

    Each argument is a tensor ``(batch,)``: ``angle`` and ``shear`` in
    radians, ``shift_x`` / ``shift_y`` as fractions of the width / height,
    ``zoom`` the Keras factor that multiplies the sampling coordinates,
    ``flip_x`` / ``flip_y`` signs (+1 or -1). In pixel units about the image
    centre (x right, y down) an output pixel ``p`` samples the input at
    ``R(angle) @ Shear(tan(shear)) @ zoom * Flip @ (p - shift)``: content moves
    by ``shift``, is magnified by ``1 / zoom`` and turns counter-clockwise as
    displayed for a positive angle (``angle=pi/2`` is ``torch.rot90(x, 1,
    (2, 3))``). The pixel-unit matrix is then rescaled to the normalised
    coordinates of ``affine_grid``, whose x and y units differ when
    ``height != width``.
    """
    cos, sin, k = torch.cos(angle), torch.sin(angle), torch.tan(shear)
    fx, fy = zoom * flip_x, zoom * flip_y
    # R @ [[1, k], [0, 1]] @ diag(fx, fy), in pixel units.
    m00, m01 = cos * fx, (cos * k - sin) * fy
    m10, m11 = sin * fx, (sin * k + cos) * fy
    # Pixel units are (width / 2, height / 2) normalised units (align_corners=False).
    aspect = height / width
    m01, m10 = m01 * aspect, m10 / aspect
    tx, ty = 2 * shift_x, 2 * shift_y  # normalised units
    row0 = torch.stack([m00, m01, -(m00 * tx + m01 * ty)], dim=-1)
    row1 = torch.stack([m10, m11, -(m10 * tx + m11 * ty)], dim=-1)
    return torch.stack([row0, row1], dim=-2)


def _affine_grid(theta: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``F.affine_grid(theta, (batch, C, height, width), align_corners=False)``, faster.

    One ``(2 batch, 2) @ (2, H W)`` product instead of affine_grid's batched
    product with a per-image ``(H W, 3)`` base grid: 4-7x less time on the
    CPU for 28x28 to 128x128 images, where affine_grid took most of the
    augmentation's time. The result is a permuted (non-contiguous) view,
    which ``F.grid_sample`` takes as it is.
    """
    n = theta.shape[0]
    kwargs = dict(device=theta.device, dtype=theta.dtype)
    # Pixel centres in normalised units (align_corners=False).
    xs = (2 * torch.arange(width, **kwargs) + 1) / width - 1
    ys = (2 * torch.arange(height, **kwargs) + 1) / height - 1
    base = torch.stack([xs.repeat(height), ys.repeat_interleave(width)])  # (2, H W)
    grid = torch.addmm(theta[:, :, 2].reshape(2 * n, 1), theta[:, :, :2].reshape(2 * n, 2), base)
    return grid.view(n, 2, height, width).permute(0, 2, 3, 1)


def _check_range(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number >= 0 (0 switches it off); got {value!r}.")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(
            f"{name} is a maximum magnitude and must be a finite number >= 0 (0 switches it "
            f"off); got {value!r}."
        )
    return float(value)


class RandomAffine2d(nn.Module):
    """Random rotation, shift, shear, zoom and flips of a batch of images.

    Every image of a batch ``(batch, C, H, W)`` gets its own transform,
    drawn on the batch's device from torch's global generator (so
    ``torch.manual_seed`` makes it reproducible), and the whole batch is
    resampled once with bilinear interpolation. Works for any number of
    channels, non-square images and any device. In evaluation mode
    (``module.eval()``) it returns its input unchanged, like dropout.

    Parameters
    ----------
    rotation : float, default=180.0
        Maximum rotation angle in degrees (uniform in ``[-rotation, rotation]``).
    shift : float, default=0.1
        Maximum translation as a fraction of width and height (each uniform
        in ``[-shift, shift]``).
    shear : float, default=0.2
        Maximum shear angle in radians (uniform in ``[-shear, shear]``),
        parallel to the x axis: x moves by ``tan(angle) * y``, as kornia's
        ``RandomAffine`` did. Must be below ``pi / 2``.
    zoom : (float, float) or None, default=(0.8, 1.0)
        Keras-style zoom range: a factor ``z`` drawn uniformly in the range
        multiplies the sampling coordinates, so ``z < 1`` magnifies the
        content (at most ``1 / 0.8 = 1.25`` times by default). ``None`` or
        ``(1, 1)`` switches it off.
    hflip, vflip : bool, default=True
        Flip left-right / up-down with probability 1/2.
    padding_mode : {"zeros", "border", "reflection"}, default="zeros"
        What fills the pixels that a transform brings in from outside the
        image, passed to ``F.grid_sample``.

    Notes
    -----
    The grid uses ``align_corners=False``, PyTorch's default: pixels are
    squares, the image spans ``[-1, 1]`` edge to edge, so rotation and zoom
    are about the true image centre and a shift of ``s`` moves the content
    by ``s * W`` pixels whatever the size. With it a 90-degree rotation of a
    square image or a flip maps pixel centres onto pixel centres, so the
    result equals ``torch.rot90`` / ``torch.flip`` up to float rounding.
    float16 and bfloat16 batches are resampled in float32 (a half-precision
    grid is off by up to 1e-3 of the size) and returned in their own dtype.

    Examples
    --------
    >>> import torch
    >>> aug = RandomAffine2d(rotation=30, zoom=None, hflip=False, vflip=False)
    >>> x = torch.rand(4, 3, 20, 28)
    >>> aug(x).shape
    torch.Size([4, 3, 20, 28])
    >>> aug.eval()(x) is x
    True
    """

    def __init__(
        self,
        rotation: float = 180.0,
        shift: float = 0.1,
        shear: float = 0.2,
        zoom: tuple[float, float] | None = (0.8, 1.0),
        hflip: bool = True,
        vflip: bool = True,
        padding_mode: str = "zeros",
    ):
        super().__init__()
        self.rotation = _check_range("rotation", rotation)
        self.shift = _check_range("shift", shift)
        self.shear = _check_range("shear", shear)
        if self.shear >= math.pi / 2:
            raise ValueError(
                f"shear is an angle in radians and must be below pi/2 (90 degrees, where the "
                f"shear is infinite); got {shear!r}. The seed used 0.2."
            )
        if zoom is not None:
            if (
                isinstance(zoom, (str, bytes))
                or not hasattr(zoom, "__len__")
                or len(zoom) != 2
                or any(isinstance(z, bool) or not isinstance(z, numbers.Real) for z in zoom)
            ):
                raise TypeError(
                    f"zoom must be a pair of numbers (low, high), e.g. (0.8, 1.0), or None; "
                    f"got {zoom!r}."
                )
            if not (0 < zoom[0] <= zoom[1] < math.inf):
                raise ValueError(
                    f"zoom must be (low, high) with 0 < low <= high; got {tuple(zoom)!r}. "
                    "Use (0.8, 1.0) for up to 1.25x magnification, or None for no zoom."
                )
            zoom = (float(zoom[0]), float(zoom[1]))
        self.zoom = zoom
        for name, value in (("hflip", hflip), ("vflip", vflip)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be True or False; got {value!r}.")
        self.hflip, self.vflip = hflip, vflip
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be 'zeros', 'border' or 'reflection'; got {padding_mode!r}."
            )
        self.padding_mode = padding_mode

    @property
    def is_identity(self) -> bool:
        """Whether every transform is switched off."""
        return not (
            self.rotation or self.shift or self.shear or self.hflip or self.vflip
            or (self.zoom is not None and self.zoom != (1.0, 1.0))
        )

    def extra_repr(self) -> str:
        return (
            f"rotation={self.rotation}, shift={self.shift}, shear={self.shear}, "
            f"zoom={self.zoom}, hflip={self.hflip}, vflip={self.vflip}, "
            f"padding_mode={self.padding_mode!r}"
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.is_identity:
            return x
        if x.ndim != 4:
            raise ValueError(
                f"RandomAffine2d takes a batch of images (batch, C, H, W); got a tensor of "
                f"shape {tuple(x.shape)}. Add the channel axis with x.unsqueeze(1)."
            )
        if not x.is_floating_point():
            raise TypeError(
                f"RandomAffine2d interpolates, so it needs floating-point images; got "
                f"{x.dtype}. Convert with x.float()."
            )
        dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
        # One float32 draw for all parameters: the same stream whichever
        # switches are on and whatever the dtype of the batch.
        u = torch.rand(7, x.shape[0], device=x.device).to(dtype)
        angle = math.radians(self.rotation) * (2 * u[0] - 1)
        shift_x, shift_y = self.shift * (2 * u[1] - 1), self.shift * (2 * u[2] - 1)
        shear = self.shear * (2 * u[3] - 1)
        low, high = self.zoom if self.zoom is not None else (1.0, 1.0)
        zoom = low + (high - low) * u[4]
        flip_x = 1 - 2 * (u[5] < 0.5).to(dtype) if self.hflip else torch.ones_like(u[5])
        flip_y = 1 - 2 * (u[6] < 0.5).to(dtype) if self.vflip else torch.ones_like(u[6])
        theta = _affine_theta(
            angle, shift_x, shift_y, shear, zoom, flip_x, flip_y, x.shape[2], x.shape[3]
        )
        grid = _affine_grid(theta, x.shape[2], x.shape[3])
        out = F.grid_sample(
            x.to(dtype), grid, mode="bilinear", padding_mode=self.padding_mode,
            align_corners=False,
        )
        return out.to(x.dtype)
