"""An indexable container of particle images with same-shaped binary masks.

Particle cut-outs (seed 003: one liposome per image, with 50 pixels of
surroundings) differ in size from sample to sample, so they cannot be one
numpy array. :class:`ParticleImages` keeps them in one object that scikit-learn
can split: it has a ``shape`` of ``(n_samples,)`` and ``X[indices, ...]``
returns another :class:`ParticleImages`, which is all that
``sklearn.utils._safe_indexing``, the CV splitters, ``cross_validate`` and
``GridSearchCV`` need.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np

from ..utils._validation import check_real_numbers

__all__ = ["Particle", "ParticleImages", "check_particles"]


class Particle(NamedTuple):
    """One particle: a 2-D image and its same-shaped boolean mask."""

    image: np.ndarray
    mask: np.ndarray


def _object_array(items: Sequence) -> np.ndarray:
    # np.array(list_of_equal_shapes, dtype=object) would build an n-d array.
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def _check_image(image, index: int) -> np.ndarray:
    image = np.asarray(image)
    check_real_numbers(image, f"Image {index}",
                       fix="Convert it with np.asarray(image, dtype=float).")
    if image.ndim == 3:
        raise ValueError(
            f"Image {index} has shape {image.shape}: it looks like it has a channel "
            "axis, but particle images must be 2-D grayscale (height, width). Convert "
            "colour images with image.mean(axis=-1), or drop a singleton channel with "
            "image.squeeze()."
        )
    if image.ndim != 2:
        raise ValueError(
            f"Image {index} has {image.ndim} dimension(s) (shape {image.shape}); "
            "particle images must be 2-D (height, width)."
        )
    if image.size == 0:
        raise ValueError(f"Image {index} is empty (shape {image.shape}).")
    if np.issubdtype(image.dtype, np.floating) and not np.isfinite(image).all():
        raise ValueError(
            f"Image {index} contains NaN or infinite values; replace them first "
            "(for example with np.nan_to_num)."
        )
    return image


def _check_mask(mask, image: np.ndarray, index: int) -> np.ndarray:
    if mask is None:  # no segmentation: the particle is the whole crop
        return np.ones(image.shape, dtype=bool)
    mask = np.asarray(mask)
    if mask.shape != image.shape:
        raise ValueError(
            f"Mask {index} has shape {mask.shape} but its image has shape "
            f"{image.shape}; every mask must have the same shape as its image. "
            "Check that images and masks are paired in the same order."
        )
    if mask.dtype != bool:
        if not (np.issubdtype(mask.dtype, np.number)):
            raise ValueError(f"Mask {index} has dtype {mask.dtype}; masks must be boolean.")
        values = np.unique(mask)
        if not np.isin(values, (0, 1)).all():
            raise ValueError(
                f"Mask {index} is not binary: it holds values {values[:6].tolist()}"
                f"{' ...' if len(values) > 6 else ''}. Masks must be boolean or 0/1; "
                "threshold it (mask > 0) or, for a label image, select one label "
                "(labels == k)."
            )
        mask = mask.astype(bool)
    if not mask.any():
        raise ValueError(
            f"Mask {index} is empty (no foreground pixel). Every particle needs a "
            "non-empty mask; drop that sample or fix its segmentation."
        )
    return mask


class ParticleImages:
    """Particle images of varying sizes, each with a same-shaped boolean mask.

    One object per data set, indexable like a 1-D array of samples: pass it
    as ``X`` to cross-validation, ``GridSearchCV``, the samplers of
    :mod:`sklearn_cells.sampling` and the particle transformers.

    Parameters
    ----------
    images : sequence of array-like of shape (height_i, width_i)
        Grayscale images (any numeric dtype), or one array
        ``(n_samples, height, width)`` when all have the same size.
    masks : sequence of array-like of shape (height_i, width_i), default=None
        Boolean (or 0/1) masks of the particle, one per image, same shapes.
        ``None`` (or a ``None`` entry) means the crop has no mask: its
        default mask is the **whole crop**. The particle transformers then
        describe the crop: :class:`~sklearn_cells.image.ParticleMasker`
        resizes the whole crop in every mode; in
        :class:`~sklearn_cells.image.ParticleFeatures` the intensity
        histogram and the radial profile (around the crop centre, where
        cut-outs put the particle) still describe the particle, whereas area,
        circularity and moments describe the crop's size and aspect, and the
        edge profile and ``snr`` the crop border. For shape features pass
        real masks (for example from a segmentation, via
        :func:`~sklearn_cells.datasets.extract_particles`). The whole crop is
        used rather than an automatic threshold because none was reliable: on
        :func:`~sklearn_cells.datasets.make_liposomes` a robust threshold
        around the central object gave a median IoU of 0.90 with the true
        masks, but below 0.3 for one crop in ten.
    validate : bool, default=True
        Check shapes, dtypes and masks. Only internal code that builds a
        container from an already validated one skips it.

    Attributes
    ----------
    images : ndarray of object, shape (n_samples,)
        The images (the caller's arrays, never written to).
    masks : ndarray of object, shape (n_samples,)
        The masks as boolean arrays.
    shape : tuple
        ``(n_samples,)``, which makes the container indexable by scikit-learn.

    Raises
    ------
    ValueError
        For an empty collection, a different number of images and masks,
        images that are not 2-D (for example with a channel axis), complex or
        non-finite values, or masks that differ in shape from their image, are not binary
        or are empty. Messages name the sample and the fix.

    Examples
    --------
    >>> import numpy as np
    >>> images = [np.random.rand(40, 50), np.random.rand(30, 30)]
    >>> masks = [np.ones((40, 50), bool), np.ones((30, 30), bool)]
    >>> X = ParticleImages(images, masks)
    >>> X.shape, X[[1]].sizes.tolist()
    ((2,), [[30, 30]])

    Crops without masks get the whole crop as their mask:

    >>> bool(ParticleImages(images).masks[1].all())
    True
    """

    def __init__(self, images, masks=None, *, validate: bool = True):
        if validate:
            if isinstance(images, ParticleImages) or isinstance(images, (str, bytes)):
                raise TypeError("images must be a sequence of 2-D arrays.")
            images = list(images)
            if masks is None:
                masks = [None] * len(images)
            elif isinstance(masks, (str, bytes)):
                raise TypeError("masks must be a sequence of 2-D arrays or None.")
            masks = list(masks)
            if len(images) == 0:
                raise ValueError("ParticleImages needs at least one image; got none.")
            if len(images) != len(masks):
                raise ValueError(
                    f"Got {len(images)} images but {len(masks)} masks; pass one mask "
                    "per image."
                )
            images = [_check_image(im, i) for i, im in enumerate(images)]
            masks = [_check_mask(m, im, i) for i, (m, im) in enumerate(zip(masks, images))]
        self.images = images if isinstance(images, np.ndarray) else _object_array(images)
        self.masks = masks if isinstance(masks, np.ndarray) else _object_array(masks)

    # -- array-like protocol -------------------------------------------------
    @property
    def shape(self) -> tuple[int]:
        return (len(self.images),)

    @property
    def ndim(self) -> int:
        return 1

    def __len__(self) -> int:
        return len(self.images)

    def __iter__(self) -> Iterator[Particle]:
        for image, mask in zip(self.images, self.masks):
            yield Particle(image, mask)

    def __getitem__(self, key):
        # sklearn's _safe_indexing calls X[indices, ...]
        if isinstance(key, tuple):
            if len(key) == 2 and key[1] is Ellipsis:
                key = key[0]
            elif len(key) == 1:
                key = key[0]
            else:
                raise IndexError("ParticleImages is 1-D: index it with one key.")
        if isinstance(key, numbers.Integral):
            return Particle(self.images[key], self.masks[key])
        if isinstance(key, slice):
            return ParticleImages(self.images[key], self.masks[key], validate=False)
        key = np.asarray(key)
        if key.dtype != bool and not np.issubdtype(key.dtype, np.integer):
            if key.size == 0:
                key = key.astype(int)
            else:
                raise IndexError(
                    f"ParticleImages can be indexed with integers, slices or boolean "
                    f"masks; got an array of dtype {key.dtype}."
                )
        return ParticleImages(self.images[key], self.masks[key], validate=False)

    def __repr__(self) -> str:
        sizes = self.sizes
        if len(sizes) == 0:
            return "ParticleImages(n_samples=0)"
        return (
            f"ParticleImages(n_samples={len(self)}, heights {sizes[:, 0].min()}-"
            f"{sizes[:, 0].max()}, widths {sizes[:, 1].min()}-{sizes[:, 1].max()})"
        )

    # -- helpers -------------------------------------------------------------
    @property
    def sizes(self) -> np.ndarray:
        """``(n_samples, 2)`` integer array of (height, width)."""
        return np.array([im.shape for im in self.images], dtype=int).reshape(-1, 2)

    @classmethod
    def concatenate(cls, parts: Sequence[ParticleImages]) -> ParticleImages:
        """Join containers end to end (no copy of the images)."""
        images = np.concatenate([p.images for p in parts]) if parts else _object_array([])
        masks = np.concatenate([p.masks for p in parts]) if parts else _object_array([])
        return cls(images, masks, validate=False)

    # -- protocol used by sklearn_cells.sampling.NDSampler -------------------
    #: Side of the square grid on which samplers such as SMOTE see particles.
    _sampler_grid = 16

    def _to_sampler_features(self) -> np.ndarray:
        """Fixed-length rows for imbalanced-learn: resized image, mask and size.

        Each particle becomes its image and mask resized to a 16x16 grid plus
        the log of its height and width, so that nearest neighbours compare
        appearance and size, and a synthetic row can be turned back into a
        particle by :meth:`_from_sampler_features`.
        """
        g = self._sampler_grid
        rows = np.empty((len(self), 2 * g * g + 2))
        for i, (image, mask) in enumerate(self):
            rows[i, : g * g] = resize(image, (g, g)).ravel()
            rows[i, g * g : 2 * g * g] = resize(mask, (g, g)).ravel()
            rows[i, -2:] = np.log(image.shape)
        return rows

    @classmethod
    def _from_sampler_features(cls, rows: np.ndarray) -> ParticleImages:
        g = cls._sampler_grid
        images, masks = [], []
        for row in np.asarray(rows, dtype=float):
            size = tuple(int(v) for v in np.maximum(np.rint(np.exp(row[-2:])), 1))
            images.append(resize(row[: g * g].reshape(g, g), size).astype(np.float32))
            mask = resize(row[g * g : 2 * g * g].reshape(g, g), size) >= 0.5
            if not mask.any():  # keep the container's invariant: masks are never empty
                mask[size[0] // 2, size[1] // 2] = True
            masks.append(mask)
        return cls(images, masks, validate=False)


def resize(image: np.ndarray, size: tuple[int, int], *, antialias: bool = True) -> np.ndarray:
    """Bilinear resize of a 2-D array to ``size`` (anti-aliased when shrinking).

    Anti-aliasing matters here: a one-pixel membrane ring shrunk fourfold
    without it breaks into dots. Returns float32 (float64 in, float64 out).
    """
    import torch
    import torch.nn.functional as F

    image = np.asarray(image)
    if image.shape == tuple(size):
        return image.astype(np.float64 if image.dtype == np.float64 else np.float32)
    dtype = np.float64 if image.dtype == np.float64 else np.float32
    tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=dtype))[None, None]
    out = F.interpolate(tensor, size=tuple(size), mode="bilinear", align_corners=False, antialias=antialias)
    return out[0, 0].numpy()


def check_particles(X, *, name: str = "X", estimator: str | None = None) -> ParticleImages:
    """Check that ``X`` is a :class:`ParticleImages` and return it.

    Parameters
    ----------
    X : ParticleImages
    name : str, default="X"
        Name used in messages.
    estimator : str, optional
        Name of the calling estimator, used in messages.

    Returns
    -------
    X : ParticleImages

    Raises
    ------
    TypeError
        If ``X`` is something else; the message says how to build one.

    Examples
    --------
    >>> import numpy as np
    >>> X = ParticleImages([np.zeros((5, 5))], [np.ones((5, 5), bool)])
    >>> check_particles(X) is X
    True
    """
    if isinstance(X, ParticleImages):
        return X
    where = f"{estimator} expects" if estimator else "Expected"
    shape = f" with shape {np.shape(X)}" if hasattr(X, "shape") else ""
    raise TypeError(
        f"{where} {name} to be a ParticleImages container (images with masks); got "
        f"{type(X).__name__}{shape}. Build one with ParticleImages(images, masks), "
        "sklearn_cells.datasets.load_particles or make_liposomes."
    )
