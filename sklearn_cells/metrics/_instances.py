"""Object-level (instance) segmentation metrics and their scorers.

Pixel metrics (:mod:`._segmentation`) cannot tell one cell split in two or two touching
cells merged into one from a good segmentation; the measures here compare *objects*:

- :func:`match_instances`: optimal one-to-one matching of true and predicted objects at
  IoU thresholds, with precision, recall, F1 and average precision as StarDist defines them
  (Schmidt et al. 2018; the ``matching`` function of the ``stardist`` package), which
  Cellpose reports too;
- :func:`seg_score`: the Cell Tracking Challenge SEG measure (Ulman et al. 2017).

Label images hold 0 for background and one positive integer per object; the values need
not be consecutive. Frames are matched independently (labels are per frame) and the
counts summed over frames.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from ._segmentation import check_frame_pairs, check_labels, label_instances

__all__ = [
    "match_instances",
    "seg_score",
    "make_instance_scorer",
    "instance_scorers",
]


def _as_frames(y, name: str) -> list[np.ndarray]:
    """One label image (H, W), a stack (n, H, W), or a list of 2-D frames of any sizes."""
    if isinstance(y, (list, tuple)) or (isinstance(y, np.ndarray) and y.dtype == object):
        if len(y) == 0:
            raise ValueError(f"{name} is empty; pass at least one label image.")
        frames = [np.asarray(f) for f in y]
        if not all(f.ndim == 2 for f in frames):
            frames = None  # a nested list of rows, read below as one array
    else:
        frames = None
    if frames is None:
        a = np.asarray(y)
        if a.ndim == 2:
            frames = [a]
        elif a.ndim == 3:
            frames = list(a)
        else:
            raise ValueError(
                f"{name} must be a label image (H, W), a stack (n, H, W) or a list of 2-D "
                f"label images; got shape {a.shape}."
            )
    for i, f in enumerate(frames):
        where = name if len(frames) == 1 else f"{name}[{i}]"
        check_labels(f, where, "pass instance labels (0 = background, one positive "
                               "integer per object), e.g. label_instances(proba > 0.5).")
        if f.size and f.min() < 0:
            raise ValueError(
                f"{where} holds negative labels (min {f.min()}); use 0 for background and "
                "positive integers for objects."
            )
    return frames


def _check_pairs(y_true, y_pred) -> list[tuple[np.ndarray, np.ndarray]]:
    true, pred = _as_frames(y_true, "y_true"), _as_frames(y_pred, "y_pred")
    check_frame_pairs(true, pred)
    return list(zip(true, pred))


def _check_thresholds(thresh) -> tuple[list[float], bool]:
    scalar = isinstance(thresh, numbers.Real)
    values = [thresh] if scalar else list(np.ravel(np.asarray(thresh, dtype=object)))
    if not values:
        raise ValueError("thresh is empty; pass an IoU threshold such as 0.5 or a list of them.")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 < v <= 1:
            raise ValueError(
                f"IoU thresholds must be numbers in (0, 1]; got {v!r}. Use e.g. thresh=0.5 "
                "or thresh=[0.5, 0.75, 0.9]."
            )
    return [float(v) for v in values], scalar


def _consecutive(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Relabel to 0 (background) and 1..k, so the overlap table is (k + 1) wide."""
    flat = labels.reshape(-1).astype(np.int64)
    top = int(flat.max()) if flat.size else 0
    if top <= 4 * flat.size + 1024:  # a lookup table: linear time, no sort
        present = np.bincount(flat, minlength=top + 1) > 0
        present[0] = True
        lut = np.cumsum(present) - 1
        return lut[flat], int(present.sum()) - 1
    ids, inverse = np.unique(flat, return_inverse=True)
    if ids[0] != 0:
        inverse = inverse + 1
    return inverse, int(np.count_nonzero(ids))


