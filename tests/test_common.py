"""Checks run over every estimator the package exports.

Each exported estimator needs an entry in ``CASES``: a factory returning a
small instance and data it can be fitted on in a second or two. A new
estimator without an entry fails ``test_every_estimator_has_a_case``, so it is
checked automatically once registered.
"""

import copy
import functools
import inspect
import pickle

import imblearn.over_sampling
import joblib
import numpy as np
import pytest
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.utils import get_tags
from sklearn.utils._param_validation import (
    InvalidParameterError,
    generate_invalid_param_val,
    make_constraint,
)
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

import torch
from skorch.callbacks import Callback, Checkpoint, LRScheduler

import sklearn_cells
from sklearn_cells.base import TorchEstimator
from sklearn_cells.datasets import (
    make_liposomes,
    make_migration_videos,
    make_timelapse,
    make_trajectories,
)


def _trajectories(n_per_class=6, n_steps=40, classes=(1, 1, 0)):
    """Small collagen-vs-plastic data at a common interval (z motion tells them apart)."""
    n = tuple(n_per_class * c for c in classes)
    X, y = make_trajectories(n_samples=n, n_steps=n_steps, dt=5.0, random_state=0)
    return X, y


def _lstm_case():
    X, y = _trajectories()
    X = [np.diff(x, axis=0) / 5.0 for x in X]
    return sklearn_cells.LSTMTrajectoryClassifier(hidden_size=4, max_epochs=3, random_state=0), X, y


def _timelapse(n_sequences=2):
    X, y = make_timelapse(n_sequences=n_sequences, n_frames=4, frame_shape=(16, 16), random_state=0)
    return np.asarray(X), y


def _label_frames():
    """Instance labels of two cells moving over six frames."""
    frames = np.zeros((6, 16, 16), dtype=np.int32)
    for t in range(6):
        frames[t, 2 + t : 5 + t, 2:5] = 1
        frames[t, 10:13, 12 - t : 15 - t] = 2
    return frames


def _videos():
    X = make_migration_videos(n_videos=6, n_frames=12, frame_size=16, n_events=1, min_gap=4,
                              random_state=0)[0]
    return X, None


def _frame_scorer():
    return sklearn_cells.AttentionFrameScorer(attention_span=4, channels=(4, 8), embed_dim=8,
                                              max_epochs=2, batch_size=8, random_state=0)


def _particles(weights=(1, 1, 1)):
    return make_liposomes(30, weights=list(weights), surround=4, size_scale=0.5, random_state=0)


def _masked_particles():
    X, y = _particles()
    return sklearn_cells.ParticleMasker(output_size=12).fit_transform(X), y


_TINY_LIPNET = dict(n_filters=4, hidden_size=16, max_epochs=2, batch_size=16, random_state=0)

