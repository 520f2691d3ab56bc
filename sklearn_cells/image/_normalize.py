"""Robust intensity normalisation of frames, per frame or per sequence."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ._temporal import _rewrap, check_frames, iter_sequences

__all__ = ["IntensityNormalizer"]


class IntensityNormalizer(TransformerMixin, BaseEstimator):
    """Rescale intensities with robust statistics, per frame or per sequence.

    Camera offsets (a 16-bit sensor's baseline of a few hundred counts), gain differences
    between microscopes and bleaching over time change raw intensities but not the cells.
    Quantile-based statistics ignore the few very bright or dark pixels, so the result is
    the same for an 8-bit frame and its 16-bit version with an offset.

    - ``method="percentile"``: ``(x - p_low) / (p_high - p_low)``, so that the bulk of the
      pixels lies in [0, 1] (the normalisation of CSBDeep/StarDist).
    - ``method="zscore"``: ``(x - median) / (1.4826 * MAD)``, zero-centred with unit noise
      scale, well suited to background-subtracted frames.

    Statistics are taken per frame (``per="frame"``) or over all frames of each sequence
    (``per="sequence"``, which keeps intensity changes over time; sequences come from a
    :class:`TimelapseFrames`, a plain array is one sequence), and over all channels of a
    frame. A constant frame maps to zeros. Stateless: ``fit`` only validates.

    Parameters
    ----------
    per : {"frame", "sequence"}, default="frame"
    method : {"percentile", "zscore"}, default="percentile"
    percentiles : (float, float), default=(1.0, 99.8)
        Lower and upper percentiles for ``method="percentile"``.
    clip : bool, default=False
        Clip the result to [0, 1] (``"percentile"`` only).

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.random.default_rng(0).integers(0, 255, size=(2, 16, 16))
    >>> a = IntensityNormalizer().fit_transform(frames)
    >>> b = IntensityNormalizer().fit_transform(frames.astype(np.uint16) * 4 + 500)
    >>> bool(np.allclose(a, b, atol=1e-5))
    True
    """

    def __init__(self, per: str = "frame", method: str = "percentile",
                 percentiles: tuple[float, float] = (1.0, 99.8), clip: bool = False):
        self.per = per
        self.method = method
        self.percentiles = percentiles
        self.clip = clip

    def _check_params(self):
        if self.per not in ("frame", "sequence"):
            raise ValueError(f"per={self.per!r} is not supported; use 'frame' or 'sequence'.")
        if self.method not in ("percentile", "zscore"):
            raise ValueError(
                f"method={self.method!r} is not supported; use 'percentile' or 'zscore'."
            )
        lo, hi = self.percentiles
        if not 0 <= lo < hi <= 100:
            raise ValueError(
                f"percentiles={self.percentiles!r} must satisfy 0 <= low < high <= 100."
            )

    def fit(self, X, y=None):
        """Validate ``X``; nothing is learned."""
        self._check_params()
        frames = check_frames(X)
        self.n_features_in_ = 1 if frames.ndim == 3 else frames.shape[1]
        return self

    def _scale(self, block: np.ndarray) -> np.ndarray:
        # float64 statistics: 16-bit offsets leave few float32 digits for the signal
        values = block.astype(np.float64, copy=False)
        if self.method == "percentile":
            low, high = np.percentile(values, self.percentiles)
            out = (values - low) / max(high - low, 1e-12) if high > low else values * 0.0
            if self.clip:
                out = np.clip(out, 0.0, 1.0)
        else:
            med = np.median(values)
            mad = 1.4826 * np.median(np.abs(values - med))
            if mad <= 0:  # more than half the pixels equal: fall back to the std
                mad = values.std()
            out = (values - med) / mad if mad > 0 else values * 0.0
        return out.astype(np.float32)

    def transform(self, X):
        """Return normalised float32 frames in the container kind of ``X``."""
        self._check_params()
        # float64 keeps 16-bit offsets exact before subtraction
        frames = check_frames(X, dtype=np.float64)
        out = np.empty(frames.shape, dtype=np.float32)
        if self.per == "frame":
            for i in range(len(frames)):
                out[i] = self._scale(frames[i])
        else:
            for _, pos, _ in iter_sequences(X):
                out[pos] = self._scale(frames[pos])
        return _rewrap(X, out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags
