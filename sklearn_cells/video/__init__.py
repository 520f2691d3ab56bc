"""Videos: unsupervised frame importance from attention (seed study 001).

A video is a float array ``(n_frames, H, W)`` or ``(n_frames, C, H, W)``,
time first; a collection is a list of videos (lengths may differ) or one
array ``(n_videos, n_frames, [C,] H, W)``.
"""

from ._frame_change import FrameChangeScorer
from ._importance import AttentionFrameScorer
from ._stability import (
    FrameImportanceEnsemble,
    importance_agreement,
    importance_rank_correlation,
    importance_stability,
    important_subsequences,
    subsequence_variation,
)
from ._validation import check_videos

__all__ = [
    "AttentionFrameScorer",
    "FrameChangeScorer",
    "FrameImportanceEnsemble",
    "check_videos",
    "importance_agreement",
    "importance_rank_correlation",
    "importance_stability",
    "important_subsequences",
    "subsequence_variation",
]
