"""Post-processing of track tables: short tracks, gaps, divisions, lineage.

Each function takes a track table (``track_id, t, y, x, area, parent_id``; one row per
cell and frame) and returns a new one; ``parent_id`` stays consistent: it never names a
track that is not in the table.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils._param_validation import validate_parameter_constraints

from ..base import int_at_least, real_in
from ..utils._optional import import_optional
from ._trajectories import track_keys
from ._validation import check_track_table

__all__ = ["drop_short_tracks", "fill_gaps", "split_at_divisions"]


def _orphan_parents(tracks):
    """Set ``parent_id`` to 0 where the parent is no longer in the table (in place)."""
    keys = track_keys(tracks)
    present = set(map(tuple, tracks[keys].drop_duplicates().to_numpy().tolist()))
    parent_keys = tracks[keys[:-1] + ["parent_id"]].to_numpy().tolist()
    gone = np.array([p[-1] != 0 and tuple(p) not in present for p in parent_keys], bool)
    tracks.loc[gone, "parent_id"] = 0
    return tracks


def drop_short_tracks(tracks, min_length: int = 3):
    """Drop the tracks with fewer than ``min_length`` detections.

    Short tracks are mostly false detections and fragments of broken tracks. The
    daughters of a dropped track lose their parent (``parent_id`` 0); a mother keeps the
    daughter that is left.

    Parameters
    ----------
    tracks : pandas.DataFrame
        A track table; never modified.
    min_length : int, default=3
        Fewest rows (detected frames) a track must have to be kept.

    Returns
    -------
    tracks : pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> tracks = pd.DataFrame({"track_id": [1, 1, 1, 2], "t": [0, 1, 2, 1],
    ...                        "y": 0.0, "x": 0.0, "area": 4.0, "parent_id": 0})
    >>> drop_short_tracks(tracks, min_length=2)["track_id"].unique().tolist()
    [1]
    """
    validate_parameter_constraints({"min_length": [int_at_least(1)]},
                                   {"min_length": min_length}, caller_name="drop_short_tracks")
    check_track_table(tracks)
    keys = track_keys(tracks)
    size = tracks.groupby(keys, sort=False)["t"].transform("size").to_numpy()
    kept = tracks.loc[size >= min_length].copy()
    return _orphan_parents(kept).reset_index(drop=True)


def fill_gaps(tracks):
    """Insert the frames a track misses, with linearly interpolated ``y, x, area``.

    Linking with ``max_gap > 0`` bridges a cell missed in some frames; after this every
    track has one row per frame from its first to its last. A boolean ``interpolated``
    column marks the new rows; their other columns (``label``, ``frame``, ...) are left
    missing.

    Parameters
    ----------
    tracks : pandas.DataFrame
        A track table; never modified.

    Returns
    -------
    tracks : pandas.DataFrame
        Sorted by ``(sequence_id,) track_id, t``.

    Examples
    --------
    >>> import pandas as pd
    >>> tracks = pd.DataFrame({"track_id": [4, 4], "t": [0, 2], "y": [0.0, 2.0],
    ...                        "x": [5.0, 5.0], "area": [10.0, 20.0], "parent_id": [0, 0]})
    >>> fill_gaps(tracks)[["t", "y", "area", "interpolated"]].values.tolist()
    [[0, 0.0, 10.0, False], [1, 1.0, 15.0, True], [2, 2.0, 20.0, False]]
    """
    pd = import_optional("pandas", "Cell tracking", "tracking")
    check_track_table(tracks)
    keys = track_keys(tracks)
    ordered = tracks.sort_values(keys + ["t"], kind="stable").reset_index(drop=True)
    ordered["interpolated"] = False
    new_rows = []
    for key, group in ordered.groupby(keys, sort=False):
        t = group["t"].to_numpy()
        missing = np.setdiff1d(np.arange(t[0], t[-1] + 1), t)
        if not len(missing):
            continue
        rows = {c: np.interp(missing, t, group[c].to_numpy(dtype=float))
                for c in ("y", "x", "area")}
        rows.update({k: v for k, v in zip(keys, key if isinstance(key, tuple) else (key,))})
        rows.update(t=missing, parent_id=group["parent_id"].iloc[0], interpolated=True)
        new_rows.append(pd.DataFrame(rows))
    if not new_rows:
        return ordered
    filled = pd.concat([ordered] + new_rows, ignore_index=True)
    filled["interpolated"] = filled["interpolated"].astype(bool)
    return filled.sort_values(keys + ["t"], kind="stable").reset_index(drop=True)


def split_at_divisions(tracks, *, max_distance: float = 15.0,
                       max_area_ratio: float | None = None):
    """Find divisions in tracks linked without them, and split the mothers' tracks.

    A linker that does not model divisions (``link_instances(divisions=False)``,
    nearest-neighbour trackers) continues the mother into one daughter and starts the
    other daughter as a new track. Here every track that starts after the first frame,
    without a parent, within ``max_distance`` of a track that runs on through that frame
    (its position in the frame before) is taken as a daughter of that track: the running
    track is cut there, its rest becomes the other daughter, and both get it as
    ``parent_id`` (the rest's own daughters follow it). The nearest such track is taken;
    each track divides at most once per frame.

    Parameters
    ----------
    tracks : pandas.DataFrame
        A track table; never modified.
    max_distance : float, default=15.0
        Largest distance, in pixels, from the mother (the frame before) to a daughter.
    max_area_ratio : float, optional
        If set, both daughters must also be smaller than this fraction of the mother's
        area in the frame before (daughters of a division are about half as big), which
        keeps cells that merely appear next to another from being taken as daughters.

    Returns
    -------
    tracks : pandas.DataFrame
        With new ``track_id`` values for the split-off parts (above the largest one).

    Examples
    --------
    >>> import pandas as pd
    >>> tracks = pd.DataFrame({"track_id": [1, 1, 1, 2], "t": [0, 1, 2, 1],
    ...                        "y": [10.0, 8.0, 7.0, 13.0], "x": 10.0,
    ...                        "area": [40.0, 20.0, 20.0, 20.0], "parent_id": 0})
    >>> split_at_divisions(tracks)[["track_id", "t", "parent_id"]].values.tolist()
    [[1, 0, 0], [2, 1, 1], [3, 1, 1], [3, 2, 1]]
    """
    validate_parameter_constraints(
        {"max_distance": [real_in(0, None)],
         "max_area_ratio": [real_in(0, None), None]},
        {"max_distance": max_distance, "max_area_ratio": max_area_ratio},
        caller_name="split_at_divisions")
    check_track_table(tracks)
    keys = track_keys(tracks)
    out = tracks.sort_values(keys + ["t"], kind="stable").reset_index(drop=True)
    groups = out.groupby(keys[:-1], sort=False).indices if keys[:-1] else {0: np.arange(len(out))}
    next_id = int(out["track_id"].max()) + 1 if len(out) else 1
    for rows in groups.values():
        next_id = _split_sequence(out, rows, max_distance, max_area_ratio, next_id)
    return out.sort_values(keys + ["t"], kind="stable").reset_index(drop=True)


def _split_sequence(out, rows, max_distance, max_area_ratio, next_id) -> int:
    """Split the tracks of one sequence (``rows`` of ``out``) in place; return the next id."""
    track = out["track_id"].to_numpy()[rows].copy()
    parent = out["parent_id"].to_numpy()[rows].copy()
    t = out["t"].to_numpy()[rows]
    yx = out[["y", "x"]].to_numpy(dtype=float)[rows]
    area = out["area"].to_numpy(dtype=float)[rows]
    order = np.lexsort((t, track))
    ids, start = np.unique(track[order], return_index=True)
    first_t = dict(zip(ids.tolist(), t[order][start].tolist()))
    frames = np.unique(t)
    for t0 in frames[1:]:
        now, before = np.flatnonzero(t == t0), np.flatnonzero(t == t0 - 1)
        at_before = {track[k]: k for k in before}
        running = {track[j]: j for j in now if track[j] in at_before}
        for i in now:
            if first_t.get(track[i]) != t0 or parent[i] != 0 or not running:
                continue
            ids = list(running)
            dist = np.hypot(*(yx[[at_before[m] for m in ids]] - yx[i]).T)
            for k in np.argsort(dist, kind="stable"):
                m = ids[k]
                if dist[k] >= max_distance:
                    break
                if max_area_ratio is None or max(area[i], area[running[m]]) < (
                        max_area_ratio * area[at_before[m]]):
                    parent[parent == m] = next_id  # the mother's later daughters
                    rest = (track == m) & (t >= t0)
                    track[rest], parent[rest] = next_id, m
                    parent[track == track[i]] = m
                    del running[m]
                    next_id += 1
                    break
    out.loc[rows, "track_id"] = track
    out.loc[rows, "parent_id"] = parent
    return next_id

