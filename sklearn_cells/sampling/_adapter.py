"""Let any imbalanced-learn sampler resample n-d arrays and ragged containers.

imbalanced-learn validates ``X`` as a 2-D matrix, so its samplers reject image
stacks ``(n, H, W)``, ``(n, C, H, W)``, trajectory lists and
:class:`~sklearn_cells.image._particles.ParticleImages`. :class:`NDSampler`
shows the wrapped sampler a 2-D *view* of the samples and maps its output
back:

- samplers that select samples (random over/under-sampling, Tomek links,
  NearMiss, ...) expose ``sample_indices_``; the output is ``X`` indexed by
  them, so images come back bit for bit, in the caller's container type;
- samplers that synthesise samples (SMOTE, ADASYN, ...) produce new rows of
  the view, which are reshaped to images (n-d arrays) or rebuilt by the
  container (``ParticleImages`` rebuilds particles from a resized view).

Views: an n-d array is flattened to ``(n, prod(shape[1:]))``; a container
provides its own (``_to_sampler_features``); lists of equal-shaped arrays are
stacked; ragged lists need ``features=`` unless the sampler ignores feature
values (random over/under-sampling).
"""

from __future__ import annotations

import numbers

import numpy as np
from imblearn.base import SamplerMixin
from imblearn.utils import check_sampling_strategy
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.multiclass import check_classification_targets

__all__ = ["NDSampler"]


def _is_ragged_list(X) -> bool:
    return isinstance(X, (list, tuple)) or (
        isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1
    )


