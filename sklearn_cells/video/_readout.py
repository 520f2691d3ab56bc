"""From attention weights and prediction errors to one importance per frame.

Attention is stored banded: ``rows[t, lag]`` is the attention that the step
predicting the frame(s) after ``t`` pays to frame ``t - lag`` (zero where
``t - lag < 0``), for ``lag < n_context``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["attention_received", "normalise_importance", "surprise"]


def attention_received(rows: np.ndarray) -> np.ndarray:
    """Mean attention each frame receives, relative to uniform attention.

    Every step ``t`` that can see frame ``s`` (``s <= t < s + n_context``)
    gives it ``rows[t, t - s]`` times the number of frames that step sees, so
    1 means "as much as if attention were uniform"; frame ``s`` gets the mean
    over those steps. Steps near the start see fewer frames, which this
    scaling accounts for.

    Parameters
    ----------
    rows : ndarray of shape (n_frames, n_context)

    Returns
    -------
    received : ndarray of shape (n_frames,)

    Examples
    --------
    >>> import numpy as np
    >>> rows = np.array([[1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])
    >>> attention_received(rows).round(2).tolist()
    [1.0, 0.6, 1.8]
    """
    n_frames, n_context = rows.shape
    steps = np.arange(n_frames)
    n_visible = np.minimum(steps + 1, n_context)
    scaled = rows * n_visible[:, None]
    total = np.zeros(n_frames)
    count = np.zeros(n_frames)
    for lag in range(n_context):
        if lag >= n_frames:
            break
        # Step t = s + lag gives frame s the weight scaled[t, lag].
        total[: n_frames - lag] += scaled[lag:, lag]
        count[: n_frames - lag] += 1
    return total / count


def surprise(errors: np.ndarray) -> np.ndarray:
    """Prediction error of each frame from the frames before it.

    Parameters
    ----------
    errors : ndarray of shape (n_frames,)
        ``errors[t]``: squared error of the prediction of frame ``t`` made at
        step ``t - 1``; ``errors[0]`` is NaN (nothing came before).

    Returns
    -------
    surprise : ndarray of shape (n_frames,)
        The errors with the first frame set to the smallest error (nothing
        can surprise there).
    """
    out = np.array(errors, dtype=float)
    finite = np.isfinite(out)
    out[~finite] = out[finite].min() if finite.any() else 1.0
    return out


def normalise_importance(raw: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """The seed's per-sequence normalisation: divide by the smallest value, then log.

    The least important frame of each sequence gets 0 and the others the log
    of how many times more they get; values are comparable within a sequence,
    not between sequences.

    Parameters
    ----------
    raw : ndarray of shape (n_frames,)
        Positive raw importance of each frame.

    Returns
    -------
    importance : ndarray of shape (n_frames,)

    Examples
    --------
    >>> import numpy as np
    >>> normalise_importance(np.array([1.0, np.e, 1.0])).tolist()
    [0.0, 1.0, 0.0]
    """
    raw = np.maximum(np.asarray(raw, dtype=float), eps)
    return np.log(raw / raw.min())
