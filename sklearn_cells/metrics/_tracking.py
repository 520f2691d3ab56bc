"""Tracking measures: link and division precision and recall, and the Cell Tracking
Challenge's DET, TRA and LNK (through py-ctcmetrics, an optional dependency).

A tracking result here is a track table (``track_id, t, y, x, area, parent_id``, as
:func:`sklearn_cells.tracking.link_instances` returns) with its label frames, in which
every cell carries its ``track_id``. A computed cell is matched to a true one in the
same frame by the challenge's rule: it covers more than half of the true cell's pixels.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Sequence

import numpy as np

from ..tracking._cost import pair_overlaps
from ..tracking._validation import check_label_frames, check_track_table

__all__ = ["ctc_tracking_scores", "division_scores", "link_scores"]


def _check_pair(true_tracks, true_labels, pred_tracks, pred_labels):
    for name, tracks in (("true_tracks", true_tracks), ("pred_tracks", pred_tracks)):
        check_track_table(tracks, name=name)
        if "sequence_id" in tracks and tracks["sequence_id"].nunique() > 1:
            raise ValueError(f"{name} holds several sequences; score one at a time.")
    true_frames, _ = check_label_frames(true_labels)
    pred_frames, _ = check_label_frames(pred_labels)
    if true_frames.shape != pred_frames.shape:
        raise ValueError(f"true_labels and pred_labels differ in shape: {true_frames.shape} "
                         f"and {pred_frames.shape}.")
    return true_frames, pred_frames


def _match(true_frames, pred_frames) -> dict:
    """``{(t, pred label): (t, true label)}``, one-to-one by the >50 % coverage rule."""
    matches = {}
    for t, (a, b) in enumerate(zip(true_frames, pred_frames)):
        common = pair_overlaps(a, b)
        if not common:
            continue
        true_area = np.bincount(a.ravel())
        pairs = [(g, p) for (g, p), c in common.items() if 2 * c > true_area[g]]
        taken = np.unique([p for _, p in pairs], return_counts=True)
        once = set(taken[0][taken[1] == 1].tolist())  # a cell covering two is no match
        matches.update({(t, p): (t, g) for g, p in pairs if p in once})
    return matches


def _links(tracks) -> set:
    """Links ``((t, id), (t', id'))``: along each track, and mother's end to daughters."""
    ordered = tracks.sort_values(["track_id", "t"], kind="stable")
    tid, t = ordered["track_id"].to_numpy(), ordered["t"].to_numpy()
    same = tid[1:] == tid[:-1]
    links = set(zip(zip(t[:-1][same].tolist(), tid[:-1][same].tolist()),
                    zip(t[1:][same].tolist(), tid[1:][same].tolist())))
    return links | {(mother, first) for mother, firsts in _divisions(ordered).items()
                    for first in firsts}


def _divisions(ordered) -> dict:
    """``{mother's last node: frozenset of its daughters' first nodes}`` (any number)."""
    first = ordered.groupby("track_id").agg(t=("t", "min"), parent=("parent_id", "first"))
    last = ordered.groupby("track_id")["t"].max()
    out: dict = {}
    for track_id, row in first[first["parent"] != 0].iterrows():
        if row["parent"] in last.index:
            mother = (int(last[row["parent"]]), int(row["parent"]))
            out.setdefault(mother, set()).add((int(row["t"]), int(track_id)))
    return {k: frozenset(v) for k, v in out.items()}


def _scores(n_true_found: int, n_true: int, n_pred_right: int, n_pred: int) -> dict:
    precision = n_pred_right / n_pred if n_pred else float(n_true == 0)
    recall = n_true_found / n_true if n_true else float(n_pred == 0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "n_true": n_true,
            "n_pred": n_pred}


