"""Linking detections into tracks with laptrack (linear assignment, gap closing, splitting).

laptrack solves the linking (Jaqaman et al. 2008: frame-to-frame assignment, then one
assignment that closes gaps and finds divisions); this module turns its graph into the
library's track table, one id per segment between divisions with ``parent_id`` for the
lineage, as the Cell Tracking Challenge format has it. laptrack's own table conversion
(``predict_dataframe``) takes minutes on 100,000 detections, so the graph is read here with
array operations instead (``benchmarks/bench_linking.py``).
"""

from __future__ import annotations

from itertools import chain

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_parameter_constraints

from ..base import int_at_least, real_in
from ..utils._optional import import_optional
from ._cost import LinkCost
from ._detections import measure_instances
from ._trajectories import tracks_to_trajectories
from ._validation import TRACK_COLUMNS, check_label_frames

__all__ = ["link_detections", "link_instances"]

LINK_CONSTRAINTS = {
    "max_distance": [real_in(0, None)],
    "max_gap": [int_at_least(0)],
    "divisions": ["boolean"],
    "area_weight": [real_in(0, None, closed="left")],
    "overlap_weight": [real_in(0, None, closed="left")],
}


def _laptrack_model(max_distance, max_gap, divisions, cost, division_cost):
    """The laptrack model: coordinates are in units of ``max_distance`` (cutoff 1)."""
    laptrack = import_optional("laptrack", "Cell tracking", "tracking")
    metric = "sqeuclidean" if cost is None else cost
    split_metric = "sqeuclidean" if cost is None else division_cost
    cutoff = 1.0 if cost is None else np.inf  # LinkCost returns inf beyond max_distance
    # Starting or ending a segment costs as much as a move of max_distance, so a gap is
    # closed whenever the cell reappears within reach (laptrack's default, a percentile of
    # the candidates' costs, left gaps open in scenes with few cells; same quality on PSC
    # and make_timelapse).
    return laptrack.LapTrack(
        segment_start_cost=1.0, segment_end_cost=1.0,
        metric=metric, cutoff=cutoff,
        gap_closing_metric=metric, gap_closing_cutoff=cutoff if max_gap > 0 else False,
        gap_closing_max_frame_count=max_gap + 1,
        splitting_metric=split_metric, splitting_cutoff=cutoff if divisions else False,
    )


