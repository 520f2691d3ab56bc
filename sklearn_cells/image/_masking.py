"""Turn particle cut-outs of varying sizes into fixed-size network inputs.

Seed 003 (section 8.5) compares three input modes for its CNNs:

- ``"surround"``: the whole cut-out, particle plus its surroundings;
- ``"crop"``: the smallest box that holds the particle (its mask);
- ``"crop_mask"``: that box with everything outside the mask blanked out.

All are resized to a fixed square size (28x28 for LipNet-1/2/4/4c, 32x32 for
LipNet-6). Because the mode is a parameter of :class:`ParticleMasker`,
``GridSearchCV`` can choose it.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions

from ..base import int_at_least, positive_int, real_in
from ..utils._set_output import NonTabularOutputMixin
from ..utils._validation import validate_params_unless_fitted
from ._particles import check_particles, resize

__all__ = ["ParticleMasker"]

_MODES = ("surround", "crop", "crop_mask")
_SMALL = ("upsample", "pad", "error")


def _window(
    image: np.ndarray, top: int, left: int, height: int, width: int, fill: float | None
) -> np.ndarray:
    """``image[top:top+height, left:left+width]``, padded where it leaves the image.

    Padding repeats the edge pixels (``fill=None``) or uses a constant.
    """
    h, w = image.shape
    pads = ((max(0, -top), max(0, top + height - h)), (max(0, -left), max(0, left + width - w)))
    region = image[max(0, top) : min(h, top + height), max(0, left) : min(w, left + width)]
    if any(p for pair in pads for p in pair):
        region = np.pad(region, pads, mode="edge") if fill is None else np.pad(
            region, pads, mode="constant", constant_values=fill
        )
    return region


class ParticleMasker(NonTabularOutputMixin, TransformerMixin, BaseEstimator):
    """Crop, mask and resize particle images to fixed-size network inputs.

    Parameters
    ----------
    mode : {"crop_mask", "crop", "surround"}, default="crop_mask"
        Input mode of seed 003 (section 8.5): the particle's bounding box with
        the mask applied (best in the seed), the bounding box as is, or the
        whole cut-out with its surroundings.
    output_size : int, default=28
        Side of the square output (28 for LipNet-1/2/4/4c, 32 for LipNet-6).
    margin : int, default=0
        Pixels added around the mask's bounding box before cropping.
    keep_aspect : bool, default=True
        Extend the box to a square around the particle's centre before resizing
        so that round particles stay round. With ``False`` the box is stretched
        to a square.
    small_particles : {"upsample", "pad", "error"}, default="upsample"
        What happens when the (square) box is smaller than ``output_size``:
        ``"upsample"`` enlarges it bilinearly (all particles then fill the
        input, so size information is lost, as in the seed); ``"pad"`` keeps
        its pixel scale and centres it in an ``output_size`` window (``crop``
        and ``surround`` show the surroundings, ``crop_mask`` the
        ``fill_value``); ``"error"`` raises a ``ValueError``. Larger boxes are
        always shrunk with anti-aliasing.
    fill_value : float, default=0.0
        Value outside the mask in ``crop_mask`` mode.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_cells.image._particles import ParticleImages
    >>> mask = np.zeros((60, 60), bool); mask[20:40, 25:35] = True
    >>> X = ParticleImages([np.random.rand(60, 60)], [mask])
    >>> ParticleMasker(mode="crop_mask", output_size=28).fit_transform(X).shape
    (1, 28, 28)
    """

    _parameter_constraints: dict = {
        "mode": [StrOptions(set(_MODES))],
        "output_size": [positive_int()],
        "margin": [int_at_least(0)],
        "keep_aspect": ["boolean"],
        "small_particles": [StrOptions(set(_SMALL))],
        "fill_value": [real_in(None, None, closed="both")],
    }

    def __init__(
        self,
        mode: str = "crop_mask",
        output_size: int = 28,
        *,
        margin: int = 0,
        keep_aspect: bool = True,
        small_particles: str = "upsample",
        fill_value: float = 0.0,
    ):
        self.mode = mode
        self.output_size = output_size
        self.margin = margin
        self.keep_aspect = keep_aspect
        self.small_particles = small_particles
        self.fill_value = fill_value

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check parameters and input; the transformer learns nothing.

        Parameters
        ----------
        X : ParticleImages
        y : ignored

        Returns
        -------
        self : ParticleMasker
        """
        check_particles(X, estimator=type(self).__name__)
        return self

    def transform(self, X) -> np.ndarray:
        """Fixed-size inputs for a CNN.

        Parameters
        ----------
        X : ParticleImages

        Returns
        -------
        Xt : ndarray of shape (n_samples, output_size, output_size), float32
        """
        validate_params_unless_fitted(self)
        X = check_particles(X, estimator=type(self).__name__)
        size = int(self.output_size)
        out = np.empty((len(X), size, size), dtype=np.float32)
        for i, (image, mask) in enumerate(X):
            out[i] = self._one(np.asarray(image, dtype=np.float32), mask, i, size)
        return out

    def _one(self, image: np.ndarray, mask: np.ndarray, index: int, size: int) -> np.ndarray:
        if self.mode == "surround":
            top, left, (height, width) = 0, 0, image.shape
        else:
            rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
            top, left = rows[0] - self.margin, cols[0] - self.margin
            height = rows[-1] - rows[0] + 1 + 2 * self.margin
            width = cols[-1] - cols[0] + 1 + 2 * self.margin
        if self.mode == "crop_mask":
            image = np.where(mask, image, np.float32(self.fill_value))
        fill = self.fill_value if self.mode == "crop_mask" else None
        side = max(height, width)
        if side < size:
            if self.small_particles == "error":
                raise ValueError(
                    f"Particle {index} is {height}x{width} pixels after cropping, smaller "
                    f"than output_size={size}. Use small_particles='upsample' (enlarge it) "
                    "or 'pad' (centre it at its own scale), or a smaller output_size."
                )
            if self.small_particles == "pad":
                centre_r, centre_c = top + height / 2, left + width / 2
                top, left = int(np.floor(centre_r - size / 2)), int(np.floor(centre_c - size / 2))
                return _window(image, top, left, size, size, fill)
        if self.keep_aspect:
            top -= (side - height) // 2
            left -= (side - width) // 2
            height = width = side
        region = _window(image, top, left, height, width, fill)
        return resize(region, (size, size))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags

