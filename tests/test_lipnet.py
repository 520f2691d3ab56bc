"""LipNet modules and LipNetClassifier."""

import pickle

import numpy as np
import pytest
import torch
from imblearn.pipeline import make_pipeline
from sklearn.metrics import recall_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.utils.class_weight import compute_class_weight

from sklearn_cells.datasets._liposomes import make_liposomes
from sklearn_cells.image._lipnet import LipNetClassifier, _EpochUndersampler
from sklearn_cells.image._masking import ParticleMasker
from sklearn_cells.nn.lipnet import LIPNET_ARCHITECTURES, LipNet
from sklearn_cells.sampling import RandomOverSampler

TINY = dict(n_filters=4, hidden_size=16, batch_size=16)


def _discs_and_rings(n_per_class=(40, 40), size=16, seed=0):
    """Filled discs vs rings of random radius and position, with noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    X, y = [], []
    for label, n in zip(("disc", "ring"), n_per_class):
        for _ in range(n):
            cy, cx = rng.uniform(6, size - 6, 2)
            r = rng.uniform(3, 5)
            d = np.hypot(yy - cy, xx - cx)
            img = (d < r) if label == "disc" else (np.abs(d - r) < 0.8)
            X.append(img + 0.3 * rng.standard_normal((size, size)))
            y.append(label)
    return np.asarray(X, dtype=np.float32), np.asarray(y)


@pytest.fixture(scope="module")
def data():
    return _discs_and_rings()


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return LipNetClassifier("lipnet2", max_epochs=12, lr=5e-3, random_state=0, **TINY).fit(X, y)


# ----------------------------------------------------------------- nn module
@pytest.mark.parametrize("architecture", sorted(LIPNET_ARCHITECTURES))
def test_lipnet_modules_forward_and_backward(architecture):
    size = 32 if architecture == "lipnet6" else 28
    net = LipNet(architecture, n_classes=3, input_size=size, n_filters=4, hidden_size=8)
    out = net(torch.randn(5, 1, size, size))
    assert out.shape == (5, 3)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_lipnet_variants():
    # fully convolutional lipnet4c accepts other sizes; lipnet6 also works at 28
    assert LipNet("lipnet4c", 2, n_filters=4)(torch.zeros(1, 1, 40, 40)).shape == (1, 2)
    assert LipNet("lipnet6", 2, input_size=28, n_filters=4)(torch.zeros(1, 1, 28, 28)).shape == (1, 2)
    assert LipNet("lipnet4", 4, in_channels=3, n_filters=4)(torch.zeros(2, 3, 28, 28)).shape == (2, 4)
    with pytest.raises(ValueError, match="Unknown architecture 'lipnet3'"):
        LipNet("lipnet3", 2)
    with pytest.raises(ValueError, match="at least 8x8"):
        LipNet("lipnet6", 2, input_size=6)


# ---------------------------------------------------------------- classifier
def test_learns_and_predicts_labels(fitted, data):
    X, y = data
    X_test, y_test = _discs_and_rings((20, 20), seed=1)
    assert (fitted.predict(X_test) == y_test).mean() > 0.85
    proba = fitted.predict_proba(X_test)
    assert proba.shape == (40, 2) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert fitted.classes_.tolist() == ["disc", "ring"]
    assert fitted.input_shape_ == (1, 16, 16) and fitted.n_features_in_ == 1
    assert len(fitted.history_) == 12

def test_augmentation_in_training_only(fitted, data):
    X, _ = data
    module = fitted.net_.module_
    assert module.augment is not None
    x = torch.as_tensor(X[:8, None])
    module.eval()
    np.testing.assert_array_equal(module(x).detach(), module(x).detach())
    np.testing.assert_array_equal(fitted.predict_proba(X[:8]), fitted.predict_proba(X[:8]))
    module.net.eval()  # no dropout, but augmentation on: outputs differ
    module.augment.train()
    module.training = True
    try:
        assert not torch.equal(module(x), module(x))
    finally:
        module.eval()
    no_aug = LipNetClassifier("lipnet1", augment=False, max_epochs=1, **TINY).fit(X, data[1])
    assert no_aug.net_.module_.augment is None


def test_inputs_not_modified_and_channel_axis(data):
    X, y = data
    X4 = X[:, None].copy()
    before = X4.copy()
    clf = LipNetClassifier("lipnet1", max_epochs=1, random_state=0, **TINY).fit(X4, y)
    np.testing.assert_array_equal(X4, before)
    assert clf.predict(X4).shape == (80,)


def test_class_weight_optimizer_early_stopping(data):
    X, y = data
    X, y = X[:50], y[:50]  # 40 discs, 10 rings
    clf = LipNetClassifier(
        "lipnet1", class_weight="balanced", optimizer="sgd", lr=0.01, early_stopping=True,
        validation_fraction=0.2, n_iter_no_change=2, max_epochs=30, random_state=0, **TINY,
    ).fit(X, y)
    weight = clf.net_.criterion_.weight.cpu().numpy()
    np.testing.assert_allclose(weight, compute_class_weight("balanced", classes=clf.classes_, y=y))
    assert isinstance(clf.net_.optimizer_, torch.optim.SGD)
    assert "valid_loss" in clf.history_[-1]
    assert len(clf.history_) < 30 or clf.history_[-1, "valid_loss"] is not None


def test_epoch_undersampler_drops_a_fresh_part_of_the_majority():
    labels = np.array([0] * 20 + [1] * 5)
    sampler = _EpochUndersampler(labels, 0.2)
    torch.manual_seed(0)
    epochs = [list(sampler) for _ in range(3)]
    for idx in epochs:
        assert len(idx) == len(sampler) == 21 and len(set(idx)) == 21
        assert set(range(20, 25)) <= set(idx)  # the minority is always kept
    assert len({frozenset(e) for e in epochs}) > 1  # a different part each epoch


def test_undersample_majority_trains(data):
    X, y = data
    clf = LipNetClassifier("lipnet1", undersample_majority=0.2, max_epochs=2, random_state=0, **TINY).fit(X, y)
    # both classes tie for largest (40 each): each loses 20 % in every epoch
    assert len(clf.history_[-1, "batches"]) == (80 - 2 * 8) // 16


def test_oversampling_rescues_the_minority_class():
    """The seed's point: a rare class is ignored unless the training set is balanced."""
    X, y = _discs_and_rings((150, 6), seed=2)
    X_test, y_test = _discs_and_rings((60, 30), seed=3)
    params = dict(architecture="lipnet2", max_epochs=6, lr=3e-3, random_state=0, augment=False, **TINY)
    plain = LipNetClassifier(**params).fit(X, y)
    balanced = make_pipeline(RandomOverSampler(random_state=0), LipNetClassifier(**params)).fit(X, y)
    recall_plain = recall_score(y_test, plain.predict(X_test), pos_label="ring")
    recall_balanced = recall_score(y_test, balanced.predict(X_test), pos_label="ring")
    assert recall_balanced > recall_plain + 0.3


