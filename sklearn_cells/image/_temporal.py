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
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["TimelapseFrames", "TemporalContextStacker", "check_frames", "iter_sequences"]


class TimelapseFrames:
    """Frames of one or more time-lapse sequences, with a sequence id and time per frame.

    An indexable container that scikit-learn's splitters, ``Pipeline`` and
    ``GridSearchCV`` index like an array (``X[train_idx]``), so that sequence ids and time
    indices follow the frames into every fold. ``np.asarray(X)`` gives the frame array.

    Parameters
    ----------
    frames : array-like of shape (n_frames, H, W) or (n_frames, C, H, W)
        The frames; never copied unless needed.
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
    """

    def __init__(self, frames, sequence_ids=None, frame_indices=None):
        frames = np.asarray(frames)
        n = frames.shape[0] if frames.ndim else 0
        if frames.ndim not in (3, 4):
            raise ValueError(
                f"frames must have shape (n_frames, H, W) or (n_frames, C, H, W); got shape "
                f"{frames.shape}. Add a leading frame axis for a single frame (frame[None])."
            )
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
        """Concatenate a list of sequences ``(T_i, H, W)`` or ``(T_i, C, H, W)``.

        ``sequence_ids`` names them (default ``0, 1, ...``); frames are numbered ``0..T_i-1``.
        """
        sequences = [np.asarray(s) for s in sequences]
        if not sequences:
            raise ValueError("from_sequences got no sequences; pass at least one.")
        if sequence_ids is None:
            sequence_ids = range(len(sequences))
        sequence_ids = list(sequence_ids)
        if len(sequence_ids) != len(sequences):
            raise ValueError("sequence_ids must name each sequence once.")
        ids = np.concatenate([np.full(len(s), sid) for s, sid in zip(sequences, sequence_ids)])
        times = np.concatenate([np.arange(len(s)) for s in sequences])
        return cls(np.concatenate(sequences), ids, times)

    # --- array-like protocol used by scikit-learn ---------------------------------
    @property
    def shape(self) -> tuple:
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
        n_seq = len(np.unique(self.sequence_ids)) if len(self) else 0
        return f"TimelapseFrames(shape={self.shape}, dtype={self.dtype}, n_sequences={n_seq})"

    def with_frames(self, frames) -> TimelapseFrames:
        """Same sequence ids and times, new frames (one per existing frame)."""
        return TimelapseFrames(frames, self.sequence_ids, self.frame_indices)


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


def check_frames(X, *, name: str = "X", allow_nan: bool = False, dtype=np.float32) -> np.ndarray:
    """Validate frames ``(n, H, W)`` or ``(n, C, H, W)`` and return them as a float array.

    Raises a ``ValueError`` that names the problem and the fix for: a single 2-D frame,
    a wrong number of dimensions, channel-last frames ``(n, H, W, C)``, no frames,
    complex values, and (unless ``allow_nan``) NaN or infinite pixels or pixels beyond
    the range of ``dtype``; a ``TypeError`` for non-numeric data. Never modifies ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> check_frames(np.zeros((2, 3, 16, 16))).shape
    (2, 3, 16, 16)
    >>> check_frames(np.zeros((2, 16, 16, 3)))
    Traceback (most recent call last):
    ...
    ValueError: X has shape (2, 16, 16, 3), which looks channel-last (n, H, W, C); ...
    """
    frames = np.asarray(X)
    if frames.dtype == object or not (
        np.issubdtype(frames.dtype, np.number) or frames.dtype == bool
    ):
        raise TypeError(
            f"{name} must be a numeric array of frames; got dtype {frames.dtype}. "
            "Stack same-sized frames into one array (np.stack)."
        )
    if np.iscomplexobj(frames):
        raise ValueError(
            f"{name} holds complex numbers (dtype {frames.dtype}); pass real frames, e.g. "
            f"np.abs({name}) for magnitudes."
        )
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


def _rewrap(X, frames):
    """Return ``frames`` in the container kind of ``X``."""
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


class TemporalContextStacker(TransformerMixin, BaseEstimator):
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

    def __init__(self, n_context: int = 2):
        self.n_context = n_context

    def _check_params(self) -> int:
        k = self.n_context
        if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 0:
            raise ValueError(f"n_context={k!r} must be an integer >= 0 (2 gives 5 channels).")
        return int(k)

    def fit(self, X, y=None):
        """Validate ``X``; nothing is learned."""
        self._check_params()
        frames = check_frames(X)
        self.n_features_in_ = 1 if frames.ndim == 3 else frames.shape[1]
        return self

    def transform(self, X):
        """Return ``(n, (2k+1)*C, H, W)`` frames, in the container kind of ``X``."""
        k = self._check_params()
        frames = check_frames(X)
        if frames.ndim == 3:
            frames = frames[:, None]
        if k > 0:
            _check_sequence_lengths(X, 2, f"temporal context (n_context={k})")
        n, c = frames.shape[:2]
        out = np.empty((n, (2 * k + 1) * c) + frames.shape[2:], dtype=frames.dtype)
        for _, pos, times in iter_sequences(X):
            where = {t: p for t, p in zip(times.tolist(), pos.tolist())}
            for t, p in zip(times.tolist(), pos.tolist()):
                for j, d in enumerate(range(-k, k + 1)):
                    # Nearest existing frame between t and t + d (repeats at the ends).
                    step = 1 if d > 0 else -1
                    while d and (t + d) not in where:
                        d -= step
                    out[p, j * c:(j + 1) * c] = frames[where[t + d]]
        return _rewrap(X, out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags
