"""Temporal background subtraction for time-lapse sequences (seed 004, eq. 3)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ._temporal import _check_sequence_lengths, _rewrap, check_frames, iter_sequences

__all__ = ["BackgroundSubtractor"]


class BackgroundSubtractor(TransformerMixin, BaseEstimator):
    """Subtract each sequence's per-pixel temporal median (or mean) from its frames.

    ``I'(x, y, t) = I(x, y, t) - median_t I(x, y, t)``, computed separately for every
    sequence (seed 004, eq. 3). Static debris, microwell edges and uneven illumination are
    the same in every frame and vanish; moving cells remain. The background is computed
    from the frames of the sequence present in ``X`` at ``transform`` time, so that test
    sequences use their own background (nothing is learned in ``fit``), and two sequences
    are never mixed: pass a :class:`TimelapseFrames` to say which frame belongs where; a
    plain array is taken as one sequence.

    The more frames (and the more the cells move), the cleaner the background: a cell that
    sits still for more than half of the frames becomes background. To use frames without
    masks for the median, transform the whole sequence before selecting annotated frames.

    Parameters
    ----------
    method : {"median", "mean"}, default="median"
        Temporal statistic used as the background.
    min_frames : int, default=3
        Sequences with fewer frames in ``X`` are an error (a single frame minus its own
        median is zero everywhere).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> frames = rng.normal(size=(5, 8, 8)) + 10.0  # constant offset = static background
    >>> out = BackgroundSubtractor().fit_transform(frames)
    >>> bool(abs(np.median(out)) < 0.5)
    True
    """

    def __init__(self, method: str = "median", min_frames: int = 3):
        self.method = method
        self.min_frames = min_frames

    def _check_params(self):
        if self.method not in ("median", "mean"):
            raise ValueError(f"method={self.method!r} is not supported; use 'median' or 'mean'.")
        if not isinstance(self.min_frames, (int, np.integer)) or self.min_frames < 1:
            raise ValueError(f"min_frames={self.min_frames!r} must be a positive integer.")

    def fit(self, X, y=None):
        """Validate ``X``; nothing is learned (the background is per sequence)."""
        self._check_params()
        frames = check_frames(X)
        self.n_features_in_ = 1 if frames.ndim == 3 else frames.shape[1]
        return self

    def transform(self, X):
        """Return background-subtracted float32 frames in the container kind of ``X``."""
        self._check_params()
        frames = check_frames(X)
        _check_sequence_lengths(X, self.min_frames, "temporal background subtraction")
        stat = np.median if self.method == "median" else np.mean
        out = np.empty_like(frames)
        for _, pos, _ in iter_sequences(X):
            seq = frames[pos]
            out[pos] = seq - stat(seq, axis=0).astype(frames.dtype)
        return _rewrap(X, out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags
