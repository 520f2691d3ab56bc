"""Robust intensity normalisation of frames, per frame or per sequence."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions

from ..utils._set_output import NonTabularOutputMixin
from ..utils._validation import check_range, validate_params_unless_fitted
from ._temporal import _n_channels, _rewrap, check_frames, iter_sequences

__all__ = ["IntensityNormalizer"]


class IntensityNormalizer(NonTabularOutputMixin, TransformerMixin, BaseEstimator):
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
    :class:`TimelapseFrames`, a plain array is one sequence), over all channels of a frame,
    or each channel on its own (``per_channel=True``, for channels of different kinds such
    as the raw and subtracted frames of ``BackgroundSubtractor(keep_raw=True)``). A
    constant frame maps to zeros. Frames may differ in size (a list of frames, or a ragged
    :class:`TimelapseFrames`); a list in gives a list out. Stateless: ``fit`` only
    validates.

    Parameters
    ----------
    per : {"frame", "sequence"}, default="frame"
    method : {"percentile", "zscore"}, default="percentile"
    percentiles : (float, float), default=(1.0, 99.8)
        Lower and upper percentiles for ``method="percentile"``.
    clip : bool, default=False
        Clip the result to [0, 1] (``"percentile"`` only).
    per_channel : bool, default=False
        Take the statistics of each channel separately.

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.random.default_rng(0).integers(0, 255, size=(2, 16, 16))
    >>> a = IntensityNormalizer().fit_transform(frames)
    >>> b = IntensityNormalizer().fit_transform(frames.astype(np.uint16) * 4 + 500)
    >>> bool(np.allclose(a, b, atol=1e-5))
    True
    """

    _parameter_constraints: dict = {
        "per": [StrOptions({"frame", "sequence"})],
        "method": [StrOptions({"percentile", "zscore"})],
        "percentiles": [tuple],
        "clip": ["boolean"],
        "per_channel": ["boolean"],
    }

    def __init__(self, per: str = "frame", method: str = "percentile",
                 percentiles: tuple[float, float] = (1.0, 99.8), clip: bool = False,
                 per_channel: bool = False):
        self.per = per
        self.method = method
        self.percentiles = percentiles
        self.clip = clip
        self.per_channel = per_channel

    def _check_percentiles(self) -> None:
        """The two ends of ``percentiles`` must be ordered, within [0, 100]."""
        check_range(self.percentiles, "percentiles", within=(0.0, 100.0))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate ``X``; nothing is learned."""
        self._check_percentiles()
        self.n_features_in_ = _n_channels(check_frames(X, allow_list=True))
        return self

    def _affine(self, values: np.ndarray) -> tuple[float, float]:
        """``(offset, scale)`` such that ``(x - offset) / scale`` is normalised; scale 0
        for constant values (mapped to zeros)."""
        if self.method == "percentile":
            low, high = np.percentile(values, self.percentiles)
            return float(low), float(high - low) if high > low else 0.0
        med = np.median(values)
        mad = 1.4826 * np.median(np.abs(values - med))
        if mad <= 0:  # more than half the pixels equal: fall back to the std
            mad = values.std()
        return float(med), float(mad)

    def _scale(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        """Normalise ``frames`` (float64, any sizes, same channels) with shared statistics."""
        channel_sets = [slice(None)]
        if self.per_channel and frames[0].ndim == 3:
            channel_sets = [slice(c, c + 1) for c in range(frames[0].shape[0])]
        out = [np.empty(f.shape, dtype=np.float32) for f in frames]
        for channels in channel_sets:
            # float64 statistics: 16-bit offsets leave few float32 digits for the signal
            values = np.concatenate([(f[channels] if f.ndim == 3 else f).ravel()
                                     for f in frames])
            offset, scale = self._affine(values)
            for f, o in zip(frames, out):
                block = f[channels] if f.ndim == 3 else f
                res = (block - offset) / max(scale, 1e-12) if scale > 0 else block * 0.0
                if self.clip and self.method == "percentile":
                    res = np.clip(res, 0.0, 1.0)
                if f.ndim == 3:
                    o[channels] = res
                else:
                    o[...] = res
        return out

    def transform(self, X):
        """Return normalised float32 frames in the container kind of ``X``."""
        validate_params_unless_fitted(self, self._check_percentiles)
        # float64 keeps 16-bit offsets exact before subtraction
        frames = check_frames(X, dtype=np.float64, allow_list=True)
        groups = ([np.array([i]) for i in range(len(frames))] if self.per == "frame"
                  else [pos for _, pos, _ in iter_sequences(X)])
        out = [None] * len(frames)
        for pos in groups:
            for p, res in zip(pos.tolist(), self._scale([frames[p] for p in pos.tolist()])):
                out[p] = res
        if not isinstance(frames, list):
            out = np.stack(out)
        return _rewrap(X, out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags
