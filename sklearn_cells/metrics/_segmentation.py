"""Pixel metrics for segmentation masks, their scorers, and instance labelling.

The seed (004, Table 3) reports error rate, F1, "false white" and "white pixel accuracy".
All functions take label masks ``y_true`` and ``y_pred`` of equal shape, ``(H, W)`` or
``(n_frames, H, W)``, or lists of masks of any sizes (``y_pred[i]`` shaped as
``y_true[i]``); unless ``labels`` is given, any non-zero label counts as
foreground ("white"), so instance masks can be compared with binary predictions.
The scorers returned by :func:`segmentation_scorers` plug into ``GridSearchCV``/``cross_validate``
as ``scoring=`` for any estimator whose ``predict`` returns ``(n, H, W)`` masks.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from sklearn.metrics import make_scorer

__all__ = [
    "dice_score",
    "iou_score",
    "pixel_f1_score",
    "error_rate",
    "false_white_rate",
    "white_pixel_accuracy",
    "segmentation_report",
    "segmentation_scorers",
    "label_instances",
]


def _frame_list(y):
    """The 2-D masks of a list (or 1-D object array) of masks; None for one array."""
    if isinstance(y, np.ndarray) and y.dtype == object and y.ndim == 1:
        y = list(y)
    if isinstance(y, (list, tuple)) and y:
        try:
            frames = [np.asarray(m) for m in y]
        except ValueError:
            return None
        if all(m.ndim == 2 for m in frames):
            return frames
    return None


def check_labels(a: np.ndarray, name: str, fix: str) -> None:
    """Raise unless ``a`` holds integer labels (integers, booleans, or whole floats).

    ``name`` says which array it is in the message, ``fix`` what to pass instead.
    """
    if a.dtype.kind == "f" and not np.array_equal(a, np.round(a)):
        raise ValueError(f"{name} holds non-integer values; {fix}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold integer labels; got dtype {a.dtype}.")


def _check_dtype(a: np.ndarray, name: str) -> None:
    check_labels(a, name, "pass label masks, e.g. threshold probabilities first "
                          "(proba[:, 1] > 0.5).")


def check_frame_pairs(true: list, pred: list, unit: str = "frame") -> None:
    """Raise unless ``true`` and ``pred`` hold as many frames (called ``unit`` in the
    message), pairwise of one shape."""
    if len(true) != len(pred):
        raise ValueError(
            f"y_true has {len(true)} {unit}(s) but y_pred has {len(pred)}; pass one "
            f"prediction per true {unit}."
        )
    for i, (t, p) in enumerate(zip(true, pred)):
        if t.shape != p.shape:
            which = "y_true and y_pred" if len(true) == 1 else (
                f"y_true[{i}] and y_pred[{i}] (frame {i})")
            raise ValueError(
                f"{which} differ in shape: {t.shape} and {p.shape}. Pass one prediction "
                "of the same size per true frame."
            )


def _check_masks(y_true, y_pred):
    """Flattened masks, one row per frame: two 2-D arrays, or two lists of 1-D arrays
    when the masks are lists of frames (which may differ in size)."""
    true_list, pred_list = _frame_list(y_true), _frame_list(y_pred)
    if true_list is not None or pred_list is not None:
        true_list = true_list if true_list is not None else list(np.asarray(y_true))
        pred_list = pred_list if pred_list is not None else list(np.asarray(y_pred))
        check_frame_pairs(true_list, pred_list, unit="mask")
        for i, (t, p) in enumerate(zip(true_list, pred_list)):
            _check_dtype(t, f"y_true[{i}]")
            _check_dtype(p, f"y_pred[{i}]")
        return [t.ravel() for t in true_list], [p.ravel() for p in pred_list]
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {y_true.shape} and "
            f"{y_pred.shape}. Pass one predicted mask per true mask."
        )
    for name, a in (("y_true", y_true), ("y_pred", y_pred)):
        if a.ndim < 2:
            raise ValueError(
                f"{name} must be a mask (H, W) or masks (n, H, W); got shape {a.shape}."
            )
        _check_dtype(a, name)
    if y_true.ndim == 2:
        y_true, y_pred = y_true[None], y_pred[None]
    return y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_pred), -1)


def _counts(t, p) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame ``tp, fp, fn`` of boolean masks (rows of arrays, or lists of 1-D arrays)."""
    if isinstance(t, np.ndarray):
        return (np.sum(t & p, axis=1), np.sum(~t & p, axis=1), np.sum(t & ~p, axis=1))
    counts = np.array([[np.sum(a & b), np.sum(~a & b), np.sum(a & ~b)] for a, b in zip(t, p)])
    return counts[:, 0], counts[:, 1], counts[:, 2]


