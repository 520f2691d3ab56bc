"""Loading TrackMate (Fiji) XML files as trajectories.

TrackMate writes two XML formats:

- the full model file (``File > Save`` in the TrackMate window; root element
  ``<TrackMate version=...>``): every spot with its features under
  ``<AllSpots>``, the tracks as links between spots (``<Edge
  SPOT_SOURCE_ID=... SPOT_TARGET_ID=...>``) under ``<AllTracks>``, and the ids
  of the tracks kept by the track filters under ``<FilteredTracks>``;
- the "simple" export (the ``Export tracks to XML file`` action; root element
  ``<Tracks nTracks=... spaceUnits=... frameInterval=... timeUnits=...>``):
  one ``<particle>`` per track with one ``<detection t= x= y= z=>`` per spot,
  ``t`` being the frame number.

:func:`load_trackmate_xml` streams either file with defusedxml's
``iterparse`` (model files can be hundreds of MB), builds a long table (one
row per spot) and hands it to
:func:`~sklearn_cells.datasets.tracks_from_frame`, so the result is the same
as :func:`~sklearn_cells.datasets.load_tracks_csv` gives for TrackMate's CSV
spot table. defusedxml refuses XML entities, which TrackMate never writes and
a crafted file can use to expand a few KB into gigabytes or to read other
files, whatever the protections of the Python build's expat.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import IO, Literal

import numpy as np
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse
from sklearn.utils import Bunch

from ..utils._optional import import_optional
from ._tracks import _check_params, tracks_from_frame

__all__ = ["load_trackmate_xml"]

_BRANCHING = ("raise", "longest")
_TIMES = ("frame", "physical")
_REQUIRED = object()
_FIX_BRANCH = (
    "A track that splits or merges is not one trajectory. Re-track with "
    "'Allow track splitting' and 'Allow track merging' unchecked (LAP "
    "tracker), or pass branching='longest' to keep the longest branch of "
    "each such track."
)
_FIX_RESAVE = (
    "The file is inconsistent (edited by hand or written by another tool?); "
    "open it in Fiji (TrackMate > Load a TrackMate file) and save it again."
)


def _describe(source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return repr(os.fspath(source))
    name = getattr(source, "name", None)
    return repr(name) if isinstance(name, str) else "<file object>"


def _attr(elem, name: str, what: str, where: str, default=_REQUIRED) -> float:
    """A numeric attribute of ``elem`` as float (clear error if bad)."""
    value = elem.get(name)
    if value is None:
        if default is _REQUIRED:
            raise ValueError(
                f"TrackMate XML file {where}: {what} has no {name} attribute. "
                f"{_FIX_RESAVE}"
            )
        return default
    try:
        return float(value)
    except ValueError:
        raise ValueError(
            f"TrackMate XML file {where}: {what} has {name}={value!r}, which is "
            f"not a number. {_FIX_RESAVE}"
        ) from None


def _int_attr(elem, name: str, what: str, where: str, default=_REQUIRED) -> int:
    value = _attr(elem, name, what, where, default=default)
    if value is None or isinstance(value, int):
        return value
    if not (np.isfinite(value) and float(value).is_integer()):
        raise ValueError(
            f"TrackMate XML file {where}: {what} has {name}={elem.get(name)!r}, "
            f"which is not an integer. {_FIX_RESAVE}"
        )
    return int(value)


def _text_attr(elem, name: str) -> str | None:
    value = elem.get(name)
    return value if value else None


def _float_or_none(value: str | None) -> float | None:
    try:
        out = float(value) if value is not None else None
    except ValueError:
        return None
    return out if out is not None and np.isfinite(out) and out > 0 else None


class _Spots:
    """Spot features kept by ID in flat lists (cheap for millions of spots)."""

    def __init__(self):
        self.index: dict[int, int] = {}
        self.frame: list[int] = []
        self.t: list[float] = []
        self.xyz: list[tuple[float, float, float]] = []

    def add(self, elem, frame_default, where):
        sid = _int_attr(elem, "ID", "a <Spot>", where)
        what = f"spot ID={sid}"
        if sid in self.index:
            raise ValueError(
                f"TrackMate XML file {where}: spot ID={sid} appears twice in "
                f"<AllSpots>. {_FIX_RESAVE}"
            )
        self.index[sid] = len(self.frame)
        default = _REQUIRED if frame_default is None else frame_default
        self.frame.append(_int_attr(elem, "FRAME", what, where, default=default))
        self.t.append(_attr(elem, "POSITION_T", what, where, default=np.nan))
        self.xyz.append(
            (
                _attr(elem, "POSITION_X", what, where),
                _attr(elem, "POSITION_Y", what, where),
                _attr(elem, "POSITION_Z", what, where, default=0.0),
            )
        )


def _parse_model(events: Iterator, root, where: str) -> dict:
    """Read a ``<TrackMate>`` model file (the rest of the iterparse stream)."""
    spots = _Spots()
    edges: dict[int, list[tuple[int, int]]] = {}
    names: dict[int, str | None] = {}
    filtered: list[int] | None = None
    meta = {"space_units": None, "time_units": None, "frame_interval": None}
    seen = set()
    stack = [root.tag]
    frame_default = None
    track = None
    for event, elem in events:
        tag = elem.tag
        if event == "start":
            parent = stack[-1]
            stack.append(tag)
            if tag == "Model" and parent == "TrackMate":
                seen.add(tag)
                meta["space_units"] = _text_attr(elem, "spatialunits")
                meta["time_units"] = _text_attr(elem, "timeunits")
            elif tag in ("AllSpots", "AllTracks") and parent == "Model":
                seen.add(tag)
            elif tag == "SpotsInFrame":
                frame_default = _int_attr(
                    elem, "frame", "a <SpotsInFrame>", where, default=None
                )
            elif tag == "Track" and parent == "AllTracks":
                track = _int_attr(elem, "TRACK_ID", "a <Track>", where)
                if track in edges:
                    raise ValueError(
                        f"TrackMate XML file {where}: TRACK_ID={track} appears "
                        f"twice in <AllTracks>. {_FIX_RESAVE}"
                    )
                edges[track] = []
                names[track] = _text_attr(elem, "name")
            elif tag == "FilteredTracks" and parent == "Model":
                filtered = [] if filtered is None else filtered
            elif tag == "ImageData" and parent == "Settings":
                meta["frame_interval"] = _float_or_none(elem.get("timeinterval"))
            continue
        stack.pop()
        parent = stack[-1] if stack else None
        if tag == "Spot" and parent == "SpotsInFrame":
            spots.add(elem, frame_default, where)
            elem.clear()
        elif tag == "Edge" and parent == "Track":
            what = f"an <Edge> of track {track}"
            edges[track].append(
                (
                    _int_attr(elem, "SPOT_SOURCE_ID", what, where),
                    _int_attr(elem, "SPOT_TARGET_ID", what, where),
                )
            )
            elem.clear()
        elif tag == "TrackID" and parent == "FilteredTracks":
            filtered.append(_int_attr(elem, "TRACK_ID", "a <TrackID>", where))
            elem.clear()
        elif tag in ("SpotsInFrame", "Track", "AllSpots", "AllTracks", "Log"):
            elem.clear()
    for tag in ("Model", "AllSpots", "AllTracks"):
        if tag not in seen:
            raise ValueError(
                f"TrackMate XML file {where} has no <{tag}> element; it is not a "
                "TrackMate model file, or one from an old TrackMate version. Open "
                "it in a current Fiji (TrackMate > Load a TrackMate file) and save "
                "it again, or use the 'Export tracks to XML file' action."
            )
    return {
        "spots": spots,
        "edges": edges,
        "names": names,
        "filtered": filtered,
        **meta,
    }


def _longest_path(nodes, pred, frame_of) -> list[int]:
    """Longest chain (most spots) of a frame-ordered DAG; ties: earliest spots."""
    order = sorted(nodes, key=lambda n: (frame_of(n), n))
    rank = {n: i for i, n in enumerate(order)}
    best: dict[int, int] = {}
    back: dict[int, int | None] = {}
    for n in order:
        if pred[n]:
            p = max(pred[n], key=lambda p: (best[p], -rank[p]))
            best[n], back[n] = best[p] + 1, p
        else:
            best[n], back[n] = 1, None
    end = max(order, key=lambda n: (best[n], -rank[n]))
    path = [end]
    while back[path[-1]] is not None:
        path.append(back[path[-1]])
    return path[::-1]


def _track_path(tid, name, links, spots: _Spots, branching, where):
    """Spot IDs of one track in time order, and the number of spots left out."""
    label = f"track {tid}" + (f" ({name})" if name else "")
    if not links:
        raise ValueError(
            f"TrackMate XML file {where}: {label} has no <Edge> elements, so no "
            f"spots. {_FIX_RESAVE} If TrackMate's track filters exclude it, "
            "filtered_only=True (the default) skips it."
        )
    index, frames = spots.index, spots.frame
    succ: dict[int, set[int]] = {}
    pred: dict[int, set[int]] = {}
    for a, b in links:
        for sid in (a, b):
            if sid not in index:
                raise ValueError(
                    f"TrackMate XML file {where}: an <Edge> of {label} refers to "
                    f"spot ID={sid}, which is not in <AllSpots>. {_FIX_RESAVE}"
                )
        fa, fb = frames[index[a]], frames[index[b]]
        if fa == fb:
            raise ValueError(
                f"TrackMate XML file {where}: {label} links spots ID={a} and "
                f"ID={b}, which are both in frame {fa}; a link must join "
                f"different frames. {_FIX_RESAVE}"
            )
        if fa > fb:  # orient every link forward in time
            a, b = b, a
        succ.setdefault(a, set()).add(b)
        pred.setdefault(b, set()).add(a)
        succ.setdefault(b, set())
        pred.setdefault(a, set())
    nodes = list(succ)
    starts = [n for n in nodes if not pred[n]]
    splits = [n for n in nodes if len(succ[n]) > 1]
    merges = [n for n in nodes if len(pred[n]) > 1]
    if not splits and not merges and len(starts) == 1:
        path = [starts[0]]
        while succ[path[-1]]:
            path.append(next(iter(succ[path[-1]])))
        return path, 0
    if branching == "raise":
        if splits or merges:
            first = min(splits + merges, key=lambda n: (frames[index[n]], n))
            raise ValueError(
                f"TrackMate XML file {where}: {label} splits {len(splits)} and "
                f"merges {len(merges)} time(s) (first at spot ID={first}, frame "
                f"{frames[index[first]]}). {_FIX_BRANCH}"
            )
        raise ValueError(
            f"TrackMate XML file {where}: {label} is not connected (its links form "
            f"{len(starts)} separate chains). {_FIX_RESAVE} Or pass "
            "branching='longest' to keep the longest chain."
        )
    path = _longest_path(nodes, pred, lambda n: frames[index[n]])
    return path, len(nodes) - len(path)


def _model_table(parsed, where, filtered_only, branching, time):
    spots: _Spots = parsed["spots"]
    edges, names, filtered = parsed["edges"], parsed["names"], parsed["filtered"]
    if not edges:
        raise ValueError(
            f"TrackMate XML file {where} contains no tracks (<AllTracks> is "
            "empty). Run the tracking step in TrackMate before saving."
        )
    keep = list(edges)
    if filtered_only and filtered is not None:
        unknown = [t for t in filtered if t not in edges]
        if unknown:
            raise ValueError(
                f"TrackMate XML file {where}: <FilteredTracks> lists TRACK_ID="
                f"{unknown[0]}, which is not in <AllTracks>. {_FIX_RESAVE}"
            )
        wanted = set(filtered)
        keep = [t for t in keep if t in wanted]
        if not keep:
            raise ValueError(
                f"TrackMate XML file {where}: none of its {len(edges)} track(s) "
                "passes TrackMate's track filters (<FilteredTracks> is empty). "
                "Pass filtered_only=False to load all tracks, or relax the "
                "filters in TrackMate and save again."
            )
    paths, dropped, pruned = [], {}, []
    for tid in keep:
        path, n_drop = _track_path(tid, names[tid], edges[tid], spots, branching, where)
        paths.append(path)
        dropped[tid] = n_drop
        if n_drop:
            pruned.append(tid)
    if pruned:
        shown = ", ".join(str(t) for t in pruned[:10])
        more = ", ..." if len(pruned) > 10 else ""
        warnings.warn(
            f"{len(pruned)} track(s) of {where} split, merge or are disconnected "
            f"(TRACK_ID {shown}{more}); kept the longest branch of each, dropping "
            f"{sum(dropped.values())} spot(s) in all.",
            UserWarning,
            stacklevel=3,
        )
    rows = np.fromiter(
        (spots.index[s] for path in paths for s in path),
        dtype=np.int64,
        count=sum(len(p) for p in paths),
    )
    ids = np.repeat(np.asarray(keep, dtype=np.int64), [len(p) for p in paths])
    xyz = np.asarray(spots.xyz, dtype=np.float64).reshape(-1, 3)[rows]
    if time == "frame":
        t = np.asarray(spots.frame, dtype=np.int64)[rows]
    else:
        t = np.asarray(spots.t, dtype=np.float64)[rows]
        if np.isnan(t).any():
            raise ValueError(
                f"TrackMate XML file {where}: some spots have no POSITION_T "
                "attribute, so time='physical' is not available. Pass "
                "time='frame'."
            )
    return ids, t, xyz, dropped


def _parse_simple(events: Iterator, root, where: str, time: str):
    """Read a ``<Tracks>`` file from the 'Export tracks to XML file' action."""
    meta = {
        "space_units": _text_attr(root, "spaceUnits"),
        "time_units": _text_attr(root, "timeUnits"),
        "frame_interval": _float_or_none(root.get("frameInterval")),
    }
    ids: list[int] = []
    frames: list[int] = []
    xyz: list[tuple[float, float, float]] = []
    stack = [root.tag]
    n_particles = 0
    start = 0
    for event, elem in events:
        tag = elem.tag
        if event == "start":
            stack.append(tag)
            if tag == "particle" and stack[-2] == "Tracks":
                start = len(frames)
            continue
        stack.pop()
        parent = stack[-1] if stack else None
        if tag == "detection" and parent == "particle":
            what = f"a <detection> of particle {n_particles}"
            frames.append(_int_attr(elem, "t", what, where))
            xyz.append(
                (
                    _attr(elem, "x", what, where),
                    _attr(elem, "y", what, where),
                    _attr(elem, "z", what, where, default=0.0),
                )
            )
            ids.append(n_particles)
            elem.clear()
        elif tag == "particle" and parent == "Tracks":
            own = frames[start:]
            if not own:
                raise ValueError(
                    f"TrackMate XML file {where}: particle {n_particles} (counting "
                    f"from 0) has no <detection> elements. {_FIX_RESAVE}"
                )
            if len(set(own)) != len(own):
                seen, repeated = set(), None
                for f in own:
                    if f in seen:
                        repeated = f
                        break
                    seen.add(f)
                raise ValueError(
                    f"TrackMate XML file {where}: particle {n_particles} (counting "
                    f"from 0) has several detections in frame {repeated}: the "
                    "track splits or merges, which the 'Export tracks to XML "
                    "file' format cannot represent. Save the full model instead "
                    "(File > Save in TrackMate) and load that with "
                    "branching='longest', or re-track with splitting and merging "
                    "disabled."
                )
            n_particles += 1
            elem.clear()
    if n_particles == 0:
        raise ValueError(
            f"TrackMate XML file {where} contains no tracks (no <particle> "
            "elements). Run the tracking step in TrackMate before exporting."
        )
    t = np.asarray(frames, dtype=np.int64)
    if time == "physical":
        if meta["frame_interval"] is None:
            raise ValueError(
                f"TrackMate XML file {where} has no valid frameInterval "
                f"(frameInterval={root.get('frameInterval')!r}), so "
                "time='physical' is not available. Pass time='frame'."
            )
        t = t * meta["frame_interval"]
    ids_arr = np.asarray(ids, dtype=np.int64)
    coords = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
    return ids_arr, t, coords, meta


def _open_events(source, where):
    """(file to close or None, iterparse stream)."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"TrackMate XML file {where} does not exist (working directory "
                f"{os.getcwd()!r}). Check the path."
            )
        handle = open(path, "rb")
        return handle, iterparse(handle, events=("start", "end"))
    if not hasattr(source, "read"):
        raise TypeError(
            "path_or_buffer must be a path or an open file object; got "
            f"{type(source).__name__}."
        )
    return None, iterparse(source, events=("start", "end"))


