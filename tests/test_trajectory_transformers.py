"""Tests for the trajectory transformers: resampling, velocities, scaling, features."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_cells.trajectory._features import TrajectoryFeatures
from sklearn_cells.trajectory._resample import TrajectoryResampler, resample_trajectories
from sklearn_cells.trajectory._scaler import TrajectoryScaler
from sklearn_cells.trajectory._velocity import VelocityTransformer


def _random_walks(n, n_steps, n_dims=2, persistence=0.0, seed=0):
    """Persistent random walks: each step keeps ``persistence`` of the last."""
    rng = np.random.default_rng(seed)
    walks = []
    for _ in range(n):
        noise = rng.normal(size=(n_steps - 1, n_dims))
        steps = np.empty_like(noise)
        steps[0] = noise[0]
        for t in range(1, n_steps - 1):
            steps[t] = persistence * steps[t - 1] + np.sqrt(1 - persistence**2) * noise[t]
        walks.append(np.vstack([np.zeros((1, n_dims)), np.cumsum(steps, axis=0)]))
    return walks


def _as_kind(trajectories, kind):
    if kind == "list":
        return [t.copy() for t in trajectories]
    if kind == "object":
        out = np.empty(len(trajectories), dtype=object)
        for i, t in enumerate(trajectories):
            out[i] = t.copy()
        return out
    return np.stack(trajectories)  # "3d": needs equal lengths


def _copy(X):
    return [np.array(t, copy=True) for t in X]


def _assert_unchanged(X, X_copy):
    assert len(X) == len(X_copy)
    for a, b in zip(X, X_copy):
        np.testing.assert_array_equal(a, b)


def _assert_same_kind(out, X):
    if isinstance(X, np.ndarray) and X.dtype != object:
        assert isinstance(out, np.ndarray) and out.ndim == 3
    elif isinstance(X, np.ndarray):
        assert isinstance(out, np.ndarray) and out.dtype == object and out.ndim == 1
    else:
        assert isinstance(out, list)


ALL_TRANSFORMERS = [
    TrajectoryResampler(step=2),
    VelocityTransformer(dt=2.0),
    TrajectoryScaler(),
    TrajectoryFeatures(),
]
IDS = ["resampler", "velocity", "scaler", "features"]


# ----------------------------------------------------------------------------
# common behaviour


@pytest.mark.parametrize("kind", ["list", "object", "3d"])
@pytest.mark.parametrize("transformer", ALL_TRANSFORMERS, ids=IDS)
def test_container_kind_preserved_and_input_not_modified(transformer, kind):
    X = _as_kind(_random_walks(4, 12, n_dims=3, seed=1), kind)
    X_copy = _copy(X)
    est = clone(transformer).fit(X)
    assert est.n_features_in_ == 3
    out = est.transform(X)
    if isinstance(est, TrajectoryFeatures):
        assert isinstance(out, np.ndarray) and out.shape == (4, len(est.get_feature_names_out()))
    else:
        _assert_same_kind(out, X)
        assert all(o.shape[1] == 3 for o in out)  # 3-D in, 3-D out (default scaler too)
        # outputs are new arrays, never views of the caller's data
        assert not any(np.shares_memory(o, x) for o in out for x in X)
    if hasattr(est, "inverse_transform"):
        back = est.inverse_transform(out)
        _assert_same_kind(back, X)
    _assert_unchanged(X, X_copy)


@pytest.mark.parametrize("transformer", ALL_TRANSFORMERS, ids=IDS)
def test_new_n_dims_after_fit_is_an_error(transformer):
    est = clone(transformer).fit(_random_walks(3, 10, n_dims=3))
    with pytest.raises(ValueError, match="fitted with 3"):
        est.transform(_random_walks(3, 10, n_dims=2))


@pytest.mark.parametrize("transformer", ALL_TRANSFORMERS, ids=IDS)
def test_clone_and_pickle_give_identical_outputs(transformer):
    X = _random_walks(3, 15, seed=2)
    est = clone(transformer).fit(X)
    restored = pickle.loads(pickle.dumps(est))
    for a, b in zip(est.transform(X), restored.transform(X)):
        np.testing.assert_array_equal(a, b)


def test_stateless_transformers_work_without_fit_and_scaler_needs_fit():
    X = _random_walks(2, 10)
    for est in (TrajectoryResampler(step=2), VelocityTransformer(), TrajectoryFeatures()):
        est.transform(X)
        assert not hasattr(est, "n_features_in_")
        assert est.__sklearn_tags__().requires_fit is False
    with pytest.raises(NotFittedError):
        TrajectoryScaler().transform(X)
    with pytest.raises(NotFittedError):
        TrajectoryScaler().inverse_transform(X)
    with pytest.raises(NotFittedError):
        TrajectoryFeatures().get_feature_names_out()


def test_pipeline_resample_velocity_scale_on_3d_array():
    X = np.stack(_random_walks(5, 21, n_dims=3, seed=3))
    pipe = make_pipeline(
        TrajectoryResampler(step=2), VelocityTransformer(dt=5.0), TrajectoryScaler(method="minmax")
    )
    out = pipe.fit_transform(X)
    assert isinstance(out, np.ndarray) and out.shape == (5, 10, 3)
    np.testing.assert_allclose(out.reshape(-1, 3).min(axis=0), -1)
    np.testing.assert_allclose(out.reshape(-1, 3).max(axis=0), 1)


# ----------------------------------------------------------------------------
# resample_trajectories / TrajectoryResampler


def test_resample_keeps_every_kth_point_per_trajectory_interval():
    # seed 000: collagen every 2.5 min, plastic and fibronectin every minute -> 5 min
    collagen = np.arange(3 * 11, dtype=float).reshape(11, 3)
    plastic = np.arange(3 * 23, dtype=float).reshape(23, 3) + 100
    out = resample_trajectories([collagen, plastic], [2.5, 1.0], 5.0)
    np.testing.assert_array_equal(out[0], collagen[::2])
    np.testing.assert_array_equal(out[1], plastic[::5])
    assert out[1].shape == (5, 3)  # points 0, 5, 10, 15, 20


def test_resample_whole_ratio_despite_float_rounding():
    X = [np.arange(20.0).reshape(10, 2)]
    out = resample_trajectories(X, 0.1, 0.3, method="subsample")  # 0.3 / 0.1 != 3 in floats
    np.testing.assert_array_equal(out[0], X[0][::3])


def test_resample_non_integer_ratio_interpolates_linearly_in_time():
    time = np.arange(11.0)  # sampled every 1.0
    r = np.column_stack([3 * time, time**2])
    out = resample_trajectories([r], 1.0, 2.5)[0]
    new_time = np.array([0.0, 2.5, 5.0, 7.5, 10.0])
    np.testing.assert_allclose(out[:, 0], 3 * new_time)  # linear motion is exact
    # x = t^2 interpolated between neighbouring samples: 2.5 -> (4 + 9) / 2
    np.testing.assert_allclose(out[:, 1], [0.0, 6.5, 25.0, 56.5, 100.0])


def test_resample_linear_at_whole_ratio_equals_subsampling_and_ratio_one_copies():
    X = _random_walks(3, 31, seed=4)
    sub = resample_trajectories(X, 1.0, 3.0, method="subsample")
    lin = resample_trajectories(X, 1.0, 3.0, method="linear")
    for a, b, x in zip(sub, lin, X):
        np.testing.assert_allclose(a, b, atol=1e-12)
        np.testing.assert_array_equal(a, x[::3])
    same = resample_trajectories(X, 2.0, 2.0)
    for a, x in zip(same, X):
        np.testing.assert_array_equal(a, x)
        assert not np.shares_memory(a, x)


def test_resample_3d_array_with_per_trajectory_intervals_becomes_object_array():
    X = np.stack(_random_walks(2, 11))
    out = resample_trajectories(X, [1.0, 2.0], 2.0)
    assert out.dtype == object and [t.shape[0] for t in out] == [6, 11]
    out_3d = resample_trajectories(X, 1.0, 2.0)
    assert out_3d.shape == (2, 6, 2)


@pytest.mark.parametrize(
    "source, target, method, error, match",
    [
        (1.0, 0.0, "auto", ValueError, "target_dt must be positive"),
        (-1.0, 2.0, "auto", ValueError, "dt must be positive"),
        ([1.0, 0.0], 2.0, "auto", ValueError, "trajectory 1 has 0.0"),
        ([1.0, 1.0, 1.0], 2.0, "auto", ValueError, "one interval per trajectory"),
        ("1", 2.0, "auto", TypeError, "dt must be a positive number"),
        (1.0, "2", "auto", TypeError, "target_dt must be a positive number"),
        (2.0, 1.0, "auto", ValueError, "finer than the source interval"),
        (1.0, 2.5, "subsample", ValueError, "method='linear'"),
        (1.0, 2.0, "cubic", ValueError, "not supported"),
        (1.0, 10.0, "auto", ValueError, "only 1 point is left"),
    ],
)
def test_resample_errors(source, target, method, error, match):
    X = [np.zeros((6, 2)), np.ones((8, 2))]
    with pytest.raises(error, match=match):
        resample_trajectories(X, source, target, method=method)


def test_resampler_step_and_intervals_agree_with_function():
    X = _random_walks(3, 20, seed=5)
    by_step = TrajectoryResampler(step=5).fit_transform(X)
    by_interval = TrajectoryResampler(dt=1.0, target_dt=5.0).fit_transform(X)
    for a, b, x in zip(by_step, by_interval, X):
        np.testing.assert_array_equal(a, x[::5])
        np.testing.assert_array_equal(b, x[::5])
    linear = TrajectoryResampler(step=2.5).fit_transform(X)
    expected = resample_trajectories(X, 1.0, 2.5)
    for a, b in zip(linear, expected):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "params, match",
    [
        ({}, "needs either step or both"),
        ({"dt": 1.0}, "target_dt missing"),
        ({"target_dt": 1.0}, "dt missing"),
        ({"step": 2, "target_dt": 1.0}, "either step alone or both intervals"),
        ({"step": 0.5}, "'step' parameter of TrajectoryResampler"),
        ({"dt": [1.0, 2.0], "target_dt": 5.0}, "'dt' parameter of TrajectoryResampler"),
        ({"step": 2, "method": "nearest"}, "'method' parameter of TrajectoryResampler"),
    ],
)
def test_resampler_parameter_errors(params, match):
    X = _random_walks(2, 10)
    with pytest.raises(ValueError, match=match):
        TrajectoryResampler(**params).fit(X)
    with pytest.raises(ValueError, match=match):
        TrajectoryResampler(**params).transform(X)


# ----------------------------------------------------------------------------
# VelocityTransformer


def test_velocity_hand_computed():
    r = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 0.0], [1.0, 2.0, 4.0]])
    v = VelocityTransformer(dt=0.5).fit_transform([r])[0]
    np.testing.assert_array_equal(v, [[2.0, 4.0, 0.0], [0.0, 0.0, 8.0]])


@pytest.mark.parametrize("kind", ["list", "object", "3d"])
def test_velocity_round_trip_with_origins(kind):
    trajectories = [w + 10 * i for i, w in enumerate(_random_walks(4, 9, n_dims=3, seed=6))]
    X = _as_kind(trajectories, kind)
    vt = VelocityTransformer(dt=5.0).fit(X)
    V = vt.transform(X)
    assert [v.shape for v in V] == [(8, 3)] * 4
    origins = np.array([x[0] for x in X])
    back = vt.inverse_transform(V, origin=origins)
    _assert_same_kind(back, X)
    for a, b in zip(back, X):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_velocity_inverse_default_and_shared_origin():
    V = [np.ones((3, 2)), 2 * np.ones((1, 2))]  # a 1-step velocity track is valid
    vt = VelocityTransformer(dt=2.0)
    zero = vt.inverse_transform(V)
    np.testing.assert_array_equal(zero[0], [[0, 0], [2, 2], [4, 4], [6, 6]])
    np.testing.assert_array_equal(zero[1], [[0, 0], [4, 4]])
    shifted = vt.inverse_transform(V, origin=[1.0, -1.0])
    np.testing.assert_array_equal(shifted[1], [[1, -1], [5, 3]])


@pytest.mark.parametrize(
    "origin, error, match",
    [
        (np.zeros(3), ValueError, r"expected \(2,\)"),
        (np.zeros((3, 2)), ValueError, r"or \(2, 2\) for one per trajectory"),
        ([np.nan, 0.0], ValueError, "NaN or infinite"),
        (["a", "b"], TypeError, "origin must be numeric"),
    ],
)
def test_velocity_bad_origin(origin, error, match):
    with pytest.raises(error, match=match):
        VelocityTransformer().inverse_transform([np.ones((3, 2)), np.ones((2, 2))], origin=origin)


@pytest.mark.parametrize("dt, error", [(0.0, ValueError), (-1, ValueError), ("a", TypeError)])
def test_velocity_bad_dt(dt, error):
    with pytest.raises(error, match="'dt' parameter of VelocityTransformer"):
        VelocityTransformer(dt=dt).fit(_random_walks(2, 5))


def test_velocity_needs_two_points_and_names_features():
    with pytest.raises(ValueError, match="at least 2 are needed"):
        VelocityTransformer().transform([np.zeros((1, 2))])
    vt = VelocityTransformer().fit(_random_walks(2, 5))
    assert list(vt.get_feature_names_out()) == ["x0", "x1"]


# ----------------------------------------------------------------------------
# TrajectoryScaler


def test_scaler_minmax_maps_training_range_per_dimension():
    X = _random_walks(5, 30, n_dims=3, seed=7)
    X[0] = X[0] * [1.0, 10.0, 0.01]
    for feature_range in [(-1, 1), (0.0, 1.0)]:
        scaler = TrajectoryScaler(method="minmax", feature_range=feature_range).fit(X)
        points = np.concatenate(scaler.transform(X))
        np.testing.assert_allclose(points.min(axis=0), feature_range[0])
        np.testing.assert_allclose(points.max(axis=0), feature_range[1])
        for a, b in zip(scaler.inverse_transform(scaler.transform(X)), X):
            np.testing.assert_allclose(a, b, atol=1e-10)


def test_scaler_uses_training_statistics_at_transform():
    train = [np.array([[0.0], [10.0]])]
    scaler = TrajectoryScaler(method="minmax").fit(train)
    out = scaler.transform([np.array([[5.0], [20.0]])])[0]
    np.testing.assert_allclose(out.ravel(), [0.0, 3.0])  # outside the range is fine
    assert scaler.n_samples_seen_ == 2


def test_scaler_robust_and_standard_statistics():
    rng = np.random.default_rng(8)
    X = [rng.standard_t(df=2, size=(200, 2)) * [1.0, 5.0] + [3.0, -2.0] for _ in range(4)]
    points = np.concatenate(X)
    robust = np.concatenate(TrajectoryScaler(method="robust", clip=None).fit(X).transform(X))
    np.testing.assert_allclose(np.median(robust, axis=0), 0, atol=1e-12)
    q25, q75 = np.percentile(robust, [25, 75], axis=0)
    np.testing.assert_allclose(q75 - q25, 1)
    standard = np.concatenate(TrajectoryScaler(method="standard", clip=None).fit(X).transform(X))
    np.testing.assert_allclose(standard.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(standard.std(axis=0), 1)
    # heavy tails: min-max squeezes the bulk of the data, the robust scale does not
    minmax = np.concatenate(TrajectoryScaler(method="minmax").fit(X).transform(X))
    minmax_iqr = np.subtract(*np.percentile(minmax, [75, 25], axis=0))
    assert (minmax_iqr < 0.2).all()
    assert points.shape == robust.shape


def test_scaler_isotropic_preserves_directions():
    X = _random_walks(3, 40, n_dims=3, seed=9)
    X = [x * [5.0, 5.0, 0.1] for x in X]  # z only "tracking noise"
    iso = TrajectoryScaler(method="minmax", isotropic=True).fit(X)
    assert np.unique(iso.scale_).size == 1
    out = iso.transform(X)
    # displacement vectors are only rescaled: same directions, same z/xy ratio
    d_in, d_out = np.diff(X[0], axis=0), np.diff(out[0], axis=0)
    np.testing.assert_allclose(d_out * iso.scale_[0], d_in, atol=1e-10)
    # per-dimension scaling would blow the z noise up to the full range
    per_dim = np.concatenate(TrajectoryScaler(method="minmax").fit(X).transform(X))
    assert np.ptp(per_dim[:, 2]) == pytest.approx(2.0)
    assert np.ptp(np.concatenate(out)[:, 2]) < 0.2


@pytest.mark.parametrize("method", ["minmax", "robust", "standard"])
def test_scaler_constant_dimension_does_not_divide_by_zero(method):
    X = [np.column_stack([np.arange(5.0), np.full(5, 7.0)])]
    scaler = TrajectoryScaler(method=method).fit(X)
    out = scaler.transform(X)[0]
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[:, 1], 0.0)
    assert scaler.scale_[1] == 1.0


@pytest.mark.parametrize(
    "params, match",
    [
        ({"method": "maxabs"}, "'method' parameter of TrajectoryScaler"),
        ({"feature_range": (1, -1)}, "feature_range=.* is invalid"),
        ({"feature_range": 1.0}, "'feature_range' parameter of TrajectoryScaler"),
        ({"method": "robust", "quantile_range": (25.0, 120.0)}, r"within \[0, 100\]"),
        ({"clip": 0}, "'clip' parameter of TrajectoryScaler"),
        ({"clip": np.inf}, "'clip' parameter of TrajectoryScaler"),
    ],
)
def test_scaler_parameter_errors(params, match):
    with pytest.raises(ValueError, match=match):
        TrajectoryScaler(**params).fit(_random_walks(2, 5))


def test_scaler_default_is_robust_to_a_few_huge_steps():
    """Six tracks with steps of 1e13 must not squash every other track (min-max does)."""
    rng = np.random.default_rng(3)
    X = [rng.normal(size=(100, 2)) for _ in range(200)]
    X[:6] = [x * 1e13 for x in X[:6]]
    out = TrajectoryScaler().fit(X).transform(X)
    assert 0.5 < np.concatenate(out[6:]).std() < 1.0  # about 1 / 1.35 for Gaussian steps
    # the huge steps keep their size (the classifier clips its recurrent input itself)
    assert np.abs(np.concatenate(out)).max() > 1e12
    clipped = TrajectoryScaler(clip=5.0).fit(X).transform(X)
    assert np.abs(np.concatenate(clipped)).max() == 5.0
    squashed = TrajectoryScaler(method="minmax").fit(X).transform(X)
    assert np.concatenate(squashed[6:]).std(axis=0).max() < 1e-10


def test_scaler_per_trajectory_normalises_each_track_and_keeps_its_scale():
    rng = np.random.default_rng(4)
    X = [rng.normal(size=(50, 2)) * s for s in (0.1, 1.0, 10.0, 100.0)]
    X_copy = [x.copy() for x in X]
    scaler = TrajectoryScaler(per_trajectory=True, clip=None).fit(X)
    out = scaler.transform(X)
    assert all(o.shape == (50, 3) for o in out)
    step_spread = [np.median(np.linalg.norm(o[:, :2] * scaler.scale_[:2], axis=1)) for o in out]
    np.testing.assert_allclose(step_spread, 1.0, rtol=0.2)  # each track at its own scale
    log_scales = [o[0, 2] for o in out]
    assert np.all(np.diff(log_scales) > 0)  # the speed order survives in the extra column
    assert all(np.ptp(o[:, 2]) == 0 for o in out)
    for back, x in zip(scaler.inverse_transform(out), X):
        np.testing.assert_allclose(back, x, rtol=1e-10, atol=1e-12)
    assert list(scaler.get_feature_names_out(["x", "y"])) == ["x", "y", "log_step_scale"]
    for x, x0 in zip(X, X_copy):
        np.testing.assert_array_equal(x, x0)
    with pytest.raises(ValueError, match="log_scale=False"):
        TrajectoryScaler(per_trajectory=True, log_scale=False).fit(X).inverse_transform(out)


def test_scaler_per_trajectory_still_track_is_finite_not_nan():
    X = [np.random.default_rng(5).normal(size=(30, 2)), np.zeros((30, 2))]
    scaler = TrajectoryScaler(per_trajectory=True).fit(X)
    out = scaler.transform(X + [np.zeros((4, 2))])
    assert all(np.isfinite(o).all() for o in out)
    np.testing.assert_array_equal(out[2], out[1][:4])
    assert out[1][0, 2] < out[0][0, 2]  # a still track has the smallest scale
    with pytest.raises(ValueError, match="no trajectory of X ever moves"):
        TrajectoryScaler(per_trajectory=True).fit([np.zeros((5, 2))] * 3)


# ----------------------------------------------------------------------------
# TrajectoryFeatures


def _features(X, **params):
    tf = TrajectoryFeatures(**params).fit(X)
    return [dict(zip(tf.get_feature_names_out(), row)) for row in tf.transform(X)]


def test_features_straight_line_hand_computed_and_length_free():
    for n_steps in (10, 100):
        line = np.column_stack([2 * np.arange(n_steps), np.arange(n_steps)]).astype(float)
        f = _features([line], dt=0.5)[0]
        speed = np.sqrt(5) / 0.5
        assert f["speed_mean"] == pytest.approx(speed)
        assert f["speed_median"] == pytest.approx(speed)
        assert f["speed_max"] == pytest.approx(speed)
        assert f["speed_std"] == pytest.approx(0, abs=1e-12)
        assert f["straightness"] == pytest.approx(1)
        assert f["msd_exponent"] == pytest.approx(2)
        assert f["turning_cos_mean"] == pytest.approx(1)
        assert f["turning_angle_abs_mean"] == pytest.approx(0, abs=1e-6)
        assert f["velocity_autocorr_lag1"] == pytest.approx(1)
        assert f["velocity_std_x"] == pytest.approx(0, abs=1e-12)
    # a straight line is the same at any length: no feature counts points
    short, long = (
        TrajectoryFeatures().fit_transform([np.outer(np.arange(n, dtype=float), [1.0, 1.0])])
        for n in (10, 100)
    )
    np.testing.assert_allclose(short, long, atol=1e-6)


def test_features_turning_angles_hand_computed():
    zigzag = np.array([[0, 0], [1, 0], [1, 1], [2, 1], [2, 2]], dtype=float)  # right angles
    f = _features([zigzag])[0]
    assert f["turning_cos_mean"] == pytest.approx(0, abs=1e-12)
    assert f["turning_angle_abs_mean"] == pytest.approx(np.pi / 2)
    assert f["straightness"] == pytest.approx(np.sqrt(8) / 4)
    back_and_forth = np.array([[0, 0], [1, 0], [0, 0], [1, 0]], dtype=float)
    f = _features([back_and_forth])[0]
    assert f["turning_cos_mean"] == pytest.approx(-1)
    assert f["turning_angle_abs_mean"] == pytest.approx(np.pi)
    assert f["velocity_autocorr_lag1"] == pytest.approx(-1)


def test_features_random_walk_msd_exponent_near_one_and_persistence_detected():
    walks = _random_walks(10, 1000, seed=10)
    persistent = _random_walks(10, 1000, persistence=0.8, seed=11)
    f_walk = _features(walks)
    f_pers = _features(persistent)
    alpha = np.mean([f["msd_exponent"] for f in f_walk])
    assert 0.85 < alpha < 1.15
    assert abs(np.mean([f["turning_cos_mean"] for f in f_walk])) < 0.05
    assert abs(np.mean([f["velocity_autocorr_lag1"] for f in f_walk])) < 0.05
    assert np.mean([f["velocity_autocorr_lag1"] for f in f_pers]) == pytest.approx(0.8, abs=0.05)
    assert np.mean([f["msd_exponent"] for f in f_pers]) > alpha + 0.2


def test_features_dt_scales_only_speeds():
    X = _random_walks(2, 50, seed=12)
    base = TrajectoryFeatures(dt=1.0).fit(X)
    names = base.get_feature_names_out()
    f1, f5 = base.transform(X), TrajectoryFeatures(dt=5.0).fit_transform(X)
    rate = np.array(
        [n.startswith(("speed_", "velocity_std")) and "autocorr" not in n for n in names]
    )
    np.testing.assert_allclose(f5[:, rate], f1[:, rate] / 5)
    np.testing.assert_allclose(f5[:, ~rate], f1[:, ~rate])


def test_features_3d_names_and_z_ratio():
    rng = np.random.default_rng(13)
    xy = rng.normal(size=(200, 2))
    z = 0.5 * np.linalg.norm(xy, axis=1) * rng.choice([-1, 1], size=200)  # |dz| = |dxy| / 2
    r = np.vstack([np.zeros((1, 3)), np.cumsum(np.column_stack([xy, z]), axis=0)])
    tf = TrajectoryFeatures().fit([r])
    names = list(tf.get_feature_names_out())
    assert names[-4:] == ["velocity_std_x", "velocity_std_y", "velocity_std_z", "z_xy_speed_ratio"]
    assert tf.transform([r])[0, -1] == pytest.approx(0.5)
    names_2d = list(TrajectoryFeatures().fit([r[:, :2]]).get_feature_names_out())
    assert "z_xy_speed_ratio" not in names_2d and "velocity_std_z" not in names_2d
    assert len(names) == len(names_2d) + 2


def test_features_short_and_stationary_trajectories_are_finite():
    X = [np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]), np.zeros((5, 2)), np.ones((4, 2))]
    tf = TrajectoryFeatures().fit(X)
    F = tf.transform(X)
    assert F.shape == (3, len(tf.get_feature_names_out())) and np.isfinite(F).all()
    with pytest.raises(ValueError, match="at least 2 are needed"):
        TrajectoryFeatures().fit_transform([np.zeros((1, 2))])


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"dt": 0}, ValueError, "'dt' parameter of TrajectoryFeatures"),
        ({"dt": "x"}, TypeError, "'dt' parameter of TrajectoryFeatures"),
        ({"max_lag_fraction": 0.0}, ValueError, r"'max_lag_fraction' parameter .* \(0.0, 1.0\]"),
        ({"max_lag_fraction": 1.5}, ValueError, r"'max_lag_fraction' parameter .* \(0.0, 1.0\]"),
    ],
)
def test_features_parameter_errors(params, error, match):
    with pytest.raises(error, match=match):
        TrajectoryFeatures(**params).fit(_random_walks(2, 10))


def test_features_pandas_output_has_names():
    pytest.importorskip("pandas")
    X = _random_walks(3, 20, n_dims=3)
    df = TrajectoryFeatures().set_output(transform="pandas").fit_transform(X)
    assert list(df.columns) == list(TrajectoryFeatures().fit(X).get_feature_names_out())


def test_features_svc_separates_persistent_from_random_walks_of_any_length():
    rng = np.random.default_rng(14)
    X, y = [], []
    for i in range(40):
        persistence = 0.7 if i % 2 else 0.0
        n_steps = int(rng.integers(20, 120))
        X.extend(_random_walks(1, n_steps, persistence=persistence, seed=100 + i))
        y.append("persistent" if i % 2 else "random")
    pipe = make_pipeline(TrajectoryFeatures(), StandardScaler(), SVC())
    scores = cross_val_score(pipe, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0))
    assert scores.mean() > 0.85