CASES = {
    "LSTMTrajectoryClassifier": _lstm_case,
    "MDNTrajectoryGenerator": lambda: (
        sklearn_cells.MDNTrajectoryGenerator(hidden_size=8, n_components=2, crop_length=20,
                                             batch_size=8, max_epochs=2, random_state=0),
        _trajectories()[0],
        None,
    ),
    "TrajectoryWindowSampler": lambda: (sklearn_cells.TrajectoryWindowSampler(10), *_trajectories()),
    "TrajectoryResampler": lambda: (sklearn_cells.TrajectoryResampler(step=2), *_trajectories()),
    "VelocityTransformer": lambda: (sklearn_cells.VelocityTransformer(dt=5.0), *_trajectories()),
    "TrajectoryScaler": lambda: (sklearn_cells.TrajectoryScaler(), *_trajectories()),
    "TrajectoryFeatures": lambda: (sklearn_cells.TrajectoryFeatures(dt=5.0), *_trajectories()),
    "PolarVelocityTransformer": lambda: (sklearn_cells.PolarVelocityTransformer(), *_trajectories()),
    "UNetSegmenter": lambda: (
        sklearn_cells.UNetSegmenter(depth=2, base_channels=4, kernel_size=3, max_epochs=2,
                                    batch_size=4, random_state=0),
        *_timelapse(),
    ),
    "AttentionFrameScorer": lambda: (_frame_scorer(), *_videos()),
    "FrameChangeScorer": lambda: (sklearn_cells.FrameChangeScorer(), *_videos()),
    "FrameImportanceEnsemble": lambda: (
        sklearn_cells.FrameImportanceEnsemble(_frame_scorer(), n_estimators=2, random_state=0),
        *_videos(),
    ),
    "LipNetClassifier": lambda: (
        sklearn_cells.LipNetClassifier("lipnet1", **_TINY_LIPNET), *_masked_particles()
    ),
    "ParticleMasker": lambda: (sklearn_cells.ParticleMasker(output_size=12), *_particles()),
    "ParticleFeatures": lambda: (
        sklearn_cells.ParticleFeatures(n_bins=8, n_radial=4, edge_width=3), *_particles()
    ),
    "NDSampler": lambda: (
        sklearn_cells.NDSampler(imblearn.over_sampling.RandomOverSampler(random_state=0)),
        *_particles((3, 2, 1)),
    ),
    "RandomOverSampler": lambda: (
        sklearn_cells.RandomOverSampler(random_state=0), *_particles((3, 2, 1))
    ),
    "RandomUnderSampler": lambda: (
        sklearn_cells.RandomUnderSampler(random_state=0), *_particles((3, 2, 1))
    ),
    "SMOTE": lambda: (sklearn_cells.SMOTE(k_neighbors=2, random_state=0), *_masked_particles()),
    "BackgroundSubtractor": lambda: (sklearn_cells.BackgroundSubtractor(), *_timelapse()),
    "IntensityNormalizer": lambda: (sklearn_cells.IntensityNormalizer(), *_timelapse()),
    "TemporalContextStacker": lambda: (sklearn_cells.TemporalContextStacker(n_context=1),
                                       *_timelapse()),
    "InstanceTracker": lambda: (sklearn_cells.tracking.InstanceTracker(), _label_frames(), None),
}

# Their output for a frame depends on the other frames of its sequence (temporal median,
# neighbours, the tracks they link), so predicting on a subset of frames legitimately changes it.
SEQUENCE_WISE = {"BackgroundSubtractor", "IntensityNormalizer", "TemporalContextStacker",
                 "InstanceTracker"}

# Every estimator of the package: the top level's and those of sklearn_cells.tracking.
CLASSES = {
    name: obj for name, obj in [*((n, getattr(sklearn_cells, n)) for n in sklearn_cells.__all__),
                                ("InstanceTracker", sklearn_cells.tracking.InstanceTracker)]
    if inspect.isclass(obj) and issubclass(obj, BaseEstimator)
}
ESTIMATORS = sorted(CLASSES)


def test_every_estimator_has_a_case():
    missing = sorted(set(ESTIMATORS) - set(CASES))
    assert not missing, f"add a CASES entry in tests/test_common.py for {missing}"


def _output(estimator, X, y):
    """The estimator's main output on X, for comparisons."""
    for method in ("predict_proba", "predict", "score_samples", "transform"):
        if hasattr(estimator, method):
            out = getattr(estimator, method)(X)
            return _as_comparable(out)
    raise AssertionError(f"{type(estimator).__name__} has no output method")


def _as_comparable(out):
    """A numeric array, or a list of per-sample arrays for ragged containers."""
    if isinstance(out, np.ndarray) and out.dtype != object:
        return out
    return [np.asarray(o) for o in out]


def _assert_same(a, b):
    if isinstance(a, list):
        assert len(a) == len(b)
        for x, z in zip(a, b):
            np.testing.assert_array_equal(x, z)
    else:
        np.testing.assert_array_equal(a, b)


def _fit(estimator, X, y):
    return estimator.fit(X, y)


def _is_sampler(estimator):
    return hasattr(estimator, "fit_resample")


@pytest.fixture(params=ESTIMATORS)
def case(request):
    estimator, X, y = CASES[request.param]()
    return request.param, estimator, X, y


@pytest.mark.parametrize(
    "check",
    [
        check_parameters_default_constructible,
        check_no_attributes_set_in_init,
        check_get_params_invariance,
        check_set_params,
    ],
)
def test_sklearn_checks(case, check):
    name, estimator, _, _ = case
    check(name, estimator)


def test_fit_returns_self(case):
    _, estimator, X, y = case
    assert _fit(estimator, X, y) is estimator