def _parse(source, where, time):
    handle, events = _open_events(source, where)
    root = None
    try:
        event, root = next(events)
        if root.tag == "TrackMate":
            return "model", _parse_model(events, root, where)
        if root.tag == "Tracks":
            return "simple", _parse_simple(events, root, where, time)
        raise ValueError(
            f"File {where} is XML but not a TrackMate file: its root element is "
            f"<{root.tag}>, expected <TrackMate> (a model file from File > Save "
            "in TrackMate) or <Tracks> (from the 'Export tracks to XML file' "
            "action). Export the tracks from TrackMate in one of these formats."
        )
    except DefusedXmlException:
        raise ValueError(
            f"TrackMate XML file {where} declares XML entities (<!ENTITY ...>), which "
            "TrackMate never writes; refusing to read it, since entities can expand a small "
            "file into gigabytes or read other files. Export the tracks again from TrackMate."
        ) from None
    except ParseError as exc:
        line, column = exc.position
        if root is None and (line, column) == (1, 0) and "no element" in str(exc):
            raise ValueError(
                f"TrackMate XML file {where} is empty. Export the tracks again "
                "from TrackMate."
            ) from None
        if root is None:
            raise ValueError(
                f"File {where} is not an XML file (XML parser: {exc}). "
                "load_trackmate_xml reads TrackMate's .xml files; for a CSV "
                "spot table use load_tracks_csv."
            ) from None
        raise ValueError(
            f"TrackMate XML file {where} is not well-formed XML ({exc}); it is "
            "probably truncated (an interrupted save or an incomplete copy). "
            "Save or export it again from TrackMate."
        ) from None
    except StopIteration:  # pragma: no cover - expat reports empty input itself
        raise ValueError(f"TrackMate XML file {where} is empty.") from None
    finally:
        if handle is not None:
            handle.close()


