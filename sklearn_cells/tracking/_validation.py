"""The validation door of the tracking functions: instance-label frames and track tables."""

from __future__ import annotations

import numpy as np

from ..image._temporal import TimelapseFrames, iter_sequences
from ..utils._optional import import_optional

TRACK_COLUMNS = ["track_id", "t", "y", "x", "area", "parent_id"]


def check_label_frames(labels, sequence_ids=None) -> tuple[np.ndarray, list]:
    """Validate instance-label frames; return them and ``[(sequence_id, positions)]``.

    ``labels`` is ``(n_frames, H, W)`` integers (0 = background, one positive label per
    cell), a list of such frames, or a :class:`~sklearn_cells.image.TimelapseFrames`
    (whose sequences are used unless ``sequence_ids`` is given). The frames of one
    sequence must share a size. Positions are sorted by time; the array is never copied
    unless a list had to be stacked, and never modified.
    """
    if sequence_ids is None and isinstance(labels, TimelapseFrames):
        order_source = labels
    else:
        order_source = None
    frames = labels.frames if isinstance(labels, TimelapseFrames) else labels
    if isinstance(frames, (list, tuple)):
        if len(frames) == 0:
            raise ValueError("labels is empty; pass at least one frame (n_frames, H, W).")
        items = [np.asarray(f) for f in frames]
        shapes = sorted({f.shape for f in items})
        if len(shapes) > 1:
            raise ValueError(
                f"the label frames have different shapes {shapes[:4]}; the frames of a "
                "sequence must share one size (crop or pad them to a common size)."
            )
        frames = np.stack(items)
    frames = np.asarray(frames)
    if frames.ndim == 2:
        raise ValueError(
            f"labels has shape {frames.shape}, one frame; pass (n_frames, H, W) label "
            "frames (labels[None] for a single frame)."
        )
    if frames.ndim != 3 or frames.shape[0] == 0:
        raise ValueError(
            f"labels must have shape (n_frames, H, W) with n_frames >= 1; got {frames.shape}."
        )
    if frames.dtype.kind not in "iu":
        raise TypeError(
            f"labels must hold integer instance labels; dtype {frames.dtype} is not an "
            "integer type. Pass labels.astype(np.int32) if the values are whole numbers, "
            "or label binary masks first (sklearn_cells.metrics.label_instances)."
        )
    if frames.dtype.kind == "i" and frames.size and frames.min() < 0:
        raise ValueError("labels has negative values; use 0 for background and 1, 2, ... "
                         "for the cells.")
    return frames, _sequences(frames, sequence_ids, order_source)


def _sequences(frames: np.ndarray, sequence_ids, source) -> list:
    n = len(frames)
    if source is not None:
        return [(sid, pos) for sid, pos, _ in iter_sequences(source)]
    if sequence_ids is None:
        return [(0, np.arange(n))]
    sequence_ids = np.asarray(sequence_ids)
    if sequence_ids.shape != (n,):
        raise ValueError(
            f"sequence_ids must have shape ({n},), one id per frame; got "
            f"{sequence_ids.shape}."
        )
    source = TimelapseFrames(np.zeros((n, 1, 1), np.uint8), sequence_ids)
    return [(sid, pos) for sid, pos, _ in iter_sequences(source)]


def check_track_table(tracks, *, name: str = "tracks"):
    """Raise unless ``tracks`` is a data frame with the track-table columns.

    Returns the table (not copied): callers copy before they change anything.
    """
    pd = import_optional("pandas", "Cell tracking", "tracking")
    if not isinstance(tracks, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame with columns {TRACK_COLUMNS}; got "
            f"{type(tracks).__name__}."
        )
    missing = [c for c in TRACK_COLUMNS if c not in tracks.columns]
    if missing:
        raise ValueError(
            f"{name} lacks the columns {missing}; a track table has {TRACK_COLUMNS} (one "
            "row per cell and frame, parent_id 0 for none), as link_instances returns."
        )
    return tracks
