"""NDSampler and the random over/under-samplers and SMOTE on n-d and ragged data."""

import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import NearMiss, TomekLinks
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from sklearn_cells.image._particles import ParticleImages
from sklearn_cells.sampling import SMOTE, NDSampler, RandomOverSampler, RandomUnderSampler

Y = np.array(["maj"] * 12 + ["min"] * 4)


def _images(shape=(16, 5, 6), seed=0):
    return np.random.default_rng(seed).random(shape)


def _particles(seed=0):
    rng = np.random.default_rng(seed)
    images, masks = [], []
    for i in range(16):
        h, w = 10 + i, 12 + (i % 5)
        images.append(rng.random((h, w)) + (5.0 if i >= 12 else 0.0))
        mask = np.zeros((h, w), bool)
        mask[2:-2, 3:-3] = True
        masks.append(mask)
    return ParticleImages(images, masks)


@pytest.mark.parametrize("shape", [(16, 5, 6), (16, 2, 5, 6)], ids=["3d", "4d"])
def test_random_over_sampler_on_nd_arrays(shape):
    X = _images(shape)
    X_res, y_res = RandomOverSampler(random_state=0).fit_resample(X, Y)
    sampler = RandomOverSampler(random_state=0).fit(X, Y)
    assert X_res.shape == (24,) + shape[1:]
    assert (y_res == "min").sum() == (y_res == "maj").sum() == 12
    # copies, bit for bit, of the samples named by sample_indices_
    np.testing.assert_array_equal(X_res, X[sampler.sample_indices_])
    np.testing.assert_array_equal(y_res, Y[sampler.sample_indices_])


def test_random_under_sampler_on_particles_and_ragged_lists():
    X = _particles()
    X_res, y_res = RandomUnderSampler(random_state=0).fit_resample(X, Y)
    assert isinstance(X_res, ParticleImages) and len(X_res) == 8
    sampler = RandomUnderSampler(random_state=0)
    sampler.fit_resample(X, Y)
    for item, i in zip(X_res, sampler.sample_indices_):
        assert item.image is X.images[i]
    ragged = [np.zeros((n, 2)) + n for n in range(3, 19)]
    R_res, y_res = RandomOverSampler(random_state=0).fit_resample(ragged, Y)
    assert isinstance(R_res, list) and len(R_res) == 24
    assert all(r[0, 0] == len(r) for r in R_res)


def test_smote_on_arrays_interpolates_between_minority_samples():
    X = _images()
    X[12:] += 10.0  # the minority class lives in its own region
    X_res, y_res = SMOTE(k_neighbors=3, random_state=0).fit_resample(X, Y)
    assert X_res.shape == (24, 5, 6)
    synthetic = X_res[16:]
    assert (y_res[16:] == "min").all()
    assert synthetic.min() >= X[12:].min() and synthetic.max() <= X[12:].max()
    assert not hasattr(SMOTE(k_neighbors=3).fit(X, Y), "sample_indices_")


def test_smote_on_particles_builds_new_particles():
    X = _particles()
    X_res, y_res = SMOTE(k_neighbors=3, random_state=0).fit_resample(X, Y)
    assert isinstance(X_res, ParticleImages) and len(X_res) == 24
    # originals come back untouched, synthetic ones have plausible sizes and masks
    for i in range(16):
        assert X_res.images[i] is X.images[i]
    sizes = X.sizes[12:]
    for image, mask in X_res[16:]:
        assert mask.any() and mask.shape == image.shape
        assert sizes[:, 0].min() - 1 <= image.shape[0] <= sizes[:, 0].max() + 1
        assert image.mean() > 3  # interpolated between bright minority particles


def test_smote_single_sample_class_has_clear_error():
    y = np.array(["a"] * 15 + ["b"])
    with pytest.raises(ValueError, match="Class 'b' has 1 sample.*k_neighbors=5"):
        SMOTE().fit_resample(_images(), y)


def test_generic_adapter_with_other_samplers():
    X = _images()
    X[12:] += 3.0
    X_res, y_res = NDSampler(NearMiss()).fit_resample(X, Y)
    assert X_res.shape == (8, 5, 6)
    # features= lets a neighbour-based sampler compare ragged samples
    ragged = [np.full((n, 2), float(n > 12)) for n in range(1, 17)]
    sampler = NDSampler(TomekLinks(), features=lambda R: np.array([[r.mean(), len(r)] for r in R]))
    R_res, _ = sampler.fit_resample(ragged, Y)
    assert isinstance(R_res, list) and len(R_res) == len(sampler.sample_indices_)


def test_ragged_list_with_feature_based_sampler_needs_features():
    ragged = [np.zeros((n, 2)) for n in range(1, 17)]
    with pytest.raises(ValueError, match="features=callable"):
        NDSampler(NearMiss()).fit_resample(ragged, Y)


def test_features_view_refuses_synthesising_sampler():
    from imblearn.over_sampling import SMOTE as ImbSMOTE

    with pytest.raises(ValueError, match="cannot be turned back"):
        NDSampler(ImbSMOTE(k_neighbors=2), features=lambda X: X.reshape(len(X), -1)).fit_resample(_images(), Y)


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        RandomOverSampler().fit_resample(np.zeros(16), Y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        RandomOverSampler().fit_resample(_images(), Y[:-1])
    with pytest.raises(TypeError, match="'sampler' parameter of NDSampler"):
        NDSampler(sampler="ros").fit_resample(_images(), Y)


def test_inputs_not_modified_and_clone():
    X = _images()
    X0 = X.copy()
    SMOTE(k_neighbors=3, random_state=0).fit_resample(X, Y)
    np.testing.assert_array_equal(X, X0)
    s = SMOTE(k_neighbors=2, random_state=1)
    assert clone(s).get_params() == s.get_params()
    assert clone(NDSampler(NearMiss(version=2))).sampler.version == 2


class _CountingClassifier(ClassifierMixin, BaseEstimator):
    """Records how many samples it was fitted on; predicts the majority class."""

    def fit(self, X, y):
        self.n_fit_ = len(X)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.counts_ = dict(zip(self.classes_, counts))
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_resamples_only_during_fit_in_imblearn_pipeline():
    X = _particles()
    pipe = make_pipeline(RandomOverSampler(random_state=0), _CountingClassifier()).fit(X, Y)
    assert pipe[-1].n_fit_ == 24 and pipe[-1].counts_ == {"maj": 12, "min": 12}
    assert len(pipe.predict(X)) == 16