@pytest.mark.parametrize(
    "params, X, match, error",
    [
        ({"architecture": "vgg16"}, None, "'architecture' parameter .* Got 'vgg16'", ValueError),
        ({"optimizer": "rmsprop"}, None, "'optimizer' parameter", ValueError),
        ({"architecture": "lipnet6"}, np.zeros((4, 6, 6)), "at least 8x8", ValueError),
        ({}, np.zeros((4, 256)), "reshaped to", ValueError),
        ({}, [np.zeros((16, 16))] * 4, "ParticleMasker", TypeError),
        ({"dropout": 1.5}, None, "'dropout' parameter", ValueError),
        ({}, np.zeros((4, 16, 16, 1)), "channel-last", ValueError),
        ({}, np.zeros((4, 16, 16), dtype=complex), "complex", ValueError),
    ],
    ids=["architecture", "optimizer", "too-small", "2d", "list", "dropout", "channel-last",
         "complex"],
)
def test_bad_inputs(data, params, X, match, error):
    X_ok, y = data
    X = X_ok[:4] if X is None else X
    with pytest.raises(error, match=match):
        LipNetClassifier(max_epochs=1, **{**TINY, **params}).fit(X, y[[0, 1, 40, 41]])


def test_particle_container_is_rejected_with_a_fix():
    X, y = make_liposomes(4, weights=[1, 1, 1], surround=2, size_scale=0.4, random_state=0)
    with pytest.raises(TypeError, match="ParticleMasker"):
        LipNetClassifier(**TINY).fit(X, y)


