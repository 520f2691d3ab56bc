"""Frame importance without a network: the change from the previous frame.

:class:`FrameChangeScorer` is the baseline every learned frame-importance
read-out has to beat: a frame is as important as it is different from the
frame before it (mean squared pixel change). It is also the prediction error
of the simplest next-frame predictor, "nothing moves", so it is the
"surprise" of :class:`~sklearn_cells.video.AttentionFrameScorer` with the
network replaced by a copy of the previous frame. Both share ``fit`` /
``transform``, input validation and output layout, so one harness scores
either.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils.validation import check_is_fitted

from ._readout import normalise_importance, surprise
from ._scorer import FrameScorerMixin
from ._validation import check_videos

__all__ = ["FrameChangeScorer"]


class FrameChangeScorer(FrameScorerMixin, BaseEstimator):
    """Score video frames by their mean squared change from the previous frame.

    The model-free baseline for
    :class:`~sklearn_cells.video.AttentionFrameScorer` (seed 001's study): same ``fit`` /
    ``transform`` interface, same inputs and the same per-video
    normalisation (divided by the video's smallest value, then log), so that
    the two can be swapped in one harness. ``fit`` learns nothing; it records
    the frame shape, so that ``transform`` checks new videos as the network
    does.

    On videos whose events are visible as a jump in the picture
    (:func:`~sklearn_cells.datasets.make_migration_videos`, default events) it
    ranks event frames above ordinary ones with a held-out ROC AUC of 0.96,
    as high as a network's surprise (0.97); on events that change how a cell
    moves but not how much the picture changes (``events="hard"``) it is at
    chance, 0.52, where the surprise of a network with ``motion=True``
    reaches 0.89 (``benchmarks/bench_frame_importance.py``).

    Attributes
    ----------
    frame_shape_ : tuple of int
        ``(C, H, W)`` of the frames seen in ``fit``.
    n_features_in_ : int
        Channels per frame, as for the other image estimators.

    See Also
    --------
    sklearn_cells.video.AttentionFrameScorer : frame importance from a
        learned next-frame predictor.

    Notes
    -----
    The change of frame ``t`` is the mean over pixels (and channels) of
    ``(frame[t] - frame[t - 1]) ** 2``; the first frame, with nothing before
    it, gets the video's smallest change. Pixel noise adds the same amount to
    every frame, so it lowers contrast but not the ranking of frames.

    Examples
    --------
    >>> import numpy as np
    >>> videos = np.zeros((2, 6, 8, 8))
    >>> videos[:, 4:] = 1.0  # everything changes at frame 4
    >>> videos += np.random.RandomState(0).normal(0, 0.01, videos.shape)
    >>> importance = FrameChangeScorer().fit(videos).transform(videos)
    >>> importance.shape, importance.argmax(axis=1).tolist()
    ((2, 6), [4, 4])
    """

    _parameter_constraints: dict = {}

    def __init__(self):
        pass

    def _validate(self, X, fitted):
        return check_videos(
            X,
            min_frames=2,
            frame_shape=self.frame_shape_ if fitted else None,
            min_frames_reason=" to compare a frame with the one before it",
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the frame shape of the videos (nothing is learned).

        Parameters
        ----------
        X : list of array-like of shape (n_frames_i, [C,] H, W), or array-like \
                of shape (n_videos, n_frames, [C,] H, W)
            The videos, time first; lengths may differ, frame sizes may not.
        y : None
            Ignored; present for pipelines.

        Returns
        -------
        self : FrameChangeScorer
        """
        videos, _ = self._validate(X, fitted=False)
        self.frame_shape_ = tuple(int(s) for s in videos[0].shape[1:])
        self.n_features_in_ = self.frame_shape_[0]
        return self

    def _changes(self, X):
        check_is_fitted(self, "frame_shape_")
        videos, was_array = self._validate(X, fitted=True)
        changes = []
        for video in videos:
            # float64: squared differences of float32 frames lose digits in the mean.
            diff = np.diff(video.astype(np.float64), axis=0)
            changes.append(np.concatenate([[np.nan], (diff**2).reshape(len(diff), -1).mean(1)]))
        return changes, was_array

    def transform(self, X):
        """One importance per frame of each video.

        Parameters
        ----------
        X : list of videos or array (n_videos, n_frames, [C,] H, W)

        Returns
        -------
        importance : ndarray of shape (n_videos, n_frames) or list of ndarray
            An array when ``X`` is one array, otherwise a list with one
            ``(n_frames_i,)`` array per video. Each video's least important
            frame has 0; the others ``log(change / smallest change)``.
        """
        changes, was_array = self._changes(X)
        out = [normalise_importance(surprise(change)) for change in changes]
        return np.stack(out) if was_array else out

    def frame_changes(self, X):
        """Mean squared change of each frame from the previous one.

        The raw values behind ``transform``; the counterpart of
        :meth:`AttentionFrameScorer.prediction_errors
        <sklearn_cells.video.AttentionFrameScorer.prediction_errors>`.

        Parameters
        ----------
        X : list of videos or array (n_videos, n_frames, [C,] H, W)

        Returns
        -------
        changes : list of ndarray of shape (n_frames_i,)
            ``changes[i][t]`` is the mean of ``(frame t - frame t-1) ** 2``;
            ``changes[i][0]`` is NaN.
        """
        return self._changes(X)[0]

    _one_step_errors = frame_changes
