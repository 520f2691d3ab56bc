"""Loading long-format track tables (one row per tracked point) as trajectories.

Tracking tools (TrackMate, trackpy, CELLMIA, ...) export tracks as a "long"
table: one row per point, with a track id, a time and coordinates. The
estimators in sklearn-cells take one ``(n_steps, n_dims)`` array per track
instead; :func:`tracks_from_frame` does that conversion and
:func:`load_tracks_csv` reads the table first.
"""

from __future__ import annotations

import os
import warnings
import zlib
from collections.abc import Sequence
from gzip import BadGzipFile
from typing import IO, Any
from zipfile import BadZipFile

import numpy as np
from sklearn.utils import Bunch

from ..trajectory._validation import check_trajectories
from ..utils._optional import import_optional

__all__ = ["load_tracks_csv", "tracks_from_frame"]

# Names recognised when a column is not given, compared case-insensitively and
# tried in this order. Label and group columns are deliberately NOT guessed:
# TrackMate's spot tables have a per-spot ``LABEL`` column ("ID0", "ID1", ...)
# that would be mistaken for a class label.
_TRACK_NAMES = ("track_id", "trackid", "track", "particle", "trajectory", "traj_id")
# FRAME (integer) is preferred over TrackMate's POSITION_T (physical units,
# float) so that duplicate and gap checks are exact; pass time_col to choose.
_TIME_NAMES = ("t", "time", "frame", "position_t")
_POSITION_NAMES = (("x", "y", "z"), ("position_x", "position_y", "position_z"))
# TrackMate (v7+) spot exports put 3 rows under the header: feature names,
# short names and units. They are recognised as leading rows whose position
# cells are all non-numeric text.
_MAX_HEADER_ROWS = 3
_FILL_GAPS = (None, "interpolate")


def _where(path_or_buffer) -> str:
    """`` 'path'`` for a named file, empty for a buffer (for messages)."""
    if isinstance(path_or_buffer, (str, os.PathLike)):
        return f" {os.fspath(path_or_buffer)!r}"
    return ""


def _show(value) -> str:
    """repr of a cell value without numpy's ``np.int64(...)`` wrapping."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _available(columns) -> str:
    names = [str(c) for c in columns]
    shown = ", ".join(repr(c) for c in names[:30])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 30 else "")


def _lookup(columns) -> dict[str, Any]:
    """Map lower-cased names to column labels (first one wins)."""
    table: dict[str, Any] = {}
    for col in columns:
        table.setdefault(str(col).strip().lower(), col)
    return table


def _check_named(df, col, argument: str):
    if col not in df.columns:
        raise ValueError(
            f"{argument}={col!r} is not a column of the table. Available columns: "
            f"{_available(df.columns)}."
        )
    return col


def _sep_hint(df) -> str:
    if df.shape[1] == 1:
        name = str(df.columns[0])
        for sep, shown in ((";", ";"), ("\t", "\\t"), (" ", " ")):
            if sep in name.strip():
                return (
                    f" The table has a single column {name!r}: is it separated by "
                    f"{shown!r}? Pass sep={shown!r}."
                )
    return ""


def _recognise(df, lookup, col, candidates, what: str, argument: str):
    """The named column if given (checked), else the first recognised candidate."""
    if col is not None:
        return _check_named(df, col, argument)
    col = next((lookup[n] for n in candidates if n in lookup), None)
    if col is None:
        raise ValueError(
            f"No {what} column was recognised (looked for "
            f"{', '.join(candidates)}, any case). Pass {argument}=<name>. "
            f"Available columns: {_available(df.columns)}.{_sep_hint(df)}"
        )
    return col


def _resolve_columns(df, track_col, time_col, position_cols):
    lookup = _lookup(df.columns)
    track_col = _recognise(df, lookup, track_col, _TRACK_NAMES, "track id", "track_col")
    time_col = _recognise(df, lookup, time_col, _TIME_NAMES, "time", "time_col")
    explicit = position_cols is not None
    if position_cols is None:
        for names in _POSITION_NAMES:
            if names[0] in lookup and names[1] in lookup:
                position_cols = [lookup[n] for n in names if n in lookup]
                break
        else:
            raise ValueError(
                "No position columns were recognised (looked for x, y[, z] and "
                "POSITION_X, POSITION_Y[, POSITION_Z], any case). Pass "
                "position_cols=[<x>, <y>, ...]. Available columns: "
                f"{_available(df.columns)}.{_sep_hint(df)}"
            )
    else:
        if isinstance(position_cols, (str, bytes)) or not isinstance(
            position_cols, Sequence
        ):
            raise TypeError(
                "position_cols must be a list of column names, for example "
                f"['x', 'y']; got {position_cols!r}."
            )
        position_cols = list(position_cols)
        if len(position_cols) == 0:
            raise ValueError("position_cols is empty; pass at least one column name.")
        for col in position_cols:
            _check_named(df, col, "position_cols entry")
        if len(set(position_cols)) != len(position_cols):
            raise ValueError(f"position_cols has repeated names: {position_cols}.")
    used = [track_col, time_col, *position_cols]
    if len(set(used)) != len(used):
        raise ValueError(
            f"The same column is used twice (track {track_col!r}, time {time_col!r}, "
            f"positions {position_cols}); pass distinct track_col, time_col and "
            "position_cols."
        )
    return track_col, time_col, position_cols, explicit


def _is_text(series) -> bool:
    return series.dtype == object or series.dtype.kind in "OSU" or str(
        series.dtype
    ).startswith(("str", "string"))


def _count_header_rows(pd, positions, time) -> int:
    """Leading rows whose position cells are all non-numeric text (TrackMate).

    Header rows turn every column into text, the time column included; a
    numeric time column means there are none (and text in a position column
    is then reported as non-numeric instead of being skipped).
    """
    if not _is_text(time) or not any(_is_text(positions[c]) for c in positions.columns):
        return 0
    n = 0
    for i in range(min(_MAX_HEADER_ROWS, len(positions))):
        row = positions.iloc[i]
        if not all(isinstance(v, str) and v.strip() for v in row):
            break
        if pd.to_numeric(row, errors="coerce").notna().any():
            break
        n += 1
    return n


def _blank(pd, series):
    """Missing cells: NaN/None or whitespace-only text."""
    missing = series.isna().to_numpy()
    if _is_text(series):
        text = series.astype(object).map(lambda v: isinstance(v, str) and not v.strip())
        missing = missing | text.to_numpy(dtype=bool)
    return missing


def _to_numeric(pd, series, track_values, column: str, advice: str, row: bool = False):
    """The column as numbers (NaN where blank) and its blank cells; error at a non-number."""
    blank = _blank(pd, series)
    numeric = pd.to_numeric(series.where(~blank), errors="coerce")
    bad = np.flatnonzero(numeric.isna().to_numpy() & ~blank)
    if bad.size:
        i = int(bad[0])
        where = f", row {_show(series.index[i])}) is not a number" if row else ")"
        raise ValueError(
            f"{column} is not numeric: value {_show(series.iloc[i])} "
            f"(track {_show(track_values[i])}{where}. {advice}"
        )
    return numeric, blank


def _to_float(pd, series, column, track_values) -> np.ndarray:
    """A position column as float64 (NaN where blank)."""
    numeric, _ = _to_numeric(
        pd, series, track_values, f"Position column {column!r}",
        "Fix or drop those rows, check the decimal mark and sep, or pass "
        "position_cols=[...] naming the coordinate columns.", row=True,
    )
    return numeric.to_numpy(dtype=np.float64, na_value=np.nan)


def _maybe_numeric(pd, series):
    """Undo the text dtype that TrackMate's header rows forced on a column."""
    if not _is_text(series) or series.isna().any():
        return series
    converted = pd.to_numeric(series, errors="coerce")
    if converted.isna().any():
        return series  # genuinely text (names, conditions)
    return converted


