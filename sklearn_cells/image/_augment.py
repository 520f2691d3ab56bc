"""Per-batch image augmentation on the training device, with kornia.

Seed 003 (section 5.5) augments every training image at random: rotation in
[-180, 180] degrees, shift up to 10 % of the size, shear up to 0.2, zoom in
[0.8, 1.0] and horizontal and vertical flips (each with probability 1/2).
:func:`make_augmentation` builds the same as a ``torch.nn.Module`` from
kornia, which transforms a whole batch ``(batch, C, H, W)`` on whatever
device it lives on (GPU included), so augmentation never leaves the device.
"""

from __future__ import annotations

import math

from torch import nn

__all__ = ["make_augmentation"]


def make_augmentation(
    *,
    rotation: float = 180.0,
    shift: float = 0.1,
    shear: float = 0.2,
    zoom: tuple[float, float] | None = (0.8, 1.0),
    hflip: bool = True,
    vflip: bool = True,
    padding_mode: str = "zeros",
) -> nn.Module | None:
    """Random affine transforms and flips as one kornia module.

    Each switch is off at 0 / ``None`` / ``False``; with everything off the
    function returns ``None``.

    Parameters
    ----------
    rotation : float, default=180.0
        Maximum rotation angle in degrees (uniform in ``[-rotation, rotation]``).
    shift : float, default=0.1
        Maximum translation as a fraction of height and width.
    shear : float, default=0.2
        Maximum shear angle in radians, the convention of the Keras version
        the seed used (0.2 rad is about 11.5 degrees), parallel to the x axis.
    zoom : (float, float) or None, default=(0.8, 1.0)
        Keras-style zoom range: a factor ``z`` in the range divides the
        image coordinates, so ``z < 1`` magnifies the content (at most
        ``1 / 0.8 = 1.25`` times by default, "zoom by a maximum of 20 %").
    hflip, vflip : bool, default=True
        Flip left-right / up-down with probability 1/2.
    padding_mode : {"zeros", "border", "reflection"}, default="zeros"
        What fills the pixels that a transform brings in from outside: zeros
        match masked inputs (``crop_mask``), "border" suits unmasked crops.

    Returns
    -------
    augmentation : torch.nn.Module or None
        Applies a different random transform to every image of a batch, in
        training and evaluation mode alike (callers decide when to use it).

    Raises
    ------
    ImportError
        If kornia is not installed (``pip install kornia``).

    Examples
    --------
    >>> import torch
    >>> aug = make_augmentation(rotation=90, shift=0.0, shear=0.0, zoom=None)
    >>> aug(torch.rand(8, 1, 28, 28)).shape
    torch.Size([8, 1, 28, 28])
    """
    try:
        import kornia.augmentation as K
    except ImportError as exc:  # pragma: no cover - kornia is in the test extras
        raise ImportError(
            "Augmentation uses kornia, which is not installed; run `pip install kornia` "
            "(or `pip install sklearn-cells[augment]`), or train with augment=False."
        ) from exc
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            f"padding_mode must be 'zeros', 'border' or 'reflection'; got {padding_mode!r}."
        )
    if rotation < 0 or shift < 0 or shear < 0:
        raise ValueError(
            f"rotation, shift and shear are maximum magnitudes and must be >= 0; got "
            f"rotation={rotation}, shift={shift}, shear={shear}."
        )
    if zoom is not None:
        low, high = zoom
        if not 0 < low <= high:
            raise ValueError(f"zoom must be (low, high) with 0 < low <= high; got {zoom!r}.")
    steps: list[nn.Module] = []
    affine = {}
    if shift:
        affine["translate"] = (float(shift), float(shift))
    if shear:
        affine["shear"] = math.degrees(float(shear))
    if zoom is not None and tuple(zoom) != (1.0, 1.0):
        affine["scale"] = (1.0 / float(zoom[1]), 1.0 / float(zoom[0]))
    if rotation or affine:
        steps.append(
            K.RandomAffine(float(rotation), padding_mode=padding_mode, p=1.0, **affine)
        )
    if hflip:
        steps.append(K.RandomHorizontalFlip(p=0.5))
    if vflip:
        steps.append(K.RandomVerticalFlip(p=0.5))
    return nn.Sequential(*steps) if steps else None
