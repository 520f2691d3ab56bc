"""Tracks in the Cell Tracking Challenge format: ``res_track.txt`` / ``man_track.txt`` + masks.

A CTC tracking result is a folder of 16-bit label images (``maskTTT.tif``; ground truth:
``TRA/man_trackTTT.tif``) and a text file with one line ``L B E P`` per track: its label,
first and last frame, and parent label (0: none). A CTC track has its label in *every*
frame from ``B`` to ``E``, so a track that bridges a gap is written as two tracks, the
second with the first as its parent (the challenge's convention; its evaluation reads a
single-daughter parent as a gap, two daughters as a division).
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..utils._optional import import_optional
from ._detections import tracks_from_labels
from ._validation import check_label_frames, check_track_table

__all__ = ["read_ctc_tracks", "write_ctc_tracks"]

_MAX_LABEL = np.iinfo(np.uint16).max


def _ctc_segments(tracks) -> tuple[np.ndarray, list]:
    """CTC label of every row (one per gap-free run) and the ``L B E P`` lines."""
    ordered = tracks.sort_values(["track_id", "t"], kind="stable")
    tid, t = ordered["track_id"].to_numpy(), ordered["t"].to_numpy()
    new_run = np.r_[True, (tid[1:] != tid[:-1]) | (np.diff(t) != 1)]
    starts = np.flatnonzero(new_run)
    ends = np.r_[starts[1:], len(t)] - 1
    first_of_track = np.r_[True, tid[starts][1:] != tid[starts][:-1]]
    n_extra = int((~first_of_track).sum())
    run_label = tid[starts].copy()
    run_label[~first_of_track] = tid.max() + 1 + np.arange(n_extra)  # continuations
    last_label = {}  # a track's label in its last run: the mother of its daughters
    for k in range(len(starts)):
        last_label[tid[starts[k]]] = run_label[k]
    parents = dict(zip(ordered["track_id"], ordered["parent_id"]))
    lines = []
    for k in range(len(starts)):
        if first_of_track[k]:
            p = parents[tid[starts[k]]]
            parent = last_label.get(p, 0) if p else 0
        else:
            parent = run_label[k - 1]
        lines.append((int(run_label[k]), int(t[starts[k]]), int(t[ends[k]]), int(parent)))
    row_label = np.repeat(run_label, ends - starts + 1)
    labels = np.empty(len(ordered), dtype=np.int64)
    labels[ordered.index.to_numpy()] = row_label
    return labels, lines


def write_ctc_tracks(path: str | PathLike, tracks, labels, *, truth: bool = False) -> Path:
    """Write tracks and their label frames in the Cell Tracking Challenge format.

    Parameters
    ----------
    path : str or path-like
        The folder to write into (created if needed), e.g. ``01_RES``; with
        ``truth=True`` the ground-truth folder (``01_GT``), whose ``TRA`` subfolder is
        written.
    tracks : pandas.DataFrame
        A track table of one sequence, e.g. ``link_instances(...).tracks``; ``t`` indexes
        ``labels``.
    labels : array-like of int of shape (n_frames, H, W)
        Frames in which every cell carries its ``track_id`` (``link_instances(...).labels``).
    truth : bool, default=False
        Write ``TRA/man_track.txt`` and ``TRA/man_trackTTT.tif`` instead of
        ``res_track.txt`` and ``maskTTT.tif``.

    Returns
    -------
    folder : pathlib.Path
        The folder that holds the written files.

    Examples
    --------
    >>> folder = write_ctc_tracks("01_RES", result.tracks, result.labels)  # doctest: +SKIP
    >>> sorted(p.name for p in folder.iterdir())[:2]  # doctest: +SKIP
    ['mask000.tif', 'mask001.tif']
    """
    tifffile = import_optional("tifffile", "Reading and writing Cell Tracking Challenge TIFFs", "io")
    check_track_table(tracks)
    frames, _ = check_label_frames(labels)
    if "sequence_id" in tracks and tracks["sequence_id"].nunique() > 1:
        raise ValueError("tracks holds several sequences; write one at a time, e.g. "
                         "tracks[tracks.sequence_id == s] with its frames.")
    if len(tracks) and (tracks["t"].min() < 0 or tracks["t"].max() >= len(frames)):
        raise ValueError(f"tracks has t outside 0..{len(frames) - 1}, the frames given.")
    row_label, lines = _ctc_segments(tracks.reset_index(drop=True))
    if lines and max(line[0] for line in lines) > _MAX_LABEL:
        raise ValueError(f"more than {_MAX_LABEL} CTC labels; the format stores 16-bit "
                         "labels.")
    folder = Path(path) / "TRA" if truth else Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    prefix, text = ("man_track", "man_track.txt") if truth else ("mask", "res_track.txt")
    digits = max(3, len(str(len(frames) - 1)))
    t_all, tid_all = tracks["t"].to_numpy(), tracks["track_id"].to_numpy()
    for t, frame in enumerate(frames):
        rows = np.flatnonzero(t_all == t)
        lookup = np.zeros(int(max(frame.max(), tid_all[rows].max(initial=0))) + 1, np.uint16)
        lookup[tid_all[rows]] = row_label[rows]  # pixels of cells not in tracks become 0
        tifffile.imwrite(folder / f"{prefix}{t:0{digits}d}.tif", lookup[frame])
    with open(folder / text, "w") as f:
        f.writelines(f"{L} {B} {E} {P}\n" for L, B, E, P in lines)
    return folder


_MASK = re.compile(r"^(?:man_track|mask)(\d+)\.tiff?$")


def read_ctc_tracks(path: str | PathLike) -> Bunch:
    """Read a Cell Tracking Challenge tracking folder into a track table.

    Parameters
    ----------
    path : str or path-like
        A ground-truth ``TRA`` folder (``man_track.txt``, ``man_trackTTT.tif``), a
        sequence's ``NN_GT`` folder that holds one, or a result folder (``res_track.txt``,
        ``maskTTT.tif``).

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``tracks``: pandas.DataFrame ``track_id, t, y, x, area, parent_id``, one row
          per cell and frame, with the CTC labels as track ids (a track continued after
          a gap is the parent of its continuation, as in the file);
        - ``labels``: int32 frames ``(n_frames, H, W)``;
        - ``lines``: int ndarray ``(n_tracks, 4)``, the ``L B E P`` lines of the file.

    Examples
    --------
    >>> data = read_ctc_tracks("Fluo-N2DH-SIM+/01_GT/TRA")  # doctest: +SKIP
    >>> data.tracks.columns.tolist()  # doctest: +SKIP
    ['track_id', 't', 'y', 'x', 'area', 'parent_id']
    """
    tifffile = import_optional("tifffile", "Reading and writing Cell Tracking Challenge TIFFs", "io")
    folder = Path(path)
    if (folder / "TRA" / "man_track.txt").is_file():
        folder = folder / "TRA"
    text = next((folder / n for n in ("man_track.txt", "res_track.txt")
                 if (folder / n).is_file()), None)
    if text is None:
        raise FileNotFoundError(f"{folder} holds neither man_track.txt (a TRA folder) nor "
                                "res_track.txt (a result folder).")
    files = {int(m.group(1)): f for f in folder.iterdir() if (m := _MASK.match(f.name))}
    if not files:
        raise FileNotFoundError(f"{folder} has no label images (man_trackTTT.tif or "
                                "maskTTT.tif).")
    if sorted(files) != list(range(len(files))):
        raise ValueError(f"the label images of {folder} are not numbered 0, 1, 2, ... "
                         f"without holes (found {sorted(files)[:5]}...).")
    labels = np.stack([np.asarray(tifffile.imread(files[t])).astype(np.int32)
                       for t in range(len(files))])
    lines = np.loadtxt(text, dtype=np.int64, ndmin=2).reshape(-1, 4)
    parents = {int(L): int(P) for L, _, _, P in lines if P}
    tracks = tracks_from_labels(labels, parents=parents)
    return Bunch(tracks=tracks, labels=labels, lines=lines)
