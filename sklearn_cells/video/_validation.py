"""Validation of video collections.

A video is a float array ``(n_frames, H, W)`` (one channel) or
``(n_frames, C, H, W)``: time first, channels before height and width as in
PyTorch. A collection is a list (or 1-D object array) of videos, which may
differ in length, or one array ``(n_videos, n_frames, H, W)`` /
``(n_videos, n_frames, C, H, W)``. Channel-last videos (``(T, H, W, 3)``
from imageio or OpenCV) are refused rather than read on the wrong axes; move
the channels with ``video.transpose(0, 3, 1, 2)``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..utils._validation import check_real_numbers

__all__ = ["check_videos"]

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _channel_last(shape: tuple) -> bool:
    """Whether ``(..., A, B, C)`` looks like ``(H, W, C)`` rather than ``(C, H, W)``.

    The same rule as LipNet's image check: a last axis of 1, 3 or 4 (grey,
    RGB, RGBA) after two larger axes, the first of which is not a plausible
    channel count. A genuine ``(C, H, W)`` frame only matches it when it is
    at most 4 pixels wide and has more channels than that.
    """
    return (
        shape[-1] in (1, 3, 4)
        and shape[-3] not in (1, 3, 4, 5)
        and shape[-1] < min(shape[-3], shape[-2])
    )


def _describe(X) -> str:
    if hasattr(X, "shape"):
        return f"{type(X).__name__} with shape {np.shape(X)}"
    return type(X).__name__


def _video_items(X, name: str) -> tuple[list, bool]:
    """The unchecked videos of ``X`` as a non-empty list, and whether ``X`` was one array."""
    if isinstance(X, (str, bytes)) or X is None or isinstance(X, numbers.Number):
        raise ValueError(
            f"{name} must be a list of (n_frames, H, W) or (n_frames, C, H, W) videos, "
            f"or one array (n_videos, n_frames, [C,] H, W); got {_describe(X)}."
        )
    was_array = isinstance(X, np.ndarray) and X.dtype != object
    if was_array:
        if X.ndim == 5 and _channel_last(X.shape):
            raise ValueError(
                f"{name} has shape {X.shape}, which looks channel-last (n_videos, n_frames, "
                "H, W, C); videos must be channel-first (n_videos, n_frames, C, H, W): use "
                f"{name}.transpose(0, 1, 4, 2, 3)."
            )
        if X.ndim == 4 and _channel_last(X.shape):
            raise ValueError(
                f"{name} has shape {X.shape}, which looks like one channel-last video "
                "(n_frames, H, W, C), but a 4-D array is read as (n_videos, n_frames, H, W). "
                f"Pass [{name}.transpose(0, 3, 1, 2)] (a list of channel-first videos)."
            )
        if X.ndim not in (4, 5):
            hint = " For a single video pass [video] or video[None]." if X.ndim in (3,) else ""
            raise ValueError(
                f"{name} is an array with {X.ndim} dimension(s) (shape {X.shape}); "
                "expected (n_videos, n_frames, H, W) or (n_videos, n_frames, C, H, W), "
                f"or a list of videos.{hint}"
            )
        items = list(X)
    else:
        try:
            items = list(X)
        except TypeError as exc:
            raise ValueError(
                f"{name} must be a list of videos or a 4-D/5-D array; got {_describe(X)}."
            ) from exc
    if not items:
        raise ValueError(f"{name} is empty: at least one video is needed.")
    return items, was_array


def _check_pixels(video: np.ndarray, i: int, name: str) -> None:
    """Check that the pixels of video ``i`` are finite, also in float32."""
    finite = np.isfinite(video)
    if not finite.all():
        bad = np.flatnonzero(~finite.reshape(len(video), -1).all(axis=1))
        raise ValueError(
            f"video {i} of {name} has NaN or infinite pixels in frame(s) "
            f"{bad[:5].tolist()}{'...' if bad.size > 5 else ''}. Replace them "
            "(e.g. np.nan_to_num, or inpaint from neighbouring frames) or cut "
            "those frames out before passing the video."
        )
    if video.dtype.kind == "f" and video.dtype.itemsize > 4:
        # finite in float64 but inf in float32: the loss would become NaN
        huge = np.abs(video) > _FLOAT32_MAX
        if huge.any():
            bad = np.flatnonzero(huge.reshape(len(video), -1).any(axis=1))
            raise ValueError(
                f"video {i} of {name} has pixels too large for float32 (|value| > "
                f"{_FLOAT32_MAX:.3g}) in frame(s) {bad[:5].tolist()}"
                f"{'...' if bad.size > 5 else ''}, which would make the loss NaN. "
                "Rescale the video (e.g. divide by its maximum) or cut those frames out."
            )


def _check_video(
    item,
    i: int,
    name: str,
    first_frame_shape: tuple | None,
    frame_shape: tuple[int, int, int] | None,
    min_frames: int,
    min_frames_reason: str,
) -> np.ndarray:
    """Video ``i`` of ``name`` as a float32 ``(n_frames, C, H, W)`` array, checked."""
    try:
        video = np.asarray(item)
    except ValueError as exc:
        raise ValueError(f"video {i} of {name} could not be read as an array: {exc}") from exc
    check_real_numbers(video, f"video {i} of {name}", fix="Pass pixel intensities, "
                       "e.g. np.asarray(video, dtype=np.float32).")
    if video.ndim == 3:
        video = video[:, None]
    elif video.ndim == 4 and _channel_last(video.shape):
        raise ValueError(
            f"video {i} of {name} has shape {video.shape}, which looks channel-last "
            "(n_frames, H, W, C); videos must be channel-first (n_frames, C, H, W): "
            "use video.transpose(0, 3, 1, 2)."
        )
    elif video.ndim != 4:
        raise ValueError(
            f"video {i} of {name} has shape {video.shape}; expected (n_frames, H, W) "
            "or (n_frames, C, H, W), time first. For channel-last videos use "
            "np.moveaxis(video, -1, 1)."
        )
    if first_frame_shape is not None and video.shape[1:] != first_frame_shape:
        raise ValueError(
            f"video {i} of {name} has frames of shape {video.shape[1:]} (C, H, W) "
            f"but video 0 has {first_frame_shape}; all frames must have the same "
            "size and channels. Crop or resize the videos to one frame size first."
        )
    if frame_shape is not None and video.shape[1:] != tuple(frame_shape):
        raise ValueError(
            f"video {i} of {name} has frames of shape {video.shape[1:]} (C, H, W) "
            f"but the estimator was fitted on frames of shape {tuple(frame_shape)}; "
            "crop or resize the frames to that size, or refit on these videos."
        )
    if video.shape[0] < min_frames:
        raise ValueError(
            f"video {i} of {name} has {video.shape[0]} frame(s); at least "
            f"{min_frames} are needed{min_frames_reason}."
        )
    _check_pixels(video, i, name)
    return video.astype(np.float32, copy=False)


def check_videos(
    X,
    *,
    min_frames: int = 2,
    frame_shape: tuple[int, int, int] | None = None,
    name: str = "X",
    min_frames_reason: str = "",
) -> tuple[list[np.ndarray], bool]:
    """Validate a video collection and return it as a list of 4-D float32 arrays.

    Parameters
    ----------
    X : list of array-like of shape (n_frames_i, H, W) or (n_frames_i, C, H, W), \
            or array-like of shape (n_videos, n_frames, H, W) or \
            (n_videos, n_frames, C, H, W)
        The videos, time first.
    min_frames : int, default=2
        Fewest frames a video may have.
    frame_shape : tuple of int, optional
        Required ``(C, H, W)`` of every frame (that of a fitted estimator).
    name : str, default="X"
        Name used in error messages.
    min_frames_reason : str, default=""
        Why ``min_frames`` are needed and how to need fewer, appended to the
        message for short videos.

    Returns
    -------
    videos : list of ndarray of shape (n_frames_i, C, H, W), float32
        New arrays where a conversion was needed, otherwise the caller's
        arrays (which sklearn-cells never writes to).
    was_array : bool
        Whether ``X`` was a single numeric array (transformers then return an
        array rather than a list).

    Raises
    ------
    ValueError
        For an empty collection, wrong dimensionality, channel-last videos,
        non-numeric or complex data, frames of different sizes, too few frames,
        NaN or infinite pixels, or pixels beyond the float32 range.

    Examples
    --------
    >>> import numpy as np
    >>> videos, was_array = check_videos(np.zeros((2, 10, 16, 16)))
    >>> videos[0].shape, was_array
    ((10, 1, 16, 16), True)
    """
    items, was_array = _video_items(X, name)
    videos = []
    for i, item in enumerate(items):
        first_frame_shape = videos[0].shape[1:] if videos else None
        videos.append(_check_video(item, i, name, first_frame_shape, frame_shape, min_frames,
                                   min_frames_reason))
    return videos, was_array
