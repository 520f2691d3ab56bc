"""Cell instances for :class:`UNetSegmenter`: training targets from instance labels,
and labelled cells from the network's probabilities, with a size filter per frame."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..metrics._segmentation import label_instances

# The automatic min_size, as a share of the frame's typical cell area (the
# area-weighted median of its objects): specks are a small share of a cell, and
# cells of half the typical size (just divided) are kept.
MIN_SIZE_FRACTION = 0.25


def boundary_targets(labels: np.ndarray) -> np.ndarray:
    """Pixel classes of an instance label image: 0 background, 1 cell interior, 2 boundary.

    A boundary pixel is a cell pixel with one of its 8 neighbours outside the cell
    (background or another cell), so two touching cells are parted by a two-pixel band.
    The frame's edge is not a boundary.
    """
    high = ndimage.maximum_filter(labels, size=3, mode="nearest")
    low = ndimage.minimum_filter(labels, size=3, mode="nearest")
    cells = labels > 0
    out = cells.astype(np.int64)
    out[cells & ((high != labels) | (low != labels))] = 2
    return out


def holds_instance_labels(masks, n_classes: int) -> bool:
    """Whether masks of a two-class problem hold one label per cell (a label above 1)."""
    return n_classes == 2 and any(int(np.max(m, initial=0)) > 1 for m in masks)


def typical_area(labels: np.ndarray) -> float:
    """Area-weighted median object area of one label image (0 without objects).

    Weighting by area makes it the size of the object a random foreground pixel
    belongs to, which many tiny specks hardly move.
    """
    areas = np.bincount(labels.ravel())[1:]
    areas = np.sort(areas[areas > 0])
    if areas.size == 0:
        return 0.0
    cumulative = np.cumsum(areas)
    return float(areas[np.searchsorted(cumulative, cumulative[-1] / 2)])


def filter_small(labels: np.ndarray, min_size: int | str) -> tuple[np.ndarray, int]:
    """``labels`` without objects under ``min_size`` pixels ("auto": a share of the
    frame's :func:`typical_area`), renumbered ``1..k``; also the size used."""
    if isinstance(min_size, str):
        min_size = int(round(MIN_SIZE_FRACTION * typical_area(labels)))
    areas = np.bincount(labels.ravel())
    keep = areas >= min_size
    keep[0] = False
    renumber = np.zeros(len(areas), dtype=np.int32)
    renumber[keep] = np.arange(1, keep.sum() + 1)
    return renumber[labels], min_size


def instances_from_proba(proba: np.ndarray, boundary: bool) -> np.ndarray:
    """Unfiltered cells of one frame from the network's probabilities ``(K, H, W)``.

    With boundary targets, each connected group of interior pixels seeds a cell grown
    over the cell pixels nearest to it; otherwise the connected components of the
    most probable foreground are the cells.
    """
    if boundary:
        return label_instances(proba[0] < 0.5, seeds=proba[1] > 0.5)
    return label_instances(proba.argmax(0) > 0)
