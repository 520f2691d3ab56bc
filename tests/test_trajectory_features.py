"""Tests of TrajectoryFeatures' cell-motility (celltrackR, TrackMate) and
anomalous-diffusion (AnDi feature) measures: values where they are known
analytically, invariances, and finiteness on degenerate tracks."""

import numpy as np
import pytest
from scipy.signal import lfilter
from scipy.spatial.distance import pdist

from sklearn_cells.trajectory._features import TrajectoryFeatures, _diameter

ORIGINAL = [
    "speed_mean",
    "speed_median",
    "speed_std",
    "speed_max",
    "speed_autocorr_lag1",
    "turning_cos_mean",
    "turning_angle_abs_mean",
    "straightness",
    "msd_exponent",
    "velocity_autocorr_lag1",
]
ADDED = [
    "msd_fit_r2",
    "velocity_autocorr_lag2",
    "velocity_autocorr_lag4",
    "velocity_autocorr_lag8",
    "displacement_ratio",
    "outreach_ratio",
    "asphericity",
    "overall_angle",
    "efficiency",
    "max_excursion",
    "fractal_dimension",
    "trappedness",
    "displacement_kurtosis",
    "gaussianity_lag1",
    "gaussianity_lag4",
    "psd_slope",
    "step_aging_ratio",
    "step_aging_exponent",
    "local_power_ratio",
    "tail_power_ratio",
    "power_autocorr_lag4",
    "power_autocorr_lag16",
    "log_msd_ratio_lag2",
    "log_msd_ratio_lag4",
    "log_msd_ratio_lag8",
    "log_msd_ratio_lag16",
    "log_msd_ratio_lag32",
]
# Per-axis features: the only ones a rotation may change.
PER_AXIS = ("velocity_std_", "displacement_kurtosis", "z_xy_speed_ratio")
RATES = ("speed_mean", "speed_median", "speed_std", "speed_max", "velocity_std_")


def _names(n_dims):
    return list(TrajectoryFeatures().fit([np.zeros((3, n_dims))]).get_feature_names_out())


def _features(X, **params):
    tf = TrajectoryFeatures(**params).fit(X)
    return [dict(zip(tf.get_feature_names_out(), row)) for row in tf.transform(X)]


def _columns(X, **params):
    """Feature name -> values over the trajectories of ``X``."""
    tf = TrajectoryFeatures(**params).fit(X)
    return dict(zip(tf.get_feature_names_out(), tf.transform(X).T))


def _walks(n, n_points, n_dims=2, seed=0, persistence=0.0, steps=None):
    """Random walks from the origin; steps AR(1) with ``persistence``, unit variance,
    or drawn by ``steps(rng)``."""
    rng = np.random.default_rng(seed)
    walks = []
    for _ in range(n):
        noise = rng.normal(size=(n_points - 1, n_dims)) if steps is None else steps(rng)
        if persistence:
            noise = lfilter([np.sqrt(1 - persistence**2)], [1, -persistence], noise, axis=0)
        walks.append(np.vstack([np.zeros((1, n_dims)), np.cumsum(noise, axis=0)]))
    return walks


def _rotation(n_dims, seed=0):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(n_dims, n_dims)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:  # a proper rotation, not a reflection
        q[:, 0] = -q[:, 0]
    return q


# ----------------------------------------------------------------------------
# names


def test_new_names_follow_the_original_columns_and_precede_the_per_axis_ones():
    assert _names(2) == ORIGINAL + ADDED + ["velocity_std_x", "velocity_std_y"]
    assert _names(1) == ORIGINAL + ADDED + ["velocity_std_x"]
    assert _names(3) == ORIGINAL + ADDED + [
        "velocity_std_x", "velocity_std_y", "velocity_std_z", "z_xy_speed_ratio"
    ]
    # TrackMate's confinement ratio is straightness: documented, not duplicated
    assert "confinement_ratio" not in _names(2)
    assert "confinement ratio" in TrajectoryFeatures.__doc__


