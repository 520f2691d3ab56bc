"""Synthetic electron-micrograph liposome cut-outs (seed 003).

The seed classifies cryo-EM cut-outs of liposomes by *lamellarity*
(unilamellar / multilamellar / uncertain) and *encapsulation* (full / empty /
uncertain); its section 4.8.4 draws artificial liposomes as distorted circles
on Perlin-noise backgrounds. :func:`make_liposomes` does the same, with the
properties the seed's harness depends on: one particle centred in each
cut-out with ``surround`` pixels of surroundings (where other particles may
appear), sizes that vary within and between classes, a binary mask per
particle, and the seed's class imbalance (Tables 1-2) by default.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from sklearn.utils import check_random_state

from ..image._particles import ParticleImages

__all__ = ["make_liposomes", "LIPOSOME_CLASSES"]

#: Classes of each task and their frequencies in the seed (Tables 1 and 2).
LIPOSOME_CLASSES: dict[str, dict[str, float]] = {
    "lamellarity": {"unilamellar": 0.8729, "multilamellar": 0.1212, "uncertain": 0.0059},
    "encapsulation": {"full": 0.9734, "uncertain": 0.0201, "empty": 0.0065},
}

# Median outer radius (pixels) of each class: multilamellar liposomes are the
# largest in the seed (Figs. 3-4), empty ones slightly smaller than full ones.
_RADIUS = {
    ("lamellarity", "unilamellar"): 15.0,
    ("lamellarity", "multilamellar"): 22.0,
    ("lamellarity", "uncertain"): 18.0,
    ("encapsulation", "full"): 17.0,
    ("encapsulation", "uncertain"): 17.0,
    ("encapsulation", "empty"): 15.0,
}

_BACKGROUND = 0.62  # grey level of vitreous ice
_MEMBRANE = 0.28  # darkening at the centre of a lipid bilayer


def _class_counts(n_samples: int, weights: np.ndarray) -> np.ndarray:
    """Counts proportional to ``weights`` summing to ``n_samples``.

    Every class with a positive weight gets at least one sample when there are
    enough samples, so that small data sets still contain all classes.
    """
    raw = weights * n_samples
    counts = np.floor(raw).astype(int)
    if n_samples >= np.count_nonzero(weights):
        counts[(counts == 0) & (weights > 0)] = 1
    while counts.sum() > n_samples:
        counts[np.argmax(counts)] -= 1
    order = np.argsort(-(raw - np.floor(raw)))
    i = 0
    while counts.sum() < n_samples:
        counts[order[i % len(order)]] += 1
        i += 1
    return counts


def _smooth_noise(shape: tuple[int, int], rng, octaves=(24, 12, 6)) -> np.ndarray:
    """Perlin-like fractal noise in about [-1, 1]: smoothly upsampled random grids."""
    import torch
    import torch.nn.functional as F

    out = np.zeros(shape)
    amplitude = 1.0
    for cell in octaves:
        grid = rng.standard_normal((shape[0] // cell + 3, shape[1] // cell + 3))
        size = (grid.shape[0] * cell, grid.shape[1] * cell)
        # bicubic upsampling of a coarse random grid (torch: much faster than scipy's spline zoom)
        up = F.interpolate(torch.from_numpy(grid)[None, None], size=size, mode="bicubic", align_corners=False)
        out += amplitude * up[0, 0, : shape[0], : shape[1]].numpy()
        amplitude *= 0.5
    return out / 1.5


class _NoiseTile:
    """Random crops (with flips) of one large noise field: fast backgrounds."""

    def __init__(self, rng, side: int, octaves=(24, 12, 6)):
        self.field = _smooth_noise((side, side), rng, octaves)
        self.rng = rng

    def crop(self, shape: tuple[int, int]) -> np.ndarray:
        side = self.field.shape[0]
        if max(shape) > side:  # rare huge cut-outs: draw fresh noise
            return _smooth_noise(shape, self.rng)
        top = self.rng.integers(0, side - shape[0] + 1)
        left = self.rng.integers(0, side - shape[1] + 1)
        out = self.field[top : top + shape[0], left : left + shape[1]]
        return out[:: self.rng.choice([-1, 1]), :: self.rng.choice([-1, 1])]


def _ellipse_radius(yy, xx, cy, cx, r, ecc, angle):
    """Distance-like field that equals ``r`` on an ellipse of mean radius ``r``."""
    dy, dx = yy - cy, xx - cx
    c, s = np.cos(angle), np.sin(angle)
    u, v = c * dx + s * dy, -s * dx + c * dy
    return np.hypot(u / (1 + ecc), v / (1 - ecc))


def _ring(dist, radius, width, depth):
    return depth * np.exp(-0.5 * ((dist - radius) / width) ** 2)


def _draw_liposome(canvas, cy, cx, r, rng, *, n_rings=1, fill=0.0, core=1.0):
    """Darken ``canvas`` in place with a liposome; return its mask (membrane included).

    Only the window around the liposome is computed, which keeps the
    generator fast for large surroundings.
    """
    ecc, angle = rng.uniform(0.0, 0.12), rng.uniform(0, np.pi)
    width = rng.uniform(0.9, 1.4)
    reach = r * 1.15 + 4 * width + 2
    top, left = max(0, int(cy - reach)), max(0, int(cx - reach))
    bottom = min(canvas.shape[0], int(cy + reach) + 2)
    right = min(canvas.shape[1], int(cx + reach) + 2)
    mask = np.zeros(canvas.shape, bool)
    if bottom <= top or right <= left:
        return mask
    window = canvas[top:bottom, left:right]
    yy, xx = np.mgrid[top:bottom, left:right].astype(float)
    dist = _ellipse_radius(yy, xx, cy, cx, r, ecc, angle)
    if fill:
        # encapsulated material: a dense interior, possibly filling only a core
        inside = 1.0 / (1.0 + np.exp((dist - core * (r - 1.5)) / 0.8))
        window -= fill * inside * (1 + 0.15 * rng.standard_normal(window.shape))
    spacing = rng.uniform(3.0, 4.5)
    for k in range(n_rings):
        ring_r = r - k * spacing
        if ring_r < 2.5:
            break
        # inner lamellae are slightly off-centre, as in real multilamellar vesicles
        jitter = rng.normal(0, 0.4, 2) * k
        d = dist if k == 0 else _ellipse_radius(yy, xx, cy + jitter[0], cx + jitter[1], r, ecc, angle)
        window -= _ring(d, ring_r, width, _MEMBRANE * rng.uniform(0.8, 1.1))
    mask[top:bottom, left:right] = dist <= r + 2.0 * width
    return mask


def _one_liposome(task, label, r, surround, noise, neighbours, rng, tiles):
    """Render one cut-out; return (uint8 image, bool mask)."""
    half = int(np.ceil(2.2 * r)) + surround + 2
    side = 2 * half + 1
    canvas = _BACKGROUND + 0.06 * tiles[0].crop((side, side))
    c = float(half)
    mask = np.zeros((side, side), bool)
    if task == "lamellarity":
        if label == "unilamellar":
            mask |= _draw_liposome(canvas, c, c, r, rng)
        elif label == "multilamellar":
            mask |= _draw_liposome(canvas, c, c, r, rng, n_rings=rng.integers(2, 5))
        elif rng.random() < 0.5:  # uncertain: two overlapping liposomes ...
            r2 = r * rng.uniform(0.6, 1.0)
            step = rng.uniform(0.5, 0.9) * (r + r2)
            theta = rng.uniform(0, 2 * np.pi)
            dy, dx = step * np.sin(theta) / 2, step * np.cos(theta) / 2
            mask |= _draw_liposome(canvas, c - dy, c - dx, r, rng, n_rings=rng.integers(1, 3))
            mask |= _draw_liposome(canvas, c + dy, c + dx, r2, rng)
        else:  # ... or a liposome partly covered by a dark ice blob
            mask |= _draw_liposome(canvas, c, c, r, rng, n_rings=rng.integers(1, 3))
            theta = rng.uniform(0, 2 * np.pi)
            by, bx = c + 0.8 * r * np.sin(theta), c + 0.8 * r * np.cos(theta)
            blob_r = r * rng.uniform(0.5, 0.9)
            yy, xx = np.mgrid[0:side, 0:side]
            wobble = 0.25 * blob_r * tiles[1].crop((side, side))
            blob = np.hypot(yy - by, xx - bx) + wobble < blob_r
            canvas[ndimage.gaussian_filter(blob.astype(float), 1.0) > 0.5] -= rng.uniform(0.3, 0.45)
            mask |= blob
    else:
        if label == "full":
            fill, core = rng.uniform(0.16, 0.3), 1.0
        elif label == "empty":
            fill, core = rng.uniform(0.0, 0.04), 1.0
        elif rng.random() < 0.5:  # uncertain: faint filling ...
            fill, core = rng.uniform(0.06, 0.12), 1.0
        else:  # ... or a dense core that does not fill the liposome
            fill, core = rng.uniform(0.16, 0.3), rng.uniform(0.35, 0.65)
        mask |= _draw_liposome(canvas, c, c, r, rng, fill=fill, core=core)
    # other particles in the surroundings (why the seed's "surround" mode does worse)
    for _ in range(rng.poisson(neighbours)):
        rn = r * rng.uniform(0.5, 1.3)
        theta = rng.uniform(0, 2 * np.pi)
        dist = (r + rn) * rng.uniform(1.25, 2.2)
        _draw_liposome(
            canvas, c + dist * np.sin(theta), c + dist * np.cos(theta), rn, rng,
            n_rings=rng.choice([1, 1, 1, 2, 3]),
            fill=rng.uniform(0.0, 0.25) if task == "encapsulation" else 0.0,
        )
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    top, bottom = max(0, rows[0] - surround), min(side, rows[-1] + surround + 1)
    left, right = max(0, cols[0] - surround), min(side, cols[-1] + surround + 1)
    canvas, mask = canvas[top:bottom, left:right], mask[top:bottom, left:right]
    canvas = ndimage.gaussian_filter(canvas, 0.6) + noise * rng.standard_normal(canvas.shape)
    image = np.clip(canvas, 0, 1) * 255
    return np.rint(image).astype(np.uint8), mask.copy()


def make_liposomes(
    n_samples: int = 1000,
    *,
    task: str = "lamellarity",
    weights=None,
    surround: int = 50,
    noise: float = 0.08,
    neighbours: float = 1.0,
    size_scale: float = 1.0,
    random_state=None,
) -> tuple[ParticleImages, np.ndarray]:
    """Synthetic cryo-EM liposome cut-outs with masks, for seed 003's tasks.

    Each sample is one liposome, dark membrane(s) on a noisy Perlin-like grey
    background, centred in a cut-out that reaches ``surround`` pixels beyond
    its mask. Classes:

    - ``task="lamellarity"``: ``"unilamellar"`` (one membrane ring),
      ``"multilamellar"`` (2-4 concentric rings, larger particles),
      ``"uncertain"`` (two overlapping liposomes, or one partly covered by an
      ice blob).
    - ``task="encapsulation"``: ``"full"`` (dense interior), ``"empty"``
      (interior like the background), ``"uncertain"`` (faint or partial
      filling).

    Parameters
    ----------
    n_samples : int, default=1000
        Number of cut-outs.
    task : {"lamellarity", "encapsulation"}, default="lamellarity"
    weights : sequence of float, optional
        Class proportions in the order of ``LIPOSOME_CLASSES[task]``; default
        the seed's (Table 1: 87.3 / 12.1 / 0.59 %, Table 2: 97.3 / 2.0 /
        0.65 %). Counts are exact (rounded), with at least one sample per
        class when ``n_samples`` allows.
    surround : int, default=50
        Pixels of surroundings on each side of the particle's mask (50 in the
        seed; less saves memory).
    noise : float, default=0.08
        Standard deviation of the pixel noise (intensities in [0, 1]).
    neighbours : float, default=1.0
        Mean number of other liposomes in the surroundings.
    size_scale : float, default=1.0
        Multiplies all particle radii (median outer radii 15-22 pixels).
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ParticleImages
        uint8 images (0-255) with boolean masks; sizes vary per sample.
    y : ndarray of str, shape (n_samples,)
        Class labels.

    Examples
    --------
    >>> X, y = make_liposomes(20, surround=10, random_state=0)
    >>> len(X), sorted(set(y.tolist()))
    (20, ['multilamellar', 'uncertain', 'unilamellar'])
    """
    if task not in LIPOSOME_CLASSES:
        raise ValueError(f"Unknown task={task!r}; choose one of {sorted(LIPOSOME_CLASSES)}.")
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
    if not isinstance(surround, (int, np.integer)) or surround < 0:
        raise ValueError(f"surround must be a non-negative integer; got {surround!r}.")
    names = list(LIPOSOME_CLASSES[task])
    if weights is None:
        weights = list(LIPOSOME_CLASSES[task].values())
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (len(names),) or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(
            f"weights must be {len(names)} non-negative numbers, one per class of "
            f"{names}; got {weights.tolist()}."
        )
    rng = check_random_state(random_state)
    gen = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
    counts = _class_counts(int(n_samples), weights / weights.sum())
    y = np.repeat(np.array(names), counts)
    y = y[gen.permutation(len(y))]
    # one noise field per call, large enough for typical cut-outs
    side = int(min(768, 2 * (2 * surround + 4.4 * 25 * size_scale) + 32))
    tiles = (_NoiseTile(gen, side), _NoiseTile(gen, side, octaves=(8, 4)))
    images, masks = [], []
    for label in y:
        r = _RADIUS[(task, label)] * size_scale * np.exp(gen.normal(0, 0.25))
        r = float(np.clip(r, 6.0 * size_scale, 60.0 * size_scale))
        image, mask = _one_liposome(task, label, max(r, 4.0), int(surround), noise, neighbours, gen, tiles)
        images.append(image)
        masks.append(mask)
    return ParticleImages(images, masks, validate=False), y
