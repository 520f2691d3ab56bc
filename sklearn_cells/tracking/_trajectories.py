"""From a track table to the library's trajectories: one ``(n_steps, 2)`` array per track."""

from __future__ import annotations

import numpy as np

from ._validation import check_track_table

__all__ = ["tracks_to_trajectories"]


def track_keys(tracks) -> list[str]:
    """Columns that name a track: ``track_id``, with ``sequence_id`` first if present."""
    return (["sequence_id"] if "sequence_id" in tracks.columns else []) + ["track_id"]


def tracks_to_trajectories(tracks, *, return_track_ids: bool = False):
    """Trajectories ``(n_steps, 2)`` of ``(x, y)``, one per track, gaps interpolated.

    Each track becomes one regularly sampled trajectory, as the trajectory transformers
    and classifiers expect: a frame the track misses (a closed gap) gets a linearly
    interpolated position. Tracks end at divisions, so a daughter's trajectory starts
    where her mother's ends (follow ``parent_id`` to join them).

    Parameters
    ----------
    tracks : pandas.DataFrame
        A track table (``track_id, t, y, x, area, parent_id``), e.g. from
        :func:`link_instances`. Never modified.
    return_track_ids : bool, default=False
        Also return the track id of each trajectory.

    Returns
    -------
    trajectories : list of ndarray of shape (n_steps, 2)
        In the order of ``(sequence_id,) track_id``; ``n_steps = last t - first t + 1``.
    track_ids : ndarray
        If ``return_track_ids``: the ``track_id`` of each trajectory.

    Examples
    --------
    >>> import pandas as pd
    >>> tracks = pd.DataFrame({"track_id": [1, 1], "t": [0, 2], "y": [0.0, 4.0],
    ...                        "x": [1.0, 1.0], "area": [9.0, 9.0], "parent_id": [0, 0]})
    >>> tracks_to_trajectories(tracks)
    [array([[1., 0.],
           [1., 2.],
           [1., 4.]])]
    """
    check_track_table(tracks)
    keys = track_keys(tracks)
    ordered = tracks.sort_values(keys + ["t"], kind="stable")
    t = ordered["t"].to_numpy(dtype=np.int64)
    xy = ordered[["x", "y"]].to_numpy(dtype=np.float64)
    codes = ordered.groupby(keys, sort=False).ngroup().to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(t) else np.zeros(0, int)
    ends = np.r_[starts[1:], len(t)]
    steps = np.diff(t)
    same = codes[1:] == codes[:-1]
    if np.any(same & (steps == 0)):
        bad = ordered.iloc[np.flatnonzero(same & (steps == 0))[0]]
        raise ValueError(
            f"track {bad['track_id']} has two rows at t={bad['t']}; a track is one cell, "
            "in one place per frame (give each daughter of a division its own track_id)."
        )
    trajectories = []
    for a, b in zip(starts.tolist(), ends.tolist()):
        times, points = t[a:b], xy[a:b]
        if times[-1] - times[0] + 1 != len(times):  # a closed gap: interpolate
            grid = np.arange(times[0], times[-1] + 1)
            points = np.column_stack([np.interp(grid, times, points[:, k]) for k in (0, 1)])
        trajectories.append(points.copy())
    if return_track_ids:
        return trajectories, ordered["track_id"].to_numpy()[starts]
    return trajectories
