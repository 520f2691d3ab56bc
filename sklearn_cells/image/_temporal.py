"""Time-lapse frames that remember their sequence, and temporal context stacking.

Segmentation estimators take frames ``X`` of shape ``(n, H, W)`` or ``(n, C, H, W)``.
Transformers that look along time (background subtraction, context stacking,
per-sequence normalisation) must know which frames belong to which sequence, and in which
order, so that they never mix two sequences, also after a cross-validation splitter has
picked a subset of frames. :class:`TimelapseFrames` carries that information *inside* ``X``:
it holds the frame array plus one sequence id and one time index per frame, and indexing it
(as scikit-learn's splitters and ``Pipeline`` do) keeps the three aligned. This works with
plain ``Pipeline``/``GridSearchCV`` without metadata routing::

    X = TimelapseFrames(frames, sequence_ids=seq_ids)
    GridSearchCV(pipe, grid, cv=GroupKFold(3)).fit(X, y, groups=X.sequence_ids)

A plain array is accepted by the temporal transformers too, and is then taken to be *one*
sequence in time order.

Frames need not share one size: a list of frames ``[(H_i, W_i)]`` or ``[(C, H_i, W_i)]``
(e.g. from :func:`~sklearn_cells.datasets.load_image_folder`) goes through the
transformers and :class:`~sklearn_cells.image.UNetSegmenter` as a list, and a
:class:`TimelapseFrames` holds frames of different sizes when its sequences differ
(:meth:`TimelapseFrames.from_sequences`). Only the frames *of one sequence* must share a
size where a step compares them pixel by pixel (background subtraction, temporal context).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context

from ..base import int_at_least
from ..utils._set_output import NonTabularOutputMixin
from ..utils._validation import check_real_numbers, validate_params_unless_fitted

__all__ = ["TimelapseFrames", "TemporalContextStacker", "check_frames", "iter_sequences"]


class TimelapseFrames:
    """Frames of one or more time-lapse sequences, with a sequence id and time per frame.

    An indexable container that scikit-learn's splitters, ``Pipeline`` and
    ``GridSearchCV`` index like an array (``X[train_idx]``), so that sequence ids and time
    indices follow the frames into every fold. ``np.asarray(X)`` gives the frame array.

    Parameters
    ----------
    frames : array-like of shape (n_frames, H, W) or (n_frames, C, H, W), or list of frames
        The frames; never copied unless needed. A list of frames of different sizes
        (each ``(H_i, W_i)``, or ``(C, H_i, W_i)`` with one ``C``) is kept as a 1-D object
        array of frames (:attr:`ragged`); a list of equal-sized frames is stacked.
    sequence_ids : array-like of shape (n_frames,), optional
        Which sequence each frame belongs to (any hashable labels). Default: all frames
        belong to one sequence.
    frame_indices : array-like of int of shape (n_frames,), optional
        Time index of each frame within its sequence. Default: the order of appearance
        within each sequence.

    Examples
    --------
    >>> import numpy as np
    >>> X = TimelapseFrames.from_sequences([np.zeros((3, 8, 8)), np.ones((2, 8, 8))])
    >>> X.shape, X.sequence_ids.tolist(), X.frame_indices.tolist()
    ((5, 8, 8), [0, 0, 0, 1, 1], [0, 1, 2, 0, 1])
    >>> X[[3, 4]].sequence_ids.tolist()
    [1, 1]

    Sequences of different frame sizes:

    >>> X = TimelapseFrames.from_sequences([np.zeros((3, 8, 8)), np.ones((2, 6, 10))])
    >>> X.ragged, X.shape, X[4].shape
    (True, (5,), (6, 10))
    """

    def __init__(self, frames, sequence_ids=None, frame_indices=None):
        frames = _frame_container(frames)
        n = len(frames)
        if sequence_ids is None:
            sequence_ids = np.zeros(n, dtype=np.int64)
        sequence_ids = np.asarray(sequence_ids)
        if sequence_ids.shape != (n,):
            raise ValueError(
                f"sequence_ids must have shape ({n},), one id per frame; got {sequence_ids.shape}."
            )
        if frame_indices is None:
            frame_indices = np.zeros(n, dtype=np.int64)
            for ids in _group_positions(sequence_ids).values():
                frame_indices[ids] = np.arange(len(ids))
        frame_indices = np.asarray(frame_indices)
        integer = np.issubdtype(frame_indices.dtype, np.integer)
        if frame_indices.shape != (n,) or (n and not integer):
            raise ValueError(
                f"frame_indices must be {n} integers, one time index per frame; got "
                f"shape {frame_indices.shape} and dtype {frame_indices.dtype}."
            )
        for sid, pos in _group_positions(sequence_ids).items():
            if len(np.unique(frame_indices[pos])) != len(pos):
                raise ValueError(
                    f"sequence {sid!r} has repeated frame_indices; each time index may occur "
                    "once per sequence. Give each sequence its own id."
                )
        self.frames = frames
        self.sequence_ids = sequence_ids
        self.frame_indices = frame_indices

    @classmethod
    def from_sequences(cls, sequences: Sequence, sequence_ids: Sequence | None = None):
        """Concatenate a list of sequences ``(T_i, H_i, W_i)`` or ``(T_i, C, H_i, W_i)``.

        ``sequence_ids`` names them (default ``0, 1, ...``); frames are numbered ``0..T_i-1``.
        The frames of one sequence share a size; sequences of different sizes give a
        :attr:`ragged` container.
        """
        sequences = [np.asarray(s) for s in sequences]
        if not sequences:
            raise ValueError("from_sequences got no sequences; pass at least one.")
        if sequence_ids is None:
            sequence_ids = range(len(sequences))
        sequence_ids = list(sequence_ids)
        if len(sequence_ids) != len(sequences):
            raise ValueError("sequence_ids must name each sequence once.")
        for sid, seq in zip(sequence_ids, sequences):
            if seq.ndim not in (3, 4):
                raise ValueError(
                    f"sequence {sid!r} has shape {seq.shape}; each sequence must be "
                    "(T, H, W) or (T, C, H, W)."
                )
        ids = np.concatenate([np.full(len(s), sid) for s, sid in zip(sequences, sequence_ids)])
        times = np.concatenate([np.arange(len(s)) for s in sequences])
        if len({s.shape[1:] for s in sequences}) == 1:
            return cls(np.concatenate(sequences), ids, times)
        return cls([frame for s in sequences for frame in s], ids, times)

    # --- array-like protocol used by scikit-learn ---------------------------------
    @property
    def ragged(self) -> bool:
        """Whether the frames have different sizes (held as a 1-D object array)."""
        return self.frames.dtype == object

    @property
    def shape(self) -> tuple:
        """``frames.shape``; ``(n_frames,)`` when :attr:`ragged`."""
        return self.frames.shape

    @property
    def ndim(self) -> int:
        return self.frames.ndim

    @property
    def dtype(self):
        return self.frames.dtype

    def __len__(self) -> int:
        return self.frames.shape[0]

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.frames.dtype:
            if self.ragged:
                raise ValueError(
                    "these frames have different sizes and cannot form one numeric array; "
                    "use list(X) for the frames, or crop them to one size first."
                )
            return self.frames.astype(dtype)
        return self.frames.copy() if copy else self.frames

    def __iter__(self):
        return iter(self.frames)

    def __getitem__(self, key):
        # scikit-learn indexes rows as X[idx, ...]; only the frame axis may be indexed.
        if isinstance(key, tuple):
            if len(key) == 2 and key[1] is Ellipsis:
                key = key[0]
            else:
                return self.frames[key]
        if isinstance(key, numbers.Integral):
            return self.frames[key]
        key = key if isinstance(key, slice) else np.asarray(key)
        return TimelapseFrames(self.frames[key], self.sequence_ids[key], self.frame_indices[key])

    def __repr__(self) -> str:
        n_seq = len(_group_positions(self.sequence_ids)) if len(self) else 0
        if self.ragged:
            return f"TimelapseFrames(n_frames={len(self)}, ragged, n_sequences={n_seq})"
        return f"TimelapseFrames(shape={self.shape}, dtype={self.dtype}, n_sequences={n_seq})"

    def with_frames(self, frames) -> TimelapseFrames:
        """Same sequence ids and times, new frames (one per existing frame, any sizes)."""
        return TimelapseFrames(frames, self.sequence_ids, self.frame_indices)


def _is_frame_list(X) -> bool:
    """A list, tuple or 1-D object array of frames, or a ragged :class:`TimelapseFrames`."""
    if isinstance(X, TimelapseFrames):
        return X.ragged
    if isinstance(X, (list, tuple)):
        return True
    return isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1


def _frame_container(frames) -> np.ndarray:
    """The frames of a :class:`TimelapseFrames`: one array, or an object array if ragged."""
    if isinstance(frames, TimelapseFrames):
        return frames.frames
    if _is_frame_list(frames):
        items = [np.asarray(f) for f in frames]
        shapes = {f.shape for f in items}
        if len(shapes) > 1:
            return _ragged(items, shapes)
        frames = np.asarray(items)
    else:
        frames = np.asarray(frames)
    if frames.ndim not in (3, 4):
        raise ValueError(
            f"frames must have shape (n_frames, H, W) or (n_frames, C, H, W); got shape "
            f"{frames.shape}. Add a leading frame axis for a single frame (frame[None])."
        )
    return frames


def _ragged(items: list, shapes: set) -> np.ndarray:
    """Frames of different sizes as a 1-D object array, after checking their layout."""
    ndims = {f.ndim for f in items}
    if not ndims <= {2, 3} or len(ndims) > 1 or len({f.shape[:-2] for f in items}) > 1:
        raise ValueError(
            "frames of different sizes must all be (H, W), or all (C, H, W) with the same "
            f"C; got shapes {sorted(shapes, key=str)[:4]}."
        )
    out = np.empty(len(items), dtype=object)
    for i, f in enumerate(items):
        out[i] = f
    return out


def _group_positions(ids: np.ndarray) -> dict:
    """``{id: positions}`` in order of first appearance (works for any hashable ids)."""
    groups: dict = {}
    for pos, sid in enumerate(ids.tolist()):
        groups.setdefault(sid, []).append(pos)
    return {k: np.asarray(v, dtype=np.intp) for k, v in groups.items()}


def iter_sequences(X) -> Iterator[tuple[object, np.ndarray, np.ndarray]]:
    """Yield ``(sequence_id, positions, times)`` for each sequence, positions sorted by time.

    A plain array is one sequence in its given order.
    """
    if isinstance(X, TimelapseFrames):
        for sid, pos in _group_positions(X.sequence_ids).items():
            order = np.argsort(X.frame_indices[pos], kind="stable")
            yield sid, pos[order], X.frame_indices[pos[order]]
    else:
        n = len(X)
        yield 0, np.arange(n), np.arange(n)


def _channel_last(shape: tuple) -> bool:
    """Whether 4-D frames ``shape`` look like ``(n, H, W, C)`` rather than ``(n, C, H, W)``.

    LipNet's rule, widened to the channel counts of temporal stacking: a last axis of
    1, 3 or 4 (grey, RGB, RGBA) after two larger axes, the first of which is not a
    plausible channel count (1, 3, 4 or 5). Genuine channel-first frames only match it
    when they are at most 4 pixels wide and have more channels than that.
    """
    return (
        shape[-1] in (1, 3, 4)
        and shape[1] not in (1, 3, 4, 5)
        and shape[-1] < min(shape[1], shape[2])
    )


def check_frames(X, *, name: str = "X", allow_nan: bool = False, dtype=np.float32,
                 allow_list: bool = False):
    """Validate frames ``(n, H, W)`` or ``(n, C, H, W)`` and return them as a float array.

    Raises a ``ValueError`` that names the problem and the fix for: a single 2-D frame,
    a wrong number of dimensions, channel-last frames ``(n, H, W, C)``, no frames,
    complex values, and (unless ``allow_nan``) NaN or infinite pixels or pixels beyond
    the range of ``dtype``; a ``TypeError`` for non-numeric data. Never modifies ``X``.

    With ``allow_list=True``, a list or tuple of frames (or a ragged
    :class:`TimelapseFrames`) is returned as a list of float arrays, each ``(H_i, W_i)`` or
    ``(C, H_i, W_i)``, so frames may differ in size (all 2-D, or all 3-D with one ``C``);
    each frame is checked as above and named in the errors. Without it, frames of
    different sizes are an error that says which steps accept them.

    Examples
    --------
    >>> import numpy as np
    >>> check_frames(np.zeros((2, 3, 16, 16))).shape
    (2, 3, 16, 16)
    >>> [f.shape for f in check_frames([np.zeros((8, 8)), np.ones((5, 7))], allow_list=True)]
    [(8, 8), (5, 7)]
    >>> check_frames(np.zeros((2, 16, 16, 3)))
    Traceback (most recent call last):
    ...
    ValueError: X has shape (2, 16, 16, 3), which looks channel-last (n, H, W, C); ...
    """
    if allow_list and _is_frame_list(X):
        return _check_frame_list(X, name, allow_nan, dtype)
    if isinstance(X, TimelapseFrames):
        frames = X.frames
    else:
        try:
            frames = np.asarray(X)
        except ValueError:  # numpy's "inhomogeneous shape": frames of different sizes
            frames = None
    if frames is None or (frames.dtype == object and frames.ndim == 1 and len(frames)):
        raise ValueError(
            f"{name} holds frames of different sizes, which this step cannot stack into one "
            "array. Crop or pad them to one size; UNetSegmenter and the temporal "
            "transformers accept a list of frames of any sizes."
        )
    _check_numeric(frames, name)
    if frames.ndim == 2:
        raise ValueError(
            f"{name} is a single 2-D frame of shape {frames.shape}; pass frames as "
            f"(n_frames, H, W), e.g. {name}[None] for one frame."
        )
    if frames.ndim not in (3, 4):
        raise ValueError(
            f"{name} must have shape (n_frames, H, W) or (n_frames, C, H, W); got shape "
            f"{frames.shape}."
        )
    if frames.ndim == 4 and _channel_last(frames.shape):
        raise ValueError(
            f"{name} has shape {frames.shape}, which looks channel-last (n, H, W, C); "
            f"frames must be channel-first (n, C, H, W): use {name}.transpose(0, 3, 1, 2)."
        )
    if frames.shape[0] == 0:
        raise ValueError(f"{name} has no frames (shape {frames.shape}); pass at least one frame.")
    if min(frames.shape[-2:]) == 0:
        raise ValueError(f"{name} has empty frames of size {frames.shape[-2:]}.")
    return _convert(frames, name, allow_nan, dtype)


def _check_numeric(frames: np.ndarray, name: str) -> None:
    check_real_numbers(frames, name, numeric_error=TypeError,
                       fix="Stack same-sized frames into one array (np.stack).")


def _convert(frames: np.ndarray, name: str, allow_nan: bool, dtype) -> np.ndarray:
    with np.errstate(over="ignore"):  # overflow is reported below
        converted = frames.astype(dtype, copy=False)
    if not allow_nan and not np.isfinite(converted).all():
        if np.isfinite(frames).all():  # finite before the cast: too large for dtype
            raise ValueError(
                f"{name} has pixels too large for {np.dtype(dtype).name} (|value| > "
                f"{float(np.finfo(dtype).max):.3g}); rescale the frames first, e.g. "
                f"{name} / np.abs({name}).max()."
            )
        raise ValueError(
            f"{name} contains NaN or infinite pixels; replace them first, e.g. "
            "np.nan_to_num(X, nan=np.nanmedian(X))."
        )
    return converted


def _check_frame_list(X, name: str, allow_nan: bool, dtype) -> list[np.ndarray]:
    """:func:`check_frames` for a list of frames of any sizes; returns a list of arrays."""
    items = list(X.frames) if isinstance(X, TimelapseFrames) else list(X)
    if not items:
        raise ValueError(f"{name} has no frames (an empty list); pass at least one frame.")
    out = []
    for i, item in enumerate(items):
        where = f"{name}[{i}]"
        try:
            frame = np.asarray(item)
        except ValueError as exc:
            raise ValueError(f"{where} is not a frame: its rows have different lengths.") from exc
        _check_numeric(frame, where)
        if frame.ndim not in (2, 3):
            raise ValueError(
                f"{where} has shape {frame.shape}; each frame of a list must be (H, W) or "
                "(C, H, W)."
            )
        if frame.ndim == 3 and _channel_last((1,) + frame.shape):
            raise ValueError(
                f"{where} has shape {frame.shape}, which looks channel-last (H, W, C); "
                f"frames must be channel-first (C, H, W): use {where}.transpose(2, 0, 1)."
            )
        if min(frame.shape[-2:]) == 0:
            raise ValueError(f"{where} is an empty frame of size {frame.shape[-2:]}.")
        first = out[0] if out else frame
        if frame.ndim != first.ndim or frame.shape[:-2] != first.shape[:-2]:
            raise ValueError(
                f"{where} has shape {frame.shape} but {name}[0] has shape {first.shape}; the "
                "frames of a list may differ in height and width only (all (H, W), or all "
                "(C, H, W) with the same C)."
            )
        out.append(_convert(frame, where, allow_nan, dtype))
    return out


def _n_channels(frames) -> int:
    """Channels of validated frames (an array or a list of frames)."""
    if isinstance(frames, list):
        return 1 if frames[0].ndim == 2 else frames[0].shape[0]
    return 1 if frames.ndim == 3 else frames.shape[1]


def _sequence_block(frames, pos: np.ndarray, sid, what: str) -> np.ndarray:
    """The frames at ``pos`` (one sequence) as one array; they must share a size."""
    if not isinstance(frames, list):
        return frames[pos]
    shapes = sorted({frames[p].shape for p in pos.tolist()})
    if len(shapes) > 1:
        raise ValueError(
            f"sequence {sid!r} holds frames of different sizes ({shapes[0]}, {shapes[1]}, "
            f"...); {what} compares the frames of a sequence pixel by pixel, so they must "
            "share one size. Give each size its own sequence id (TimelapseFrames(frames, "
            "sequence_ids=...)), or crop the frames to one size."
        )
    return np.stack([frames[p] for p in pos.tolist()])


def _put(out, frames, pos: np.ndarray, block: np.ndarray):
    """Store ``block`` (one result per position of ``pos``) in ``out``, a container of the
    kind of ``frames`` (allocated on the first call, when ``out`` is None)."""
    if out is None:
        if isinstance(frames, list):
            out = [None] * len(frames)
        else:
            out = np.empty((len(frames),) + block.shape[1:], dtype=block.dtype)
    if isinstance(out, list):
        for p, result in zip(pos.tolist(), block):
            out[p] = result
    else:
        out[pos] = block
    return out


def _rewrap(X, frames):
    """Return ``frames`` (an array or a list) in the container kind of ``X``."""
    return X.with_frames(frames) if isinstance(X, TimelapseFrames) else frames


def _check_sequence_lengths(X, min_frames: int, what: str) -> None:
    for sid, pos, _ in iter_sequences(X):
        if len(pos) < min_frames:
            raise ValueError(
                f"sequence {sid!r} has {len(pos)} frame(s) but {what} needs at least "
                f"{min_frames} frames of a sequence. Pass the whole sequence (a "
                "TimelapseFrames with sequence_ids, or an (n_frames, H, W) array of one "
                "sequence), or drop this step for single frames."
            )


class TemporalContextStacker(NonTabularOutputMixin, TransformerMixin, BaseEstimator):
    """Stack each frame with its ``n_context`` neighbours before and after, as channels.

    Frame ``t`` becomes channels ``[t - k, ..., t, ..., t + k]`` (for ``C``-channel
    frames, ``C`` channels per time step), ``k = n_context``. ``n_context=2`` gives the seed's
    5-channel "Network5" input and ``n_context=0`` the 1-channel "Network1", so the choice is a
    grid-search parameter. Neighbours are looked up by time index within the same
    sequence only; at the ends of a sequence (or where a time is missing from ``X``) the
    nearest available frame towards ``t`` is repeated.

    Stateless: ``fit`` only validates.

    Parameters
    ----------
    n_context : int, default=2
        Frames taken on each side.

    Examples
    --------
    >>> import numpy as np
    >>> X = TimelapseFrames.from_sequences([np.arange(3.0)[:, None, None] * np.ones((3, 4, 4))])
    >>> Xt = TemporalContextStacker(n_context=1).fit_transform(X)
    >>> np.asarray(Xt)[:, :, 0, 0]
    array([[0., 0., 1.],
           [0., 1., 2.],
           [1., 2., 2.]], dtype=float32)
    """

    _parameter_constraints: dict = {"n_context": [int_at_least(0)]}

    def __init__(self, n_context: int = 2):
        self.n_context = n_context

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate ``X``; nothing is learned."""
        self.n_features_in_ = _n_channels(check_frames(X, allow_list=True))
        return self

    def transform(self, X):
        """Return ``(n, (2k+1)*C, H, W)`` frames, in the container kind of ``X``.

        A list of frames gives a list of ``((2k+1)*C, H_i, W_i)`` frames.
        """
        validate_params_unless_fitted(self)
        k = self.n_context
        frames = check_frames(X, allow_list=True)
        if k > 0:
            _check_sequence_lengths(X, 2, f"temporal context (n_context={k})")
        out = None
        for sid, pos, times in iter_sequences(X):
            if k == 0:  # no neighbours: frames of any sizes, one channel axis added
                block = [frames[p] for p in pos.tolist()]
                block = [f[None] if f.ndim == 2 else f for f in block]
                if not isinstance(frames, list):
                    block = np.stack(block)
                out = _put(out, frames, pos, block)
                continue
            seq = _sequence_block(frames, pos, sid, f"temporal context (n_context={k})")
            if seq.ndim == 3:
                seq = seq[:, None]
            c = seq.shape[1]
            where = {t: j for j, t in enumerate(times.tolist())}
            block = np.empty((len(pos), (2 * k + 1) * c) + seq.shape[2:], dtype=seq.dtype)
            for j, t in enumerate(times.tolist()):
                for m, d in enumerate(range(-k, k + 1)):
                    # Nearest existing frame between t and t + d (repeats at the ends).
                    step = 1 if d > 0 else -1
                    while d and (t + d) not in where:
                        d -= step
                    block[j, m * c:(m + 1) * c] = seq[where[t + d]]
            out = _put(out, frames, pos, block)
        return _rewrap(X, out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags
