"""make_anomalous_diffusion: AnDi 2020 models, shapes, exponents, statistics, errors."""

import numpy as np
import pytest

from sklearn_cells.datasets import make_anomalous_diffusion

MODELS = ("attm", "ctrw", "fbm", "lw", "sbm")


def _tamsd_exponent(x, lags=np.arange(1, 11)):
    """Slope of log time-averaged MSD against log lag."""
    msd = [np.mean(np.sum((x[lag:] - x[:-lag]) ** 2, axis=1)) for lag in lags]
    return np.polyfit(np.log(lags), np.log(msd), 1)[0]


def _ensemble_exponent(X, times=np.array([5, 10, 20, 50, 100, 199])):
    """Slope of log ensemble MSD (from the origin) against log time."""
    positions = np.stack(X)
    msd = np.mean(np.sum(positions[:, times] ** 2, axis=2), axis=0)
    return np.polyfit(np.log(times), np.log(msd), 1)[0]


@pytest.mark.parametrize("n_dims", [1, 2, 3])
def test_shapes_dtypes_and_lengths(n_dims):
    X, y, alpha = make_anomalous_diffusion(40, n_dims=n_dims, length=(10, 30), random_state=0)
    assert isinstance(X, list) and len(X) == 40 and y.shape == alpha.shape == (40,)
    assert all(x.dtype == np.float64 and x.ndim == 2 and x.shape[1] == n_dims for x in X)
    lengths = np.array([len(x) for x in X])
    assert lengths.min() >= 10 and lengths.max() <= 30 and len(set(lengths)) > 5
    assert y.dtype.kind == "U" and set(y) == set(MODELS)
    assert alpha.dtype == np.float64
    X, _, _ = make_anomalous_diffusion(5, n_dims=n_dims, length=17, random_state=0)
    assert {x.shape for x in X} == {(17, n_dims)}


def test_label_balance():
    _, y, _ = make_anomalous_diffusion(23, length=10, random_state=1)
    counts = np.unique(y, return_counts=True)[1]
    assert len(counts) == 5 and counts.max() - counts.min() <= 1 and counts.sum() == 23
    _, y, _ = make_anomalous_diffusion(7, models=("lw", "fbm"), length=10, random_state=1)
    assert sorted(np.unique(y, return_counts=True)[1]) == [3, 4]
    assert y.tolist() != ["lw", "fbm"] * 3 + ["lw"]  # shuffled, not round-robin order


def test_reproducible_with_seed():
    a = make_anomalous_diffusion(20, length=(10, 50), random_state=3)
    b = make_anomalous_diffusion(20, length=(10, 50), random_state=3)
    c = make_anomalous_diffusion(20, length=(10, 50), random_state=4)
    assert all(np.array_equal(p, q) for p, q in zip(a[0], b[0]))
    assert np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])
    assert not np.array_equal(a[2], c[2])


def test_default_exponent_ranges_per_model():
    _, y, alpha = make_anomalous_diffusion(500, length=10, random_state=5)
    ranges = {"attm": (0, 1), "ctrw": (0, 1), "fbm": (0, 2), "lw": (1, 2), "sbm": (0, 2)}
    for model, (lo, hi) in ranges.items():
        a = alpha[y == model]
        assert a.min() >= lo and a.max() <= hi
        assert a.min() < lo + 0.15 * (hi - lo) and a.max() > hi - 0.15 * (hi - lo)  # spans it
    assert (alpha[y == "fbm"] < 2).all() and (alpha[np.isin(y, ["attm", "ctrw", "sbm"])] > 0).all()


def test_alpha_float_and_range():
    _, y, alpha = make_anomalous_diffusion(10, models=("fbm", "sbm"), alpha=1.3, length=10, random_state=0)
    assert np.all(alpha == 1.3)
    _, y, alpha = make_anomalous_diffusion(200, alpha=(0.8, 1.2), length=10, random_state=0)
    for model in ("attm", "ctrw"):
        assert alpha[y == model].min() >= 0.8 and alpha[y == model].max() <= 1.0
    assert alpha[y == "lw"].min() >= 1.0 and alpha[y == "lw"].max() <= 1.2
    assert alpha[y == "fbm"].min() < 0.9 and alpha[y == "fbm"].max() > 1.1