# ----------------------------------------------------------------------------
# values known analytically


@pytest.mark.parametrize("n_dims", [1, 2, 3])
@pytest.mark.parametrize("n_points", [10, 57, 1000])
def test_straight_line(n_dims, n_points):
    direction = np.array([3.0, -1.0, 2.0])[:n_dims]
    f = _features([np.outer(np.arange(n_points), direction) + 5.0])[0]
    for name in ("asphericity", "efficiency", "displacement_ratio", "outreach_ratio",
                 "straightness", "msd_fit_r2", "fractal_dimension", "max_excursion",
                 "velocity_autocorr_lag1", "velocity_autocorr_lag2",
                 "velocity_autocorr_lag4", "velocity_autocorr_lag8"):
        assert f[name] == pytest.approx(1.0, abs=1e-9), name
    assert f["msd_exponent"] == pytest.approx(2.0, abs=1e-9)
    assert f["overall_angle"] == pytest.approx(0.0, abs=1e-6)
    assert f["trappedness"] == 0.0
    assert f["displacement_kurtosis"] == 0.0  # no spread of steps: neutral
    assert f["psd_slope"] == 0.0  # nothing left after end-matching: neutral
    for lag in (2, 4, 8, 16, 32):  # beyond the track: the fitted power law, exact here
        assert f[f"log_msd_ratio_lag{lag}"] == pytest.approx(np.log(lag))
    assert f["tail_power_ratio"] == pytest.approx(1.0)
    for name in ("step_aging_ratio", "step_aging_exponent", "local_power_ratio"):
        assert f[name] == pytest.approx(0.0, abs=1e-9), name
    # |r|^4 / <|r|^2>^2 = 1 for equal displacements
    for lag in (1, 4):
        assert f[f"gaussianity_lag{lag}"] == pytest.approx(n_dims / (n_dims + 2) - 1)


def test_closed_loops_have_no_efficiency_and_no_asphericity():
    t = np.linspace(0, 2 * np.pi, 401)
    circle = np.column_stack([np.cos(t), np.sin(t)])
    edge = np.linspace(0, 1, 26)[:-1]
    square = np.vstack([
        np.column_stack([edge, 0 * edge]), np.column_stack([1 + 0 * edge, edge]),
        np.column_stack([1 - edge, 1 + 0 * edge]), np.column_stack([0 * edge, 1 - edge]),
        [[0.0, 0.0]],
    ])
    for loop in (circle, square):
        f = _features([loop])[0]
        assert f["efficiency"] == pytest.approx(0, abs=1e-12)
        assert f["displacement_ratio"] == pytest.approx(0, abs=1e-12)
        assert f["straightness"] == pytest.approx(0, abs=1e-12)
        assert f["asphericity"] == pytest.approx(0, abs=1e-3)
    f_circle = _features([circle])[0]
    # farthest from the start: the opposite point, one diameter across the perimeter
    assert f_circle["outreach_ratio"] == pytest.approx(2 / (2 * np.pi), rel=1e-4)
    assert f_circle["overall_angle"] == pytest.approx(2 * np.pi / 400, rel=1e-6)
    assert f_circle["max_excursion"] == pytest.approx(1.0)  # equal chords