def _iou_table(t: np.ndarray, p: np.ndarray):
    """Pixel overlaps, IoU of every (true, predicted) object pair, and the true areas."""
    ti, n_true = _consecutive(t)
    pi, n_pred = _consecutive(p)
    overlap = np.bincount(ti * (n_pred + 1) + pi, minlength=(n_true + 1) * (n_pred + 1))
    overlap = overlap.reshape(n_true + 1, n_pred + 1)
    area_true, area_pred = overlap.sum(axis=1), overlap.sum(axis=0)
    inter = overlap[1:, 1:]
    union = area_true[1:, None] + area_pred[None, 1:] - inter
    iou = inter / np.maximum(union, 1)
    return inter, iou, area_true[1:]


def _match_counts(iou: np.ndarray, thresholds: list[float]):
    """(tp, sum of matched IoU) per threshold for one frame, as stardist's ``matching``."""
    n_true, n_pred = iou.shape
    n_matched = min(n_true, n_pred)
    out = []
    for thr in thresholds:
        if n_matched == 0:
            out.append((0, 0.0))
            continue
        # Maximise the number of pairs with IoU >= thr first, then the total IoU (StarDist's
        # cost): the IoU term sums to at most 1/2 over n_matched pairs, less than one match.
        costs = -(iou >= thr).astype(float) - iou / (2 * n_matched)
        rows, cols = linear_sum_assignment(costs)
        matched = iou[rows, cols]
        ok = matched >= thr
        out.append((int(np.count_nonzero(ok)), float(matched[ok].sum())))
    return out


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else 0.0


def match_instances(y_true, y_pred, *, thresh: float | Sequence[float] = 0.5,
                    empty_score: float = 1.0) -> dict | list[dict]:
    """Match true and predicted objects one-to-one at IoU thresholds and count them.

    For each frame, every pair of a true and a predicted object gets its intersection
    over union (IoU). The Hungarian algorithm (``scipy.optimize.linear_sum_assignment``)
    pairs objects one-to-one so as to maximise the number of pairs with
    ``IoU >= thresh`` (ties broken by the larger total IoU of all assigned pairs, those
    below the threshold included, as StarDist does); such a pair is a true
    positive, an unpaired predicted object a false positive, an unpaired true object a
    false negative. This is StarDist's ``matching`` (criterion ``"iou"``); counts are
    summed over frames before the ratios are taken (its ``matching_dataset``).

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (H, W) or (n_frames, H, W), or list of 2-D arrays
        Instance label images: 0 is background, each positive integer one object (the
        values need not be consecutive). A list may hold frames of different sizes;
        ``y_pred[i]`` must have the shape of ``y_true[i]``. Binary masks count as one
        object per frame: label them first with
        :func:`~sklearn_cells.metrics.label_instances`.
    thresh : float or sequence of float, default=0.5
        IoU threshold(s) in ``(0, 1]``. Above 0.5 the matching is unique; the
        customary range is 0.5 to 0.9.
    empty_score : float, default=1.0
        Value of every ratio when there is no object at all, in ``y_true`` nor in
        ``y_pred`` (nothing to find, nothing found). When only one side is empty the
        undefined ratio (precision without predictions, recall without true objects) is
        0, as in StarDist and scikit-learn's default ``zero_division``.

    Returns
    -------
    scores : dict, or list of dict (one per threshold) when ``thresh`` is a sequence
        - ``thresh``; ``tp``, ``fp``, ``fn``; ``n_true``, ``n_pred``: object counts;
        - ``precision`` ``tp / (tp + fp)``, ``recall`` ``tp / (tp + fn)``,
          ``f1`` ``2 tp / (2 tp + fp + fn)``;
        - ``average_precision`` ``tp / (tp + fp + fn)``: StarDist's "accuracy", the
          "average precision" of the StarDist and Cellpose papers;
        - ``mean_matched_iou``: mean IoU of the matched pairs (segmentation quality of
          what was found; 0 when nothing matched);
        - ``panoptic_quality``: sum of matched IoU over ``tp + fp / 2 + fn / 2``
          (Kirillov et al. 2019), which is ``f1 * mean_matched_iou``.

        ``pandas.DataFrame(match_instances(..., thresh=[0.5, 0.75]))`` makes a table.

    See Also
    --------
    seg_score : the Cell Tracking Challenge SEG measure.
    make_instance_scorer : any of these as a ``GridSearchCV`` scorer.

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[1, 1, 0, 2, 2, 2]])
    >>> y_pred = np.array([[5, 5, 0, 0, 7, 7]])   # object 2 found at IoU 2/3
    >>> s = match_instances(y_true, y_pred, thresh=[0.5, 0.8])
    >>> [(r["thresh"], r["tp"], r["fp"], r["fn"], r["f1"]) for r in s]
    [(0.5, 2, 0, 0, 1.0), (0.8, 1, 1, 1, 0.5)]
    >>> round(s[0]["mean_matched_iou"], 3)
    0.833
    """
    thresholds, scalar = _check_thresholds(thresh)
    pairs = _check_pairs(y_true, y_pred)
    n_true = n_pred = 0
    tp = np.zeros(len(thresholds), dtype=np.int64)
    iou_sum = np.zeros(len(thresholds))
    for t, p in pairs:
        _, iou, _ = _iou_table(t, p)
        n_true += iou.shape[0]
        n_pred += iou.shape[1]
        for k, (m, s) in enumerate(_match_counts(iou, thresholds)):
            tp[k] += m
            iou_sum[k] += s
    results = []
    for k, thr in enumerate(thresholds):
        m = int(tp[k])
        fp, fn = n_pred - m, n_true - m
        if n_true == 0 and n_pred == 0:
            ratios = dict.fromkeys(
                ("precision", "recall", "f1", "average_precision", "mean_matched_iou",
                 "panoptic_quality"), float(empty_score))
        else:
            ratios = {
                "precision": _ratio(m, m + fp),
                "recall": _ratio(m, m + fn),
                "f1": _ratio(2 * m, 2 * m + fp + fn),
                "average_precision": _ratio(m, m + fp + fn),
                "mean_matched_iou": _ratio(iou_sum[k], m),
                "panoptic_quality": _ratio(iou_sum[k], m + fp / 2 + fn / 2),
            }
        results.append({"thresh": thr, "tp": m, "fp": fp, "fn": fn, "n_true": n_true,
                        "n_pred": n_pred, **ratios})
    return results[0] if scalar else results