def test_finite_normalised_and_starting_at_zero_without_noise():
    X, y, alpha = make_anomalous_diffusion(2500, n_dims=2, length=(10, 60), noise=0, random_state=6)
    assert all(np.isfinite(x).all() for x in X)
    assert all(np.array_equal(x[0], [0.0, 0.0]) for x in X)
    # Normalised over the simulated length (a range's tracks are cut after it).
    X, y, alpha = make_anomalous_diffusion(500, n_dims=2, length=60, noise=0, random_state=6)
    for x, model in zip(X, y):
        std = np.diff(x, axis=0).std(axis=0)
        if model in ("attm", "fbm", "sbm"):  # never constant: unit step std per dimension
            assert np.allclose(std, 1.0)
    # Extreme exponents (tiny, ballistic) stay finite as well, in 1-D and 3-D.
    for n_dims, models, a in ((1, ("attm", "ctrw", "fbm", "sbm"), (1e-3, 0.02)),
                              (3, ("fbm", "lw", "sbm"), (1.99, 2.0))):
        X, _, _ = make_anomalous_diffusion(300, n_dims=n_dims, models=models, alpha=a,
                                           length=(10, 60), random_state=7)
        assert all(np.isfinite(x).all() for x in X)


def test_localisation_noise_level():
    X, _, _ = make_anomalous_diffusion(60, models="sbm", alpha=1.0, length=200, noise=1.0, random_state=8)
    steps = np.concatenate([np.diff(x, axis=0) for x in X])
    assert steps.var() == pytest.approx(1.0 + 2 * 1.0**2, rel=0.1)  # unit steps + 2 sigma^2
    assert not np.allclose(X[0][0], 0.0)


def test_fbm_time_averaged_msd_separates_exponents():
    est = {}
    for a in (0.5, 1.5):
        X, _, _ = make_anomalous_diffusion(20, models="fbm", alpha=a, length=500, noise=0, random_state=9)
        est[a] = np.mean([_tamsd_exponent(x) for x in X])
    assert est[0.5] == pytest.approx(0.5, abs=0.15)
    assert est[1.5] == pytest.approx(1.5, abs=0.15)
    assert est[1.5] - est[0.5] > 0.7


def test_sbm_ensemble_msd_follows_alpha():
    est = {}
    for a in (0.5, 1.5):
        X, _, _ = make_anomalous_diffusion(100, models="sbm", alpha=a, length=200, noise=0, random_state=10)
        est[a] = _ensemble_exponent(X)
    assert est[0.5] < 0.8 and est[1.5] > 1.2


def test_levy_walk_is_superdiffusive():
    X, _, _ = make_anomalous_diffusion(100, models="lw", alpha=1.8, length=200, noise=0, random_state=11)
    assert _ensemble_exponent(X) > 1.4


def test_ctrw_waits_give_zero_steps_and_attm_is_subdiffusive():
    X, y, _ = make_anomalous_diffusion(40, models=("ctrw", "fbm"), alpha=0.3, length=200,
                                       noise=0, random_state=12)
    zero = {m: np.mean([np.mean(np.all(np.diff(x, axis=0) == 0, axis=1))
                        for x, label in zip(X, y) if label == m]) for m in ("ctrw", "fbm")}
    assert zero["ctrw"] > 0.8 and zero["fbm"] == 0.0
    X, _, _ = make_anomalous_diffusion(100, models="attm", alpha=0.5, length=200, noise=0, random_state=13)
    assert _ensemble_exponent(X) < 0.8


def test_range_tracks_are_cut_from_tracks_of_the_longest_length():
    # As the challenge: simulated and normalised at max length, then cut. SBM
    # with alpha = 1.5 has step variance ~ t**0.5, so the first 100 of 1000
    # steps have variance ~0.3 of the track's (each short track normalised on
    # its own would have exactly 1).
    X, _, _ = make_anomalous_diffusion(300, models="sbm", alpha=1.5, length=(10, 1000), noise=0,
                                       random_state=20)
    short = [np.diff(x, axis=0).var(axis=0).mean() for x in X if len(x) <= 100]
    assert len(short) > 10 and np.mean(short) < 0.5
    # A fixed length is simulated at that length: unit step variance.
    X, _, _ = make_anomalous_diffusion(20, models="sbm", alpha=1.5, length=100, noise=0, random_state=20)
    assert all(np.allclose(np.diff(x, axis=0).std(axis=0), 1.0) for x in X)


def test_sbm_drops_the_first_step_as_the_reference():
    # The reference's positions cumsum(dx) - dx[0] start with the step of
    # variance 2**a - 1, not 1: for a = 0.1, E[s1^2] / E[s2^2] = (2**a - 1) /
    # (3**a - 2**a) = 1.81 (with the first step kept it was 1 / (2**a - 1) = 13.9).
    X, _, _ = make_anomalous_diffusion(2000, models="sbm", alpha=0.1, length=50, noise=0,
                                       random_state=21)
    steps = np.stack([np.diff(x, axis=0) for x in X])
    ratio = np.mean(steps[:, 0] ** 2) / np.mean(steps[:, 1] ** 2)
    a = 0.1
    assert ratio == pytest.approx((2**a - 1) / (3**a - 2**a), rel=0.15)