def test_small_tracks_hand_computed():
    f = _features([np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])])[0]
    assert f["efficiency"] == pytest.approx(2 / (2 * 2))
    assert f["displacement_ratio"] == pytest.approx(1.0)
    assert f["outreach_ratio"] == pytest.approx(np.sqrt(2) / 2)
    assert f["overall_angle"] == pytest.approx(np.pi / 2)
    # Katz-George: N = 2, L = 2, d = sqrt(2)
    assert f["fractal_dimension"] == pytest.approx(np.log(2) / (np.log(2) + np.log(np.sqrt(2) / 2)))
    # D t = (MSD(2) - MSD(1)) N / (2 n_dims) = 0.5, r0^2 = (sqrt(2) / 2)^2 = 0.5
    assert f["trappedness"] == pytest.approx(1 - np.exp(0.2048 - 0.25117 * 0.5 / 0.5))

    f = _features([np.array([[0.0], [1.0], [2.0], [3.0], [2.0]])])[0]  # out, and back one step
    assert f["displacement_ratio"] == pytest.approx(2 / 3)
    assert f["outreach_ratio"] == pytest.approx(3 / 4)
    assert f["straightness"] == pytest.approx(2 / 4)
    assert f["efficiency"] == pytest.approx(2**2 / (4 * 4))
    assert f["overall_angle"] == pytest.approx(np.pi)
    assert f["asphericity"] == 1.0  # every moving 1-D track is a line

    f = _features([np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 3.0]])])[0]  # steps of 1 and 3
    assert f["gaussianity_lag1"] == pytest.approx(2 * (1 + 81) / 2 / (4 * 5**2) - 1)
    assert f["max_excursion"] == pytest.approx(3 / np.sqrt(5))

    f = _features([np.array([[0.0], [0.0], [0.0], [0.0], [4.0]])])[0]  # steps 0, 0, 0, 4
    assert f["displacement_kurtosis"] == pytest.approx(21 / 9 - 3)  # m4 = 21, m2 = 3

    rectangle = np.array([[-2.0, -1.0], [2.0, -1.0], [2.0, 1.0], [-2.0, 1.0]])
    assert _features([rectangle])[0]["asphericity"] == pytest.approx((4 - 1) ** 2 / (4 + 1) ** 2)
    # in 3-D: eigenvalues 4, 1, 0 -> (3^2 + 4^2 + 1^2) / (2 * 5^2)
    flat = np.column_stack([rectangle, np.zeros(4)])
    assert _features([flat])[0]["asphericity"] == pytest.approx(26 / 50)
    tetrahedron = np.array([[1.0, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])
    assert _features([tetrahedron])[0]["asphericity"] == pytest.approx(0, abs=1e-12)


def test_brownian_motion():
    f = _columns(_walks(20, 1000, seed=1))
    assert f["msd_exponent"].mean() == pytest.approx(1.0, abs=0.1)
    assert f["msd_fit_r2"].mean() > 0.99
    assert f["gaussianity_lag1"].mean() == pytest.approx(0.0, abs=0.05)
    assert f["gaussianity_lag4"].mean() == pytest.approx(0.0, abs=0.05)
    assert f["displacement_kurtosis"].mean() == pytest.approx(0.0, abs=0.1)
    assert f["psd_slope"].mean() == pytest.approx(-2.0, abs=0.15)
    for lag in (2, 4, 8):
        assert f[f"velocity_autocorr_lag{lag}"].mean() == pytest.approx(0.0, abs=0.03)
    assert f["efficiency"].mean() < 0.01
    assert f["trappedness"].mean() < 0.1
    assert 1.5 < f["fractal_dimension"].mean() < 2.2
    for name in ("step_aging_ratio", "step_aging_exponent", "local_power_ratio",
                 "power_autocorr_lag4", "power_autocorr_lag16",
                 "log_msd_ratio_lag2", "log_msd_ratio_lag32"):
        assert f[name].mean() == pytest.approx(0.0, abs=0.05), name


def test_ageing_and_switching_diffusivity():
    # scaled Brownian motion: step variance ~ t^(alpha - 1)
    t = np.arange(1.0, 1000.0)[:, None]
    for alpha in (0.5, 1.5):
        sbm = _columns(_walks(20, 1000, seed=14, steps=lambda rng: rng.normal(size=(999, 2))
                              * t ** ((alpha - 1) / 2)))
        assert sbm["step_aging_exponent"].mean() == pytest.approx(alpha - 1, abs=0.1)
        # halves: log((1000^a - 500^a) / 500^a) = log(2^a - 1)
        assert sbm["step_aging_ratio"].mean() == pytest.approx(np.log(2**alpha - 1), abs=0.15)
    # diffusivity switching between 1 and 10 every 50 steps: persistent power
    scale = np.where((np.arange(999) // 50) % 2 == 0, 1.0, np.sqrt(10.0))[:, None]
    switching = _columns(_walks(20, 1000, seed=15, steps=lambda rng: rng.normal(size=(999, 2))
                                * scale))
    brownian = _columns(_walks(20, 1000, seed=15))
    assert switching["local_power_ratio"].min() > 0.5 > brownian["local_power_ratio"].max()
    assert switching["power_autocorr_lag4"].min() > 0.15 > brownian["power_autocorr_lag4"].max()
    assert switching["step_aging_ratio"].std() < 0.2  # no trend over time


def test_tail_power_ratio_and_msd_ratios_see_flights_and_persistence():
    gaussian = _columns(_walks(10, 1000, seed=16))
    heavy = _columns(_walks(10, 1000, seed=16, steps=lambda rng: rng.standard_t(2.5, size=(999, 2))))
    assert np.median(heavy["tail_power_ratio"]) > np.median(gaussian["tail_power_ratio"]) + 1
    persistent = _columns(_walks(10, 1000, seed=17, persistence=0.9))
    assert persistent["log_msd_ratio_lag32"].min() > 1.5  # MSD grows faster than the lag


def test_persistent_walk_velocity_autocorrelation_decays_geometrically():
    f = _columns(_walks(10, 2000, seed=2, persistence=0.8))
    for lag in (1, 2, 4, 8):
        assert f[f"velocity_autocorr_lag{lag}"].mean() == pytest.approx(0.8**lag, abs=0.04)


def test_heavy_tailed_steps_raise_kurtosis_gaussianity_and_max_excursion():
    gaussian = _columns(_walks(10, 1000, seed=3))
    heavy = _columns(_walks(10, 1000, seed=3, steps=lambda rng: rng.standard_t(3, size=(999, 2))))
    assert np.median(heavy["displacement_kurtosis"]) > 2
    assert np.median(heavy["gaussianity_lag1"]) > 0.5
    assert np.median(heavy["max_excursion"]) > np.median(gaussian["max_excursion"]) + 2


def test_confinement_raises_trappedness_and_fractal_dimension():
    rng = np.random.default_rng(4)
    confined = []
    for _ in range(10):
        r = np.zeros((1000, 2))
        for t in range(1, 1000):
            r[t] = r[t - 1] + rng.normal(size=2)
            r[t] = np.where(np.abs(r[t]) > 2, np.sign(r[t]) * 4 - r[t], r[t])  # reflecting box
        confined.append(r)
    f_conf, f_free = _columns(confined), _columns(_walks(10, 1000, seed=4))
    assert f_conf["trappedness"].min() > 0.9
    assert f_free["trappedness"].mean() < 0.2
    assert f_conf["fractal_dimension"].min() > f_free["fractal_dimension"].max()
    assert f_conf["msd_exponent"].mean() < 0.5


def _fbm(n, n_points, alpha, seed):
    """Fractional Brownian motion (MSD ~ t^alpha) from exact Gaussian increments."""
    k = np.arange(n_points - 1)
    gamma = 0.5 * (np.abs(k + 1) ** alpha - 2 * np.abs(k) ** alpha + np.abs(k - 1) ** alpha)
    cholesky = np.linalg.cholesky(gamma[np.abs(k[:, None] - k[None, :])])
    noise = np.random.default_rng(seed).normal(size=(n, n_points - 1, 2))
    steps = np.einsum("ij,njd->nid", cholesky, noise)
    return [np.vstack([np.zeros((1, 2)), np.cumsum(s, axis=0)]) for s in steps]


def test_fbm_psd_slope_and_msd_exponent_follow_alpha():
    for alpha in (0.5, 1.5):
        f = _columns(_fbm(10, 1000, alpha, seed=5))
        assert f["msd_exponent"].mean() == pytest.approx(alpha, abs=0.15)
        assert f["psd_slope"].mean() == pytest.approx(-(1 + alpha), abs=0.25)


def test_fractal_dimension_is_capped_for_a_shuttling_track():
    shuttle = np.zeros((200, 2))
    shuttle[1::2, 0] = 1.0  # d = L / N: Katz-George diverges
    f = _features([shuttle])[0]
    assert f["fractal_dimension"] == 10.0
    assert np.isfinite(list(f.values())).all()


# ----------------------------------------------------------------------------
# invariances


def _scale_free(names):
    return np.array([not n.startswith(RATES) for n in names])


@pytest.mark.parametrize("n_dims", [1, 2, 3])
def test_scale_free_features_are_unchanged_by_scaling_and_rates_scale(n_dims):
    X = _walks(4, 300, n_dims, seed=6) + _walks(2, 300, n_dims, seed=7, persistence=0.9)
    tf = TrajectoryFeatures().fit(X)
    free = _scale_free(tf.get_feature_names_out())
    F = tf.transform(X)
    for factor in (7.0, 1e-150, 1e150):
        G = tf.transform([factor * r for r in X])
        assert np.isfinite(G).all()
        np.testing.assert_allclose(G[:, free], F[:, free], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(G[:, ~free], factor * F[:, ~free], rtol=1e-9)


@pytest.mark.parametrize("n_dims", [2, 3])
def test_features_are_unchanged_by_rotation_and_translation(n_dims):
    X = _walks(4, 300, n_dims, seed=8) + _walks(2, 300, n_dims, seed=9, persistence=0.9)
    tf = TrajectoryFeatures().fit(X)
    names = tf.get_feature_names_out()
    invariant = np.array([not n.startswith(PER_AXIS) for n in names])
    F = tf.transform(X)
    rotated = tf.transform([r @ _rotation(n_dims, seed=10).T for r in X])
    np.testing.assert_allclose(rotated[:, invariant], F[:, invariant], rtol=1e-7, atol=1e-9)
    moved = tf.transform([r + 1000.0 for r in X])
    np.testing.assert_allclose(moved, F, rtol=1e-6, atol=1e-8)


def test_dt_changes_no_new_feature():
    X = _walks(3, 100, seed=11)
    f1, f5 = _features(X, dt=1.0), _features(X, dt=5.0)
    for a, b in zip(f1, f5):
        for name in ADDED:
            assert a[name] == pytest.approx(b[name], rel=1e-12, abs=1e-12), name


# ----------------------------------------------------------------------------
# degenerate input


@pytest.mark.parametrize("n_dims", [1, 2, 3])
@pytest.mark.parametrize("n_points", [2, 3, 4, 10])
def test_constant_tracks_give_documented_neutral_values(n_dims, n_points):
    f = _features([np.full((n_points, n_dims), 0.1)])[0]
    assert np.isfinite(list(f.values())).all()
    expected = dict.fromkeys(f, 0.0)
    expected.update(turning_angle_abs_mean=np.pi / 2, overall_angle=np.pi / 2,
                    fractal_dimension=1.0, max_excursion=1.0,
                    tail_power_ratio=1.0)
    assert f == pytest.approx(expected)


@pytest.mark.parametrize("n_dims", [1, 2, 3])
def test_two_point_tracks_give_documented_neutral_values(n_dims):
    f = _features([np.vstack([np.zeros(n_dims), np.arange(1.0, n_dims + 1)])], dt=0.5)[0]
    assert np.isfinite(list(f.values())).all()
    assert f["speed_mean"] == pytest.approx(np.sqrt(np.sum(np.arange(1.0, n_dims + 1) ** 2)) / 0.5)
    for name in ("straightness", "efficiency", "displacement_ratio", "outreach_ratio",
                 "asphericity", "fractal_dimension", "max_excursion"):
        assert f[name] == pytest.approx(1.0), name  # one step is a straight line
    for name in ("turning_angle_abs_mean", "overall_angle"):
        assert f[name] == pytest.approx(np.pi / 2), name  # no second step to turn to
    for name in ("turning_cos_mean", "speed_autocorr_lag1", "msd_exponent", "msd_fit_r2",
                 "velocity_autocorr_lag1", "velocity_autocorr_lag8", "trappedness",
                 "displacement_kurtosis", "gaussianity_lag4", "psd_slope", "step_aging_ratio",
                 "step_aging_exponent", "local_power_ratio", "power_autocorr_lag16",
                 "log_msd_ratio_lag32"):
        assert f[name] == 0.0, name
    assert f["tail_power_ratio"] == 1.0


def test_degenerate_and_long_tracks_are_finite_without_warnings():
    rng = np.random.default_rng(12)
    long_walk = np.cumsum(rng.normal(size=(5000, 2)), axis=0)
    collinear = np.outer(np.cumsum(rng.normal(size=1500)), [1.0, 2.0])  # qhull cannot: flat
    paused = np.repeat(np.cumsum(rng.normal(size=(100, 2)), axis=0), 3, axis=0)  # stops
    X2 = [long_walk, collinear, paused, np.array([[0.0, 0.0], [1e-300, 0.0], [0.0, 0.0]]),
          np.array([[1e300, -1e300], [-1e300, 1e300], [1e300, 1e300]])]
    planar = np.column_stack([np.cumsum(rng.normal(size=(1500, 2)), axis=0), np.full(1500, 2.0)])
    X3 = [planar, np.outer(np.arange(1200.0), [1.0, -1.0, 0.5]),
          np.cumsum(rng.normal(size=(2000, 3)), axis=0)]
    X1 = [np.cumsum(rng.normal(size=(3000, 1)), axis=0), np.zeros((3000, 1))]
    with np.errstate(all="raise"):
        for X in (X2, X3, X1):
            assert np.isfinite(TrajectoryFeatures().fit_transform(X)).all()


def test_diameter_is_exact():
    rng = np.random.default_rng(13)
    t = np.linspace(0, 2 * np.pi, 700)
    clouds = [
        np.cumsum(rng.normal(size=(800, 2)), axis=0),
        np.cumsum(rng.standard_cauchy(size=(800, 2)), axis=0),
        np.cumsum(rng.normal(size=(800, 3)), axis=0),
        rng.integers(0, 3, size=(500, 2)).astype(float),  # many repeats, collinear edges
        np.column_stack([np.cos(t), np.sin(t)]),  # every point on the hull
        np.outer(np.linspace(-3, 5, 300), [1.0, 2.0]),  # collinear
        np.column_stack([rng.normal(size=(300, 2)), np.zeros(300)]),  # coplanar
        np.outer(rng.normal(size=300), [1.0, 2.0, 3.0]),  # collinear in 3-D
        np.cumsum(rng.normal(size=(300, 1)), axis=0),
        rng.normal(size=(40, 2)),  # few points: all pairs
    ]
    for points in clouds:
        assert _diameter(points) == pytest.approx(pdist(points).max(), rel=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_infinite_positions_are_a_clear_error(bad):
    X = _walks(2, 10)
    X[1][4, 0] = bad
    with pytest.raises(ValueError, match=r"trajectory 1 of X contains NaN or infinite values"):
        TrajectoryFeatures().fit(X)
    fitted = TrajectoryFeatures().fit(_walks(2, 10))
    with pytest.raises(ValueError, match=r"at time step\(s\) \[4\]"):
        fitted.transform(X)


def test_one_point_is_too_short():
    with pytest.raises(ValueError, match="at least 2 are needed"):
        TrajectoryFeatures().fit([np.zeros((1, 2))])
