"""Tests for trajectory statistics and the two-set comparison table."""

import numpy as np
import pytest

from sklearn_cells.trajectory._statistics import (
    compare_trajectory_statistics,
    displacement_drift_test,
    trajectory_statistics,
)


def _persistent_walks(n, n_steps, persistence, speed=1.0, n_dims=2, seed=0):
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(n):
        v = np.empty((n_steps - 1, n_dims))
        v[0] = rng.normal(size=n_dims)
        for t in range(1, n_steps - 1):
            v[t] = persistence * v[t - 1] + np.sqrt(1 - persistence**2) * rng.normal(size=n_dims)
        out.append(np.vstack([np.zeros((1, n_dims)), np.cumsum(speed * v, axis=0)]))
    return out


def test_straight_line_statistics():
    t = np.arange(21, dtype=float)[:, None]
    X = [np.hstack([2 * t, 0 * t]), np.hstack([0 * t, 3 * t])]
    s = trajectory_statistics(X, dt=0.5)
    np.testing.assert_allclose(s["mean_speed"], [4.0, 6.0])
    np.testing.assert_allclose(s["turning_angle"], 0.0, atol=1e-7)
    np.testing.assert_allclose(s["persistence"], 1.0)
    np.testing.assert_allclose(s["msd_exponent"], 2.0)
    np.testing.assert_allclose(s["extent"], [[40, 0], [0, 60]])
    np.testing.assert_allclose(s["displacement"], [[40, 0], [0, 60]])
    # MSD of a straight line is (speed * lag)^2; lags are in time units.
    np.testing.assert_allclose(s["msd"], ((2**2 + 3**2) / 2) * (s["msd_lags"] / 0.5) ** 2)


def test_random_walk_is_diffusive_and_uncorrelated():
    X = _persistent_walks(40, 200, persistence=0.0)
    s = trajectory_statistics(X)
    assert abs(np.mean(s["persistence"])) < 0.05
    assert abs(np.mean(s["msd_exponent"]) - 1.0) < 0.15
    # Turning angles of an isotropic 2-D random walk are uniform on [0, pi].
    assert abs(np.mean(s["turning_angle"]) - np.pi / 2) < 0.05


def test_persistence_orders_walks():
    low = trajectory_statistics(_persistent_walks(20, 100, 0.2))
    high = trajectory_statistics(_persistent_walks(20, 100, 0.9, seed=1))
    assert np.mean(high["persistence"]) > np.mean(low["persistence"]) + 0.5
    assert np.mean(high["local_persistence"]) > np.mean(low["local_persistence"]) + 0.4
    assert np.mean(high["turning_angle"]) < np.mean(low["turning_angle"])


def test_smoothed_extent_discounts_tracking_noise():
    rng = np.random.RandomState(0)
    noise = [rng.normal(scale=2.0, size=(200, 1)) for _ in range(10)]
    s = trajectory_statistics(noise, window=10)
    assert np.mean(s["smoothed_extent"]) < 0.4 * np.mean(s["extent"])


def test_ragged_and_3d_input_agree():
    X = _persistent_walks(5, 30, 0.5)
    a = trajectory_statistics(X)
    b = trajectory_statistics(np.stack(X))
    for key in a:
        np.testing.assert_allclose(a[key], b[key])
    ragged = trajectory_statistics([X[0], X[1][:12]])
    assert ragged["extent"].shape == (2, 2)


def test_input_not_modified():
    X = _persistent_walks(3, 20, 0.5)
    copies = [x.copy() for x in X]
    trajectory_statistics(X)
    compare_trajectory_statistics(X, X)
    for x, c in zip(X, copies):
        np.testing.assert_array_equal(x, c)


def test_compare_identical_sets_is_zero_distance():
    X = _persistent_walks(10, 50, 0.5)
    table = compare_trajectory_statistics(X, X)
    np.testing.assert_allclose(table["wasserstein"], 0.0, atol=1e-12)
    np.testing.assert_allclose(table["ks_statistic"], 0.0, atol=1e-12)
    np.testing.assert_allclose(table["std_ratio"], 1.0)
    assert list(table["statistic"][:3]) == ["speed", "turning_angle", "persistence"]
    assert "extent_y" in list(table["statistic"]) and "smoothed_extent_x" in list(table["statistic"])


