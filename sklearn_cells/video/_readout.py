"""From attention weights and prediction errors to one importance per frame.

Attention is stored banded: ``rows[t, lag]`` is the attention that the step
predicting the frame(s) after ``t`` pays to frame ``t - lag`` (zero where
``t - lag < 0``), for ``lag < attention_span``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["attention_change", "attention_received", "normalise_importance", "surprise"]


def attention_received(rows: np.ndarray) -> np.ndarray:
    """Mean attention each frame receives, relative to uniform attention.

    Every step ``t`` that can see frame ``s`` (``s <= t < s + attention_span``)
    gives it ``rows[t, t - s]`` times the number of frames that step sees, so
    1 means "as much as if attention were uniform"; frame ``s`` gets the mean
    over those steps. Steps near the start see fewer frames, which this
    scaling accounts for.

    Parameters
    ----------
    rows : ndarray of shape (n_frames, attention_span)

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
    n_frames, attention_span = rows.shape
    steps = np.arange(n_frames)
    n_visible = np.minimum(steps + 1, attention_span)
    scaled = rows * n_visible[:, None]
    total = np.zeros(n_frames)
    count = np.zeros(n_frames)
    for lag in range(attention_span):
        if lag >= n_frames:
            break
        # Step t = s + lag gives frame s the weight scaled[t, lag].
        total[: n_frames - lag] += scaled[lag:, lag]
        count[: n_frames - lag] += 1
    return total / count


def attention_change(rows: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    """How much the network's attention to the past shifts at each frame.

    Step ``t`` and step ``t - 1`` both see frames ``t - attention_span + 1 ...
    t - 1``; their attention over those frames, each renormalised to sum to
    one, is compared by total variation distance (0: same distribution, 1:
    disjoint). A frame where the network suddenly redistributes its attention
    over the same earlier frames is one where its use of the past changed
    (the seed's "attention variation"), whereas attention that merely slides
    along with time gives small values.

    Parameters
    ----------
    rows : ndarray of shape (n_frames, attention_span)
        Banded attention, ``rows[t, lag]`` paid by step ``t`` to frame ``t - lag``.
    floor : float, default=1e-3
        Smallest value returned, so that the per-video log normalisation
        stays finite; the first two frames (nothing to compare) get the
        video's smallest value.

    Returns
    -------
    change : ndarray of shape (n_frames,)

    Examples
    --------
    >>> import numpy as np
    >>> rows = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.4, 0.4],
    ...                  [0.2, 0.0, 0.8]])
    >>> attention_change(rows).round(2).tolist()  # step 3 moves to frame 1
    [0.0, 0.0, 0.0, 0.33]
    """
    rows = np.asarray(rows, dtype=float)
    n_frames, attention_span = rows.shape
    out = np.full(n_frames, np.nan)
    for t in range(2, n_frames):
        k = min(attention_span - 1, t)  # frames t - 1 ... t - k, seen by both steps
        now, before = rows[t, 1 : k + 1], rows[t - 1, :k]
        if now.sum() <= 0 or before.sum() <= 0:
            continue
        out[t] = 0.5 * np.abs(now / now.sum() - before / before.sum()).sum()
    finite = np.isfinite(out)
    out[~finite] = out[finite].min() if finite.any() else floor
    return np.maximum(out, floor)


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