def test_not_fitted_error(case):
    _, estimator, X, _ = case
    if not get_tags(estimator).requires_fit:
        pytest.skip("stateless estimator")
    methods = [m for m in ("predict", "predict_proba", "transform", "score_samples", "sample")
               if hasattr(estimator, m)]
    if not methods:
        pytest.skip("samplers only have fit_resample")
    for method in methods:
        with pytest.raises(NotFittedError):
            getattr(estimator, method)(X) if method != "sample" else estimator.sample(2)


def test_clone_refit_reproduces(case):
    _, estimator, X, y = case
    if _is_sampler(estimator):
        a = estimator.fit_resample(X, y)[0]
        b = clone(estimator).fit_resample(X, y)[0]
        _assert_same(_as_comparable(a), _as_comparable(b))
        return
    a = _output(_fit(clone(estimator), X, y), X, y)
    b = _output(_fit(clone(estimator), X, y), X, y)
    _assert_same(a, b)


def test_pickle_and_joblib_round_trip(case, tmp_path):
    _, estimator, X, y = case
    if _is_sampler(estimator):
        pytest.skip("samplers keep no model")
    _fit(estimator, X, y)
    expected = _output(estimator, X, y)
    _assert_same(_output(pickle.loads(pickle.dumps(estimator)), X, y), expected)
    joblib.dump(estimator, tmp_path / "model.joblib")
    _assert_same(_output(joblib.load(tmp_path / "model.joblib"), X, y), expected)


def test_inputs_not_modified(case):
    _, estimator, X, y = case
    X_before, y_before = copy.deepcopy(X), copy.deepcopy(y)
    if _is_sampler(estimator):
        estimator.fit_resample(X, y)
    else:
        _fit(estimator, X, y)
        _output(estimator, X, y)
    _assert_same(_as_comparable(X), _as_comparable(X_before))
    if y is not None:
        np.testing.assert_array_equal(y, y_before)


def test_subset_output_equals_full_output(case):
    name, estimator, X, y = case
    if _is_sampler(estimator) or name in SEQUENCE_WISE:
        pytest.skip("no per-sample output")
    _fit(estimator, X, y)
    full = _output(estimator, X, y)
    subset = _output(estimator, X[:3], None if y is None else y[:3])
    if isinstance(full, list):
        _assert_same(subset, full[:3])
    else:
        np.testing.assert_allclose(subset, full[:3], rtol=1e-5, atol=1e-6)


def _is_sample_classifier(estimator, y):
    """Classifiers with one label per sample (segmenters label every pixel)."""
    return is_classifier(estimator) and np.ndim(y) == 1


def test_classifier_string_labels(case):
    _, estimator, X, y = case
    if not _is_sample_classifier(estimator, y):
        pytest.skip("not a per-sample classifier")
    labels = np.where(y == y[0], "first kind", "other kind")
    estimator.fit(X, labels)
    assert set(estimator.classes_) == {"first kind", "other kind"}
    assert set(np.unique(estimator.predict(X))) <= set(estimator.classes_)
    assert estimator.predict_proba(X).shape == (len(X), 2)


def test_classifier_in_pipeline_grid_search(case):
    _, estimator, X, y = case
    if not _is_sample_classifier(estimator, y):
        pytest.skip("not a per-sample classifier")
    pipe = make_imb_pipeline(estimator)
    step = pipe.steps[-1][0]
    first = next(p for p in ("hidden_size", "lr", "max_epochs") if p in estimator.get_params())
    value = estimator.get_params()[first]
    search = GridSearchCV(pipe, {f"{step}__{first}": [value, value * 2]}, cv=StratifiedKFold(5))
    search.fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert set(search.predict(X)) <= set(np.unique(y))


# ---------------------------------------------------------------- torch estimators
TORCH_ESTIMATORS = sorted(
    name for name in ESTIMATORS if issubclass(CLASSES[name], TorchEstimator)
)


def test_every_network_estimator_is_on_the_base():
    assert TORCH_ESTIMATORS == [
        "AttentionFrameScorer",
        "LSTMTrajectoryClassifier",
        "LipNetClassifier",
        "MDNTrajectoryGenerator",
        "UNetSegmenter",
    ]


@pytest.fixture(params=TORCH_ESTIMATORS)
def torch_case(request):
    estimator, X, y = CASES[request.param]()
    return request.param, estimator, X, y