def _compare(yt, yp, fn):
    """``fn`` applied to each frame's masks: a 2-D array, or a list for lists of frames."""
    if isinstance(yt, np.ndarray):
        return fn(yt, yp)
    return [fn(a, b) for a, b in zip(yt, yp)]


def _overlap(y_true, y_pred, labels, reduction, kind, empty_score):
    if reduction not in ("frames", "pooled"):
        raise ValueError(f"reduction={reduction!r} is not supported; use 'frames' or 'pooled'.")
    yt, yp = _check_masks(y_true, y_pred)
    classes = [None] if labels is None else list(labels)
    if not classes:
        raise ValueError("labels is empty; pass at least one label or labels=None.")
    scores = []
    for c in classes:
        t = _compare(yt, yp, lambda a, b, c=c: a != 0 if c is None else a == c)
        p = _compare(yt, yp, lambda a, b, c=c: b != 0 if c is None else b == c)
        tp, fp, fn = _counts(t, p)
        if reduction == "pooled":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        num = 2 * tp if kind == "dice" else tp
        den = 2 * tp + fp + fn if kind == "dice" else tp + fp + fn
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(den > 0, num / np.maximum(den, 1), empty_score)
        scores.append(float(np.mean(s)))
    return float(np.mean(scores))


def dice_score(y_true, y_pred, *, labels=None, reduction: str = "frames",
               empty_score: float = 1.0) -> float:
    """Dice coefficient ``2 |T & P| / (|T| + |P|)`` of the foreground.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (H, W) or (n_frames, H, W)
    labels : sequence of int, optional
        Classes to score one against the rest, averaged (macro). Default: non-zero vs zero.
    reduction : {"frames", "pooled"}, default="frames"
        ``"frames"`` averages the per-frame Dice (what ``UNetSegmenter.score`` returns);
        ``"pooled"`` counts all pixels together (then equal to :func:`pixel_f1_score`).
    empty_score : float, default=1.0
        Score of a frame where both masks are empty (nothing to find, nothing found).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([[0, 1, 1, 0]]); p = np.array([[0, 1, 0, 0]])
    >>> round(dice_score(t, p), 3)
    0.667
    """
    return _overlap(y_true, y_pred, labels, reduction, "dice", empty_score)


def iou_score(y_true, y_pred, *, labels=None, reduction: str = "frames",
              empty_score: float = 1.0) -> float:
    """Intersection over union (Jaccard) ``|T & P| / |T | P|`` of the foreground.

    Parameters as in :func:`dice_score`.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([[0, 1, 1, 0]]); p = np.array([[0, 1, 0, 0]])
    >>> iou_score(t, p)
    0.5
    """
    return _overlap(y_true, y_pred, labels, reduction, "iou", empty_score)


def pixel_f1_score(y_true, y_pred) -> float:
    """Foreground F1 over all pixels, ``2TP / (2TP + FP + FN)`` (seed eq. 63).

    Pooled over every pixel of every frame (so frames with many cells weigh more than
    in :func:`dice_score`'s default); 1.0 when both are empty everywhere.

    Examples
    --------
    >>> import numpy as np
    >>> pixel_f1_score(np.array([[1, 1, 0]]), np.array([[1, 0, 0]]))
    0.6666666666666666
    """
    return _overlap(y_true, y_pred, None, "pooled", "dice", 1.0)


def _pixel_sum(values) -> int:
    return int(values.sum()) if isinstance(values, np.ndarray) else int(sum(v.sum() for v in values))


def _pixel_mean(values) -> float:
    """Mean over all pixels of all frames (frames of any sizes)."""
    if isinstance(values, np.ndarray):
        return float(np.mean(values))
    return _pixel_sum(values) / sum(v.size for v in values)