def link_scores(true_tracks, true_labels, pred_tracks, pred_labels) -> dict:
    """Precision, recall and F1 of the links between detections.

    A link joins a cell in one frame to the same cell in its next detected frame, or a
    mother's last detection to a daughter's first. A computed link is right when both
    its cells match true cells (more than half of the true cell covered, one to one)
    that the truth links.

    Parameters
    ----------
    true_tracks, pred_tracks : pandas.DataFrame
        Track tables of one sequence (``t`` indexes the frames).
    true_labels, pred_labels : array-like of int of shape (n_frames, H, W)
        Their frames, every cell labelled with its ``track_id``.

    Returns
    -------
    scores : dict
        ``precision``, ``recall``, ``f1``, ``n_true`` and ``n_pred`` (numbers of links).

    Examples
    --------
    >>> from sklearn_cells.tracking import link_instances, tracks_from_labels
    >>> import numpy as np
    >>> truth = np.zeros((3, 16, 16), dtype=np.int32)
    >>> for t in range(3):
    ...     truth[t, 2 + t:5 + t, 2:5], truth[t, 10:13, 9 + t:12 + t] = 1, 2
    >>> result = link_instances(truth)
    >>> link_scores(tracks_from_labels(truth), truth, result.tracks, result.labels)["f1"]
    1.0
    """
    true_frames, pred_frames = _check_pair(true_tracks, true_labels, pred_tracks, pred_labels)
    match = _match(true_frames, pred_frames)
    truth, pred = _links(true_tracks), _links(pred_tracks)
    right = sum((match.get(a), match.get(b)) in truth for a, b in pred)
    return _scores(right, len(truth), right, len(pred))


def division_scores(true_tracks, true_labels, pred_tracks, pred_labels) -> dict:
    """Precision, recall and F1 of the divisions found.

    A computed division is right when its mother's last cell matches the last cell of a
    true mother (same frame) and its daughters' first cells match that mother's true
    daughters' first cells. The challenge's BC(0) is this measure.

    Parameters
    ----------
    true_tracks, true_labels, pred_tracks, pred_labels
        As in :func:`link_scores`.

    Returns
    -------
    scores : dict
        ``precision``, ``recall``, ``f1``, ``n_true`` and ``n_pred`` (numbers of
        divisions).
    """
    true_frames, pred_frames = _check_pair(true_tracks, true_labels, pred_tracks, pred_labels)
    match = _match(true_frames, pred_frames)
    truth = _divisions(true_tracks.sort_values(["track_id", "t"], kind="stable"))
    pred = _divisions(pred_tracks.sort_values(["track_id", "t"], kind="stable"))
    right = sum(truth.get(match.get(m)) == frozenset(match.get(d) for d in ds)
                for m, ds in pred.items())
    return _scores(right, len(truth), right, len(pred))


def ctc_tracking_scores(true_tracks, true_labels, pred_tracks, pred_labels,
                        metrics: Sequence[str] = ("DET", "TRA", "LNK")) -> dict:
    """The Cell Tracking Challenge's measures, computed by py-ctcmetrics.

    Both results are written in the challenge's format to a temporary folder
    (:func:`~sklearn_cells.tracking.write_ctc_tracks`) and scored by the maintained
    reimplementation of the challenge's evaluation, ``py-ctcmetrics`` (``pip install
    py-ctcmetrics`` or ``'sklearn-cells[tracking-metrics]'``): DET (detection) and TRA
    (tracking) are ``1 - AOGM / AOGM_0``, the weighted count of graph operations that
    turn the computed tracking graph into the true one, relative to building it from
    nothing; LNK is its link part.

    Parameters
    ----------
    true_tracks, true_labels, pred_tracks, pred_labels
        As in :func:`link_scores`; the true labels play the challenge's ``TRA`` masks.
    metrics : sequence of str, default=("DET", "TRA", "LNK")
        Any of py-ctcmetrics' measures that need no ``SEG`` folder (``"CT"``, ``"TF"``,
        ``"BC"``, ``"CCA"``, ``"HOTA"``, ``"IDF1"``, ...).

    Returns
    -------
    scores : dict
        py-ctcmetrics' results, e.g. ``{"DET": 0.99, "TRA": 0.98, "AOGM": 12.5, ...}``.
    """
    try:
        from ctc_metrics.scripts.evaluate import evaluate_sequence
    except ImportError as exc:
        raise ImportError(
            "ctc_tracking_scores needs py-ctcmetrics: pip install py-ctcmetrics (or "
            "pip install 'sklearn-cells[tracking-metrics]')."
        ) from exc
    from ..tracking import write_ctc_tracks

    _check_pair(true_tracks, true_labels, pred_tracks, pred_labels)
    with tempfile.TemporaryDirectory() as tmp:
        write_ctc_tracks(f"{tmp}/01_GT", true_tracks, true_labels, truth=True)
        write_ctc_tracks(f"{tmp}/01_RES", pred_tracks, pred_labels)
        with contextlib.redirect_stdout(io.StringIO()):  # it prints its progress
            results = evaluate_sequence(f"{tmp}/01_RES", f"{tmp}/01_GT",
                                        metrics=list(metrics), threads=1)
    return {k: v for k, v in results.items() if v is not None}