class _EpochCounter(Callback):
    """A user callback: counts the epochs it sees."""

    def initialize(self):
        self.epochs_ = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_ += 1


def test_user_callbacks_run_after_the_builtin_ones(torch_case, tmp_path):
    _, estimator, X, y = torch_case
    counter = _EpochCounter()
    callbacks = [
        Checkpoint(monitor="train_loss_best", dirname=str(tmp_path)),
        LRScheduler(policy="StepLR", step_size=1, gamma=0.5),
        counter,
    ]
    estimator.set_params(callbacks=callbacks).fit(X, y)
    used = dict(estimator.net_.callbacks_)
    assert list(used)[-4:] == ["Checkpoint", "LRScheduler", "_EpochCounter", "print_log"]
    assert used["_EpochCounter"].epochs_ == len(estimator.history_)
    assert (tmp_path / "params.pt").exists()
    # the estimator's own parameters are left as they were: fits use copies
    assert estimator.callbacks[2] is counter and not hasattr(counter, "epochs_")
    copied = clone(estimator).get_params()["callbacks"]
    assert [type(c) for c in copied] == [type(c) for c in callbacks]
    assert copied[2] is not counter


def test_partial_fit_and_warm_start_continue_training(torch_case):
    _, estimator, X, y = torch_case
    first = clone(estimator).partial_fit(X, y) if y is not None else clone(estimator).partial_fit(X)
    assert len(first.history_) == 1
    before = _output(first, X, y)
    first.partial_fit(X, y) if y is not None else first.partial_fit(X)
    assert len(first.history_) == 2
    after = _output(first, X, y)
    assert not all(np.array_equal(a, b) for a, b in zip(np.atleast_1d(before), np.atleast_1d(after)))

    warm = clone(estimator).set_params(warm_start=True).fit(X, y)
    n_first = len(warm.history_)
    warm.fit(X, y)
    assert len(warm.history_) > n_first
    cold = clone(estimator).fit(X, y)
    n_cold = len(cold.history_)
    cold.fit(X, y)
    assert len(cold.history_) == n_cold  # without warm_start a fit starts afresh


class _LearningRateAtStart(Callback):
    """A user callback: the optimizer's learning rate when training starts."""

    def on_train_begin(self, net, **kwargs):
        self.lr_ = net.optimizer_.param_groups[0]["lr"]


def test_continued_fit_uses_parameters_set_since(torch_case):
    _, estimator, X, y = torch_case
    probe = _LearningRateAtStart()
    estimator.set_params(callbacks=[probe], lr=1e-3, warm_start=True).fit(X, y)
    estimator.set_params(lr=0.25, batch_size=3).fit(X, y)
    net = estimator.net_
    assert net.lr == 0.25 and net.batch_size == 3
    assert dict(net.callbacks_)["_LearningRateAtStart"].lr_ == pytest.approx(0.25)


@pytest.mark.parametrize(
    "params",
    [
        {"max_epochs": 0},
        {"max_epochs": True},
        {"batch_size": 2.5},
        {"lr": 0.0},
        {"lr": True},
        {"verbose": "loud"},
        {"callbacks": "Checkpoint"},
        {"warm_start": 1},
        {"mixed_precision": "yes"},
        {"random_state": "seed"},
    ],
    ids=str,
)
def test_bad_shared_parameters(torch_case, params):
    name, estimator, X, y = torch_case
    with pytest.raises(ValueError, match=f"'{next(iter(params))}' parameter of {name}"):
        estimator.set_params(**params).fit(X, y)
    assert not hasattr(estimator, "net_")


@pytest.mark.skipif(torch.cuda.is_available(), reason="machine has CUDA")
def test_cuda_without_cuda_is_an_error_and_fits_nothing(torch_case):
    _, estimator, X, y = torch_case
    with pytest.raises(ValueError, match="CUDA is not available"):
        estimator.set_params(device="cuda").fit(X, y)
    assert not hasattr(estimator, "net_")


def test_inference_restores_the_module_mode(torch_case):
    _, estimator, X, y = torch_case
    estimator.fit(X, y)
    estimator.net_.module_.train()
    _output(estimator, X, y)
    assert estimator.net_.module_.training
    estimator.net_.module_.eval()
    _output(estimator, X, y)
    assert not estimator.net_.module_.training