def _per_track_values(pd, series, order, starts, track_ids, argument):
    """One value of ``series`` per track; error if a track has several."""
    values = series.to_numpy()[order]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if (codes < 0).any():
        i = int(np.flatnonzero(codes < 0)[0])
        track = track_ids[np.searchsorted(starts, i, side="right") - 1]
        raise ValueError(
            f"{argument}={series.name!r} has missing values (first in track "
            f"{_show(track)}). Fill them or drop those tracks before loading."
        )
    lo = np.minimum.reduceat(codes, starts)
    hi = np.maximum.reduceat(codes, starts)
    mixed = np.flatnonzero(lo != hi)
    if mixed.size:
        k = int(mixed[0])
        stop = starts[k + 1] if k + 1 < len(starts) else len(codes)
        seen = [
            v.item() if isinstance(v, np.generic) else v
            for v in pd.unique(values[starts[k]:stop])[:5]
        ]
        raise ValueError(
            f"Track {_show(track_ids[k])} has more than one value in {argument}="
            f"{series.name!r}: {seen} ({mixed.size} track(s) affected). A track must "
            "have one label/group. If track ids are reused across files or "
            "conditions, make them unique first (for example by joining them "
            "with the condition) or pass the right track_col."
        )
    return np.asarray(uniques)[lo]


def _per_track_columns(pd, table, extra: dict, n_header: int, order, starts,
                       track_ids) -> dict[str, np.ndarray]:
    """One value per track of each column of ``extra`` (label_col, group_col)."""
    per_track = {}
    for argument, col in extra.items():
        series = table[col]
        if n_header:
            series = _maybe_numeric(pd, series)
        per_track[argument] = _per_track_values(pd, series, order, starts, track_ids, argument)
    return per_track


def _infer_dt(times: list[np.ndarray]) -> float | None:
    diffs = [np.diff(t) for t in times if len(t) > 1]
    if not diffs:
        return None
    d = np.round(np.concatenate(diffs).astype(np.float64), 9)
    values, counts = np.unique(d[d > 0], return_counts=True)
    return float(values[np.argmax(counts)]) if values.size else None


def _n_missing(t: np.ndarray, step: float) -> int:
    if len(t) < 2:
        return 0
    k = np.rint(np.diff(t) / step)
    return int(np.clip(k - 1, 0, None).sum())


def _fill_track(t: np.ndarray, x: np.ndarray, step: float, track):
    """Linearly interpolate positions at the missing multiples of ``step``."""
    d = np.diff(t).astype(np.float64)
    k = np.rint(d / step)
    off_grid = ~np.isclose(d, k * step, rtol=1e-6, atol=0.0) | (k < 1)
    if off_grid.any():
        i = int(np.flatnonzero(off_grid)[0])
        raise ValueError(
            f"Track {_show(track)} has a time difference of {d[i]:g} (from "
            f"{_show(t[i])} to {_show(t[i + 1])}) that is not a "
            f"multiple of dt={step:g}; fill_gaps='interpolate' only fills "
            "missing steps of a regular grid. Pass the right dt, or use "
            "fill_gaps=None and resample the trajectories instead."
        )
    if (k <= 1).all():
        return t, x, np.zeros(len(t), dtype=bool)
    offsets = np.concatenate([np.arange(int(n)) for n in k] + [np.zeros(1, int)])
    base = np.repeat(t, np.append(k.astype(int), 1)).astype(np.float64)
    new_t = base + offsets * step
    if np.issubdtype(t.dtype, np.integer) and float(step).is_integer():
        new_t = np.rint(new_t).astype(t.dtype)
    interpolated = offsets != 0
    grid, known = new_t.astype(np.float64), t.astype(np.float64)
    new_x = np.column_stack([np.interp(grid, known, x[:, j]) for j in range(x.shape[1])])
    return new_t, new_x, interpolated


def _check_params(min_length, fill_gaps, dt, return_X_y):
    if (
        isinstance(min_length, bool)
        or not isinstance(min_length, (int, np.integer))
        or min_length < 1
    ):
        raise ValueError(f"min_length must be an integer >= 1; got {min_length!r}.")
    if fill_gaps not in _FILL_GAPS:
        raise ValueError(
            f"fill_gaps must be None or 'interpolate'; got {fill_gaps!r}."
        )
    if dt is not None and not (
        isinstance(dt, (int, float, np.number))
        and np.isfinite(dt)
        and dt > 0
    ):
        raise ValueError(f"dt must be a positive number or None; got {dt!r}.")
    if not isinstance(return_X_y, (bool, np.bool_)):
        raise TypeError(f"return_X_y must be True or False; got {return_X_y!r}.")