def seg_score(y_true, y_pred, *, empty_score: float = 1.0) -> float:
    """The Cell Tracking Challenge SEG measure: mean Jaccard index of the true objects.

    Each true (reference) object ``R`` is paired with the predicted object ``S`` that
    covers more than half of its pixels, ``|R & S| > 0.5 |R|`` (at most one can), and
    scores ``|R & S| / |R | S|``; 0 when no predicted object covers half of it. SEG is
    the mean over all true objects of all frames. False positives do not lower SEG:
    report it with the precision of :func:`match_instances`.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (H, W) or (n_frames, H, W), or list of 2-D arrays
        Instance label images as in :func:`match_instances`.
    empty_score : float, default=1.0
        Returned when ``y_true`` holds no object (SEG is undefined then).

    Returns
    -------
    seg : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[1, 1, 1, 1, 0, 2, 2]])
    >>> y_pred = np.array([[3, 3, 3, 0, 0, 4, 0]])   # object 2 only half covered
    >>> seg_score(y_true, y_pred)   # (3/4 + 0) / 2
    0.375
    """
    total, n = 0.0, 0
    for t, p in _check_pairs(y_true, y_pred):
        inter, iou, area_true = _iou_table(t, p)
        n += len(area_true)
        if inter.size:
            best = inter.argmax(axis=1)
            rows = np.arange(len(best))
            covered = 2 * inter[rows, best] > area_true
            total += float(iou[rows, best][covered].sum())
    return total / n if n else float(empty_score)


_INSTANCE_METRICS = ("f1", "precision", "recall", "average_precision", "mean_matched_iou",
                     "panoptic_quality", "seg")


def _predict_instances(estimator, X, connectivity: int, min_size: int):
    if hasattr(estimator, "predict_instances"):
        return estimator.predict_instances(X)
    masks = estimator.predict(X)
    if isinstance(masks, np.ndarray) and masks.dtype != object:
        return label_instances(masks, connectivity=connectivity, min_size=min_size)
    return [label_instances(m, connectivity=connectivity, min_size=min_size) for m in masks]