def test_mixed_precision_is_ignored_on_cpu(torch_case):
    _, estimator, X, y = torch_case
    plain = _output(clone(estimator).set_params(mixed_precision=False).fit(X, y), X, y)
    mixed = clone(estimator).set_params(mixed_precision=True).fit(X, y)
    assert mixed.net_.use_amp is False
    _assert_same(_output(mixed, X, y), plain)


def test_another_seed_gives_another_model(torch_case):
    _, estimator, X, y = torch_case
    a = _output(clone(estimator).set_params(random_state=0).fit(X, y), X, y)
    b = _output(clone(estimator).set_params(random_state=1).fit(X, y), X, y)
    assert not all(np.array_equal(p, q) for p, q in zip(np.atleast_1d(a), np.atleast_1d(b)))


@pytest.mark.cuda
def test_cuda_fit_is_reproducible_and_gives_numpy(torch_case):
    _, estimator, X, y = torch_case
    estimator.set_params(device="cuda")
    a = _output(clone(estimator).fit(X, y), X, y)
    b = _output(clone(estimator).fit(X, y), X, y)
    for out in (a if isinstance(a, list) else [a]):
        assert isinstance(out, np.ndarray)
    _assert_same(a, b)


def test_accelerate_cpu_backend_gives_the_same_model(torch_case):
    """The multi-GPU path (skorch's AccelerateMixin), run on accelerate's CPU backend."""
    accelerate = pytest.importorskip("accelerate")
    name, estimator, X, y = torch_case
    plain = _output(clone(estimator).fit(X, y), X, y)
    accelerated = clone(estimator.set_params(accelerator=accelerate.Accelerator(cpu=True)))
    accelerated.fit(X, y)
    assert type(accelerated.net_).__name__.startswith("Accelerated")
    if name == "UNetSegmenter":
        # Its dataset draws random crops while loading, and accelerate's loader
        # reads one batch ahead, so the random streams interleave differently.
        np.testing.assert_allclose(_output(accelerated, X, y), plain, atol=0.1)
    else:
        _assert_same(_output(accelerated, X, y), plain)


# ---------------------------------------------------------------- parameter validation
def _invalid_values(estimator):
    """``(parameter, value)`` pairs that break the declared constraints of ``estimator``.

    For every parameter: an object of no accepted type, then, as scikit-learn's
    ``check_param_validation`` does, a value that breaks each of its constraints
    (those scikit-learn can break: not ``"boolean"`` or ``"random_state"``).
    """
    bad_type = type("BadType", (), {})()
    for name, constraints in getattr(estimator, "_parameter_constraints", {}).items():
        if constraints == "no_validation":
            continue
        yield name, bad_type
        constraints = [make_constraint(c) for c in constraints]
        for constraint in constraints:
            try:
                value = generate_invalid_param_val(constraint)
            except NotImplementedError:
                continue
            if not any(c.is_satisfied_by(value) for c in constraints):
                yield name, value


INVALID_PARAMETER_CASES = [
    (estimator, name, value)
    for estimator in ESTIMATORS
    for name, value in _invalid_values(CLASSES[estimator])
]


@pytest.mark.parametrize("name", ESTIMATORS)
def test_every_parameter_has_a_constraint(name):
    estimator = CLASSES[name]()
    declared = getattr(estimator, "_parameter_constraints", {})
    assert set(declared) == set(estimator.get_params(deep=False))


@functools.cache
def _case(name):
    """The estimator and data of ``CASES[name]``, built once for all invalid values."""
    return CASES[name]()


@pytest.mark.parametrize(
    "name, parameter, value", INVALID_PARAMETER_CASES,
    ids=[f"{e}-{p}-{type(v).__name__}" for e, p, v in INVALID_PARAMETER_CASES],
)
def test_invalid_parameter_is_an_error_that_names_it(name, parameter, value):
    estimator, X, y = _case(name)
    estimator = clone(estimator).set_params(**{parameter: value})
    match = f"The '{parameter}' parameter of {name} must be .* Got .* instead"
    with pytest.raises(InvalidParameterError, match=match):
        estimator.fit(X, y)
    if not get_tags(estimator).requires_fit:  # stateless: transform works without fit
        with pytest.raises(InvalidParameterError, match=match):
            estimator.transform(X)
