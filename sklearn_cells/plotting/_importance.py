"""Plot frame importance over time with the frames at its peaks (seed 001)."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_frame_importance", "importance_peaks"]


def importance_peaks(importance, n_peaks: int = 3, min_distance: int = 2) -> np.ndarray:
    """Frames of the ``n_peaks`` highest local maxima of an importance profile.

    Parameters
    ----------
    importance : array-like of shape (n_frames,)
    n_peaks : int, default=3
    min_distance : int, default=2
        Fewest frames between two peaks.

    Returns
    -------
    frames : ndarray of int
        Sorted by time.

    Examples
    --------
    >>> importance_peaks([0, 3, 0, 1, 0, 2, 0], n_peaks=2).tolist()
    [1, 5]
    """
    from scipy.signal import find_peaks

    x = np.asarray(importance, dtype=float).ravel()
    peaks, _ = find_peaks(np.pad(x, 1, constant_values=-np.inf), distance=min_distance)
    peaks = peaks - 1
    best = peaks[np.argsort(-x[peaks], kind="stable")][:n_peaks]
    return np.sort(best)


def _thumbnail(frame):
    frame = np.asarray(frame, dtype=float)
    if frame.ndim == 3:  # (C, H, W)
        frame = frame[0] if frame.shape[0] == 1 else np.moveaxis(frame[:3], 0, -1)
    if frame.ndim == 3:  # colour: scale to [0, 1] for imshow
        low, high = frame.min(), frame.max()
        frame = (frame - low) / (high - low) if high > low else np.zeros_like(frame)
    return frame


def plot_frame_importance(
    importance,
    video=None,
    *,
    events=None,
    n_peaks: int = 3,
    subsequences=None,
    ax=None,
    title: str | None = None,
    cmap: str = "gray",
):
    """Importance of each frame over time, with thumbnails of the peak frames.

    The seed's importance graphs: importance on the y-axis, frame number on
    the x-axis; the frames at the ``n_peaks`` highest peaks are shown above
    the curve, numbered as the markers on it.

    Parameters
    ----------
    importance : array-like of shape (n_frames,)
        One video's importance (e.g. a row of ``AttentionFrameScorer.transform``).
    video : array-like of shape (n_frames, H, W) or (n_frames, C, H, W), optional
        The video, for the thumbnails; without it only the curve is drawn.
    events : array-like, optional
        Known event frames, as a boolean mask of shape (n_frames,) or a list
        of frame indices; drawn as dashed vertical lines.
    n_peaks : int, default=3
        Peak frames to mark and show.
    subsequences : list of (start, stop[, score]) tuples, optional
        Important subsequences (:func:`~sklearn_cells.video.important_subsequences`),
        shaded.
    ax : matplotlib Axes, optional
        Where to draw the curve; a new figure is made when None.
    title : str, optional
    cmap : str, default="gray"
        Colour map of one-channel thumbnails.

    Returns
    -------
    ax : matplotlib Axes
        The axes of the curve; ``ax.thumbnail_axes_`` lists the thumbnail axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> ax = plot_frame_importance(np.array([0, 2.0, 0, 1, 0]), np.zeros((5, 8, 8)), n_peaks=2)
    >>> len(ax.thumbnail_axes_)
    2
    """
    import matplotlib.pyplot as plt

    importance = np.asarray(importance, dtype=float).ravel()
    n_frames = importance.size
    if video is not None and len(video) != n_frames:
        raise ValueError(
            f"video has {len(video)} frames but importance has {n_frames} values; "
            "pass the video the importance was computed for."
        )
    if ax is None:
        height = 4.0 if video is not None and n_peaks else 3.0
        _, ax = plt.subplots(figsize=(8, height))
        if video is not None and n_peaks:
            ax.figure.subplots_adjust(top=0.62)
    frames = np.arange(n_frames)
    for start, stop, *_ in subsequences or []:
        ax.axvspan(start - 0.5, stop - 0.5, color="tab:orange", alpha=0.2, lw=0)
    if events is not None:
        events = np.asarray(events)
        event_frames = np.flatnonzero(events) if events.dtype == bool else events.ravel()
        for i, frame in enumerate(event_frames):
            label = "known event" if i == 0 else None
            ax.axvline(frame, color="tab:red", ls="--", lw=1, label=label)
    ax.plot(frames, importance, color="tab:blue", lw=1.5, label="importance")
    peaks = importance_peaks(importance, n_peaks) if n_peaks else np.array([], dtype=int)
    ax.plot(peaks, importance[peaks], "o", color="k", ms=5)
    for k, frame in enumerate(peaks, start=1):
        ax.annotate(str(k), (frame, importance[frame]), textcoords="offset points",
                    xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xlim(-0.5, n_frames - 0.5)
    ax.set_xlabel("frame")
    ax.set_ylabel("importance (log of ratio to minimum)")
    if events is not None or subsequences:
        ax.legend(loc="upper right", fontsize=8, frameon=False)

    thumbnails = []
    if video is not None and len(peaks):
        width = min(0.22, 0.9 / len(peaks))
        gap = (1 - width * len(peaks)) / (len(peaks) + 1)
        for k, frame in enumerate(peaks):
            inset = ax.inset_axes([gap + k * (width + gap), 1.05, width, 0.5])
            inset.imshow(_thumbnail(video[frame]), cmap=cmap)
            inset.set_xticks([])
            inset.set_yticks([])
            inset.set_title(f"{k + 1}: frame {frame}", fontsize=8)
            thumbnails.append(inset)
    if title:
        if thumbnails:
            ax.figure.suptitle(title)
        else:
            ax.set_title(title)
    ax.thumbnail_axes_ = thumbnails
    return ax