def test_compare_ranks_a_closer_set_closer():
    ref = _persistent_walks(20, 60, 0.6, seed=0)
    close = _persistent_walks(20, 60, 0.6, seed=1)
    far = _persistent_walks(20, 60, 0.0, speed=2.0, seed=2)
    t_close = compare_trajectory_statistics(ref, close)
    t_far = compare_trajectory_statistics(ref, far)
    for name in ("speed", "turning_angle", "persistence"):
        row = list(t_close["statistic"]).index(name)
        assert t_close["wasserstein"][row] < t_far["wasserstein"][row]


def test_compare_accepts_precomputed_statistics_and_frames():
    pd = pytest.importorskip("pandas")
    X = _persistent_walks(6, 40, 0.5)
    Y = _persistent_walks(6, 40, 0.5, seed=3)
    direct = compare_trajectory_statistics(X, Y)
    pre = compare_trajectory_statistics(trajectory_statistics(X), trajectory_statistics(Y))
    np.testing.assert_allclose(direct["wasserstein"], pre["wasserstein"])
    frame = compare_trajectory_statistics(X, Y, as_frame=True)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns)[:2] == ["statistic", "wasserstein"]


def test_compare_rejects_mismatched_dimensions():
    with pytest.raises(ValueError, match="same coordinates"):
        compare_trajectory_statistics(
            _persistent_walks(3, 20, 0.5, n_dims=2), _persistent_walks(3, 20, 0.5, n_dims=3)
        )


def test_compare_rejects_incomplete_dict():
    with pytest.raises(ValueError, match="lacks"):
        compare_trajectory_statistics({"speed": np.ones(3)}, _persistent_walks(3, 20, 0.5))


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(dt=0), "dt must be"), (dict(window=0), "window must be"), (dict(max_lag=-1), "max_lag")],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        trajectory_statistics(_persistent_walks(2, 20, 0.5), **kwargs)


def test_bad_trajectories_are_rejected():
    with pytest.raises(ValueError, match="NaN"):
        trajectory_statistics([np.array([[0.0, 0.0], [np.nan, 1.0]])])


def test_drift_test_detects_drift_only_when_present():
    X = _persistent_walks(40, 60, 0.5)
    assert displacement_drift_test(X)[1] > 0.01
    drifting = [x + np.arange(60)[:, None] * np.array([0.3, 0.0]) for x in X]
    assert displacement_drift_test(drifting)[1] < 1e-3
    # Restricting to an axis without drift removes it.
    assert displacement_drift_test(drifting, dims=[1])[1] > 0.01


def test_drift_test_needs_more_trajectories_than_dims():
    with pytest.raises(ValueError, match="more trajectories than dimensions"):
        displacement_drift_test(_persistent_walks(2, 10, 0.5))


# -- plots of trajectory sets (sklearn_cells.plotting._trajectory) ---------------


def test_plots_draw_every_set():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_cells.plotting._trajectory import (
        plot_persistence_speed_density,
        plot_statistic_densities,
        plot_trajectories,
    )

    real = _persistent_walks(6, 40, 0.5, n_dims=3)
    generated = _persistent_walks(6, 40, 0.5, n_dims=3, seed=1)
    axes = plot_trajectories({"real": real, "generated": generated}, max_trajectories=4)
    assert axes.shape == (2, 2)
    assert all(len(ax.lines) == 4 for ax in axes.ravel())
    assert plot_trajectories({"2d": _persistent_walks(3, 20, 0.5)}).shape == (1, 1)
    axes = plot_statistic_densities({"real": real, "generated": trajectory_statistics(generated)})
    assert len(axes) == 4 and len(axes[0].patches) == 2
    axes = plot_persistence_speed_density({"real": real, "generated": generated})
    assert [ax.get_title() for ax in axes] == ["real", "generated"]
    plt.close("all")


def test_plots_reject_bad_input():
    pytest.importorskip("matplotlib")
    from sklearn_cells.plotting._trajectory import plot_statistic_densities, plot_trajectories

    with pytest.raises(ValueError, match="non-empty dict"):
        plot_trajectories(_persistent_walks(2, 10, 0.5))
    with pytest.raises(ValueError, match="unknown statistics"):
        plot_statistic_densities({"a": _persistent_walks(2, 10, 0.5)}, statistics=["speedy"])
