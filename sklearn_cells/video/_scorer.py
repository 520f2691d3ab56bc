"""What the frame scorers share: the tags of a video transformer and the score."""

from __future__ import annotations

import numpy as np
from sklearn.base import TransformerMixin

from ..utils._set_output import NonTabularOutputMixin


class VideoTransformerMixin(NonTabularOutputMixin, TransformerMixin):
    """Transformer of videos: no 2-D or 3-D array input, no target."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = False
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = []
        return tags


class FrameScorerMixin(VideoTransformerMixin):
    """Mixin of the frame scorers (``fit`` / ``transform`` on videos).

    Subclasses define ``_one_step_errors(X)``: per video, the mean squared
    error of predicting each frame from the frames before it (NaN for the
    first frame).
    """

    def score(self, X, y=None) -> float:
        """Negative mean squared error of one-step-ahead predictions.

        Every frame but the first of each video is predicted from the frames
        before it; higher is better, so
        :class:`~sklearn.model_selection.GridSearchCV` can select by it, and
        scorers of different kinds compare on one scale.

        Parameters
        ----------
        X : list of videos or array (n_videos, n_frames, [C,] H, W)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        errors = np.concatenate([e[1:] for e in self._one_step_errors(X)])
        return -float(errors.mean())