def load_trackmate_xml(
    path_or_buffer: str | os.PathLike | IO,
    *,
    filtered_only: bool = True,
    branching: Literal["raise", "longest"] = "raise",
    n_dims: int | None = None,
    time: Literal["frame", "physical"] = "frame",
    min_length: int = 2,
    fill_gaps: str | None = None,
    dt: float | None = None,
    return_X_y: bool = False,
) -> Bunch | tuple:
    """Load the tracks of a TrackMate (Fiji) XML file as trajectories.

    Both of TrackMate's XML formats are read, recognised by their root element:

    - the model file (``File > Save`` in TrackMate, root ``<TrackMate>``):
      the tracks are rebuilt from their links (``<Edge>``) between spots
      (``<Spot>``), and by default only the tracks that pass TrackMate's track
      filters (``<FilteredTracks>``) are kept;
    - the simple tracks file (``Export tracks to XML file`` action, root
      ``<Tracks>``): one ``<particle>`` per track, with its ``<detection>``
      elements.

    The file is streamed (defusedxml's ``iterparse``, which refuses XML
    entities), then converted with :func:`tracks_from_frame`, so
    ``min_length``, ``fill_gaps`` and ``dt`` work as in
    :func:`load_tracks_csv`, and a model file gives the same trajectories as
    TrackMate's CSV spot table of the same tracks read with
    ``load_tracks_csv(..., position_cols=["POSITION_X", "POSITION_Y"])``
    (2-D) or with ``n_dims=3``.

    Parameters
    ----------
    path_or_buffer : str, path-like or file-like
        The ``.xml`` file, or an open file object (text or binary).
    filtered_only : bool, default=True
        Model files only: keep only the tracks listed in ``<FilteredTracks>``
        (those shown in TrackMate after track filtering). All tracks are kept
        when False, or when the file has no ``<FilteredTracks>`` element. The
        simple export already holds only the filtered tracks.
    branching : {"raise", "longest"}, default="raise"
        What to do with a model-file track that splits or merges (a spot
        linked to two spots of later, or of earlier, frames; for example a
        dividing cell), which is not one trajectory. ``"raise"`` raises a
        ``ValueError`` naming the track; re-track with splitting and merging
        disabled in TrackMate's LAP tracker, or use ``"longest"``.
        ``"longest"`` keeps, per track, the chain of links with the most spots
        (ties go to the chain with the earliest spots), drops the other
        branches with a ``UserWarning``, and records the number of dropped
        spots in ``n_dropped_spots``. Links are oriented by frame, whichever
        way ``SPOT_SOURCE_ID`` and ``SPOT_TARGET_ID`` are written. The simple
        export cannot represent branches: a particle with two detections in
        one frame always raises.
    n_dims : {None, 2, 3}, default=None
        Number of coordinates per step. ``None`` gives ``(x, y)`` when every
        loaded spot has ``z == 0`` (2-D images) and ``(x, y, z)`` otherwise;
        2 always drops ``z``, 3 always keeps it.
    time : {"frame", "physical"}, default="frame"
        ``"frame"`` uses the integer frame number (``FRAME``; ``t`` of the
        simple export) as time, like :func:`load_tracks_csv` does for
        TrackMate tables. ``"physical"`` uses ``POSITION_T`` (model file) or
        ``t * frameInterval`` (simple export), in ``time_units``.
    min_length : int, default=2
        Tracks with fewer points (after gap filling) are dropped with a
        ``UserWarning``.
    fill_gaps : {None, "interpolate"}, default=None
        ``"interpolate"`` inserts the frames skipped by TrackMate's gap
        closing, with linearly interpolated positions; see
        :func:`tracks_from_frame`.
    dt : float, optional
        Time grid spacing; by default the most common time difference (1
        with ``time="frame"``).
    return_X_y : bool, default=False
        If True, return ``(X, None, None)`` (as :func:`load_tracks_csv`)
        instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        The keys of :func:`tracks_from_frame` (``data``, ``track_ids``,
        ``times``, ``dt``, ``n_missing``, ``interpolated``, ...;
        ``target`` and ``groups`` are None). Positions are in
        ``space_units``. ``track_ids`` are TrackMate's ``TRACK_ID`` for a
        model file, and the particle's position in the file (0, 1, ...) for
        the simple export, which has no track ids. ``position_columns`` is
        ``["POSITION_X", "POSITION_Y"(, "POSITION_Z")]`` and ``time_column``
        is ``"FRAME"`` or ``"POSITION_T"``, as in TrackMate's CSV tables.
        Added keys:

        - ``format``: ``"model"`` or ``"simple"``;
        - ``space_units``, ``time_units``: TrackMate's units (e.g.
          ``"micron"``, ``"sec"``), or None if the file has none;
        - ``frame_interval``: time between frames in ``time_units``
          (``<ImageData timeinterval>`` of a model file, ``frameInterval`` of
          the simple export), or None;
        - ``n_dropped_spots``: per track, the spots left out by
          ``branching="longest"`` (zeros otherwise).

    (X, y, groups) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If the path does not exist.
    ValueError
        For a file that is empty, not XML, truncated, XML of another kind,
        with XML entities (``<!ENTITY>``), without tracks, or inconsistent (a
        track with no links, a link to a spot that does not exist, a branching
        track with ``branching="raise"``). Each message names the file and the
        fix.

    See Also
    --------
    load_tracks_csv : TrackMate's CSV spot tables and other long tables.
    tracks_from_frame : The conversion used here.

    Examples
    --------
    >>> import io
    >>> xml = io.StringIO(
    ...     '<Tracks nTracks="1" spaceUnits="micron" frameInterval="2.0" '
    ...     'timeUnits="sec">'
    ...     '<particle nSpots="3">'
    ...     '<detection t="0" x="1.0" y="2.0" z="0.0" />'
    ...     '<detection t="1" x="1.5" y="2.0" z="0.0" />'
    ...     '<detection t="3" x="2.5" y="3.0" z="0.0" />'
    ...     '</particle></Tracks>')
    >>> tracks = load_trackmate_xml(xml, fill_gaps="interpolate")
    >>> tracks.data[0]
    array([[1. , 2. ],
           [1.5, 2. ],
           [2. , 2.5],
           [2.5, 3. ]])
    >>> tracks.times[0], tracks.space_units, tracks.frame_interval
    (array([0, 1, 2, 3]), 'micron', 2.0)
    """
    _check_params(min_length, fill_gaps, dt, return_X_y)
    if not isinstance(filtered_only, (bool, np.bool_)):
        raise TypeError(f"filtered_only must be True or False; got {filtered_only!r}.")
    if branching not in _BRANCHING:
        raise ValueError(f"branching must be 'raise' or 'longest'; got {branching!r}.")
    if n_dims is not None and (isinstance(n_dims, bool) or n_dims not in (2, 3)):
        raise ValueError(f"n_dims must be None, 2 or 3; got {n_dims!r}.")
    if time not in _TIMES:
        raise ValueError(f"time must be 'frame' or 'physical'; got {time!r}.")
    pd = import_optional("pandas", "Reading track tables", "io")
    where = _describe(path_or_buffer)

    kind, parsed = _parse(path_or_buffer, where, time)
    if kind == "model":
        ids, t, xyz, dropped = _model_table(parsed, where, filtered_only, branching, time)
        meta = {k: parsed[k] for k in ("space_units", "time_units", "frame_interval")}
    else:
        ids, t, xyz, meta = parsed
        dropped = {}

    if n_dims is None:
        n_dims = 3 if np.any(xyz[:, 2] != 0) else 2
    position_cols = ["POSITION_X", "POSITION_Y", "POSITION_Z"][:n_dims]
    time_col = "FRAME" if time == "frame" else "POSITION_T"
    table = pd.DataFrame({"TRACK_ID": ids, time_col: t})
    for j, col in enumerate(position_cols):
        table[col] = xyz[:, j]
    try:
        out = tracks_from_frame(
            table,
            track_col="TRACK_ID",
            time_col=time_col,
            position_cols=position_cols,
            min_length=min_length,
            fill_gaps=fill_gaps,
            dt=dt,
            return_X_y=return_X_y,
        )
    except ValueError as exc:
        raise ValueError(f"TrackMate XML file {where}: {exc}") from exc
    if return_X_y:
        return out
    out.format = kind
    out.update(meta)
    out.n_dropped_spots = np.array(
        [dropped.get(int(tid), 0) for tid in out.track_ids], dtype=np.int64
    )
    return out
