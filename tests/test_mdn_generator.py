"""Tests for MDNTrajectoryGenerator (fit, score, predict, sample)."""


import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_cells.trajectory._generator import MDNTrajectoryGenerator, _WindowDataset
from sklearn_cells.trajectory._statistics import (
    displacement_drift_test,
    trajectory_statistics,
)

FAST = dict(hidden_size=12, n_components=3, crop_length=30, batch_size=8, lr=2e-2)


def _walks(n, n_steps, *, persistence=0.8, speed=1.0, n_dims=3, z_scale=1.0, z_noise=0.0,
           drift=(0.0, 0.0, 0.0), seed=0):
    """Persistent random walks (AR(1) velocities); optional z jitter instead of z motion."""
    rng = np.random.RandomState(seed)
    v = np.empty((n, n_steps - 1, n_dims))
    v[:, 0] = rng.normal(size=(n, n_dims))
    for t in range(1, n_steps - 1):
        v[:, t] = persistence * v[:, t - 1] + np.sqrt(1 - persistence**2) * rng.normal(size=(n, n_dims))
    v = speed * v + np.asarray(drift)[:n_dims]
    if n_dims == 3:
        v[..., 2] *= z_scale
    r = np.concatenate([np.zeros((n, 1, n_dims)), np.cumsum(v, axis=1)], axis=1)
    if z_noise:
        r[..., 2] += z_noise * rng.normal(size=r.shape[:2])
    return list(r + rng.uniform(0, 100, size=(n, 1, n_dims)))


def _run_and_pause(n, n_steps, seed=0):
    """Steps that are either tiny pauses or long runs: a scale mixture that a
    single Gaussian cannot describe."""
    rng = np.random.RandomState(seed)
    run = rng.uniform(size=(n, n_steps - 1, 1)) < 0.3
    v = rng.normal(size=(n, n_steps - 1, 2)) * np.where(run, 3.0, 0.1)
    return list(np.concatenate([np.zeros((n, 1, 2)), np.cumsum(v, axis=1)], axis=1))


@pytest.fixture(scope="module")
def two_classes():
    slow = _walks(20, 50, speed=0.5, seed=1)
    fast = _walks(20, 50, speed=3.0, seed=2)
    return slow + fast, np.array(["slow"] * 20 + ["fast"] * 20)


@pytest.fixture(scope="module")
def conditional(two_classes):
    X, y = two_classes
    return MDNTrajectoryGenerator(max_epochs=20, random_state=0, **FAST).fit(X, y)


# -- fitting, likelihood and model selection -----------------------------------


def test_fit_sets_attributes(conditional, two_classes):
    X, _ = two_classes
    assert list(conditional.classes_) == ["fast", "slow"]
    np.testing.assert_allclose(conditional.class_prior_, [0.5, 0.5])
    assert conditional.n_features_in_ == 3 and conditional.n_steps_ == 50
    assert len(conditional.history_) == 20


def test_likelihood_beats_untrained_and_single_component():
    X_train, X_test = _run_and_pause(30, 60, seed=0), _run_and_pause(15, 60, seed=1)
    params = dict(FAST, n_components=4, max_epochs=15, random_state=0)
    trained = MDNTrajectoryGenerator(**params).fit(X_train)
    # one epoch at a negligible rate: the weights stay at their initialisation
    untrained = MDNTrajectoryGenerator(**{**params, "max_epochs": 1, "lr": 1e-9}).fit(X_train)
    single = MDNTrajectoryGenerator(**{**params, "n_components": 1}).fit(X_train)
    assert trained.score(X_test) > untrained.score(X_test) + 0.5
    assert trained.score(X_test) > single.score(X_test) + 0.2


def test_grid_search_selects_components_by_held_out_likelihood():
    X = _run_and_pause(24, 40, seed=2)
    search = GridSearchCV(
        MDNTrajectoryGenerator(max_epochs=8, random_state=0, **{**FAST, "n_components": 1}),
        {"n_components": [1, 4]},
        cv=KFold(2, shuffle=True, random_state=0),
    ).fit(X)
    assert search.best_params_ == {"n_components": 4}


def test_score_is_in_the_callers_units():
    """Rescaling positions by c shifts the log-density per step by -n_dims * log(c)."""
    X = _walks(10, 30, seed=3)
    gen = MDNTrajectoryGenerator(max_epochs=3, random_state=0, **FAST).fit(X)
    gen_scaled = MDNTrajectoryGenerator(max_epochs=3, random_state=0, **FAST).fit([x * 1000 for x in X])
    np.testing.assert_allclose(
        gen_scaled.score_samples([x * 1000 for x in X]),
        gen.score_samples(X) - 3 * np.log(1000),
        rtol=1e-4,
    )