def _check_frame(pd, df) -> None:
    """A non-empty DataFrame."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"df must be a pandas DataFrame; got {type(df).__name__}. For a file use "
            "load_tracks_csv(path)."
        )
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise ValueError(
            f"The track table is empty ({df.shape[0]} rows, {df.shape[1]} columns); "
            "expected one row per tracked point."
        )


def _drop_empty_positions(pd, table, position_cols: list, explicit: bool) -> list:
    """The position columns without the entirely empty ones (an unused ``z``)."""
    dropped_empty = [c for c in position_cols if _blank(pd, table[c]).all()]
    if dropped_empty:
        position_cols = [c for c in position_cols if c not in dropped_empty]
        if not position_cols:
            raise ValueError(
                f"All position columns {dropped_empty} are empty; pass "
                "position_cols=[...] naming columns that hold coordinates."
            )
        if explicit:
            warnings.warn(
                f"Position column(s) {dropped_empty} are entirely empty and were "
                "dropped.",
                UserWarning,
                stacklevel=3,
            )
    return position_cols


def _drop_untracked(pd, table, track_col, n_header: int):
    """The table without rows that have no track id, and the track id of each row."""
    track = table[track_col]
    no_track = _blank(pd, track)
    if no_track.all():
        raise ValueError(
            f"Track id column {track_col!r} is empty; pass track_col=<name> with the "
            "column that identifies tracks."
        )
    if no_track.any():
        # TrackMate's "all spots" export lists untracked spots with no TRACK_ID.
        warnings.warn(
            f"{int(no_track.sum())} row(s) with no track id in {track_col!r} were "
            "dropped (points not assigned to a track).",
            UserWarning,
            stacklevel=3,
        )
        keep = ~no_track
        table = table[keep]
        track = track[keep]
    if n_header:
        track = _maybe_numeric(pd, track)
    return table, track.to_numpy()


def _time_values(pd, time, time_col, track_values) -> np.ndarray:
    """The time column as numbers, checked to be present and finite."""
    time_num, time_blank = _to_numeric(
        pd, time, track_values, f"Time column {time_col!r}",
        "Convert times to numbers (frame index or seconds) or pass time_col=<name> naming a "
        "numeric time column.",
    )
    if time_blank.any():
        i = int(np.flatnonzero(time_blank)[0])
        raise ValueError(
            f"Time column {time_col!r} has {int(time_blank.sum())} missing value(s) "
            f"(first in track {_show(track_values[i])}). Drop those rows or pass another "
            "time_col."
        )
    time_values = time_num.to_numpy()
    if time_values.dtype.kind not in "iuf":
        time_values = time_values.astype(np.float64)
    if time_values.dtype.kind == "f" and not np.isfinite(time_values).all():
        raise ValueError(f"Time column {time_col!r} has infinite values.")
    return time_values


def _check_unique_times(codes_s, time_s, track_ids, track_col, time_col) -> None:
    """No time repeated within a track, on rows sorted by track then time."""
    same_track = codes_s[1:] == codes_s[:-1]
    dup = np.flatnonzero(same_track & (time_s[1:] == time_s[:-1]))
    if dup.size:
        examples = ", ".join(
            f"track {_show(track_ids[codes_s[i]])} at {time_col}={_show(time_s[i])}"
            for i in dup[:3]
        )
        raise ValueError(
            f"{dup.size} duplicate time point(s) within tracks ({examples}). Each "
            f"track may have one row per time in {time_col!r}. If track ids repeat "
            "across files or conditions, make them unique first; otherwise drop "
            f"duplicates (df.drop_duplicates([{track_col!r}, {time_col!r}])) or "
            "pass the right track_col/time_col."
        )


def _check_positions_present(pos_s, codes_s, time_s, track_ids, position_cols,
                             time_col) -> None:
    """No missing position, on rows sorted by track then time."""
    nan_rows = np.isnan(pos_s)
    if nan_rows.any():
        i, j = np.argwhere(nan_rows)[0]
        raise ValueError(
            f"Position column {position_cols[j]!r} has {int(nan_rows[:, j].sum())} "
            f"missing value(s) (first in track {_show(track_ids[codes_s[i]])} at "
            f"{time_col}={_show(time_s[i])}). Drop those rows (df.dropna(subset=...)), "
            "interpolate them, or leave the column out of position_cols."
        )


def _fill_gaps(times: list, data: list, track_ids, n_missing, step: float | None):
    """Tracks with their missing time steps interpolated, and masks of the inserted points."""
    if step is None:  # no track has two points: nothing to fill
        return times, data, [np.zeros(len(t), bool) for t in times]
    filled = [
        _fill_track(t, x, step, tid) if missing else (t, x, np.zeros(len(t), bool))
        for t, x, tid, missing in zip(times, data, track_ids, n_missing)
    ]
    return [f[0] for f in filled], [f[1] for f in filled], [f[2] for f in filled]


def _long_enough(data: list, min_length: int) -> np.ndarray:
    """Indices of the tracks with at least ``min_length`` points; warns about the others."""
    keep = np.array([len(x) >= min_length for x in data])
    if not keep.any():
        raise ValueError(
            f"No track has at least min_length={min_length} points (longest: "
            f"{max(len(x) for x in data)}). Lower min_length or check track_col."
        )
    if not keep.all():
        warnings.warn(
            f"{int((~keep).sum())} of {keep.size} track(s) have fewer than "
            f"min_length={min_length} points and were dropped.",
            UserWarning,
            stacklevel=3,
        )
    return np.flatnonzero(keep)


def tracks_from_frame(
    df,
    *,
    track_col: str | None = None,
    time_col: str | None = None,
    position_cols: Sequence[str] | None = None,
    label_col: str | None = None,
    group_col: str | None = None,
    min_length: int = 2,
    fill_gaps: str | None = None,
    dt: float | None = None,
    return_X_y: bool = False,
):
    """Convert a long-format track table (one row per point) to trajectories.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per tracked point. It is never modified.
    track_col : str, optional
        Track id column. By default the first of ``track_id``, ``trackid``,
        ``track``, ``particle`` (trackpy), ``trajectory``, ``traj_id`` that is
        present, compared case-insensitively (so TrackMate's ``TRACK_ID`` too).
    time_col : str, optional
        Time column. By default the first of ``t``, ``time``, ``frame``,
        ``position_t`` (any case). For TrackMate tables this picks the integer
        ``FRAME``; pass ``time_col="POSITION_T"`` for physical time.
    position_cols : list of str, optional
        Coordinate columns, in order. By default ``x, y[, z]`` or TrackMate's
        ``POSITION_X, POSITION_Y[, POSITION_Z]`` (any case). A position column
        that is entirely empty (for example an unused ``z``) is dropped; a
        ``z`` of zeros (TrackMate on 2-D images) is kept, pass
        ``position_cols=["POSITION_X", "POSITION_Y"]`` to drop it.
    label_col : str, optional
        Column with one class label per track (constant within a track). Never
        guessed, because TrackMate's per-spot ``LABEL`` column is not a class.
    group_col : str, optional
        Column with one group per track (donor, experiment, well, ...), for
        ``GroupKFold``. Never guessed.
    min_length : int, default=2
        Tracks with fewer points (after gap filling) are dropped with a
        ``UserWarning`` saying how many.
    fill_gaps : {None, "interpolate"}, default=None
        ``None`` keeps the points as they are (the ``times`` entry shows any
        gaps). ``"interpolate"`` inserts the missing time steps of a regular
        grid with spacing ``dt`` and linearly interpolated positions,
        so that every step of a trajectory is one ``dt`` apart (as
        recurrent models and velocity transforms assume).
    dt : float, optional
        Spacing of the time grid. By default the most common time difference
        between consecutive points over all tracks.
    return_X_y : bool, default=False
        If True, return ``(X, y, groups)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With keys

        - ``data``: list of float arrays ``(n_steps_i, n_dims)``, sorted by time;
        - ``target``: array with one label per track, or None;
        - ``groups``: array with one group per track, or None;
        - ``track_ids``: array of track ids, in order of first appearance;
        - ``times``: list of time arrays matching ``data``;
        - ``position_columns``: the columns used as coordinates;
        - ``time_column``, ``track_column``: the columns used;
        - ``dt``: the given or inferred grid spacing (None if no
          track has two points);
        - ``n_missing``: per track, the number of missing time steps before
          filling (gaps of ``k`` steps count ``k - 1``);
        - ``interpolated``: list of boolean masks of the inserted points, or
          None when ``fill_gaps=None``.

    (X, y, groups) : tuple
        If ``return_X_y`` is True; ``y`` and ``groups`` may be None.

    Raises
    ------
    ValueError
        For an empty table, columns that are missing or not recognised,
        non-numeric or missing times or positions, a time point repeated
        within a track, or a track with several labels or groups. Each message
        names the column or track and how to fix it.

    See Also
    --------
    load_tracks_csv : Read a CSV file and convert it.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"track_id": [1, 1, 1, 2, 2], "t": [1, 0, 2, 0, 1],
    ...                    "x": [1., 0., 2., 5., 6.], "y": [0., 0., 0., 1., 1.],
    ...                    "cond": ["a", "a", "a", "b", "b"]})
    >>> tracks = tracks_from_frame(df, label_col="cond")
    >>> tracks.data[0]
    array([[0., 0.],
           [1., 0.],
           [2., 0.]])
    >>> tracks.target
    array(['a', 'b'], dtype=object)
    """
    pd = import_optional("pandas", "Reading track tables", "io")
    _check_params(min_length, fill_gaps, dt, return_X_y)
    _check_frame(pd, df)
    track_col, time_col, position_cols, explicit = _resolve_columns(df, track_col, time_col,
                                                                    position_cols)
    extra = {}
    for argument, col in (("label_col", label_col), ("group_col", group_col)):
        if col is not None:
            extra[argument] = _check_named(df, col, argument)

    # Work on a selection only: the caller's frame is never written to.
    n_header = _count_header_rows(pd, df[position_cols], df[time_col])
    table = df.iloc[n_header:]
    if len(table) == 0:
        raise ValueError("The track table has a header but no data rows.")
    position_cols = _drop_empty_positions(pd, table, position_cols, explicit)
    table, track_values = _drop_untracked(pd, table, track_col, n_header)
    time_values = _time_values(pd, table[time_col], time_col, track_values)
    positions = np.column_stack([_to_float(pd, table[c], c, track_values) for c in position_cols])

    # Order by track (first appearance) then time, without a per-track loop.
    codes, uniques = pd.factorize(track_values, sort=False)
    track_ids = np.asarray(uniques)
    order = np.lexsort((time_values, codes))
    codes_s, time_s, pos_s = codes[order], time_values[order], positions[order]
    _check_unique_times(codes_s, time_s, track_ids, track_col, time_col)
    _check_positions_present(pos_s, codes_s, time_s, track_ids, position_cols, time_col)
    starts = np.concatenate([[0], np.flatnonzero(codes_s[1:] != codes_s[:-1]) + 1])

    per_track = _per_track_columns(pd, table, extra, n_header, order, starts, track_ids)

    times = np.split(time_s, starts[1:])
    data = np.split(pos_s, starts[1:])
    step = float(dt) if dt is not None else _infer_dt(times)
    n_missing = np.array(
        [_n_missing(t, step) if step else 0 for t in times], dtype=np.int64
    )
    interpolated = None
    if fill_gaps == "interpolate":
        times, data, interpolated = _fill_gaps(times, data, track_ids, n_missing, step)

    idx = _long_enough(data, min_length)
    data = check_trajectories([data[i] for i in idx], min_length=min_length, name="tracks")
    times = [times[i] for i in idx]
    if interpolated is not None:
        interpolated = [interpolated[i] for i in idx]
    target = per_track["label_col"][idx] if "label_col" in per_track else None
    groups = per_track["group_col"][idx] if "group_col" in per_track else None
    if return_X_y:
        return data, target, groups
    return Bunch(
        data=data,
        target=target,
        groups=groups,
        track_ids=track_ids[idx],
        times=times,
        position_columns=list(position_cols),
        time_column=time_col,
        track_column=track_col,
        dt=step,
        n_missing=n_missing[idx],
        interpolated=interpolated,
    )


def load_tracks_csv(
    path_or_buffer: str | os.PathLike | IO,
    *,
    track_col: str | None = None,
    time_col: str | None = None,
    position_cols: Sequence[str] | None = None,
    label_col: str | None = None,
    group_col: str | None = None,
    sep: str = ",",
    min_length: int = 2,
    fill_gaps: str | None = None,
    dt: float | None = None,
    return_X_y: bool = False,
):
    """Load a long-format track table (CSV, one row per point) as trajectories.

    The file is read with :func:`pandas.read_csv` (so ``.gz`` and other
    compressed files, URLs and open file objects work) and converted with
    :func:`tracks_from_frame`, whose parameters and return value are the same.
    TrackMate spot exports work as they are: ``TRACK_ID``, ``FRAME`` and
    ``POSITION_X/Y/Z`` are recognised and the three rows of names and units
    under its header are skipped.

    Parameters
    ----------
    path_or_buffer : str, path-like or file-like
        The CSV file.
    track_col, time_col, position_cols, label_col, group_col : optional
        Column names; see :func:`tracks_from_frame` for the names recognised
        when they are not given. Label and group columns are only used when
        named.
    sep : str, default=","
        Field separator (``"\\t"`` for tab-separated files).
    min_length : int, default=2
        Shorter tracks are dropped with a ``UserWarning``.
    fill_gaps : {None, "interpolate"}, default=None
        Linearly interpolate missing time steps; see :func:`tracks_from_frame`.
    dt : float, optional
        Time grid spacing; by default the most common time difference.
    return_X_y : bool, default=False
        If True, return ``(X, y, groups)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch` or tuple
        See :func:`tracks_from_frame`.

    Raises
    ------
    ValueError
        For an empty, binary, corrupt or truncated file, or rows with a
        different number of fields (the message names the file), and the
        errors of :func:`tracks_from_frame`.

    Examples
    --------
    >>> import io
    >>> csv = io.StringIO("TRACK_ID,FRAME,POSITION_X,POSITION_Y\\n"
    ...                   "0,0,1.0,2.0\\n0,1,1.5,2.5\\n1,0,4.0,4.0\\n1,1,4.0,5.0\\n")
    >>> tracks = load_tracks_csv(csv)
    >>> len(tracks.data), tracks.data[0].shape, tracks.position_columns
    (2, (2, 2), ['POSITION_X', 'POSITION_Y'])

    For the leukocyte tracks (one label and donor per track, z empty)::

        X, y, groups = load_tracks_csv("leuko_ghent_tracks.csv.gz",
                                       label_col="label", group_col="donor",
                                       return_X_y=True)
    """
    pd = import_optional("pandas", "Reading track tables", "io")
    _check_params(min_length, fill_gaps, dt, return_X_y)
    try:
        # low_memory=False: TrackMate's text header rows would otherwise give
        # mixed-type chunks and a DtypeWarning on large files.
        df = pd.read_csv(path_or_buffer, sep=sep, low_memory=False)
    except pd.errors.EmptyDataError as exc:
        raise ValueError(
            f"The track table{_where(path_or_buffer)} is empty (no header and no rows)."
        ) from exc
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"The track table{_where(path_or_buffer)} is not UTF-8 text ({exc}): is it a "
            "binary or corrupt file? For text in another encoding read it with "
            "pandas.read_csv(path, encoding=...) and pass the table to tracks_from_frame."
        ) from exc
    except (pd.errors.ParserError, EOFError, zlib.error, BadGzipFile, BadZipFile) as exc:
        # malformed rows, unterminated quotes, truncated or corrupt .gz/.zip files
        raise ValueError(
            f"Cannot parse the track table{_where(path_or_buffer)} as CSV with "
            f"sep={sep!r}: {str(exc).strip()}. The file is corrupt or truncated, or its rows have "
            "different numbers of fields; fix or re-export it."
        ) from exc
    return tracks_from_frame(
        df,
        track_col=track_col,
        time_col=time_col,
        position_cols=position_cols,
        label_col=label_col,
        group_col=group_col,
        min_length=min_length,
        fill_gaps=fill_gaps,
        dt=dt,
        return_X_y=return_X_y,
    )
