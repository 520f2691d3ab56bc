"""Detections from instance-label frames: one row per cell and frame (centroid and area).

Also reads the track table of frames whose labels already follow the cells (ground truth:
:func:`~sklearn_cells.datasets.make_timelapse`, the Cell Tracking Challenge's masks).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..utils._optional import import_optional
from ._validation import TRACK_COLUMNS, check_label_frames

__all__ = ["tracks_from_labels"]


def _centroids(flat: np.ndarray, rows: np.ndarray, cols: np.ndarray):
    """Labels, centroid rows and columns, and areas of the objects of one flattened
    frame, in label order: three ``bincount`` passes, many times faster than a
    region-property table for frames of many cells."""
    area = np.bincount(flat)
    label = np.flatnonzero(area[1:]) + 1
    y = np.bincount(flat, weights=rows)[label] / area[label]
    x = np.bincount(flat, weights=cols)[label] / area[label]
    return label.astype(np.int64), y, x, area[label].astype(np.float64)


def measure_instances(frames: np.ndarray, sequences: list, *, with_sequence: bool):
    """Detection table of validated label frames (see :func:`check_label_frames`).

    Columns ``[sequence_id], t, label, y, x, area, frame``: ``t`` is the time within the
    sequence, ``frame`` the position in ``frames`` (to relabel it later).
    """
    pd = import_optional("pandas", "Cell tracking", "tracking")
    rows, cols = np.indices(frames.shape[1:]).reshape(2, -1)
    parts = []
    for sid, positions in sequences:
        for t, i in enumerate(positions):
            label, y, x, area = _centroids(frames[i].ravel().astype(np.intp), rows, cols)
            n = len(label)
            part = {
                "t": np.full(n, t, dtype=np.int64),
                "label": label,
                "y": y,
                "x": x,
                "area": area,
                "frame": np.full(n, i, dtype=np.int64),
            }
            if with_sequence:
                part = {"sequence_id": np.full(n, sid, dtype=object), **part}
            parts.append(part)
    columns = parts[0].keys()
    table = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in columns})
    if with_sequence:
        table["sequence_id"] = table["sequence_id"].infer_objects()
    return table


def tracks_from_labels(labels, *, parents: Mapping | None = None, sequence_ids=None):
    """Track table of label frames in which each cell keeps its label over time.

    Such frames are tracking ground truth: the Cell Tracking Challenge's ``TRA`` masks,
    silver-truth masks that keep a cell's label from frame to frame (PhC-C2DL-PSC's
    ``02_ST/SEG``), :func:`~sklearn_cells.datasets.make_timelapse` with
    ``instance_masks=True``, or the ``labels`` that :func:`link_instances` returns.
    Centroids are the mean pixel positions of each label, areas its pixel counts.

    Parameters
    ----------
    labels : array-like of int of shape (n_frames, H, W), or TimelapseFrames
        0 for background; the label of a cell is its track id.
    parents : mapping, optional
        ``{track_id: parent_track_id}`` for the daughters of a division (with
        ``sequence_ids``, keyed by ``(sequence_id, track_id)``). Other tracks get
        ``parent_id`` 0.
    sequence_ids : array-like of shape (n_frames,), optional
        The sequence of each frame (taken from ``labels`` when it is a
        ``TimelapseFrames``); adds a ``sequence_id`` column, and ``t`` counts frames
        within each sequence.

    Returns
    -------
    tracks : pandas.DataFrame
        One row per cell and frame: ``track_id, t, y, x, area, parent_id`` (and
        ``sequence_id``), sorted by sequence, track and time.

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((2, 8, 8), dtype=np.int32)
    >>> labels[0, 1:3, 1:3] = 5
    >>> labels[1, 2:4, 2:4] = 5
    >>> tracks_from_labels(labels)[["track_id", "t", "y", "x", "area"]].values.tolist()
    [[5.0, 0.0, 1.5, 1.5, 4.0], [5.0, 1.0, 2.5, 2.5, 4.0]]
    """
    frames, sequences = check_label_frames(labels, sequence_ids)
    with_sequence = sequence_ids is not None or hasattr(labels, "sequence_ids")
    table = measure_instances(frames, sequences, with_sequence=with_sequence)
    table = table.rename(columns={"label": "track_id"})
    keys = (list(zip(table["sequence_id"], table["track_id"])) if with_sequence
            else table["track_id"].tolist())
    parents = {} if parents is None else dict(parents)
    table["parent_id"] = np.array([parents.get(k, 0) for k in keys], dtype=np.int64)
    order = (["sequence_id"] if with_sequence else []) + ["track_id", "t"]
    columns = (["sequence_id"] if with_sequence else []) + TRACK_COLUMNS
    return table.sort_values(order, kind="stable")[columns].reset_index(drop=True)