def test_capped_durations_cover_the_whole_track():
    from sklearn_cells.datasets._anomalous import _capped_exp

    # exp(log(14)) = 13.999...: truncated, a capped segment ended one step early.
    n = np.arange(9, 1000)
    assert np.array_equal(_capped_exp(np.full(n.size, 50.0), n).astype(np.int64), n)
    assert np.array_equal(_capped_exp(np.log(n) - 1e-12, n), np.exp(np.log(n) - 1e-12))
    # Levy walk, alpha = 2 (sigma uniform in (0, 1)): a flight longer than the
    # track gives a straight track, in 0.408 of the 15-point tracks of the
    # reference (andi-datasets 2.1.13, 20000 tracks); with the early end the
    # last step always turned (0 straight tracks).
    X, _, _ = make_anomalous_diffusion(400, models="lw", alpha=2.0, length=15, noise=0, random_state=22)
    straight = np.mean([np.allclose(np.diff(x, axis=0), np.diff(x, axis=0)[0]) for x in X])
    assert 0.33 < straight < 0.49


def test_three_d_jumps_have_gaussian_length_along_random_direction():
    # Reference (sample_sphere): |jump| = |N(0, 1)|, so E|s|^2 / (E|s|)^2 = pi / 2
    # = 1.571; a 3-D Gaussian jump would give 3 / (8 / pi) = 1.178.
    X, _, _ = make_anomalous_diffusion(200, n_dims=3, models="ctrw", alpha=0.9, length=200, noise=0,
                                       random_state=23)
    ratios = []
    for x in X:
        r = np.linalg.norm(np.diff(x, axis=0), axis=1)
        r = r[r > 0]
        if r.size >= 20:
            ratios.append(np.mean(r**2) / np.mean(r) ** 2)
    assert np.median(ratios) == pytest.approx(np.pi / 2, rel=0.1)


def test_random_scale_multiplies_the_steps():
    kwargs = dict(n_samples=30, length=(10, 100), random_state=24)
    X0, y0, a0 = make_anomalous_diffusion(**kwargs)
    X1, y1, a1 = make_anomalous_diffusion(random_scale=True, **kwargs)
    assert np.array_equal(y0, y1) and np.array_equal(a0, a1)
    factors = []
    for x0, x1 in zip(X0, X1):
        assert x0.shape == x1.shape and np.array_equal(x1[0], [0.0, 0.0])
        ref = x0 - x0[0]
        c = np.sum(x1 * ref) / np.sum(ref * ref)
        assert np.allclose(x1, c * ref)
        factors.append(c)
    factors = np.array(factors)
    assert (factors < 0).any() and (factors > 0).any() and np.abs(factors).std() > 0.2
    with pytest.raises(ValueError, match="random_scale must be True or False"):
        make_anomalous_diffusion(5, length=10, random_scale="yes")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(models=("fbm", "brownian")), "Unknown model"),
        (dict(models=()), "models is empty"),
        (dict(models=("fbm", "fbm")), "more than once"),
        (dict(n_dims=4), "n_dims must be 1, 2 or 3"),
        (dict(n_dims=0), "n_dims must be 1, 2 or 3"),
        (dict(length=5), "at least 10"),
        (dict(length=(5, 100)), "at least 10"),
        (dict(length=(100, 20)), "min <= max"),
        (dict(length=(10, 20, 30)), "length must be an int"),
        (dict(length=(10.0, 20)), "integers"),
        (dict(alpha=1.5), r"model\(s\) \['attm', 'ctrw'\]"),
        (dict(alpha=0.5), r"model\(s\) \['lw'\]"),
        (dict(alpha=2.0, models=("fbm", "sbm")), r"\['fbm'\]"),
        (dict(alpha=(0.1, 0.5)), r"does not overlap.*\['lw'\]"),
        (dict(alpha=(1.5, 1.0)), "low <= high"),
        (dict(alpha="fast"), "alpha must be"),
        (dict(n_samples=0), "n_samples must be an integer >= 1"),
        (dict(n_samples=2.5), "n_samples must be an integer >= 1"),
        (dict(noise=-0.1), ">= 0"),
        (dict(noise=(0.1, -1.0)), ">= 0"),
        (dict(noise=()), "noise must be"),
    ],
)
def test_bad_inputs_raise(kwargs, match):
    kwargs = {"n_samples": 5, "length": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_anomalous_diffusion(**kwargs)