def _segments(graph, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Segment of every detection, and parent segment (-1: none) of every segment.

    Detection ``offsets[frame] + index`` is laptrack's node ``(frame, index)``. A segment
    runs along edges whose source has one successor (a gap-closing edge too); the two
    successors of a division start two segments whose parent is the source's.
    """
    flat = chain.from_iterable(chain.from_iterable(graph.edges()))  # 3x np.array's speed
    nodes = np.fromiter(flat, dtype=np.int64).reshape(-1, 2, 2)
    src = offsets[nodes[:, 0, 0]] + nodes[:, 0, 1]
    dst = offsets[nodes[:, 1, 0]] + nodes[:, 1, 1]
    keep = np.bincount(src, minlength=n)[src] == 1
    head = np.arange(n)  # the first detection of each one's segment, by pointer jumping
    head[dst[keep]] = src[keep]
    while True:
        jumped = head[head]
        if np.array_equal(jumped, head):
            break
        head = jumped
    heads = np.flatnonzero(head == np.arange(n))  # in time order: nodes go frame by frame
    number = np.full(n, -1, dtype=np.int64)
    number[heads] = np.arange(len(heads))
    segment = number[head]
    parent = np.full(len(heads), -1, dtype=np.int64)
    parent[segment[dst[~keep]]] = segment[src[~keep]]
    return segment, parent


def _link_sequence(det, n_frames: int, params: dict, frames=None):
    """``(segment of each row, parent segment of each segment)`` of one sequence's rows."""
    scale = 1.0 / params["max_distance"]
    weights = params.get("area_weight", 0.0), params.get("overlap_weight", 0.0)
    columns = [det["y"].to_numpy() * scale, det["x"].to_numpy() * scale]
    cost = division_cost = None
    if any(weights):
        areas = det["area"].to_numpy(dtype=np.float64)
        labels = det["label"].to_numpy() if "label" in det else np.zeros(len(det))
        t = det["t"].to_numpy()
        columns += [np.log(np.maximum(areas, 1e-12)), t, labels]
        areas = dict(zip(zip(t.tolist(), labels.tolist()), areas.tolist()))
        cost = LinkCost(*weights, frames=frames, areas=areas)
        division_cost = LinkCost(*weights, frames=frames, areas=areas, division=True)
    coords_all = np.column_stack(columns)
    t = det["t"].to_numpy()
    order = np.argsort(t, kind="stable")
    counts = np.bincount(t, minlength=n_frames)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    coords = np.split(coords_all[order], offsets[1:-1])
    model = _laptrack_model(params["max_distance"], params["max_gap"], params["divisions"],
                            cost, division_cost)
    graph = model.predict(coords)
    segment_sorted, parent = _segments(graph, offsets, len(det))
    segment = np.empty_like(segment_sorted)
    segment[order] = segment_sorted
    return segment, parent


def _check_detections(detections):
    pd = import_optional("pandas", "Cell tracking", "tracking")
    if not isinstance(detections, pd.DataFrame):
        raise TypeError(f"detections must be a pandas DataFrame with columns t, y, x; got "
                        f"{type(detections).__name__}.")
    missing = [c for c in ("t", "y", "x") if c not in detections.columns]
    if missing:
        raise ValueError(f"detections lacks the columns {missing}; it needs one row per "
                         "cell and frame with its frame index t and centroid y, x.")
    t = detections["t"].to_numpy()
    if len(t) and (t.dtype.kind not in "iu" or t.min() < 0):
        raise ValueError("detections['t'] must hold frame indices: integers >= 0.")
    if not np.isfinite(detections[["y", "x"]].to_numpy(dtype=np.float64)).all():
        raise ValueError("detections has missing or infinite y or x; drop those rows.")


def _link_table(det, params: dict, frames_of=None):
    """Add ``track_id`` (1, 2, ... over all sequences) and ``parent_id`` to a copy of ``det``."""
    det = det.copy()
    groups = (det.groupby("sequence_id", sort=False).indices if "sequence_id" in det
              else {0: np.arange(len(det))})
    track = np.zeros(len(det), dtype=np.int64)
    parent_id = np.zeros(len(det), dtype=np.int64)
    next_id = 1
    for sid, rows in groups.items():
        part = det.iloc[rows]
        n_frames = int(part["t"].max()) + 1
        frames = None if frames_of is None else frames_of(sid)
        segment, parent = _link_sequence(part, n_frames, params, frames)
        track[rows] = segment + next_id
        parent_id[rows] = np.where(parent[segment] >= 0, parent[segment] + next_id, 0)
        next_id += len(parent)
    det["track_id"] = track
    det["parent_id"] = parent_id
    return det


def link_detections(detections, *, max_distance: float = 15.0, max_gap: int = 2,
                    divisions: bool = True, area_weight: float = 0.0):
    """Link detections (one row per cell and frame) into tracks with laptrack.

    The detections may come from any detector; :func:`link_instances` measures them on
    instance-label frames. See :func:`link_instances` for the parameters.

    Parameters
    ----------
    detections : pandas.DataFrame
        Columns ``t`` (integer frame index), ``y``, ``x``; ``area`` when
        ``area_weight > 0``; optional ``sequence_id`` (sequences are linked apart). Never
        modified.
    max_distance, max_gap, divisions, area_weight
        As in :func:`link_instances`.

    Returns
    -------
    tracks : pandas.DataFrame
        A copy of ``detections`` with ``track_id`` (1, 2, ..., one per segment between
        divisions, unique over all sequences) and ``parent_id`` (0: none), sorted by
        track and time; the index of ``detections`` is kept, so the rows join back.

    Examples
    --------
    >>> import pandas as pd
    >>> det = pd.DataFrame({"t": [0, 0, 1, 1], "y": [10.0, 50.0, 51.0, 12.0],
    ...                     "x": [10.0, 50.0, 49.0, 11.0]})
    >>> linked = link_detections(det)
    >>> linked["track_id"].tolist(), linked.index.tolist()
    ([1, 1, 2, 2], [0, 3, 1, 2])
    """
    params = dict(max_distance=max_distance, max_gap=max_gap, divisions=divisions,
                  area_weight=area_weight)
    validate_parameter_constraints(LINK_CONSTRAINTS, params, caller_name="link_detections")
    _check_detections(detections)
    if area_weight and "area" not in detections:
        raise ValueError("area_weight > 0 needs an 'area' column in detections.")
    if len(detections) == 0:
        return detections.assign(track_id=np.zeros(0, np.int64),
                                 parent_id=np.zeros(0, np.int64))
    tracks = _link_table(detections, params)
    return tracks.sort_values(["track_id", "t"], kind="stable")


def relabel_frames(frames: np.ndarray, tracks) -> np.ndarray:
    """New int32 frames in which each detection's pixels carry its ``track_id``."""
    out = np.zeros(frames.shape, dtype=np.int32)
    by_frame = tracks.groupby("frame", sort=False).indices
    labels, track_ids = tracks["label"].to_numpy(), tracks["track_id"].to_numpy()
    for i, rows in by_frame.items():
        lookup = np.zeros(int(frames[i].max()) + 1, dtype=np.int32)
        lookup[labels[rows]] = track_ids[rows]
        out[i] = lookup[frames[i]]
    return out


def link_instances(labels, *, max_distance: float = 15.0, max_gap: int = 2,
                   divisions: bool = True, area_weight: float = 0.0,
                   overlap_weight: float = 0.0, sequence_ids=None) -> Bunch:
    """Link the cells of instance-label frames into tracks.

    Centroids (mean pixel positions) and areas (pixel counts) of the cells are
    linked with laptrack's linear assignment (Jaqaman et al. 2008, as in TrackMate):
    frame-to-frame assignment, then one assignment that closes gaps and finds divisions.

    Parameters
    ----------
    labels : array-like of int of shape (n_frames, H, W), list of frames, or TimelapseFrames
        Instance labels (0 = background, one positive label per cell, in any order per
        frame), e.g. from :meth:`~sklearn_cells.image.UNetSegmenter.predict_instances` or
        :func:`~sklearn_cells.datasets.load_ctc_sequence`. Never modified. A frame
        without cells is allowed (tracks may bridge it as a gap); a single frame gives
        one-point tracks.
    max_distance : float, default=15.0
        Largest move, in pixels, between linked detections (per frame, and across a
        closed gap or from a mother to a daughter). On the PhC-C2DL-PSC silver truth
        link F1 is 0.997 from 10 to 25 pixels (cells move up to 10 pixels a frame and
        lie 9 or more apart).
    max_gap : int, default=2
        Frames a gap may span: a cell missed in up to this many frames is still one track
        (0: no gap closing).
    divisions : bool, default=True
        Find divisions: a mother's track ends and two daughter tracks start with
        ``parent_id`` set to it. False links each daughter as a new track or as the
        mother's continuation.
    area_weight : float, default=0.0
        Weight of the squared log area ratio added to the cost (the squared distance in
        units of ``max_distance``); 0 links by distance alone.
    overlap_weight : float, default=0.0
        Weight of ``1 - IoU`` of the two masks added to the cost. Area and overlap costs
        are computed per candidate pair in Python, several times slower than distance.
    sequence_ids : array-like of shape (n_frames,), optional
        The sequence of each frame; sequences are linked apart, and ``t`` counts frames
        within each. Taken from ``labels`` when it is a ``TimelapseFrames``.

    Returns
    -------
    result : sklearn.utils.Bunch
        - ``tracks``: pandas.DataFrame, one row per cell and frame, sorted by track and
          time: ``track_id`` (1, 2, ..., one per segment between divisions, numbered in
          order of first appearance, then of label), ``t``,
          ``y``, ``x`` (centroid, pixels), ``area``, ``parent_id`` (0: none), ``label``
          (the cell's label in ``labels``), ``frame`` (position in ``labels``), and
          ``sequence_id`` when sequences are given;
        - ``trajectories``: list of float arrays ``(n_steps, 2)`` of ``(x, y)``, one per
          track in ``track_ids`` order, gaps filled by linear interpolation
          (:func:`tracks_to_trajectories`);
        - ``track_ids``: ndarray, the track of each trajectory (sorted);
        - ``labels``: int32 frames like ``labels`` where each cell carries its
          ``track_id``.

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.zeros((3, 32, 32), dtype=np.int32)
    >>> for t in range(3):
    ...     frames[t, 4 + 2 * t:8 + 2 * t, 4:8] = 7          # one cell moving down
    ...     frames[t, 20:24, 20 + 2 * t:24 + 2 * t] = 3      # another moving right
    >>> result = link_instances(frames)
    >>> result.tracks[["track_id", "t", "label"]].values.tolist()
    [[1, 0, 3], [1, 1, 3], [1, 2, 3], [2, 0, 7], [2, 1, 7], [2, 2, 7]]
    >>> result.trajectories[1]  # (x, y) of the cell labelled 7
    array([[5.5, 5.5],
           [5.5, 7.5],
           [5.5, 9.5]])
    """
    params = dict(max_distance=max_distance, max_gap=max_gap, divisions=divisions,
                  area_weight=area_weight, overlap_weight=overlap_weight)
    validate_parameter_constraints(LINK_CONSTRAINTS, params, caller_name="link_instances")
    frames, sequences = check_label_frames(labels, sequence_ids)
    with_sequence = sequence_ids is not None or hasattr(labels, "sequence_ids")
    det = measure_instances(frames, sequences, with_sequence=with_sequence)
    positions = dict(sequences)
    frames_of = (lambda sid: frames[positions[sid]]) if overlap_weight else None
    tracks = _link_table(det, params, frames_of) if len(det) else det.assign(
        track_id=np.zeros(0, np.int64), parent_id=np.zeros(0, np.int64))
    columns = (TRACK_COLUMNS + ["label", "frame"]
               + (["sequence_id"] if with_sequence else []))
    tracks = tracks.sort_values(["track_id", "t"], kind="stable")[columns]
    tracks = tracks.reset_index(drop=True)
    trajectories, track_ids = tracks_to_trajectories(tracks, return_track_ids=True)
    return Bunch(tracks=tracks, trajectories=trajectories, track_ids=track_ids,
                 labels=relabel_frames(frames, tracks))