def test_predict_checks(fitted):
    with pytest.raises(ValueError, match="fitted on"):
        fitted.predict(np.zeros((2, 20, 20)))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LipNetClassifier().predict(np.zeros((2, 16, 16)))
    with pytest.raises(ValueError, match="at least 2 classes"):
        LipNetClassifier(**TINY).fit(np.zeros((4, 16, 16)), ["a"] * 4)

def test_grid_search_over_architecture_mode_and_lr():
    """GridSearchCV + StratifiedKFold(5) through an imbalanced-learn Pipeline."""
    X, y = make_liposomes(45, weights=[1, 1, 1], surround=4, size_scale=0.5, random_state=0)
    pipe = make_pipeline(
        ParticleMasker(output_size=12),
        RandomOverSampler(random_state=0),
        LipNetClassifier(max_epochs=2, random_state=0, **TINY),
    )
    grid = {
        "lipnetclassifier__architecture": ["lipnet1", "lipnet4c"],
        "particlemasker__mode": ["crop", "crop_mask"],
        "lipnetclassifier__lr": [1e-3, 1e-2],
    }
    search = GridSearchCV(pipe, grid, cv=StratifiedKFold(5)).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert set(search.predict(X)) <= set(y)


# ---------------------------------------------------------------------- CUDA
@pytest.mark.cuda
def test_cuda_training_outputs_numpy(data):
    X, y = data
    clf = LipNetClassifier("lipnet2", device="cuda", max_epochs=12, lr=5e-3, random_state=0, **TINY).fit(X, y)
    assert next(clf.module_.parameters()).is_cuda
    proba = clf.predict_proba(X)
    assert isinstance(proba, np.ndarray) and proba.shape == (80, 2)
    assert (clf.predict(X) == y).mean() > 0.85
    # augmentation runs on the GPU, inside the module
    module = clf.net_.module_
    module.train()
    out = module(torch.as_tensor(X[:4, None], device="cuda"))
    assert out.is_cuda
    module.eval()
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.predict_proba(X), proba, rtol=1e-5, atol=1e-6)


@pytest.mark.cuda
def test_cuda_same_seed_reproducible(data):
    X, y = data
    params = dict(device="cuda", max_epochs=3, random_state=0, **TINY)
    a = LipNetClassifier("lipnet1", **params).fit(X, y).predict_proba(X)
    b = LipNetClassifier("lipnet1", **params).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_resuming_a_loaded_model_keeps_its_input_normalisation(tmp_path):
    from sklearn_cells import load, save

    rng = np.random.RandomState(0)
    X = rng.normal(size=(24, 1, 16, 16)).astype(np.float32)
    y = np.repeat([0, 1], 12)
    clf = LipNetClassifier("lipnet1", max_epochs=1, random_state=0, **TINY).fit(X, y)
    save(clf, tmp_path / "lipnet.skops")
    loaded = load(tmp_path / "lipnet.skops")
    # new data on another intensity scale: the network keeps the normalisation it
    # was trained with, and so must the fitted attributes
    loaded.set_params(warm_start=True).fit(X * 10 + 5, y)
    assert loaded.input_mean_ == clf.input_mean_ and loaded.input_std_ == clf.input_std_
    module = loaded.net_.module_
    assert float(module.mean) == pytest.approx(loaded.input_mean_)
    assert float(module.std) == pytest.approx(loaded.input_std_)