def _index_like(X, indices: np.ndarray):
    """``X`` restricted to ``indices``, in the caller's container type."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        return X[indices]
    if _is_ragged_list(X):
        return [X[i] for i in indices]
    return X[indices]


def _ignores_feature_values(sampler) -> bool:
    from imblearn.over_sampling import RandomOverSampler
    from imblearn.under_sampling import RandomUnderSampler

    if isinstance(sampler, RandomUnderSampler):
        return True
    return isinstance(sampler, RandomOverSampler) and sampler.shrinkage is None


class NDSampler(SamplerMixin, BaseEstimator):
    """Adapter: any imbalanced-learn sampler on n-d arrays and ragged data.

    Seed 003 (section 4.8) balances its liposome classes by over-sampling,
    under-sampling and SMOTE; this adapter runs those samplers on images.

    Use it as a step of ``imblearn.pipeline.Pipeline``: it resamples during
    ``fit`` only, and prediction passes the data through untouched.

    Parameters
    ----------
    sampler : imbalanced-learn sampler, default=None
        The sampler to apply (cloned at each fit). ``None`` means
        ``imblearn.over_sampling.RandomOverSampler()``.
    features : callable, default=None
        ``features(X) -> ndarray (n_samples, n_features)``: the 2-D view the
        sampler sees, for example ``ParticleFeatures().fit_transform`` so
        that Tomek links or NearMiss compare particles by shape. Needed for
        ragged lists with samplers that use feature values. Only selecting
        samplers (with ``sample_indices_``) can be used with it, since
        synthetic rows in feature space cannot be turned back into samples.

    Attributes
    ----------
    sampler_ : imbalanced-learn sampler
        The fitted clone of ``sampler``.
    sample_indices_ : ndarray of shape (n_new_samples,)
        Indices of the selected samples, when the sampler only selects
        samples (absent for synthesising samplers such as SMOTE).
    sampling_strategy_ : dict
        The fitted sampler's targets, when it exposes them.

    Examples
    --------
    >>> import numpy as np
    >>> from imblearn.under_sampling import RandomUnderSampler
    >>> X = np.zeros((10, 4, 4)); y = np.array([0] * 8 + [1] * 2)
    >>> X_res, y_res = NDSampler(RandomUnderSampler(random_state=0)).fit_resample(X, y)
    >>> X_res.shape, np.bincount(y_res).tolist()
    ((4, 4, 4), [2, 2])
    """

    _sampling_type = "bypass"
    _parameter_constraints: dict = {
        "sampler": [HasMethods(["fit_resample"]), None],
        "features": [callable, None],
    }

    def __init__(self, sampler=None, *, features=None):
        self.sampler = sampler
        self.features = features

    # subclasses build their imbalanced-learn sampler from their own parameters
    def _make_sampler(self):
        if self.sampler is None:
            from imblearn.over_sampling import RandomOverSampler

            return RandomOverSampler()
        return clone(self.sampler)

    def fit(self, X, y, **params):
        """Fit the sampler (resampling is done by ``fit_resample``); return self."""
        self.fit_resample(X, y, **params)
        return self

    # not True: the wrapped sampler and the features callable validate their own parameters
    @_fit_context(prefer_skip_nested_validation=False)
    def fit_resample(self, X, y, **params):
        """Resample ``X`` and ``y``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, ...), ParticleImages, or list of arrays
            Samples: image stacks, containers or ragged lists.
        y : array-like of shape (n_samples,)
            Class labels.
        **params : dict
            Passed to the wrapped sampler's ``fit_resample``.

        Returns
        -------
        X_resampled : same kind of container as ``X``
        y_resampled : ndarray of shape (n_new_samples,)
        """
        return self._fit_resample(X, y, **params)

    def _view(self, X) -> tuple[np.ndarray, str]:
        features = getattr(self, "features", None)  # the conveniences have none
        if features is not None:
            return self._features_view(features, X), "features"
        if hasattr(X, "_to_sampler_features"):
            return X._to_sampler_features(), "container"
        if _is_ragged_list(X):
            shapes = {np.shape(x) for x in X}
            if len(shapes) == 1:
                return np.stack([np.asarray(x) for x in X]).reshape(len(X), -1), "stacked"
            return np.arange(len(X), dtype=float)[:, None], "ragged"
        X = np.asarray(X)
        if X.ndim < 2 or X.dtype == object:
            raise ValueError(
                f"X must be an array (n_samples, ...) with at least 2 dimensions, a "
                f"ParticleImages container or a list of arrays; got shape {X.shape}."
            )
        return X.reshape(len(X), -1), "array"

    @staticmethod
    def _features_view(features, X) -> np.ndarray:
        """``features(X)`` as a float matrix with one row per sample, or a clear error."""
        name = getattr(features, "__qualname__", type(features).__name__)
        Z = features(X)
        try:
            Z = np.asarray(Z, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"features={name} must return a numeric (n_samples, n_features) array; "
                f"got {type(Z).__name__} that cannot be read as floats ({exc})."
            ) from exc
        n = len(X)
        if Z.ndim != 2 or Z.shape[0] != n:
            raise ValueError(
                f"features={name} returned an array of shape {Z.shape}, but the sampler "
                f"needs one row per sample: shape ({n}, n_features). Return one row per "
                "element of X, in the same order (reshape a 1-D result with "
                ".reshape(-1, 1))."
            )
        return Z

    def _check_neighbours(self, sampler, y: np.ndarray) -> None:
        """Clear error where SMOTE-like samplers would fail obscurely on tiny classes."""
        k = getattr(sampler, "k_neighbors", getattr(sampler, "n_neighbors", None))
        if not isinstance(k, numbers.Integral) or getattr(sampler, "_sampling_type", "") != "over-sampling":
            return
        targets = check_sampling_strategy(sampler.sampling_strategy, y, "over-sampling")
        labels, counts = np.unique(y, return_counts=True)
        for label, count in zip(labels, counts):
            if targets.get(label, 0) > 0 and count <= k:
                name = label.item() if hasattr(label, "item") else label
                fix = (
                    f"lower k_neighbors to at most {count - 1}"
                    if count > 1
                    else "a single sample cannot be interpolated, so over-sample this "
                    "class with RandomOverSampler instead (or collect more samples)"
                )
                raise ValueError(
                    f"Class {name!r} has {count} sample(s), but {type(sampler).__name__} "
                    f"with k_neighbors={k} needs at least {k + 1} in every class it "
                    f"over-samples: {fix}."
                )

    def _fit_resample(self, X, y, **params):
        if X is None or isinstance(X, (str, bytes)):
            raise ValueError("X must be an array, a ParticleImages container or a list of arrays.")
        y = np.asarray(y)
        check_classification_targets(y)
        y = column_or_1d(y)
        check_consistent_length(X, y)
        sampler = self._make_sampler()
        Z, kind = self._view(X)
        if kind == "ragged" and not _ignores_feature_values(sampler):
            raise ValueError(
                f"{type(sampler).__name__} uses feature values, but X is a ragged list "
                "whose samples differ in shape. Pass features=callable returning one "
                "row per sample (for example a feature extractor's fit_transform), or "
                "resample after a step that gives the samples a common shape."
            )
        self._check_neighbours(sampler, y)
        Z_res, y_res = sampler.fit_resample(Z, y, **params)
        Z_res = np.asarray(Z_res)
        indices = getattr(sampler, "sample_indices_", None)
        if indices is not None:
            indices = np.asarray(indices)
            # a selecting sampler returns the rows it selected unchanged; ROS with
            # shrinkage sets sample_indices_ but perturbs the rows
            if np.array_equal(Z_res, Z[indices]):
                X_res = _index_like(X, indices)
            else:
                indices = None
        if indices is None:
            X_res = self._rebuild(X, Z, Z_res, kind, sampler)
        self.sampler_ = sampler
        if indices is not None:
            self.sample_indices_ = indices
        elif hasattr(self, "sample_indices_"):
            del self.sample_indices_
        if hasattr(sampler, "sampling_strategy_"):
            self.sampling_strategy_ = sampler.sampling_strategy_
        return X_res, np.asarray(y_res)

    def _rebuild(self, X, Z, Z_res, kind, sampler):
        """Turn rows of the view that are not plain copies back into samples."""
        name = type(sampler).__name__
        if kind == "features":
            raise ValueError(
                f"{name} synthesises new samples, which cannot be turned back into "
                "samples from the features= view. Use features=None (the data's own "
                "view), or a sampler that selects samples."
            )
        if kind == "array":
            X = np.asarray(X)
            return Z_res.reshape((len(Z_res),) + X.shape[1:])
        if kind == "stacked":
            shape = np.shape(X[0])
            return list(Z_res.reshape((len(Z_res),) + shape))
        if kind == "ragged":  # unreachable: refused before sampling
            raise ValueError(f"{name} cannot synthesise samples of a ragged list.")
        # container: keep originals where the row is an original's copy
        lookup = {row.tobytes(): i for i, row in enumerate(np.ascontiguousarray(Z))}
        Z_res = np.ascontiguousarray(Z_res, dtype=Z.dtype)
        found = np.array([lookup.get(row.tobytes(), -1) for row in Z_res])
        parts, start = [], 0
        while start < len(found):
            original = found[start] >= 0
            stop = start
            while stop < len(found) and (found[stop] >= 0) == original:
                stop += 1
            if original:
                parts.append(X[found[start:stop]])
            else:
                parts.append(type(X)._from_sampler_features(Z_res[start:stop]))
            start = stop
        return type(X).concatenate(parts)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
