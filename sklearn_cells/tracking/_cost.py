"""The linking cost that adds area change and mask overlap to the distance moved.

laptrack accepts any metric of two coordinate rows, which scipy's ``cdist`` calls once per
pair of candidates; that is a Python call per pair, so the plain-distance cost uses
laptrack's built-in ``"sqeuclidean"`` instead, and this one is used only when an area or
overlap weight is set.
"""

from __future__ import annotations

import numpy as np


def pair_overlaps(a: np.ndarray, b: np.ndarray) -> dict:
    """``{(label_a, label_b): pixels in common}`` of two label frames (cells only)."""
    both = (a > 0) & (b > 0)
    la = a[both].astype(np.int64)
    lb = b[both].astype(np.int64)
    base = int(lb.max()) + 1 if lb.size else 1
    keys, counts = np.unique(la * base + lb, return_counts=True)
    return {(int(k // base), int(k % base)): int(c) for k, c in zip(keys, counts)}


class LinkCost:
    """Cost of linking two detections; rows are ``(y, x, log area, t, label)``.

    ``y`` and ``x`` are in units of the largest move, so that a pair farther apart than it
    costs ``inf`` and is never linked; otherwise the cost is the squared distance, plus
    ``area_weight`` times the squared log ratio of the areas (a division halves the area:
    ``log(2)**2 = 0.48``), plus ``overlap_weight`` times ``1 - IoU`` of the two masks.
    """

    def __init__(self, area_weight: float, overlap_weight: float, frames=None,
                 areas: dict | None = None, division: bool = False):
        self.area_weight = area_weight
        self.overlap_weight = overlap_weight
        self.division = division  # a daughter is expected to have half her mother's area
        self.frames = frames  # the label frames of one sequence, in time order
        self.areas = areas  # {(t, label): area}
        self._overlaps: dict = {}

    def _iou(self, t1: int, l1: int, t2: int, l2: int) -> float:
        key = (t1, t2)
        if key not in self._overlaps:  # once per frame pair, for all its cells
            self._overlaps[key] = pair_overlaps(self.frames[t1], self.frames[t2])
        common = self._overlaps[key].get((l1, l2), 0)
        if not common:
            return 0.0
        return common / (self.areas[t1, l1] + self.areas[t2, l2] - common)

    def __call__(self, u: np.ndarray, v: np.ndarray) -> float:
        d2 = (u[0] - v[0]) ** 2 + (u[1] - v[1]) ** 2
        if d2 >= 1.0:
            return np.inf
        if u[3] > v[3]:  # laptrack passes splitting candidates later-first
            u, v = v, u
        change = v[2] - u[2] + (np.log(2.0) if self.division else 0.0)
        cost = d2 + self.area_weight * change ** 2
        if self.overlap_weight:
            iou = self._iou(int(u[3]), int(u[4]), int(v[3]), int(v[4]))
            cost += self.overlap_weight * (1.0 - iou)
        return cost
