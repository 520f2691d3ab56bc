"""Loader for one 2-D sequence in the Cell Tracking Challenge (CTC) folder layout."""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._particles import _read_image_file

__all__ = ["load_ctc_sequence"]

_FRAME = re.compile(r"^t(\d+)\.tiff?$")
_MASK = re.compile(r"^man_seg(\d+)\.tiff?$")


def _indexed_files(folder: Path, pattern: re.Pattern) -> dict[int, Path]:
    files = {}
    for f in folder.iterdir():
        m = pattern.match(f.name)
        if m:
            files[int(m.group(1))] = f
    return dict(sorted(files.items()))


def _read(path: Path) -> np.ndarray:
    img = np.squeeze(_read_image_file(path))
    if img.ndim != 2:
        raise ValueError(
            f"{path.name} has shape {img.shape}; only 2-D (single-plane) CTC sequences are "
            "supported."
        )
    return img


def load_ctc_sequence(path: str | PathLike, sequence: str | None = None, *,
                      truth: str | None = "auto") -> Bunch:
    """Load frames and segmentation masks of one Cell Tracking Challenge sequence.

    The CTC layout is ``path/NN/tTTT.tif`` for the frames of sequence ``NN`` and
    ``path/NN_GT/SEG/man_segTTT.tif`` (gold truth, manual) or ``path/NN_ST/SEG/man_segTTT.tif``
    (silver truth, computed) for instance masks (0 = background, one label per cell).
    Usually only some frames have masks; all frames are returned, since the unannotated
    ones still help a temporal background estimate. 8- and 16-bit TIFFs are read with
    ``tifffile`` and keep their dtype.

    Parameters
    ----------
    path : str or path-like
        The dataset folder that holds ``NN/`` and ``NN_GT/`` or ``NN_ST/``.
    sequence : str, optional
        Sequence name, e.g. ``"01"``. Default: the only sequence in ``path`` (an error
        lists the choices when there are several).
    truth : {"auto", "GT", "ST", None}, default="auto"
        Which masks: gold truth, silver truth, ``"auto"`` (GT when it has masks, else ST),
        or None for frames only.

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``frames``: ndarray (n_frames, H, W), the raw frames in time order;
        - ``frame_indices``: ndarray of int (n_frames,), the time index ``TTT`` of each frame;
        - ``masks``: ndarray of int32 (n_masks, H, W), instance labels, in time order;
        - ``mask_indices``: ndarray of int (n_masks,), the time index of each mask;
        - ``annotated``: ndarray of bool (n_frames,), frames that have a mask, so that
          ``frames[annotated]`` matches ``masks``;
        - ``truth``: ``"GT"``, ``"ST"`` or None; ``sequence``: the sequence name.

    Raises
    ------
    FileNotFoundError
        The folder, the sequence, its frames, or (unless ``truth=None``) its masks are
        missing.
    ValueError
        A mask without a frame, frames and masks of different shapes, or a file
        that cannot be read (corrupt or truncated; the message names it).

    Examples
    --------
    >>> data = load_ctc_sequence("PhC-C2DL-PSC", "02")  # doctest: +SKIP
    >>> data.frames.shape, data.masks.shape  # doctest: +SKIP
    ((50, 576, 720), (50, 576, 720))
    """
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(
            f"{root} is not a folder; pass the CTC dataset folder that holds the sequence "
            "folders (e.g. '01/') and their '01_GT/' or '01_ST/' folders."
        )
    available = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.isdigit())
    if sequence is None:
        if len(available) != 1:
            raise FileNotFoundError(
                f"{root} holds {len(available)} sequence folders {available}; choose one "
                "with sequence='01' (or the name you need)."
            )
        sequence = available[0]
    sequence = str(sequence)
    seq_dir = root / sequence
    if not seq_dir.is_dir():
        raise FileNotFoundError(
            f"sequence folder {seq_dir} not found; available sequences: {available}."
        )
    frame_files = _indexed_files(seq_dir, _FRAME)
    if not frame_files:
        raise FileNotFoundError(f"{seq_dir} has no frames named tTTT.tif.")

    if truth not in ("auto", "GT", "ST", None):
        raise ValueError(f"truth={truth!r} is not supported; use 'auto', 'GT', 'ST' or None.")
    mask_files: dict[int, Path] = {}
    used_truth = None
    if truth is not None:
        kinds = ("GT", "ST") if truth == "auto" else (truth,)
        for kind in kinds:
            seg_dir = root / f"{sequence}_{kind}" / "SEG"
            if seg_dir.is_dir():
                mask_files = _indexed_files(seg_dir, _MASK)
                if mask_files:
                    used_truth = kind
                    break
        if not mask_files:
            folders = " or ".join(f"{sequence}_{k}/SEG" for k in kinds)
            raise FileNotFoundError(
                f"no masks (man_segTTT.tif) in {root / folders}: the frames have no "
                "segmentation truth. Pass truth=None to load the frames only."
            )
        orphans = sorted(set(mask_files) - set(frame_files))
        if orphans:
            raise ValueError(
                f"masks for time indices {orphans[:5]} have no frame in {seq_dir}; check that "
                "frames and masks come from the same sequence."
            )

    frames = [_read(f) for f in frame_files.values()]
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        raise ValueError(f"frames of {seq_dir} have different shapes {sorted(shapes)}.")
    frames = np.stack(frames)
    frame_indices = np.fromiter(frame_files, dtype=np.int64)

    masks = np.zeros((0,) + frames.shape[1:], dtype=np.int32)
    if mask_files:
        loaded = []
        for t, f in mask_files.items():
            m = _read(f)
            if m.shape != frames.shape[1:]:
                raise ValueError(
                    f"mask {f.name} has shape {m.shape} but the frames are {frames.shape[1:]}."
                )
            loaded.append(m.astype(np.int32))
        masks = np.stack(loaded)
    mask_indices = np.fromiter(mask_files, dtype=np.int64)
    return Bunch(
        frames=frames,
        frame_indices=frame_indices,
        masks=masks,
        mask_indices=mask_indices,
        annotated=np.isin(frame_indices, mask_indices),
        truth=used_truth,
        sequence=sequence,
    )
