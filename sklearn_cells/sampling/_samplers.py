"""Random over-, random under-sampling and SMOTE for images and ragged data.

Thin conveniences over :class:`~sklearn_cells.sampling.NDSampler`: the same
parameters as their imbalanced-learn namesakes, so that grid searches read
``randomoversampler__sampling_strategy`` as usual, but ``X`` may be an image
stack, a :class:`~sklearn_cells.image._particles.ParticleImages` container or
a list of arrays.
"""

from __future__ import annotations

from imblearn import over_sampling, under_sampling

from ._adapter import NDSampler

__all__ = ["RandomOverSampler", "RandomUnderSampler", "SMOTE"]


class RandomOverSampler(NDSampler):
    """Random over-sampling (repeating minority samples) of images or ragged data.

    Seed 003 (section 4.8.1) balances its training folds this way, before
    augmentation. Same parameters as
    ``imblearn.over_sampling.RandomOverSampler``.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        Target class counts (see imbalanced-learn); "auto" resamples every
        class but the majority up to the majority's count.
    random_state : int, RandomState instance or None, default=None
    shrinkage : float or dict, default=None
        Smoothed bootstrap: adds Gaussian noise scaled by this factor to the
        repeated samples (then synthesised, not copied).

    Attributes
    ----------
    sample_indices_ : ndarray of shape (n_new_samples,)
        Indices of the repeated samples in ``X`` (without shrinkage).
    sampler_ : imblearn.over_sampling.RandomOverSampler

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(6 * 9).reshape(6, 3, 3); y = [0, 0, 0, 0, 1, 1]
    >>> X_res, y_res = RandomOverSampler(random_state=0).fit_resample(X, y)
    >>> X_res.shape
    (8, 3, 3)
    """

    _parameter_constraints: dict = over_sampling.RandomOverSampler._parameter_constraints

    def __init__(self, *, sampling_strategy="auto", random_state=None, shrinkage=None):
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.shrinkage = shrinkage

    def _make_sampler(self):
        return over_sampling.RandomOverSampler(
            sampling_strategy=self.sampling_strategy,
            random_state=self.random_state,
            shrinkage=self.shrinkage,
        )


class RandomUnderSampler(NDSampler):
    """Random under-sampling (dropping majority samples) of images or ragged data.

    Same parameters as ``imblearn.under_sampling.RandomUnderSampler``. For
    seed 003's variant that drops a fresh 20 % of the majority class at every
    epoch, use ``LipNetClassifier(undersample_majority=0.2)`` instead.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
    random_state : int, RandomState instance or None, default=None
    replacement : bool, default=False

    Attributes
    ----------
    sample_indices_ : ndarray of shape (n_new_samples,)
    sampler_ : imblearn.under_sampling.RandomUnderSampler

    Examples
    --------
    >>> import numpy as np
    >>> X = [np.zeros((n, 2)) for n in (3, 4, 5, 6, 7, 8)]  # ragged
    >>> X_res, y_res = RandomUnderSampler(random_state=0).fit_resample(X, [0, 0, 0, 0, 1, 1])
    >>> len(X_res)
    4
    """

    _parameter_constraints: dict = under_sampling.RandomUnderSampler._parameter_constraints

    def __init__(self, *, sampling_strategy="auto", random_state=None, replacement=False):
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.replacement = replacement

    def _make_sampler(self):
        return under_sampling.RandomUnderSampler(
            sampling_strategy=self.sampling_strategy,
            random_state=self.random_state,
            replacement=self.replacement,
        )


class SMOTE(NDSampler):
    """SMOTE for images: synthetic minority samples between neighbours (seed 003, 4.8.3).

    On image stacks the synthetic images are pixel-wise interpolations of
    two neighbouring minority images. On ``ParticleImages`` neighbours and
    interpolation use each particle resized to 16x16 (image and mask) plus
    its log size; the synthetic particles get the interpolated size. Every
    over-sampled class needs more than ``k_neighbors`` samples (a clear
    ``ValueError`` says so otherwise).

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
    random_state : int, RandomState instance or None, default=None
    k_neighbors : int, default=5

    Attributes
    ----------
    sampler_ : imblearn.over_sampling.SMOTE

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((20, 4, 4)); y = [0] * 14 + [1] * 6
    >>> X_res, y_res = SMOTE(random_state=0).fit_resample(X, y)
    >>> X_res.shape
    (28, 4, 4)
    """

    _parameter_constraints: dict = over_sampling.SMOTE._parameter_constraints

    def __init__(self, *, sampling_strategy="auto", random_state=None, k_neighbors=5):
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.k_neighbors = k_neighbors

    def _make_sampler(self):
        return over_sampling.SMOTE(
            sampling_strategy=self.sampling_strategy,
            random_state=self.random_state,
            k_neighbors=self.k_neighbors,
        )