class _InstanceScorer:
    """Callable ``scorer(estimator, X, y)`` returning one instance metric."""

    def __init__(self, metric: str, thresh, connectivity: int, min_size: int):
        self.metric = metric
        self.thresh = thresh
        self.connectivity = connectivity
        self.min_size = min_size

    def __call__(self, estimator, X, y_true, sample_weight=None) -> float:
        if sample_weight is not None:
            raise ValueError("instance scorers do not support sample_weight.")
        y_pred = _predict_instances(estimator, X, self.connectivity, self.min_size)
        if self.metric == "seg":
            return seg_score(y_true, y_pred)
        scores = match_instances(y_true, y_pred, thresh=self.thresh)
        scores = [scores] if isinstance(scores, dict) else scores
        return float(np.mean([s[self.metric] for s in scores]))

    def __repr__(self) -> str:
        thresh = "" if self.metric == "seg" else f", thresh={self.thresh!r}"
        return f"make_instance_scorer({self.metric!r}{thresh})"


def make_instance_scorer(metric: str = "f1", *, thresh: float | Sequence[float] = 0.5,
                         connectivity: int = 1, min_size: int = 0):
    """A scorer of object-level segmentation quality for ``GridSearchCV``/``cross_validate``.

    The scorer calls ``estimator.predict_instances(X)`` when the estimator has it (label
    images, touching cells kept apart); otherwise it labels the connected components of
    ``estimator.predict(X)`` with :func:`~sklearn_cells.metrics.label_instances`, so any
    pixel segmenter can be scored. ``y`` must hold instance labels (one integer per cell).

    Parameters
    ----------
    metric : str, default="f1"
        One of ``"f1", "precision", "recall", "average_precision", "mean_matched_iou",
        "panoptic_quality"`` (from :func:`match_instances`) or ``"seg"``
        (:func:`seg_score`, which ignores ``thresh``).
    thresh : float or sequence of float, default=0.5
        IoU threshold(s) in ``(0, 1]``; with several, the score is the metric's mean over
        them (e.g. ``thresh=[0.5, 0.55, ..., 0.95]`` for a COCO-style mean AP).
    connectivity : {1, 2}, default=1
        Passed to ``label_instances`` in the ``predict`` fallback.
    min_size : int, default=0
        Passed to ``label_instances`` in the ``predict`` fallback: smaller components are
        dropped before matching (specks would otherwise count as false positives).

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y) -> float``, greater is better

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> class Threshold(BaseEstimator):
    ...     def fit(self, X, y=None): return self
    ...     def predict(self, X): return (np.asarray(X) > 0.5).astype(int)
    >>> X = np.array([[[0.9, 0.9, 0.1, 0.8]]]); y = np.array([[[1, 1, 0, 2]]])
    >>> make_instance_scorer("f1")(Threshold().fit(X), X, y)
    1.0
    """
    if metric not in _INSTANCE_METRICS:
        raise ValueError(
            f"unknown instance metric {metric!r}; choose from {list(_INSTANCE_METRICS)}."
        )
    _check_thresholds(thresh)
    if connectivity not in (1, 2):
        raise ValueError(f"connectivity={connectivity!r} must be 1 or 2.")
    if (isinstance(min_size, bool) or not isinstance(min_size, numbers.Integral)
            or min_size < 0):
        raise ValueError(f"min_size={min_size!r} must be a non-negative integer.")
    return _InstanceScorer(metric, thresh, connectivity, int(min_size))


def instance_scorers(names=None, *, thresh: float | Sequence[float] = 0.5,
                     connectivity: int = 1, min_size: int = 0) -> dict:
    """A dict of instance scorers for multi-metric ``scoring=``.

    Merge it with :func:`~sklearn_cells.metrics.segmentation_scorers` to report pixel and
    object scores in one ``cross_validate`` call.

    Parameters
    ----------
    names : sequence of str, optional
        Metrics as in :func:`make_instance_scorer`; default all.
    thresh, connectivity, min_size
        As in :func:`make_instance_scorer`, shared by all scorers.

    Examples
    --------
    >>> sorted(instance_scorers(["f1", "seg"]))
    ['f1', 'seg']
    """
    names = list(_INSTANCE_METRICS) if names is None else list(names)
    return {n: make_instance_scorer(n, thresh=thresh, connectivity=connectivity,
                                    min_size=min_size) for n in names}