def test_conditional_scores_prefer_the_true_class(conditional, two_classes):
    X, y = two_classes
    swapped = np.where(y == "slow", "fast", "slow")
    true = conditional.score_samples(X, y)
    wrong = conditional.score_samples(X, swapped)
    # The network also infers the class from a trajectory's own steps, so the
    # label matters most early on; still, the true one must fit better.
    assert true.mean() > wrong.mean() and np.mean(true > wrong) > 0.6
    # Without y the classes are marginalised: between the true class's score
    # (plus its log prior per step) and the best class's score.
    marginal = conditional.score_samples(X)
    best = np.maximum(conditional.score_samples(X, ["slow"] * 40), conditional.score_samples(X, ["fast"] * 40))
    assert np.all(marginal <= best + 1e-9)
    assert np.all(marginal >= true + np.log(0.5) / 48 - 1e-9)


# -- sampling --------------------------------------------------------------------


def test_samples_follow_the_chosen_class(conditional, two_classes):
    X, y = two_classes
    for label in ("fast", "slow"):
        real = trajectory_statistics([x for x, c in zip(X, y) if c == label])["mean_speed"]
        generated = trajectory_statistics(
            conditional.sample(30, n_steps=50, y=label, random_state=0)
        )["mean_speed"]
        # Within 25 %: a model that never saw a track's first step took the
        # zero start of sampling for a cell at rest, and made slow cells slower.
        assert 0.8 < generated.mean() / real.mean() < 1.25, label


def test_samples_are_positions_in_the_callers_units():
    X = [x * 1000 for x in _walks(16, 40, seed=4)]
    gen = MDNTrajectoryGenerator(max_epochs=10, random_state=0, **FAST).fit(X)
    generated = gen.sample(40, random_state=0)
    assert generated.shape == (40, 40, 3)
    ratio = np.mean(trajectory_statistics(generated)["speed"]) / np.mean(trajectory_statistics(X)["speed"])
    assert 0.5 < ratio < 2.0


def test_no_generated_step_is_longer_than_its_class_longest_training_step(two_classes):
    X, y = two_classes
    # One epoch: a barely trained network draws steps far outside the slow class's range.
    gen = MDNTrajectoryGenerator(max_epochs=1, random_state=0, **FAST).fit(X, y)
    scaled = gen.scaler_.transform(gen.velocity_.transform(X))
    longest = [max(np.linalg.norm(v, axis=1).max() for v, label in zip(scaled, y) if label == c)
               for c in gen.classes_]
    np.testing.assert_allclose(gen.max_step_norm_, longest)

    def longest_generated(model):
        steps = model.scaler_.transform(model.velocity_.transform(
            list(model.sample(50, n_steps=30, y="slow", random_state=0))))
        return max(np.linalg.norm(v, axis=1).max() for v in steps)

    assert longest_generated(gen) <= gen.max_step_norm_[1] * (1 + 1e-5)
    gen.max_step_norm_ = None  # a model fitted before the limit samples without it
    assert longest_generated(gen) > 1.5 * longest[1]


def test_generated_cells_keep_their_own_persistence():
    """Half the real tracks run straight (persistence 0.9), half turn at random
    (0): generated tracks must differ from each other as much, not all follow
    the average. Without running_persistence and the autoregressive head the
    spread of generated persistence was 0.28-0.36 of the real one over four
    fit seeds; with them 0.74-0.82."""
    X = [
        _walks(1, 41, persistence=q, n_dims=2, seed=i)[0]
        for i, q in enumerate(np.tile([0.0, 0.9], 16))
    ]
    params = {**FAST, "crop_length": 40, "batch_size": 4, "lr": 1e-2}
    gen = MDNTrajectoryGenerator(max_epochs=15, random_state=0, **params).fit(X)
    real = trajectory_statistics(X)["persistence"]
    generated = trajectory_statistics(gen.sample(60, random_state=0))["persistence"]
    assert generated.std() > 0.6 * real.std()
    # An i.i.d. Gaussian velocity baseline has persistence ~0.
    assert generated.mean() > 0.5 * real.mean()


def test_balanced_windows_give_every_class_as_many():
    sequences = [np.zeros((30, 2))] * 9 + [np.zeros((60, 2))]  # 9 + 2 windows of 30
    labels = np.array([0] * 9 + [1])
    balanced = _WindowDataset(sequences, labels, 30, balanced=True)
    assert len(balanced) == 11
    torch.manual_seed(0)
    drawn = [int(balanced[i][1]) for i in range(len(balanced))]
    assert np.bincount(drawn).tolist() == [6, 5]
    plain = _WindowDataset(sequences, labels, 30)
    assert np.bincount([int(plain[i][1]) for i in range(len(plain))]).tolist() == [9, 2]