def error_rate(y_true, y_pred) -> float:
    """Fraction of pixels whose foreground/background call is wrong (seed Table 3).

    Examples
    --------
    >>> import numpy as np
    >>> error_rate(np.array([[1, 1, 0, 0]]), np.array([[1, 0, 0, 0]]))
    0.25
    """
    yt, yp = _check_masks(y_true, y_pred)
    return _pixel_mean(_compare(yt, yp, lambda t, p: (t != 0) != (p != 0)))


def false_white_rate(y_true, y_pred) -> float:
    """Fraction of all pixels wrongly called foreground, ``FP / n_pixels`` (seed "false white").

    Examples
    --------
    >>> import numpy as np
    >>> false_white_rate(np.array([[1, 0, 0, 0]]), np.array([[1, 1, 0, 0]]))
    0.25
    """
    yt, yp = _check_masks(y_true, y_pred)
    return _pixel_mean(_compare(yt, yp, lambda t, p: (t == 0) & (p != 0)))


def white_pixel_accuracy(y_true, y_pred) -> float:
    """Fraction of true foreground pixels found, ``TP / (TP + FN)`` (seed "WP accuracy").

    The pixel recall of the cells; 1.0 when there is no foreground in ``y_true``.

    Examples
    --------
    >>> import numpy as np
    >>> white_pixel_accuracy(np.array([[1, 1, 0, 0]]), np.array([[1, 0, 1, 0]]))
    0.5
    """
    yt, yp = _check_masks(y_true, y_pred)
    n = _pixel_sum(_compare(yt, yp, lambda t, p: t != 0))
    found = _pixel_sum(_compare(yt, yp, lambda t, p: (t != 0) & (p != 0)))
    return float(found / n) if n else 1.0


_METRICS = {
    # name: (function, greater_is_better)
    "dice": (dice_score, True),
    "iou": (iou_score, True),
    "pixel_f1": (pixel_f1_score, True),
    "error_rate": (error_rate, False),
    "false_white_rate": (false_white_rate, False),
    "white_pixel_accuracy": (white_pixel_accuracy, True),
}


def segmentation_report(y_true, y_pred) -> dict[str, float]:
    """All the metrics of this module in one dict (the seed's Table 3 and more).

    Examples
    --------
    >>> import numpy as np
    >>> sorted(segmentation_report(np.eye(4, dtype=int), np.eye(4, dtype=int)))[:3]
    ['dice', 'error_rate', 'false_white_rate']
    """
    return {name: f(y_true, y_pred) for name, (f, _) in _METRICS.items()}


def segmentation_scorers(names=None) -> dict:
    """Scorers for ``scoring=`` in ``GridSearchCV``/``cross_validate``.

    Error rate and false-white rate are losses: their scorers return the negated value
    (scikit-learn maximises scores), as ``"neg_mean_squared_error"`` does.

    Parameters
    ----------
    names : sequence of str, optional
        Any of ``"dice", "iou", "pixel_f1", "error_rate", "false_white_rate",
        "white_pixel_accuracy"``; default all.

    Examples
    --------
    >>> scoring = segmentation_scorers(["dice", "error_rate"])
    >>> sorted(scoring)
    ['dice', 'error_rate']
    """
    names = list(_METRICS) if names is None else list(names)
    unknown = [n for n in names if n not in _METRICS]
    if unknown:
        raise ValueError(f"unknown segmentation metric(s) {unknown}; choose from {list(_METRICS)}.")
    return {n: make_scorer(_METRICS[n][0], greater_is_better=_METRICS[n][1]) for n in names}


