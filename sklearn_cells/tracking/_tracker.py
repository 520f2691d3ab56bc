"""InstanceTracker: :func:`link_instances` as a scikit-learn estimator."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted

from ..base import int_at_least
from ._linking import LINK_CONSTRAINTS, link_instances
from ._postprocess import drop_short_tracks
from ._trajectories import tracks_to_trajectories

__all__ = ["InstanceTracker"]


class InstanceTracker(TransformerMixin, BaseEstimator):
    """Link the cells of instance-label frames into tracks (laptrack), as an estimator.

    ``fit(labels)`` links a sequence (or several, of a ``TimelapseFrames``) and keeps the
    track table, the trajectories and the relabelled frames; ``transform(labels)`` links
    new frames with the same settings and returns their trajectories, ready for
    :class:`~sklearn_cells.trajectory.VelocityTransformer` and
    :class:`~sklearn_cells.trajectory.LSTMTrajectoryClassifier`. Nothing is learned:
    the parameters are the model, so ``transform`` does not depend on what ``fit`` saw.

    Parameters
    ----------
    max_distance : float, default=15.0
        Largest move, in pixels, between linked detections (per frame, across a gap, or
        from mother to daughter).
    max_gap : int, default=2
        Frames a gap may span (0: no gap closing).
    divisions : bool, default=True
        Find divisions (mother track ends, two daughters start with ``parent_id``).
    area_weight : float, default=0.0
        Weight of the squared log area ratio in the linking cost.
    overlap_weight : float, default=0.0
        Weight of ``1 - IoU`` of the masks in the linking cost.
    min_length : int, default=1
        Tracks with fewer detections are dropped (:func:`drop_short_tracks`); 1 keeps all.

    Attributes
    ----------
    tracks_ : pandas.DataFrame
        The track table of the fitted frames (see :func:`link_instances`).
    trajectories_ : list of ndarray of shape (n_steps, 2)
        ``(x, y)`` per track, gaps interpolated, in ``track_ids_`` order.
    track_ids_ : ndarray
        The track of each trajectory.
    labels_ : ndarray of int32 of shape (n_frames, H, W)
        The fitted frames relabelled so that each cell keeps one label, its ``track_id``.
    n_tracks_ : int
        Number of tracks.

    See Also
    --------
    link_instances : the same as a function.

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.zeros((4, 24, 24), dtype=np.int32)
    >>> for t in range(4):
    ...     frames[t, 5 + t:9 + t, 5:9] = 1
    >>> tracker = InstanceTracker(max_distance=5.0).fit(frames)
    >>> tracker.n_tracks_, tracker.trajectories_[0][:, 1].tolist()
    (1, [6.5, 7.5, 8.5, 9.5])
    """

    _parameter_constraints: dict = {**LINK_CONSTRAINTS, "min_length": [int_at_least(1)]}

    def __init__(self, max_distance: float = 15.0, max_gap: int = 2, divisions: bool = True,
                 area_weight: float = 0.0, overlap_weight: float = 0.0, min_length: int = 1):
        self.max_distance = max_distance
        self.max_gap = max_gap
        self.divisions = divisions
        self.area_weight = area_weight
        self.overlap_weight = overlap_weight
        self.min_length = min_length

    def _link(self, X, sequence_ids):
        validate_parameter_constraints(self._parameter_constraints,
                                       self.get_params(deep=False),
                                       caller_name=type(self).__name__)
        params = self.get_params(deep=False)
        min_length = params.pop("min_length")
        result = link_instances(X, sequence_ids=sequence_ids, **params)
        if min_length > 1:
            result.tracks = drop_short_tracks(result.tracks, min_length)
            result.trajectories, result.track_ids = tracks_to_trajectories(
                result.tracks, return_track_ids=True)
            result.labels = _keep_labels(result.labels, result.tracks["track_id"])
        return result

    def fit(self, X, y=None, sequence_ids=None):
        """Link the frames ``X``; ``y`` is ignored.

        Parameters
        ----------
        X : array-like of int of shape (n_frames, H, W), list of frames, or TimelapseFrames
            Instance-label frames; never modified.
        y : None
            Ignored.
        sequence_ids : array-like of shape (n_frames,), optional
            The sequence of each frame (taken from ``X`` when it is a ``TimelapseFrames``).

        Returns
        -------
        self : InstanceTracker
        """
        result = self._link(X, sequence_ids)
        self.tracks_ = result.tracks
        self.trajectories_ = result.trajectories
        self.track_ids_ = result.track_ids
        self.labels_ = result.labels
        self.n_tracks_ = len(result.track_ids)
        return self

    def fit_transform(self, X, y=None, sequence_ids=None):
        """Fit and return ``trajectories_`` (links once)."""
        return self.fit(X, y, sequence_ids=sequence_ids).trajectories_

    def transform(self, X, sequence_ids=None):
        """Link new frames with these settings and return their trajectories.

        Returns
        -------
        trajectories : list of ndarray of shape (n_steps, 2)
        """
        check_is_fitted(self, "tracks_")
        return self._link(X, sequence_ids).trajectories

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


def _keep_labels(labels: np.ndarray, track_ids) -> np.ndarray:
    """``labels`` with the pixels of tracks not in ``track_ids`` set to 0."""
    keep = np.zeros(int(labels.max()) + 1, dtype=bool)
    keep[track_ids.to_numpy()] = True
    keep[0] = False
    return np.where(keep[labels], labels, 0).astype(labels.dtype)