def test_partial_fit_on_new_data_with_balanced_classes(two_classes):
    X, y = two_classes
    gen = MDNTrajectoryGenerator(max_epochs=1, random_state=0, **FAST).fit(X, y)
    gen.partial_fit(X[:3] + X[-2:], list(y[:3]) + list(y[-2:]))  # fewer windows than the first fit
    assert len(gen.history_) == 2


def test_same_random_state_same_samples(conditional):
    a = conditional.sample(5, n_steps=20, y="fast", random_state=3)
    b = conditional.sample(5, n_steps=20, y="fast", random_state=3)
    c = conditional.sample(5, n_steps=20, y="fast", random_state=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("symmetry", ["xy", "xy+z"])
def test_symmetry_removes_a_preferred_direction(symmetry):
    X = _walks(20, 40, drift=(1.0, 0.0, 0.5), seed=6)
    drifting = MDNTrajectoryGenerator(max_epochs=10, symmetry=None, random_state=0, **FAST).fit(X)
    assert displacement_drift_test(drifting.sample(60, random_state=0))[1] < 1e-3
    symmetric = clone(drifting).set_params(symmetry=symmetry).fit(X).sample(60, random_state=0)
    assert displacement_drift_test(symmetric, dims=(0, 1))[1] > 0.01
    z_drift = displacement_drift_test(symmetric, dims=(2,))[1]
    assert z_drift > 0.01 if symmetry == "xy+z" else z_drift < 1e-3


def test_seed_trajectories_continue_from_their_last_point(conditional, two_classes):
    X, _ = two_classes
    seeds = [X[0][:10], X[1][:4]]  # ragged
    out = conditional.sample(2, n_steps=15, y="slow", seed_trajectories=seeds, random_state=0)
    np.testing.assert_allclose(out[:, 0], [X[0][9], X[1][3]])
    shared = conditional.sample(3, n_steps=5, y="slow", seed_trajectories=[X[0][:6]], random_state=0)
    np.testing.assert_allclose(shared[:, 0], np.repeat(X[0][5][None], 3, axis=0))
    assert conditional.sample(2, n_steps=1, y="slow").shape == (2, 1, 3)


def test_mixed_class_labels_per_sample(conditional):
    out = conditional.sample(4, n_steps=30, y=["slow", "fast", "slow", "fast"], random_state=0)
    speed = trajectory_statistics(out)["mean_speed"]
    assert speed[1] > speed[0] and speed[3] > speed[2]


def test_no_spurious_z_for_a_flat_class():
    flat = _walks(20, 60, n_dims=3, z_scale=0.0, z_noise=1.0, seed=7)
    volume = _walks(20, 60, n_dims=3, seed=8)
    y = ["flat"] * 20 + ["3d"] * 20
    gen = MDNTrajectoryGenerator(max_epochs=50, random_state=0, **FAST).fit(flat + volume, y)
    z_flat = trajectory_statistics(gen.sample(30, n_steps=60, y="flat", random_state=0))["smoothed_extent"][:, 2]
    z_3d = trajectory_statistics(gen.sample(30, n_steps=60, y="3d", random_state=0))["smoothed_extent"][:, 2]
    assert z_flat.mean() < 0.3 * z_3d.mean()


# -- one-step-ahead prediction ----------------------------------------------------


def test_predict_one_step_ahead_beats_standing_still(conditional, two_classes):
    X, y = two_classes
    pred = conditional.predict(X, y)
    assert [p.shape for p in pred] == [x.shape for x in X]
    np.testing.assert_array_equal(pred[0][:1], X[0][:1])  # the first point has no prediction
    err = np.mean([np.sum((p[2:] - x[2:]) ** 2, axis=1).mean() for p, x in zip(pred, X)])
    still = np.mean([np.sum((x[1:-1] - x[2:]) ** 2, axis=1).mean() for x in X])
    assert err < 0.8 * still
    assert isinstance(conditional.predict(np.stack(X), y), np.ndarray)


# -- robustness, reproducibility, persistence ---------------------------------------


@pytest.mark.parametrize("scaler_method", ["robust", "standard"])
def test_heavy_tailed_levy_steps_stay_finite(scaler_method):
    rng = np.random.RandomState(0)
    # Step lengths spread log-uniformly over six orders of magnitude, plus a
    # Pareto tail: a caricature of Levy flights.
    lengths = 10 ** rng.uniform(-3, 3, size=(12, 59)) * (1 + rng.pareto(1.1, size=(12, 59)))
    angles = rng.uniform(0, 2 * np.pi, size=(12, 59))
    steps = np.stack([lengths * np.cos(angles), lengths * np.sin(angles)], axis=-1)
    X = list(np.concatenate([np.zeros((12, 1, 2)), np.cumsum(steps, axis=1)], axis=1))
    assert lengths.max() / lengths.min() > 1e5
    gen = MDNTrajectoryGenerator(max_epochs=5, scaler_method=scaler_method, random_state=0, **FAST).fit(X)
    assert np.isfinite([h["train_loss"] for h in gen.history_]).all()
    assert np.isfinite(gen.score_samples(X)).all()
    assert np.isfinite(gen.sample(5, n_steps=50, random_state=0)).all()

@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_steps=0), "n_steps must be a positive integer"),
        (dict(n_steps=2.5), "n_steps must be a positive integer"),
        (dict(n_samples=0), "n_samples must be a positive integer"),
        (dict(y="medium"), r"labels \['medium'\] not seen in fit"),
        (dict(y=None), "class-conditional"),
        (dict(y=["slow"] * 3), "X has 2 trajectories but y has 3"),
        (dict(y="slow", seed_trajectories=[np.zeros((5, 2))]), "fitted with 3"),
        (dict(y="slow", seed_trajectories=[np.zeros((1, 3))]), "at least 2 are needed"),
        (dict(y="slow", seed_trajectories=[np.zeros((4, 3))] * 3), "pass one"),
    ],
)
def test_bad_sample_arguments(conditional, kwargs, match):
    kwargs = {"n_samples": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        conditional.sample(**kwargs)


def test_class_labels_for_an_unconditional_model():
    gen = MDNTrajectoryGenerator(max_epochs=1, random_state=0, **FAST).fit(_walks(4, 20))
    with pytest.raises(ValueError, match="fitted without class labels"):
        gen.sample(2, y="a")
    with pytest.raises(ValueError, match="fitted without class labels"):
        gen.predict(_walks(2, 20), y=["a", "a"])


def test_predict_needs_labels_for_a_conditional_model(conditional, two_classes):
    with pytest.raises(ValueError, match="class-conditional"):
        conditional.predict(two_classes[0])


def test_new_dimensions_at_score_time(conditional):
    with pytest.raises(ValueError, match="fitted with 3"):
        conditional.score([np.zeros((5, 2))])


@pytest.mark.parametrize(
    "params, X, match",
    [
        (dict(covariance="full"), None, "'covariance' parameter"),
        (dict(scaler_method="log"), None, "'scaler_method' parameter"),
        (dict(n_components=0), None, "'n_components' parameter"),
        (dict(crop_length=1.5), None, "'crop_length' parameter"),
        (dict(lr=-1.0), None, "'lr' parameter"),
        (dict(device="cuda:99"), None, "CUDA|cuda"),
        (dict(), [np.zeros((2, 3))] * 3, "at least 3 are needed"),
        (dict(), [np.zeros((5, 1))] * 3, "symmetry=None"),
        (dict(symmetry="xyz"), None, "'symmetry' parameter"),
        (dict(ema_decays=(0.5, 1.0)), None, "ema_decays must be"),
        (dict(running_mean="yes"), None, "'running_mean' parameter"),
        (dict(position_offset=1), None, "'position_offset' parameter"),
        (dict(running_persistence="yes"), None, "'running_persistence' parameter"),
        (dict(autoregressive=None), None, "'autoregressive' parameter"),
        (dict(balance_classes="equal"), None, "'balance_classes' parameter"),
        (dict(), [np.full((5, 2), np.nan)] * 3, "NaN"),
        (dict(), [], "empty"),
    ],
)
def test_bad_fit_arguments(params, X, match):
    X = _walks(3, 10) if X is None else X
    with pytest.raises(ValueError, match=match):
        MDNTrajectoryGenerator(**params).fit(X)


def test_labels_of_the_wrong_length_at_fit():
    with pytest.raises(ValueError, match="X has 3 trajectories but y has 2"):
        MDNTrajectoryGenerator().fit(_walks(3, 10), ["a", "b"])


@pytest.mark.cuda
def test_cuda_fit_and_sample_return_numpy(two_classes):
    X, y = two_classes
    gen = MDNTrajectoryGenerator(max_epochs=2, device="cuda", random_state=0, **FAST).fit(X, y)
    out = gen.sample(4, n_steps=10, y="slow", random_state=0)
    assert isinstance(out, np.ndarray) and out.shape == (4, 10, 3)
    assert isinstance(gen.score_samples(X, y), np.ndarray)