def label_instances(masks, *, connectivity: int = 1, min_size: int = 0,
                    foreground=None, seeds=None):
    """Label the objects of each foreground mask (cells for a tracker or instance metrics).

    Without ``seeds``, each connected component of the foreground is one object, so
    touching cells merge. With ``seeds`` (e.g. the cell interiors a U-Net predicts with
    ``instances="boundary"``), each connected component of the seeds is one object, grown
    over the foreground pixels that are nearest to it along the foreground (a watershed
    on the geodesic distance); foreground components without a seed are objects of their
    own. Touching cells whose seeds are apart thus stay apart.

    Parameters
    ----------
    masks : array-like of shape (H, W) or (n_frames, H, W), or list of 2-D masks
        Predicted masks; non-zero is foreground unless ``foreground`` is given. A list may
        hold masks of different sizes and gives a list.
    connectivity : {1, 2}, default=1
        1: pixels touching by an edge are connected (4-neighbourhood); 2: also by a corner.
    min_size : int, default=0
        Objects with fewer pixels are removed (set to 0).
    foreground : int, optional
        Only pixels equal to this label are foreground.
    seeds : array-like of bool, optional
        Seed pixels, shaped as ``masks`` (a list for a list); seeds outside the
        foreground are ignored.

    Returns
    -------
    labels : ndarray of int32, same shape as ``masks`` (a list for a list)
        0 for background, ``1..k`` for the ``k`` objects of each frame (numbered per frame).

    Examples
    --------
    >>> import numpy as np
    >>> label_instances(np.array([[1, 1, 0, 1]]))
    array([[1, 1, 0, 2]], dtype=int32)

    Two touching cells, told apart by their seeds:

    >>> cells = np.array([[1, 1, 1, 1, 1, 1]])
    >>> label_instances(cells, seeds=np.array([[1, 0, 0, 0, 0, 1]]))
    array([[1, 1, 1, 2, 2, 2]], dtype=int32)
    """
    if connectivity not in (1, 2):
        raise ValueError(f"connectivity={connectivity!r} must be 1 or 2.")
    if isinstance(min_size, bool) or not isinstance(min_size, (int, np.integer)) or min_size < 0:
        raise ValueError(f"min_size={min_size!r} must be a non-negative integer.")
    frames = _frame_list(masks)
    if frames is not None:
        seed_list = [None] * len(frames) if seeds is None else _frame_list(seeds)
        if seed_list is None or len(seed_list) != len(frames):
            raise ValueError("seeds must be a list of one seed mask per mask.")
        return [label_instances(m, connectivity=connectivity, min_size=min_size,
                                foreground=foreground, seeds=sd)
                for m, sd in zip(frames, seed_list)]
    masks = np.asarray(masks)
    if masks.ndim not in (2, 3):
        raise ValueError(f"masks must have shape (H, W) or (n_frames, H, W); got {masks.shape}.")
    if seeds is not None:
        seeds = np.asarray(seeds)
        if seeds.shape != masks.shape:
            raise ValueError(
                f"seeds must have the shape of masks, {masks.shape}; got {seeds.shape}."
            )
        seeds = (seeds != 0)[None] if masks.ndim == 2 else seeds != 0
    single = masks.ndim == 2
    frames = masks[None] if single else masks
    fg = frames != 0 if foreground is None else frames == foreground
    structure = ndimage.generate_binary_structure(2, connectivity)
    out = np.zeros(frames.shape, dtype=np.int32)
    for i, f in enumerate(fg):
        if seeds is None:
            lab, n = ndimage.label(f, structure=structure)
        else:
            lab, n = _grow_seeds(f, seeds[i] & f, structure)
        if min_size > 0 and n:
            sizes = np.bincount(lab.ravel())
            keep = sizes >= min_size
            keep[0] = False
            new_ids = np.zeros(n + 1, dtype=np.int32)
            new_ids[keep] = np.arange(1, keep.sum() + 1, dtype=np.int32)
            lab = new_ids[lab]
        out[i] = lab
    return out[0] if single else out


def _grow_seeds(fg: np.ndarray, seeds: np.ndarray, structure: np.ndarray):
    """Seeded labelling of one foreground mask: ``(labels, n_objects)``.

    The seeds' connected components grow one neighbourhood step at a time into the
    unlabelled foreground (a pixel reached by two objects in the same step goes to the
    higher label); what no seed reaches is labelled by its own connected components.
    """
    lab, n = ndimage.label(seeds, structure=structure)
    todo = fg & (lab == 0)
    while n and todo.any():
        grown = ndimage.grey_dilation(lab, footprint=structure, mode="constant", cval=0)
        new = todo & (grown > 0)
        if not new.any():
            break
        lab[new] = grown[new]
        todo &= ~new
    rest, n_rest = ndimage.label(todo, structure=structure)
    lab[todo] = rest[todo] + n
    return lab.astype(np.int32, copy=False), n + n_rest
